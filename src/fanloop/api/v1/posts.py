"""Posts, replies, votes, follows, statuses, merging, moderation, boards, tags and search."""

from __future__ import annotations

from functools import partial
from typing import Annotated, Literal

import orjson
from fastapi import APIRouter, Query, Response, status
from fastapi.concurrency import run_in_threadpool

from fanloop.community.posts import repository
from fanloop.community.posts import service as posts
from fanloop.community.posts.models import Post
from fanloop.community.posts.repository import PostFilters
from fanloop.community.posts.schemas import (
    BoardCreate,
    BoardRead,
    FollowRead,
    MergeCreate,
    ModerationActionRead,
    ModerationCreate,
    PostCreate,
    PostKind,
    PostPage,
    PostRead,
    PostStatus,
    PostUpdate,
    ReplyCreate,
    ReplyModerationCreate,
    ReplyRead,
    RevisionRead,
    StatusChangeCreate,
    StatusChangeRead,
    TagCreate,
    TagRead,
    ViewerState,
    VoteRead,
    post_page_dict,
)
from fanloop.deps import CurrentMember, RequiredMember, SessionDep, SettingsDep, finish_unit_of_work

router = APIRouter(tags=["posts"])
PostId = Annotated[int, Query(gt=0)]
Limit = Annotated[int, Query(ge=1, le=100)]


def _read(session, viewer, post: Post) -> PostRead:  # noqa: ANN001
    voted, followed = posts.member_relations(session, member=viewer, post_ids=[post.id])
    state = ViewerState(voted=post.id in voted, following=post.id in followed) if viewer else None
    return PostRead.of(post, state)


def _page(session, viewer, page) -> PostPage:  # noqa: ANN001
    voted, followed = posts.member_relations(session, member=viewer, post_ids=[p.id for p in page.items])
    items = [
        PostRead.of(p, ViewerState(voted=p.id in voted, following=p.id in followed) if viewer else None)
        for p in page.items
    ]
    return PostPage(items=items, next_cursor=page.next_cursor)


def _input(body: PostCreate) -> posts.PostInput:
    return posts.PostInput(**body.model_dump(exclude={"tags"}), tags=tuple(body.tags))


class JSONBytesResponse(Response):
    """A body already serialised to JSON; FastAPI passes a returned Response through as it is."""

    media_type = "application/json"


@router.get("/posts", response_model=PostPage)
async def list_posts(
    session: SessionDep,
    viewer: CurrentMember,
    sort: Literal["hot", "new", "top"] = "hot",
    board: str | None = None,
    kind: PostKind | None = None,
    status: PostStatus | None = None,
    tag: str | None = None,
    cursor: Annotated[str | None, Query(max_length=200)] = None,
    limit: Limit = 20,
):
    """Posts, hot/new/top, filtered by board, kind, status and tag; cursor-paginated."""
    filters = PostFilters(board=board, kind=kind, status=status, tag=tag)
    page = partial(_post_page, session, viewer, sort=sort, filters=filters, cursor=cursor, limit=limit)
    if viewer is None and session.get_bind().dialect.name == "sqlite":
        # An anonymous page on SQLite is a few reads of pages in memory, in a read transaction that
        # waits for no writer: less work than the hand-off to the thread pool and back, whose
        # queueing made most of this endpoint's tail latency. Whatever may wait goes to the pool:
        # PostgreSQL's round trips, and a signed-in viewer's unit of work (it may have written).
        return page()
    return await run_in_threadpool(page)


def _post_page(session, viewer, **listing) -> Response:  # noqa: ANN001
    # The busiest endpoint: one query of plain columns for the page, one for its tags, and the JSON
    # written directly: the same document as PostPage(items=[PostRead.of(...)]), which tests check.
    page = posts.list_post_summaries(session, viewer=viewer, **listing)
    ids = [row.id for row in page.items]
    relations = posts.member_relations(session, member=viewer, post_ids=ids) if viewer else None
    tags = repository.tag_slugs(session, ids)
    finish_unit_of_work(session)
    return JSONBytesResponse(orjson.dumps(post_page_dict(page.items, tags, relations, page.next_cursor)))


@router.post("/posts", status_code=status.HTTP_201_CREATED, response_model=PostRead)
def create_post(body: PostCreate, author: RequiredMember, session: SessionDep, settings: SettingsDep):
    """Publish a post. Rate-limited per member (429 with Retry-After)."""
    post = posts.create_post(session, author=author, data=_input(body), settings=settings)
    content = PostRead.of(post, ViewerState(voted=False, following=True)).model_dump_json()
    finish_unit_of_work(session)
    return JSONBytesResponse(content, status_code=status.HTTP_201_CREATED)


@router.get("/search", response_model=PostPage)
def search(
    session: SessionDep,
    viewer: CurrentMember,
    q: Annotated[str, Query(min_length=1, max_length=200)],
    board: str | None = None,
    kind: PostKind | None = None,
    status: PostStatus | None = None,
    cursor: Annotated[str | None, Query(max_length=200)] = None,
    limit: Limit = 20,
):
    """Full-text search in Chinese and English (every word must match)."""
    filters = PostFilters(board=board, kind=kind, status=status)
    page = posts.search_posts(session, viewer=viewer, query=q, filters=filters, cursor=cursor, limit=limit)
    return _page(session, viewer, page)


@router.get("/posts/{post_id}", response_model=PostRead)
def get_post(post_id: int, session: SessionDep, viewer: CurrentMember):
    return _read(session, viewer, posts.get_post(session, viewer=viewer, post_id=post_id))


@router.put("/posts/{post_id}", response_model=PostRead)
def edit_post(post_id: int, body: PostUpdate, editor: RequiredMember, session: SessionDep):
    """Edit a post (its author, or a lead); the previous version goes to the edit history."""
    return _read(session, editor, posts.edit_post(session, editor=editor, post_id=post_id, data=_input(body)))


@router.get("/posts/{post_id}/revisions", response_model=list[RevisionRead])
def revisions(post_id: int, session: SessionDep, viewer: CurrentMember):
    return [
        RevisionRead(title=r.title, body=r.body, editor=r.editor.handle, created_at=r.created_at)
        for r in posts.list_revisions(session, viewer=viewer, post_id=post_id)
    ]


@router.get("/posts/{post_id}/replies", response_model=list[ReplyRead])
def list_replies(post_id: int, session: SessionDep, viewer: CurrentMember):
    return [ReplyRead.of(r) for r in posts.list_replies(session, viewer=viewer, post_id=post_id)]


@router.post("/posts/{post_id}/replies", status_code=status.HTTP_201_CREATED, response_model=ReplyRead)
def add_reply(
    post_id: int, body: ReplyCreate, author: RequiredMember, session: SessionDep, settings: SettingsDep
):
    """Reply to a post; staff replies are marked with the staff member's name."""
    return ReplyRead.of(
        posts.add_reply(session, author=author, post_id=post_id, body=body.body, settings=settings)
    )


@router.put("/posts/{post_id}/vote", response_model=VoteRead)
def vote(post_id: int, member: RequiredMember, session: SessionDep):
    """Vote for a post (for a bug: "me too"). Idempotent; voting also follows the post."""
    post = posts.set_vote(session, member=member, post_id=post_id, voted=True)
    return VoteRead(post_id=post.id, voted=True, vote_count=post.vote_count)


@router.delete("/posts/{post_id}/vote", response_model=VoteRead)
def unvote(post_id: int, member: RequiredMember, session: SessionDep):
    post = posts.set_vote(session, member=member, post_id=post_id, voted=False)
    return VoteRead(post_id=post.id, voted=False, vote_count=post.vote_count)


@router.put("/posts/{post_id}/follow", response_model=FollowRead)
def follow(post_id: int, member: RequiredMember, session: SessionDep):
    post = posts.set_follow(session, member=member, post_id=post_id, following=True)
    return FollowRead(post_id=post.id, following=True, follower_count=post.follower_count)


@router.delete("/posts/{post_id}/follow", response_model=FollowRead)
def unfollow(post_id: int, member: RequiredMember, session: SessionDep):
    post = posts.set_follow(session, member=member, post_id=post_id, following=False)
    return FollowRead(post_id=post.id, following=False, follower_count=post.follower_count)


@router.post("/posts/{post_id}/status", status_code=status.HTTP_201_CREATED, response_model=StatusChangeRead)
def change_status(post_id: int, body: StatusChangeCreate, actor: RequiredMember, session: SessionDep):
    """Set a post's status with a note (staff); the change is shown on the post."""
    change = posts.change_status(session, actor=actor, post_id=post_id, status=body.status, note=body.note)
    return StatusChangeRead.of(change)


@router.get("/posts/{post_id}/status", response_model=list[StatusChangeRead])
def status_history(post_id: int, session: SessionDep, viewer: CurrentMember):
    return [StatusChangeRead.of(c) for c in posts.status_history(session, viewer=viewer, post_id=post_id)]


@router.post("/posts/{post_id}/merge", response_model=PostRead)
def merge(post_id: int, body: MergeCreate, actor: RequiredMember, session: SessionDep):
    """Merge this duplicate into another post (staff): its votes, followers and replies move there."""
    target = posts.merge_posts(
        session, actor=actor, duplicate_id=post_id, into_id=body.into_post_id, note=body.note
    )
    return _read(session, actor, target)


@router.post("/posts/{post_id}/moderation", response_model=PostRead)
def moderate_post(post_id: int, body: ModerationCreate, actor: RequiredMember, session: SessionDep):
    """Hide, lock or delete a post, or undo it (staff); audited."""
    post = posts.moderate_post(session, actor=actor, post_id=post_id, action=body.action, reason=body.reason)
    return _read(session, actor, post)


@router.post("/replies/{reply_id}/moderation", response_model=ReplyRead)
def moderate_reply(reply_id: int, body: ReplyModerationCreate, actor: RequiredMember, session: SessionDep):
    reply = posts.moderate_reply(
        session, actor=actor, reply_id=reply_id, action=body.action, reason=body.reason
    )
    return ReplyRead.of(reply)


@router.get("/moderation-log", response_model=list[ModerationActionRead])
def moderation_log(actor: RequiredMember, session: SessionDep, limit: Limit = 100):
    """The audit trail of moderation and role changes (leads)."""
    return [
        ModerationActionRead(
            id=a.id,
            actor=a.actor.handle,
            action=a.action,
            target_type=a.target_type,
            target_id=a.target_id,
            reason=a.reason,
            created_at=a.created_at,
        )
        for a in posts.moderation_log(session, viewer=actor, limit=limit)
    ]


@router.get("/boards", response_model=list[BoardRead], tags=["catalog"])
def list_boards(session: SessionDep):
    return posts.list_boards(session)


@router.post("/boards", status_code=status.HTTP_201_CREATED, response_model=BoardRead, tags=["catalog"])
def create_board(body: BoardCreate, actor: RequiredMember, session: SessionDep):
    return posts.create_board(session, actor=actor, **body.model_dump())


@router.get("/tags", response_model=list[TagRead], tags=["catalog"])
def list_tags(session: SessionDep):
    return posts.list_tags(session)


@router.post("/tags", status_code=status.HTTP_201_CREATED, response_model=TagRead, tags=["catalog"])
def create_tag(body: TagCreate, actor: RequiredMember, session: SessionDep):
    return posts.create_tag(session, actor=actor, **body.model_dump())
