"""Posts and everything fans and staff do with them: write, reply, vote, follow, status, merge, moderate."""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import UTC

from sqlalchemy import Row, delete, func, insert, select, update
from sqlalchemy.orm import Session

from fanloop.community.levels import service as levels
from fanloop.community.members.models import Member
from fanloop.community.posts import repository
from fanloop.community.posts.models import (
    POST_KINDS,
    POST_STATUSES,
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
from fanloop.core import clock, events, ratelimit
from fanloop.core.config import Settings
from fanloop.core.errors import Conflict, Forbidden, Invalid, NotFound
from fanloop.core.permissions import Action, can, require
from fanloop.core.text import detect_language, render_markdown, search_terms

MAX_TITLE = 200
MAX_BODY = 20_000
MAX_TAGS = 5
# Statuses that mean staff agreed a bug is real: the reporter earns the "confirmed" award once.
CONFIRMING_STATUSES = {"acknowledged", "planned", "in_progress", "shipped"}
HOT_EPOCH = 1_704_067_200  # 2024-01-01, keeps hot scores small
# Ids are INTEGER columns: a larger number matches nothing, and the database would refuse to compare it.
MAX_ID = 2**31 - 1


@dataclass(slots=True)
class PostInput:
    board: str
    kind: str
    title: str
    body: str
    tags: tuple[str, ...] = ()
    device_model: str | None = None
    os_version: str | None = None
    steps_to_reproduce: str | None = None


def hot_score(post: Post) -> float:
    """Reddit-style: votes count logarithmically, newer posts rank higher; stable, so it can be indexed."""
    weight = post.vote_count + post.reply_count / 2 + 1
    return round(math.log10(weight) + (post.created_at.timestamp() - HOT_EPOCH) / 45_000, 7)


def _clean(value: str | None, *, field: str, max_length: int, required: bool = False) -> str | None:
    value = (value or "").replace("\x00", "").strip()
    if required and not value:
        raise Invalid(f"The {field.replace('_', ' ')} is required.", field=field)
    if len(value) > max_length:
        raise Invalid(f"The {field.replace('_', ' ')} is longer than {max_length} characters.", field=field)
    return value or None


def _board(session: Session, slug: str) -> Board:
    # A NUL can be in no slug, and PostgreSQL refuses it even in a comparison.
    board = None if "\x00" in slug else session.scalar(select(Board).where(Board.slug == slug))
    if board is None:
        raise Invalid(f"No board {slug!r}.", field="board")
    return board


def _tags(session: Session, slugs: tuple[str, ...]) -> list[Tag]:
    slugs = tuple(dict.fromkeys(s.strip().lower() for s in slugs if s.strip()))
    if len(slugs) > MAX_TAGS:
        raise Invalid(f"At most {MAX_TAGS} tags.", field="tags")
    storable = [s for s in slugs if "\x00" not in s]
    tags = list(session.scalars(select(Tag).where(Tag.slug.in_(storable)))) if storable else []
    unknown = set(slugs) - {t.slug for t in tags}
    if unknown:
        raise Invalid(f"Unknown tag(s): {', '.join(sorted(unknown))}.", field="tags")
    return tags


_INSERT_TERMS = insert(PostTerm.__table__)
_INSERT_FOLLOW = insert(Follow.__table__)


def _index_terms(session: Session, post: Post, *, replace: bool = True) -> None:
    if replace:
        session.execute(delete(PostTerm).where(PostTerm.post_id == post.id))
    text = " ".join(filter(None, [post.title, post.body, post.device_model, post.os_version]))
    terms = search_terms(text)
    if terms:
        # Rows that no object of this session stands for: straight to the connection, past the ORM.
        session.connection().execute(_INSERT_TERMS, [{"term": term, "post_id": post.id} for term in terms])


def _follow(session: Session, post: Post, member_id: int) -> bool:
    if session.get(Follow, (post.id, member_id)) is not None:
        return False
    session.add(Follow(post_id=post.id, member_id=member_id, created_at=clock.now()))
    post.follower_count += 1
    return True


def create_post(session: Session, *, author: Member, data: PostInput, settings: Settings) -> Post:
    """Publish a post; the author follows it and earns experience."""
    require(author, Action.CREATE_POST)
    if data.kind not in POST_KINDS:
        raise Invalid(f"Unknown kind {data.kind!r}; use one of {', '.join(POST_KINDS)}.", field="kind")
    title = _clean(data.title, field="title", max_length=MAX_TITLE, required=True)
    body = _clean(data.body, field="body", max_length=MAX_BODY, required=True)
    board = _board(session, data.board)
    tags = _tags(session, data.tags)
    is_bug = data.kind == "bug"
    ratelimit.hit(
        session,
        bucket="post",
        key=str(author.id),
        limit=settings.post_rate_limit,
        window_seconds=settings.post_rate_window,
    )
    now = clock.now()
    post = Post(
        board_id=board.id,
        author_id=author.id,
        kind=data.kind,
        status="open",
        title=title,
        body=body,
        body_html=render_markdown(body),
        language=detect_language(f"{title} {body}"),
        channel="forum",
        device_model=_clean(data.device_model, field="device_model", max_length=80) if is_bug else None,
        os_version=_clean(data.os_version, field="os_version", max_length=80) if is_bug else None,
        steps_to_reproduce=_clean(data.steps_to_reproduce, field="steps_to_reproduce", max_length=MAX_BODY)
        if is_bug
        else None,
        vote_count=0,
        reply_count=0,
        follower_count=0,
        is_hidden=False,
        is_locked=False,
        created_at=now,
        updated_at=now,
    )
    post.board, post.author, post.tags = board, author, tags
    post.hot_score = hot_score(post)
    # The author follows the new post. Nothing of a post this new exists yet, so there is no follow
    # to look up and no search term to delete first.
    post.follower_count = 1
    session.add(post)
    session.flush()
    # A row no one loads in this unit of work: inserted as it is, without another ORM flush.
    session.connection().execute(
        _INSERT_FOLLOW, {"post_id": post.id, "member_id": author.id, "created_at": clock.now()}
    )
    _index_terms(session, post, replace=False)
    levels.award(session, member_id=author.id, reason="post_created", post_id=post.id)
    events.publish(session, "post.created", post=post)
    return post


def get_post(session: Session, *, viewer: Member | None, post_id: int, for_update: bool = False) -> Post:
    """A post the viewer may see: deleted posts are gone for everyone but staff, hidden ones too.

    `for_update` locks the post's row (PostgreSQL; SQLite has one writer anyway) and reloads it, for
    changes to its counters: replies, votes and followers are counted up and down by concurrent
    requests, and each must start from the last committed count or one of them is lost. Locking
    the post first is also the order every desk path follows: post, then ticket, then clocks. The
    lock is FOR NO KEY UPDATE: rows that merely refer to the post (a new assignment, an SLA event)
    take KEY SHARE on it, which FOR UPDATE would block, closing a circle with the SLA sweep."""
    post = (
        session.get(
            Post,
            post_id,
            with_for_update={"of": Post, "key_share": True} if for_update else None,
            populate_existing=for_update,
        )
        if 0 < post_id <= MAX_ID
        else None
    )
    if post is None:
        raise NotFound(f"No post {post_id}.")
    if (post.deleted_at is not None or post.is_hidden) and not can(viewer, Action.VIEW_HIDDEN):
        raise NotFound(f"No post {post_id}.")
    return post


def list_posts(
    session: Session,
    *,
    viewer: Member | None,
    sort: str = "hot",
    filters: repository.PostFilters | None = None,
    cursor: str | None = None,
    limit: int = 20,
) -> repository.Page[Post]:
    """One page of posts, newest/hottest/most-voted first, with optional filters."""
    _check_listing(sort, filters, cursor)
    query = repository.visible_posts(can(viewer, Action.VIEW_HIDDEN))
    query = repository.apply_filters(session, query, filters or repository.PostFilters())
    return repository.paginate(session, query, sort=sort, cursor=cursor, limit=max(1, min(limit, 100)))


def list_post_summaries(
    session: Session,
    *,
    viewer: Member | None,
    sort: str = "hot",
    filters: repository.PostFilters | None = None,
    cursor: str | None = None,
    limit: int = 20,
) -> repository.Page[Row]:
    """list_posts() as rows of repository.SUMMARY_COLUMNS (board and author joined in, no ORM
    objects): the same posts, order and cursor, for callers that only show them."""
    _check_listing(sort, filters, cursor)
    return repository.summary_page(
        session,
        include_hidden=can(viewer, Action.VIEW_HIDDEN),
        filters=filters or repository.PostFilters(),
        sort=sort,
        cursor=cursor,
        limit=max(1, min(limit, 100)),
    )


def _check_listing(sort: str, filters: repository.PostFilters | None, cursor: str | None) -> None:
    if sort not in repository.SORTS:
        raise Invalid(f"Unknown sort {sort!r}; use hot, new or top.", field="sort")
    _check_filters(filters)
    _check_cursor(cursor, sort)


def _check_filters(filters: repository.PostFilters | None) -> None:
    if filters and filters.kind and filters.kind not in POST_KINDS:
        raise Invalid(f"Unknown kind {filters.kind!r}.", field="kind")
    if filters and filters.status and filters.status not in POST_STATUSES:
        raise Invalid(f"Unknown status {filters.status!r}.", field="status")
    for name in ("board", "tag"):
        if filters and "\x00" in (getattr(filters, name) or ""):
            raise Invalid(f"No such {name}.", field=name)


def _check_cursor(cursor: str | None, sort: str) -> None:
    """Refuse a cursor that decodes but no listing could have made (a naive time, a flag, a number
    out of range): the database would fail on it rather than return an empty page."""
    if not cursor:
        return
    value, post_id = repository.decode_cursor(cursor, sort)
    valid = not isinstance(post_id, bool) and 0 < post_id <= MAX_ID and not isinstance(value, bool)
    try:
        if sort == "new":
            valid = valid and value.utcoffset() is not None and value.astimezone(UTC) is not None
        elif sort == "top":
            valid = valid and isinstance(value, int) and -MAX_ID <= value <= MAX_ID
        else:
            valid = valid and math.isfinite(value) and (isinstance(value, float) or abs(value) <= MAX_ID)
    except (OverflowError, ValueError):
        valid = False
    if not valid:
        raise Invalid("The cursor is not valid for this listing; start again without it.", field="cursor")


def search_posts(
    session: Session,
    *,
    viewer: Member | None,
    query: str,
    filters: repository.PostFilters | None = None,
    cursor: str | None = None,
    limit: int = 20,
) -> repository.Page[Post]:
    """Posts containing every word of the query (Chinese segmented like the index), hottest first."""
    from fanloop.core.text import query_terms

    terms = query_terms(query[:200])
    if not terms:
        return repository.Page(items=[], next_cursor=None)
    _check_filters(filters)
    _check_cursor(cursor, "hot")
    base = repository.visible_posts(can(viewer, Action.VIEW_HIDDEN))
    for term in terms:  # one condition per word: every word must match
        base = base.where(Post.id.in_(repository.posts_with_term(term)))
    base = repository.apply_filters(session, base, filters or repository.PostFilters())
    return repository.paginate(session, base, sort="hot", cursor=cursor, limit=max(1, min(limit, 100)))


def edit_post(session: Session, *, editor: Member, post_id: int, data: PostInput) -> Post:
    """Change a post; the previous version is kept in its edit history."""
    post = get_post(session, viewer=editor, post_id=post_id)
    if post.author_id == editor.id:
        require(editor, Action.EDIT_OWN_POST)
    else:
        require(editor, Action.EDIT_ANY_POST)
    if post.is_locked and not can(editor, Action.REPLY_TO_LOCKED):
        raise Forbidden("This post is locked.")
    title = _clean(data.title, field="title", max_length=MAX_TITLE, required=True)
    body = _clean(data.body, field="body", max_length=MAX_BODY, required=True)
    tags = _tags(session, data.tags)
    board = _board(session, data.board) if data.board else post.board
    if data.kind not in POST_KINDS:
        raise Invalid(f"Unknown kind {data.kind!r}.", field="kind")
    session.add(
        PostRevision(
            post_id=post.id, editor_id=editor.id, title=post.title, body=post.body, created_at=clock.now()
        )
    )
    is_bug = data.kind == "bug"
    post.title, post.body, post.body_html = title, body, render_markdown(body)
    post.kind, post.board, post.tags = data.kind, board, tags
    post.device_model = _clean(data.device_model, field="device_model", max_length=80) if is_bug else None
    post.os_version = _clean(data.os_version, field="os_version", max_length=80) if is_bug else None
    post.steps_to_reproduce = (
        _clean(data.steps_to_reproduce, field="steps_to_reproduce", max_length=MAX_BODY) if is_bug else None
    )
    post.language = detect_language(f"{title} {body}")
    post.updated_at = clock.now()
    _index_terms(session, post)
    return post


def list_revisions(session: Session, *, viewer: Member | None, post_id: int) -> list[PostRevision]:
    get_post(session, viewer=viewer, post_id=post_id)
    return list(
        session.scalars(
            select(PostRevision).where(PostRevision.post_id == post_id).order_by(PostRevision.id.desc())
        )
    )


def add_reply(
    session: Session, *, author: Member, post_id: int, body: str, settings: Settings, internal: bool = False
) -> Reply:
    """Reply to a post; staff replies are marked. Replying follows the post. An internal note
    (staff only) is seen by staff alone and does not count as an answer."""
    require(author, Action.REPLY)
    if internal:
        require(author, Action.VIEW_STAFF_AREA)
    post = get_post(session, viewer=author, post_id=post_id, for_update=True)
    if post.is_locked and not can(author, Action.REPLY_TO_LOCKED):
        raise Forbidden("This post is locked; only staff can reply.")
    body = _clean(body, field="body", max_length=MAX_BODY, required=True)
    ratelimit.hit(
        session,
        bucket="reply",
        key=str(author.id),
        limit=settings.reply_rate_limit,
        window_seconds=settings.reply_rate_window,
    )
    now = clock.now()
    reply = Reply(
        post_id=post.id,
        author_id=author.id,
        body=body,
        body_html=render_markdown(body),
        is_staff=author.is_staff,
        is_internal=internal,
        is_automatic=False,
        is_hidden=False,
        created_at=now,
        updated_at=now,
    )
    reply.author = author
    session.add(reply)
    if not internal:
        post.reply_count += 1
        post.hot_score = hot_score(post)
        _follow(session, post, author.id)
    session.flush()
    if not author.is_staff:
        levels.award(
            session, member_id=author.id, reason="reply_created", post_id=post.id, subject=str(reply.id)
        )
    events.publish(session, "reply.created", post=post, reply=reply)
    return reply


def list_replies(session: Session, *, viewer: Member | None, post_id: int) -> list[Reply]:
    get_post(session, viewer=viewer, post_id=post_id)
    query = select(Reply).where(Reply.post_id == post_id).order_by(Reply.created_at, Reply.id)
    if not can(viewer, Action.VIEW_HIDDEN):
        query = query.where(
            Reply.deleted_at.is_(None), Reply.is_hidden.is_(False), Reply.is_internal.is_(False)
        )
    return list(session.scalars(query))


def set_vote(session: Session, *, member: Member, post_id: int, voted: bool) -> Post:
    """Vote for a post (for a bug: "me too"), or take the vote back. One vote per member; voting follows."""
    require(member, Action.VOTE)
    post = get_post(session, viewer=member, post_id=post_id, for_update=True)
    existing = session.get(Vote, (post.id, member.id))
    if voted and existing is None:
        if post.merged_into_id is not None:
            raise Conflict(f"This post was merged into post {post.merged_into_id}; vote there.")
        session.add(Vote(post_id=post.id, member_id=member.id, created_at=clock.now()))
        post.vote_count += 1
        _follow(session, post, member.id)
        if post.author_id != member.id:
            levels.award(
                session,
                member_id=post.author_id,
                reason="vote_received",
                post_id=post.id,
                subject=str(member.id),
            )
    elif not voted and existing is not None:
        session.delete(existing)
        post.vote_count -= 1
        levels.revoke(session, reason="vote_received", post_id=post.id, subject=str(member.id))
    post.hot_score = hot_score(post)
    return post


def toggle_vote(session: Session, *, member: Member, post_id: int) -> Post:
    voted = 0 < post_id <= MAX_ID and session.get(Vote, (post_id, member.id)) is not None
    return set_vote(session, member=member, post_id=post_id, voted=not voted)


def set_follow(session: Session, *, member: Member, post_id: int, following: bool) -> Post:
    """Follow a post to hear about its replies and status changes, or stop following."""
    require(member, Action.FOLLOW)
    post = get_post(session, viewer=member, post_id=post_id, for_update=True)
    if following:
        _follow(session, post, member.id)
    else:
        existing = session.get(Follow, (post.id, member.id))
        if existing is not None:
            session.delete(existing)
            post.follower_count -= 1
    return post


def member_relations(
    session: Session, *, member: Member | None, post_ids: list[int]
) -> tuple[set[int], set[int]]:
    """Which of these posts the member has voted for and follows."""
    if member is None or not post_ids:
        return set(), set()
    voted = set(
        session.scalars(select(Vote.post_id).where(Vote.member_id == member.id, Vote.post_id.in_(post_ids)))
    )
    followed = set(
        session.scalars(
            select(Follow.post_id).where(Follow.member_id == member.id, Follow.post_id.in_(post_ids))
        )
    )
    return voted, followed


def change_status(
    session: Session, *, actor: Member, post_id: int, status: str, note: str = ""
) -> StatusChange:
    """Move a post to a new status, recording who, when and why."""
    require(actor, Action.CHANGE_STATUS)
    post = get_post(session, viewer=actor, post_id=post_id, for_update=True)
    if status not in POST_STATUSES:
        raise Invalid(f"Unknown status {status!r}; use one of {', '.join(POST_STATUSES)}.", field="status")
    if status == "duplicate":
        raise Invalid("Mark a duplicate by merging it into the original post.", field="status")
    if status == post.status:
        raise Conflict(f"The post is already {status}.")
    change = _record_status(session, post=post, actor=actor, status=status, note=note)
    if status in CONFIRMING_STATUSES and post.kind == "bug":
        levels.award(session, member_id=post.author_id, reason="bug_confirmed", post_id=post.id)
    if status == "shipped" and post.kind == "suggestion":
        levels.award(session, member_id=post.author_id, reason="suggestion_shipped", post_id=post.id)
    return change


def ship_posts(session: Session, *, actor: Member, post_ids: list[int], note: str) -> list[int]:
    """Set posts shipped as part of a release; returns the ids that changed. Each change is recorded
    and reaches webhooks and the service desk, but followers are not told post by post: the release
    tells each of them once. Declined, duplicate and already shipped posts stay as they are."""
    require(actor, Action.CHANGE_STATUS)
    changed = []
    for start in range(0, len(post_ids), 500):
        posts = session.scalars(
            select(Post).where(
                Post.id.in_(post_ids[start : start + 500]),
                Post.status.not_in(("shipped", "declined", "duplicate")),
                Post.deleted_at.is_(None),
            )
        )
        for post in posts:
            _record_status(session, post=post, actor=actor, status="shipped", note=note, announce=False)
            changed.append(post.id)
    return changed


def _record_status(
    session: Session, *, post: Post, actor: Member, status: str, note: str, announce: bool = True
) -> StatusChange:
    note = _clean(note, field="note", max_length=2000) or ""
    change = StatusChange(
        post_id=post.id,
        actor_id=actor.id,
        from_status=post.status,
        to_status=status,
        note=note,
        created_at=clock.now(),
    )
    change.actor = actor
    session.add(change)
    post.status = status
    post.updated_at = clock.now()
    events.publish(session, "post.status_changed", post=post, status=status, announce=announce)
    return change


def status_history(session: Session, *, viewer: Member | None, post_id: int) -> list[StatusChange]:
    get_post(session, viewer=viewer, post_id=post_id)
    return list(
        session.scalars(
            select(StatusChange)
            .where(StatusChange.post_id == post_id)
            .order_by(StatusChange.created_at, StatusChange.id)
        )
    )


def merge_posts(session: Session, *, actor: Member, duplicate_id: int, into_id: int, note: str = "") -> Post:
    """Merge a duplicate into the original: votes, followers and replies move; the duplicate points there."""
    require(actor, Action.MERGE_POSTS)
    if duplicate_id == into_id:
        raise Invalid("A post cannot be merged into itself.", field="into_post_id")
    # Both rows locked, the lower id first, as every path that locks two posts does.
    locked = {
        post_id: get_post(session, viewer=actor, post_id=post_id, for_update=True)
        for post_id in sorted((duplicate_id, into_id))
    }
    duplicate, target = locked[duplicate_id], locked[into_id]
    if target.merged_into_id is not None:
        raise Conflict(f"Post {into_id} was itself merged into post {target.merged_into_id}; merge there.")
    if duplicate.merged_into_id is not None:
        raise Conflict(f"Post {duplicate_id} is already merged into post {duplicate.merged_into_id}.")
    for model in (Vote, Follow):
        already = select(model.member_id).where(model.post_id == target.id)
        session.execute(
            update(model)
            .where(model.post_id == duplicate.id, model.member_id.not_in(already))
            .values(post_id=target.id)
        )
        session.execute(delete(model).where(model.post_id == duplicate.id))
    session.execute(update(Reply).where(Reply.post_id == duplicate.id).values(post_id=target.id))
    _recount(session, target)
    _recount(session, duplicate)
    duplicate.merged_into_id = target.id
    _record_status(
        session, post=duplicate, actor=actor, status="duplicate", note=note or f"Merged into #{target.id}"
    )
    _audit(
        session,
        actor=actor,
        action="merge",
        target_type="post",
        target_id=duplicate.id,
        reason=f"into #{target.id}",
    )
    return target


def _recount(session: Session, post: Post) -> None:
    post.vote_count = session.scalar(select(func.count()).select_from(Vote).where(Vote.post_id == post.id))
    post.follower_count = session.scalar(
        select(func.count()).select_from(Follow).where(Follow.post_id == post.id)
    )
    post.reply_count = session.scalar(
        select(func.count()).select_from(Reply).where(Reply.post_id == post.id, Reply.deleted_at.is_(None))
    )
    post.hot_score = hot_score(post)


POST_MODERATION = ("hide", "unhide", "lock", "unlock", "delete", "restore")
REPLY_MODERATION = ("hide", "unhide", "delete", "restore")


def moderate_post(session: Session, *, actor: Member, post_id: int, action: str, reason: str = "") -> Post:
    """Hide, lock or delete a post (and undo); every action goes to the audit log."""
    require(actor, Action.MODERATE)
    if action not in POST_MODERATION:
        raise Invalid(f"Unknown action {action!r}; use one of {', '.join(POST_MODERATION)}.", field="action")
    post = get_post(session, viewer=actor, post_id=post_id, for_update=True)
    if action in ("hide", "unhide"):
        post.is_hidden = action == "hide"
    elif action in ("lock", "unlock"):
        post.is_locked = action == "lock"
    elif action == "delete":
        post.deleted_at = clock.now()
        levels.revoke(session, reason="post_created", post_id=post.id)
        events.publish(session, "post.removed", post=post)
    else:
        if post.deleted_at is not None:  # restoring gives back what deleting took
            levels.award(session, member_id=post.author_id, reason="post_created", post_id=post.id)
        post.deleted_at = None
    _audit(session, actor=actor, action=action, target_type="post", target_id=post.id, reason=reason)
    return post


def moderate_reply(session: Session, *, actor: Member, reply_id: int, action: str, reason: str = "") -> Reply:
    require(actor, Action.MODERATE)
    if action not in REPLY_MODERATION:
        raise Invalid(f"Unknown action {action!r}; use one of {', '.join(REPLY_MODERATION)}.", field="action")
    reply = session.get(Reply, reply_id) if 0 < reply_id <= MAX_ID else None
    if reply is None:
        raise NotFound(f"No reply {reply_id}.")
    post = session.get(
        Post, reply.post_id, with_for_update={"of": Post, "key_share": True}, populate_existing=True
    )
    if action in ("hide", "unhide"):
        reply.is_hidden = action == "hide"
    elif action == "delete" and reply.deleted_at is None:
        reply.deleted_at = clock.now()
        post.reply_count -= 1
    elif action == "restore" and reply.deleted_at is not None:
        reply.deleted_at = None
        post.reply_count += 1
    _audit(session, actor=actor, action=action, target_type="reply", target_id=reply.id, reason=reason)
    return reply


def _audit(
    session: Session, *, actor: Member, action: str, target_type: str, target_id: int, reason: str
) -> None:
    session.add(
        ModerationAction(
            actor_id=actor.id,
            action=action,
            target_type=target_type,
            target_id=target_id,
            reason=(reason or "").replace("\x00", "")[:2000],
            created_at=clock.now(),
        )
    )


def record_audit(
    session: Session, *, actor: Member, action: str, target_type: str, target_id: int, reason: str = ""
) -> None:
    """Add an entry to the audit log, for other domains' staff actions (pain points, for one)."""
    _audit(session, actor=actor, action=action, target_type=target_type, target_id=target_id, reason=reason)


def moderation_log(session: Session, *, viewer: Member, limit: int = 100) -> list[ModerationAction]:
    require(viewer, Action.VIEW_AUDIT_LOG)
    return list(session.scalars(select(ModerationAction).order_by(ModerationAction.id.desc()).limit(limit)))


def list_boards(session: Session) -> list[Board]:
    return list(session.scalars(select(Board).order_by(Board.position, Board.id)))


def create_board(
    session: Session, *, actor: Member, slug: str, name: str, name_zh: str = "", description: str = ""
) -> Board:
    require(actor, Action.MANAGE_BOARDS)
    slug = _slug(slug)
    if session.scalar(select(Board.id).where(Board.slug == slug)):
        raise Conflict(f"A board {slug!r} exists already.", field="slug")
    position = (session.scalar(select(func.max(Board.position))) or 0) + 1
    board = Board(
        slug=slug,
        name=_clean(name, field="name", max_length=80, required=True),
        name_zh=name_zh.replace("\x00", "").strip()[:80],
        description=description.replace("\x00", "").strip()[:2000],
        position=position,
    )
    session.add(board)
    session.flush()
    return board


def list_tags(session: Session) -> list[Tag]:
    return list(session.scalars(select(Tag).order_by(Tag.slug)))


def create_tag(session: Session, *, actor: Member, slug: str, name: str, name_zh: str = "") -> Tag:
    require(actor, Action.MANAGE_TAGS)
    slug = _slug(slug)
    if session.scalar(select(Tag.id).where(Tag.slug == slug)):
        raise Conflict(f"A tag {slug!r} exists already.", field="slug")
    tag = Tag(
        slug=slug,
        name=_clean(name, field="name", max_length=80, required=True),
        name_zh=name_zh.replace("\x00", "").strip()[:80],
    )
    session.add(tag)
    session.flush()
    return tag


def _slug(value: str) -> str:
    slug = value.strip().lower()
    if not slug or len(slug) > 40 or not all(ch.isalnum() or ch in "-_" for ch in slug) or not slug.isascii():
        raise Invalid("A slug is 1-40 characters: letters, digits, - and _.", field="slug")
    return slug


def shipped_posts_of(session: Session, *, member_id: int, limit: int = 50) -> list[Post]:
    """The member's own posts that shipped: what changed because of them."""
    return list(
        session.scalars(
            select(Post)
            .where(
                Post.author_id == member_id,
                Post.status == "shipped",
                Post.deleted_at.is_(None),
                Post.is_hidden.is_(False),
            )
            .order_by(Post.updated_at.desc())
            .limit(limit)
        )
    )


def post_tag_ids(session: Session, post_id: int) -> list[int]:
    return list(session.scalars(select(PostTag.tag_id).where(PostTag.post_id == post_id)))


def may_edit(member: Member | None, post: Post) -> bool:
    """Whether the member may edit the post (pages use it to offer the form; edit_post enforces it)."""
    if member is None:
        return False
    action = Action.EDIT_OWN_POST if post.author_id == member.id else Action.EDIT_ANY_POST
    return can(member, action) and (not post.is_locked or can(member, Action.REPLY_TO_LOCKED))


def may_reply(member: Member | None, post: Post) -> bool:
    """Whether the member may reply to the post (locked posts take staff replies only)."""
    return can(member, Action.REPLY) and (not post.is_locked or can(member, Action.REPLY_TO_LOCKED))


def moderated_posts(session: Session, *, viewer: Member, limit: int = 50) -> list[Post]:
    """Posts that are hidden, locked or deleted, most recent first (staff)."""
    require(viewer, Action.VIEW_HIDDEN)
    return list(
        session.scalars(
            select(Post)
            .where(Post.is_hidden.is_(True) | Post.is_locked.is_(True) | Post.deleted_at.is_not(None))
            .order_by(Post.id.desc())
            .limit(limit)
        )
    )


def recent_status_changes(session: Session, *, viewer: Member, limit: int = 50) -> list[StatusChange]:
    """The latest status changes across all posts (staff)."""
    require(viewer, Action.VIEW_STAFF_AREA)
    return list(
        session.scalars(
            select(StatusChange).order_by(StatusChange.created_at.desc(), StatusChange.id.desc()).limit(limit)
        )
    )


def main_board(session: Session, *, post_ids: list[int]) -> str:
    """The slug of the board most of these posts are in (the first board when there are none)."""
    counts = session.execute(
        select(Board.slug, func.count())
        .join(Post, Post.board_id == Board.id)
        .where(Post.id.in_(post_ids[:1000]))
        .group_by(Board.slug)
        .order_by(func.count().desc(), Board.slug)
        .limit(1)
    ).first()
    if counts is not None:
        return counts[0]
    first = session.scalar(select(Board.slug).order_by(Board.position, Board.id).limit(1))
    if first is None:
        raise Invalid("There is no board to post in yet.", field="board")
    return first
