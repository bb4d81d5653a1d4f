"""API shapes for posts, replies, votes, statuses and moderation."""

from __future__ import annotations

from datetime import datetime
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from fanloop.community.levels.service import level_for
from fanloop.community.members.schemas import MemberBrief
from fanloop.community.posts.models import Post, Reply, StatusChange

PostKind = Literal["bug", "suggestion", "complaint", "question", "praise"]
PostStatus = Literal["open", "acknowledged", "planned", "in_progress", "shipped", "declined", "duplicate"]


class _Input(BaseModel):
    model_config = ConfigDict(extra="forbid")


class PostCreate(_Input):
    board: str = Field(max_length=40, examples=["battery"])
    kind: PostKind
    title: str = Field(max_length=200)
    body: str = Field(max_length=20_000, description="Markdown")
    tags: list[str] = Field(default_factory=list, max_length=5)
    device_model: str | None = Field(default=None, max_length=80, description="Bugs only")
    os_version: str | None = Field(
        default=None, max_length=80, description="Bugs only: app or firmware version"
    )
    steps_to_reproduce: str | None = Field(default=None, max_length=20_000, description="Bugs only, Markdown")


class PostUpdate(PostCreate):
    pass


class ReplyCreate(_Input):
    body: str = Field(max_length=20_000, description="Markdown")


class StatusChangeCreate(_Input):
    status: PostStatus
    note: str = Field(default="", max_length=2000)


class MergeCreate(_Input):
    into_post_id: int = Field(gt=0)
    note: str = Field(default="", max_length=2000)


class ModerationCreate(_Input):
    action: Literal["hide", "unhide", "lock", "unlock", "delete", "restore"]
    reason: str = Field(default="", max_length=2000)


class ReplyModerationCreate(_Input):
    action: Literal["hide", "unhide", "delete", "restore"]
    reason: str = Field(default="", max_length=2000)


class ViewerState(BaseModel):
    voted: bool
    following: bool


class PostRead(BaseModel):
    id: int
    url: str
    board: str
    kind: str
    status: str
    title: str
    body: str
    body_html: str
    language: str
    channel: str
    tags: list[str]
    device_model: str | None
    os_version: str | None
    steps_to_reproduce: str | None
    vote_count: int = Field(description="Votes; for a bug, the fans who confirmed it ('me too')")
    reply_count: int
    follower_count: int
    is_hidden: bool
    is_locked: bool
    merged_into_id: int | None
    author: MemberBrief
    created_at: datetime
    updated_at: datetime
    viewer: ViewerState | None = None

    @classmethod
    def of(cls, post: Post, viewer: ViewerState | None = None) -> PostRead:
        return cls(
            id=post.id,
            url=f"/posts/{post.id}",
            board=post.board.slug,
            kind=post.kind,
            status=post.status,
            title=post.title,
            body=post.body,
            body_html=post.body_html,
            language=post.language,
            channel=post.channel,
            tags=[tag.slug for tag in post.tags],
            device_model=post.device_model,
            os_version=post.os_version,
            steps_to_reproduce=post.steps_to_reproduce,
            vote_count=post.vote_count,
            reply_count=post.reply_count,
            follower_count=post.follower_count,
            is_hidden=post.is_hidden,
            is_locked=post.is_locked,
            merged_into_id=post.merged_into_id,
            author=MemberBrief.of(post.author),
            created_at=post.created_at,
            updated_at=post.updated_at,
            viewer=viewer,
        )


class PostPage(BaseModel):
    items: list[PostRead]
    next_cursor: str | None = Field(description="Pass as ?cursor= for the next page; null at the end")


def iso_utc(value: datetime) -> str:
    """An aware UTC datetime as the API writes it: ISO 8601 with Z (what pydantic writes too)."""
    text = value.isoformat()
    return text[:-6] + "Z" if text.endswith("+00:00") else text


def post_page_dict(
    rows, tags: dict[int, list[str]], viewer: tuple[set[int], set[int]] | None, next_cursor: str | None
) -> dict:
    """A PostPage as plain data, from rows of repository.SUMMARY_COLUMNS: the same fields in the same
    order and formats as PostPage(items=[PostRead.of(...)]) serialises to, without building ORM
    objects or validating models. `viewer` is (voted, followed) post ids, None when anonymous."""
    items = []
    for (
        post_id,
        board,
        kind,
        status,
        title,
        body,
        body_html,
        language,
        channel,
        device_model,
        os_version,
        steps_to_reproduce,
        vote_count,
        reply_count,
        follower_count,
        is_hidden,
        is_locked,
        merged_into_id,
        author_handle,
        author_display_name,
        author_role,
        author_xp,
        created_at,
        updated_at,
        _hot_score,
    ) in rows:
        level = level_for(author_xp)
        items.append(
            {
                "id": post_id,
                "url": f"/posts/{post_id}",
                "board": board,
                "kind": kind,
                "status": status,
                "title": title,
                "body": body,
                "body_html": body_html,
                "language": language,
                "channel": channel,
                "tags": tags.get(post_id, []),
                "device_model": device_model,
                "os_version": os_version,
                "steps_to_reproduce": steps_to_reproduce,
                "vote_count": vote_count,
                "reply_count": reply_count,
                "follower_count": follower_count,
                "is_hidden": is_hidden,
                "is_locked": is_locked,
                "merged_into_id": merged_into_id,
                "author": {
                    "handle": author_handle,
                    "display_name": author_display_name,
                    "role": author_role,
                    "level": level.number,
                    "level_name": level.name_en,
                },
                "created_at": iso_utc(created_at),
                "updated_at": iso_utc(updated_at),
                "viewer": None
                if viewer is None
                else {"voted": post_id in viewer[0], "following": post_id in viewer[1]},
            }
        )
    return {"items": items, "next_cursor": next_cursor}


class ReplyRead(BaseModel):
    id: int
    post_id: int
    author: MemberBrief
    body: str
    body_html: str
    is_staff: bool
    is_hidden: bool
    is_deleted: bool
    created_at: datetime

    @classmethod
    def of(cls, reply: Reply) -> ReplyRead:
        return cls(
            id=reply.id,
            post_id=reply.post_id,
            author=MemberBrief.of(reply.author),
            body=reply.body,
            body_html=reply.body_html,
            is_staff=reply.is_staff,
            is_hidden=reply.is_hidden,
            is_deleted=reply.deleted_at is not None,
            created_at=reply.created_at,
        )


class VoteRead(BaseModel):
    post_id: int
    voted: bool
    vote_count: int


class FollowRead(BaseModel):
    post_id: int
    following: bool
    follower_count: int


class StatusChangeRead(BaseModel):
    from_status: str
    to_status: str
    note: str
    actor: MemberBrief
    created_at: datetime

    @classmethod
    def of(cls, change: StatusChange) -> StatusChangeRead:
        return cls(
            from_status=change.from_status,
            to_status=change.to_status,
            note=change.note,
            actor=MemberBrief.of(change.actor),
            created_at=change.created_at,
        )


class RevisionRead(BaseModel):
    title: str
    body: str
    editor: str
    created_at: datetime


class ModerationActionRead(BaseModel):
    id: int
    actor: str
    action: str
    target_type: str
    target_id: int
    reason: str
    created_at: datetime


class BoardCreate(_Input):
    slug: str = Field(max_length=40)
    name: str = Field(max_length=80)
    name_zh: str = Field(default="", max_length=80)
    description: str = Field(default="", max_length=2000)


class BoardRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    slug: str
    name: str
    name_zh: str
    description: str


class TagCreate(_Input):
    slug: str = Field(max_length=40)
    name: str = Field(max_length=80)
    name_zh: str = Field(default="", max_length=80)


class TagRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    slug: str
    name: str
    name_zh: str
