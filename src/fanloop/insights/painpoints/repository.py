"""Queries over pain points, their posts and the stored vectors; no business rules."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

import numpy as np
from sqlalchemy import case, delete, func, select
from sqlalchemy.orm import Session

from fanloop.community.levels.service import LEVELS
from fanloop.community.members.models import Member
from fanloop.community.posts.models import Post
from fanloop.insights.painpoints.models import PainPoint, PainPointPost
from fanloop.insights.vectors.models import PostVector

# Complaints, bugs and suggestions are what pain points are mined from.
MINED_KINDS = ("complaint", "bug", "suggestion")
# SQLite allows 32,766 bound parameters per statement; stay far below.
CHUNK = 900
SPARKLINE_DAYS = 28


def live_posts():  # noqa: ANN201
    """The condition for a post that counts: mined kind, not deleted, not merged into another."""
    return (Post.kind.in_(MINED_KINDS)) & Post.deleted_at.is_(None) & Post.merged_into_id.is_(None)


def chunks(values: Sequence, size: int = CHUNK) -> Iterable[Sequence]:
    for start in range(0, len(values), size):
        yield values[start : start + size]


# --------------------------------------------------------------------------- mining input


@dataclass
class Corpus:
    """Every minable post with a current vector, in post-id order."""

    post_ids: np.ndarray
    vectors: np.ndarray
    languages: list[str]


def load_corpus(session: Session, *, fingerprint: str, progress=None) -> Corpus:  # noqa: ANN001
    total = (
        session.scalar(
            select(func.count())
            .select_from(PostVector)
            .join(Post, Post.id == PostVector.post_id)
            .where(PostVector.model == fingerprint, live_posts())
        )
        or 0
    )
    result = session.execute(
        select(PostVector.post_id, PostVector.vector, Post.language)
        .join(Post, Post.id == PostVector.post_id)
        .where(PostVector.model == fingerprint, live_posts())
        .order_by(PostVector.post_id)
        .execution_options(yield_per=5000)
    )
    ids: list[int] = []
    blobs: list[bytes] = []
    languages: list[str] = []
    for partition in result.partitions():
        for post_id, data, language in partition:
            ids.append(post_id)
            blobs.append(data)
            languages.append(language or "en")
        if progress is not None:
            progress(len(ids), total)
    if not ids:
        return Corpus(np.empty(0, dtype=np.int64), np.zeros((0, 0), dtype=np.float32), [])
    vectors = np.frombuffer(b"".join(blobs), dtype=np.float16).reshape(len(ids), -1).astype(np.float32)
    return Corpus(np.asarray(ids, dtype=np.int64), vectors, languages)


def texts_of(session: Session, post_ids: Sequence[int], *, chars: int = 400) -> dict[int, str]:
    """Title and the start of the body of each post, for labelling."""
    found: dict[int, str] = {}
    for part in chunks(list(post_ids)):
        rows = session.execute(
            select(Post.id, Post.title, func.substr(Post.body, 1, chars)).where(Post.id.in_(part))
        ).all()
        found.update({post_id: f"{title}\n{body}" for post_id, title, body in rows})
    return found


def memberships(session: Session) -> dict[int, tuple[int, str]]:
    """post id -> (pain point id, source) for every assigned post."""
    rows = session.execute(select(PainPointPost.post_id, PainPointPost.pain_point_id, PainPointPost.source))
    return {post_id: (point_id, source) for post_id, point_id, source in rows}


def live_points(session: Session) -> list[PainPoint]:
    return list(
        session.scalars(
            select(PainPoint)
            .where(PainPoint.retired_at.is_(None), PainPoint.merged_into_id.is_(None))
            .order_by(PainPoint.id)
        )
    )


def member_ids(session: Session, pain_point_id: int) -> list[int]:
    return list(
        session.scalars(
            select(PainPointPost.post_id)
            .where(PainPointPost.pain_point_id == pain_point_id)
            .order_by(PainPointPost.post_id)
        )
    )


def remove_memberships(session: Session, post_ids: Sequence[int]) -> None:
    for part in chunks(list(post_ids)):
        session.execute(delete(PainPointPost).where(PainPointPost.post_id.in_(part)))


def add_memberships(session: Session, rows: list[dict]) -> None:
    if rows:
        session.execute(PainPointPost.__table__.insert(), rows)


# --------------------------------------------------------------------------- ranking input


@dataclass(frozen=True)
class PointFigures:
    posts: int
    recent_posts: int
    previous_posts: int
    votes: int
    mean_negativity: float | None
    authors: int
    mean_fan_level: float


def _level_number():  # noqa: ANN202
    """The fan level (1..7) of a member's points, as SQL, from the levels table of the community."""
    return case(
        *[(Member.xp >= level.min_xp, level.number) for level in sorted(LEVELS, key=lambda lv: -lv.min_xp)],
        else_=LEVELS[0].number,
    )


def author_level():  # noqa: ANN201
    """The fan level (1..7) of a post's author, as SQL (join Member)."""
    return _level_number()


def figures(session: Session, point_ids: Sequence[int], *, now: datetime) -> dict[int, PointFigures]:
    """Volume, growth windows, votes, negativity and fan levels of each pain point's live posts."""
    if not point_ids:
        return {}
    week, fortnight = now - timedelta(days=7), now - timedelta(days=14)
    base = (
        select(
            PainPointPost.pain_point_id,
            func.count(),
            func.sum(case((Post.created_at >= week, 1), else_=0)),
            func.sum(case(((Post.created_at >= fortnight) & (Post.created_at < week), 1), else_=0)),
            func.coalesce(func.sum(Post.vote_count), 0),
            func.avg(PostVector.negativity),
        )
        .join(Post, Post.id == PainPointPost.post_id)
        .outerjoin(PostVector, PostVector.post_id == Post.id)
        .where(PainPointPost.pain_point_id.in_(point_ids), live_posts())
        .group_by(PainPointPost.pain_point_id)
    )
    authors = (
        select(PainPointPost.pain_point_id.label("point_id"), Post.author_id, _level_number().label("level"))
        .join(Post, Post.id == PainPointPost.post_id)
        .join(Member, Member.id == Post.author_id)
        .where(PainPointPost.pain_point_id.in_(point_ids), live_posts())
        .distinct()
        .subquery()
    )
    levels = {
        point_id: (count, float(mean))
        for point_id, count, mean in session.execute(
            select(authors.c.point_id, func.count(), func.avg(authors.c.level)).group_by(authors.c.point_id)
        )
    }
    found = {}
    for point_id, posts, recent, previous, votes, negativity in session.execute(base):
        count, mean_level = levels.get(point_id, (0, 1.0))
        found[point_id] = PointFigures(
            posts=int(posts),
            recent_posts=int(recent or 0),
            previous_posts=int(previous or 0),
            votes=int(votes or 0),
            mean_negativity=None if negativity is None else float(negativity),
            authors=int(count),
            mean_fan_level=mean_level,
        )
    return found


def daily_counts(
    session: Session, point_ids: Sequence[int], *, now: datetime, days: int = SPARKLINE_DAYS
) -> dict[int, list[int]]:
    """Posts per UTC day for the last `days` days (oldest first, today last) of each pain point."""
    counts = {point_id: [0] * days for point_id in point_ids}
    if not point_ids:
        return counts
    today = now.date()
    start = datetime.combine(today - timedelta(days=days - 1), datetime.min.time(), tzinfo=now.tzinfo)
    rows = session.execute(
        select(PainPointPost.pain_point_id, Post.created_at)
        .join(Post, Post.id == PainPointPost.post_id)
        .where(PainPointPost.pain_point_id.in_(point_ids), live_posts(), Post.created_at >= start)
    )
    for point_id, created_at in rows:
        age = (today - created_at.date()).days
        if 0 <= age < days:
            counts[point_id][days - 1 - age] += 1
    return counts
