"""Posts that arrive by the thousand from outside channels, inserted in bulk. Their authors are
members who stand for someone outside the forum until that person claims them: a stand-in neither
follows its posts nor earns experience for them (no one reads its notifications, and fan levels
reward taking part in the forum); the person who claims them does, from then on
(`adopt_posts`). The worker indexes the posts for search after."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import delete, select, update
from sqlalchemy.orm import Session

from fanloop.community.levels.models import XpEvent
from fanloop.community.levels.service import POINTS, dedupe_key
from fanloop.community.members.models import Member
from fanloop.community.posts.models import Follow, Post, SearchBacklog
from fanloop.community.posts.service import HOT_EPOCH, _index_terms
from fanloop.core import clock
from fanloop.core.db import insert_columns, reserve_ids, select_where_in

_POSTS = Post.__table__


@dataclass(frozen=True)
class ImportedPosts:
    """A batch of posts of one board and channel, column by column (one entry per post); the
    bodies are plain text, rendered by core.text.render_plain."""

    board_id: int
    channel: str
    author_ids: list[int]
    kinds: list[str]
    titles: list[str]
    bodies: list[str]
    languages: list[str]
    created_at: list[datetime]
    bodies_html: list[str]
    # Whether each author takes part as a forum member does (a claimed identity), rather than
    # standing in for someone outside: they follow the post and earn its experience.
    participating: list[bool]


def create_imported(session: Session, batch: ImportedPosts) -> list[int]:
    """Insert the posts in a few statements; returns their ids in order."""
    count = len(batch.author_ids)
    if not count:
        return []
    post_ids = reserve_ids(session, _POSTS, count)
    insert_columns(
        session,
        _POSTS,
        count,
        {
            "id": post_ids,
            "board_id": batch.board_id,
            "author_id": batch.author_ids,
            "kind": batch.kinds,
            "status": "open",
            "title": batch.titles,
            "body": batch.bodies,
            "body_html": batch.bodies_html,
            "language": batch.languages,
            "channel": batch.channel,
            "vote_count": 0,
            "reply_count": 0,
            "follower_count": [int(p) for p in batch.participating],
            # hot_score() for a post with no votes or replies yet
            "hot_score": [round((at.timestamp() - HOT_EPOCH) / 45_000, 7) for at in batch.created_at],
            "is_hidden": False,
            "is_locked": False,
            "created_at": batch.created_at,
            "updated_at": batch.created_at,
        },
    )
    insert_columns(session, SearchBacklog.__table__, count, {"post_id": post_ids})
    taking_part = [
        (post_id, author_id)
        for post_id, author_id, participating in zip(
            post_ids, batch.author_ids, batch.participating, strict=True
        )
        if participating
    ]
    if taking_part:
        _follow_and_award(session, taking_part, fresh=True)
    return post_ids


def adopt_posts(session: Session, *, member_id: int, post_ids: list[int]) -> int:
    """A person claimed the stand-in who wrote these posts: they now follow them and earn their
    experience, as if they had posted them here; what they already had is not given twice.
    Returns the experience gained."""
    if not post_ids:
        return 0
    return _follow_and_award(session, [(post_id, member_id) for post_id in post_ids], fresh=False)


def _follow_and_award(session: Session, pairs: list[tuple[int, int]], *, fresh: bool) -> int:
    """Each (post, member): the member follows the post and earns the experience a forum post
    earns, once per post (levels.dedupe_key, as levels.award). `fresh` posts were inserted just
    now, so nothing can be there yet; otherwise what is there already is skipped."""
    now = clock.now()
    if not fresh:
        post_ids = [post_id for post_id, _ in pairs]
        following = {
            (post_id, member_id)
            for post_id, member_id in select_where_in(
                session, "SELECT post_id, member_id FROM follows WHERE post_id IN ({})", post_ids
            )
        }
        awarded = {
            key
            for (key,) in select_where_in(
                session,
                "SELECT dedupe_key FROM xp_events WHERE dedupe_key IN ({})",
                [dedupe_key("post_created", p) for p in post_ids],
            )
        }
        to_follow = [pair for pair in pairs if pair not in following]
        to_award = [pair for pair in pairs if dedupe_key("post_created", pair[0]) not in awarded]
    else:
        to_follow = to_award = pairs
    if to_follow:
        insert_columns(
            session,
            Follow.__table__,
            len(to_follow),
            {"post_id": [p for p, _ in to_follow], "member_id": [m for _, m in to_follow], "created_at": now},
        )
        if not fresh:
            session.execute(
                update(Post)
                .where(Post.id.in_([p for p, _ in to_follow]))
                .values(follower_count=Post.follower_count + 1),
                execution_options={"synchronize_session": False},
            )
    points = POINTS["post_created"]
    if to_award:
        insert_columns(
            session,
            XpEvent.__table__,
            len(to_award),
            {
                "member_id": [m for _, m in to_award],
                "reason": "post_created",
                "points": points,
                "post_id": [p for p, _ in to_award],
                "dedupe_key": [dedupe_key("post_created", p) for p, _ in to_award],
                "created_at": now,
            },
        )
    per_member: dict[int, int] = {}
    for _, member_id in to_award:
        per_member[member_id] = per_member.get(member_id, 0) + points
    by_gain: dict[int, list[int]] = {}
    for member_id, gain in per_member.items():
        by_gain.setdefault(gain, []).append(member_id)
    for gain, member_ids in by_gain.items():
        session.execute(
            update(Member).where(Member.id.in_(member_ids)).values(xp=Member.xp + gain),
            execution_options={"synchronize_session": False},
        )
    return points * len(to_award)


def index_backlog(session: Session, *, limit: int = 500) -> int:
    """Give waiting posts their search terms; returns how many were indexed."""
    post_ids = list(
        session.scalars(select(SearchBacklog.post_id).order_by(SearchBacklog.post_id).limit(limit))
    )
    if not post_ids:
        return 0
    for post in session.scalars(select(Post).where(Post.id.in_(post_ids))):
        _index_terms(session, post, replace=True)
    session.execute(delete(SearchBacklog).where(SearchBacklog.post_id.in_(post_ids)))
    return len(post_ids)


def index_backlog_job(database, *, batches: int = 20) -> int:  # noqa: ANN001
    """The worker's pass: a few short transactions of indexing, so none holds the write lock long."""
    indexed = 0
    for _ in range(batches):
        with database.unit_of_work(write=True) as session:
            done = index_backlog(session)
        indexed += done
        if not done:
            break
    return indexed
