"""Posts that arrive by the thousand from outside channels: inserted in bulk with what a forum post
gets (the author follows it and earns its experience); the worker indexes them for search after."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import delete, select, update
from sqlalchemy.orm import Session

from fanloop.community.levels.models import XpEvent
from fanloop.community.levels.service import POINTS
from fanloop.community.members.models import Member
from fanloop.community.posts.models import Follow, Post, SearchBacklog
from fanloop.community.posts.service import HOT_EPOCH, _index_terms
from fanloop.core import clock
from fanloop.core.db import fast_insert, reserve_ids
from fanloop.core.text import render_plain

_POSTS = Post.__table__


@dataclass(frozen=True)
class ImportedPost:
    author_id: int
    board_id: int
    kind: str
    title: str
    body: str
    language: str
    channel: str
    created_at: datetime


def create_imported(session: Session, items: list[ImportedPost]) -> list[int]:
    """Insert the posts in a few statements; returns their ids in order."""
    if not items:
        return []
    now = clock.now()
    post_ids = reserve_ids(session, _POSTS, len(items))
    rows = [
        {
            "id": post_id,
            "board_id": item.board_id,
            "author_id": item.author_id,
            "kind": item.kind,
            "status": "open",
            "title": item.title,
            "body": item.body,
            "body_html": render_plain(item.body),
            "language": item.language,
            "channel": item.channel,
            "vote_count": 0,
            "reply_count": 0,
            "follower_count": 1,
            # hot_score() for a post with no votes or replies yet
            "hot_score": round((item.created_at.timestamp() - HOT_EPOCH) / 45_000, 7),
            "is_hidden": False,
            "is_locked": False,
            "created_at": item.created_at,
            "updated_at": item.created_at,
        }
        for post_id, item in zip(post_ids, items, strict=True)
    ]
    fast_insert(session, _POSTS, rows)
    pairs = list(zip(post_ids, items, strict=True))
    fast_insert(
        session,
        Follow.__table__,
        [{"post_id": pid, "member_id": it.author_id, "created_at": now} for pid, it in pairs],
    )
    fast_insert(session, SearchBacklog.__table__, [{"post_id": pid} for pid in post_ids])
    _award(session, pairs, now)
    return post_ids


def _award(session: Session, pairs: list[tuple[int, ImportedPost]], now: datetime) -> None:
    """The experience a forum post earns, once per post (the same dedupe key as levels.award)."""
    points = POINTS["post_created"]
    fast_insert(
        session,
        XpEvent.__table__,
        [
            {
                "member_id": item.author_id,
                "reason": "post_created",
                "points": points,
                "post_id": post_id,
                "dedupe_key": f"post_created:{post_id}:",
                "created_at": now,
            }
            for post_id, item in pairs
        ],
    )
    per_member: dict[int, int] = {}
    for _, item in pairs:
        per_member[item.author_id] = per_member.get(item.author_id, 0) + points
    by_gain: dict[int, list[int]] = {}
    for member_id, gain in per_member.items():
        by_gain.setdefault(gain, []).append(member_id)
    for gain, member_ids in by_gain.items():
        session.execute(
            update(Member).where(Member.id.in_(member_ids)).values(xp=Member.xp + gain),
            execution_options={"synchronize_session": False},
        )


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
