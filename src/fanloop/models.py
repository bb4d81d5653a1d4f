"""Every table of every domain, imported in one place for migrations and tests."""

from fanloop.community.levels.models import XpEvent
from fanloop.community.members.models import ApiToken, LoginSession, Member, PasswordResetToken
from fanloop.community.posts.models import (
    Board,
    Follow,
    ModerationAction,
    Post,
    PostRevision,
    PostTag,
    PostTerm,
    Reply,
    StatusChange,
    Tag,
    Vote,
)
from fanloop.core.db import Base
from fanloop.core.models import RateEvent

__all__ = [
    "ApiToken",
    "Base",
    "Board",
    "Follow",
    "LoginSession",
    "Member",
    "ModerationAction",
    "PasswordResetToken",
    "Post",
    "PostRevision",
    "PostTag",
    "PostTerm",
    "RateEvent",
    "Reply",
    "StatusChange",
    "Tag",
    "Vote",
    "XpEvent",
]
