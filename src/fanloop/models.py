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
    SearchBacklog,
    StatusChange,
    Tag,
    Vote,
)
from fanloop.core.db import Base
from fanloop.core.models import RateEvent
from fanloop.growth.models import (
    Campaign,
    CampaignPost,
    Channel,
    ChannelIdentity,
    Delivery,
    IdentityClaim,
    ImportRun,
    MemberOrigin,
    Mention,
    ReferralLink,
)
from fanloop.insights.painpoints.models import MiningRun, PainPoint, PainPointPost
from fanloop.insights.vectors.models import PostVector
from fanloop.releases.models import (
    AwardVote,
    BetaMember,
    BetaSettings,
    ExperienceReport,
    Release,
    ReleaseCredit,
    ReleaseItem,
    ReleaseItemPost,
    ReleaseTrain,
    RoadmapPosition,
)
from fanloop.service.desk.models import Assignment, Macro, PostPresence, Ticket
from fanloop.service.notify.models import Notification, OutboxEvent, WebhookDelivery, WebhookEndpoint
from fanloop.service.rota.models import RotaMember, RotaSettings, RotaShift
from fanloop.service.sla.models import SlaCalendar, SlaClock, SlaEvent, SlaPolicy

__all__ = [
    "Assignment", "Macro", "Notification", "OutboxEvent", "PostPresence", "RotaMember", "RotaSettings",
    "RotaShift", "SlaCalendar", "SlaClock", "SlaEvent", "SlaPolicy", "Ticket", "WebhookDelivery",
    "WebhookEndpoint",
    "ApiToken",
    "Campaign",
    "CampaignPost",
    "Channel",
    "ChannelIdentity",
    "Delivery",
    "IdentityClaim",
    "ImportRun",
    "MemberOrigin",
    "Mention",
    "ReferralLink",
    "AwardVote",
    "BetaMember",
    "BetaSettings",
    "ExperienceReport",
    "Base",
    "Board",
    "Follow",
    "LoginSession",
    "Member",
    "MiningRun",
    "ModerationAction",
    "PainPoint",
    "PainPointPost",
    "PasswordResetToken",
    "Post",
    "PostRevision",
    "PostTag",
    "PostTerm",
    "PostVector",
    "RateEvent",
    "Release",
    "ReleaseCredit",
    "ReleaseItem",
    "ReleaseItemPost",
    "ReleaseTrain",
    "RoadmapPosition",
    "Reply",
    "SearchBacklog",
    "StatusChange",
    "Tag",
    "Vote",
    "XpEvent",
]
