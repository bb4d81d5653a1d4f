"""Pain points as staff see them: ranked, explained, with examples, sparklines and their posts.

Ranking. Each pain point scores the sum of five weighted factors (see RANKING_WEIGHTS):

    volume       ln(1 + posts)                                    x 1.0
    growth       log2((posts in the last 7 days + 1) / (posts in the 7 days before + 1))  x 0.75
    fan level    mean fan level of the distinct authors, minus 1 (0 for newcomers .. 6)   x 0.4
    negativity   mean negativity of its posts (0..1, from the sentiment model)             x 2.0
    votes        ln(1 + votes on its posts)                      x 0.5

Logarithms keep one huge pain point from drowning every other signal; a pain point that doubled
this week gains as much as one with e^0.75 = 2.1 times the posts. Pinned pain points come first,
then by score, then the older id. Every factor is returned with its raw value, weight and points,
so a page can explain the order."""

from __future__ import annotations

import math
from dataclasses import dataclass, replace
from datetime import datetime

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from fanloop.community.members.models import Member
from fanloop.community.posts.models import Post
from fanloop.core import clock
from fanloop.core.errors import Invalid, NotFound
from fanloop.core.permissions import Action, require
from fanloop.insights.painpoints import phrases, repository
from fanloop.insights.painpoints.models import PainPoint, PainPointPost
from fanloop.insights.vectors.service import negativity_of

MAX_ID = 2**31 - 1
MAX_PAGE = 100
RANKING_WEIGHTS = {"volume": 1.0, "growth": 0.75, "fan_level": 0.4, "negativity": 2.0, "votes": 0.5}


@dataclass(frozen=True)
class Factor:
    name: str  # volume | growth | fan_level | negativity | votes
    value: float  # the raw figure: posts, growth ratio, mean level, mean negativity, votes
    weight: float
    points: float  # its share of the score


@dataclass(frozen=True)
class ExamplePost:
    id: int
    title: str
    kind: str
    status: str
    language: str
    vote_count: int
    created_at: datetime


@dataclass(frozen=True)
class PainPointSummary:
    id: int
    rank: int
    label: str  # the staff name, else the key phrases joined
    name: str
    phrases: tuple[str, ...]
    language: str
    pinned: bool
    hidden: bool
    status: str | None
    posts: int
    recent_posts: int  # last 7 days
    previous_posts: int  # the 7 days before
    authors: int
    votes: int
    mean_negativity: float | None
    mean_fan_level: float
    score: float
    factors: tuple[Factor, ...]
    daily_counts: tuple[int, ...]  # last 28 UTC days, oldest first
    examples: tuple[ExamplePost, ...]
    created_at: datetime
    updated_at: datetime


@dataclass(frozen=True)
class RankedPage:
    items: tuple[PainPointSummary, ...]
    total: int
    next_offset: int | None


@dataclass(frozen=True)
class MemberPost:
    id: int
    title: str
    kind: str
    status: str
    language: str
    vote_count: int
    author: str
    created_at: datetime
    similarity: float
    source: str  # mined | arrival | staff


@dataclass(frozen=True)
class PostInsight:
    post_id: int
    negativity: float | None  # 0..1 from the sentiment model; None until the post is encoded
    author_level: int  # the author's fan level (1..7)
    author_is_staff: bool
    pain_point_id: int | None
    pain_point_label: str


@dataclass(frozen=True)
class PainPointDetail:
    summary: PainPointSummary
    posts: tuple[MemberPost, ...]
    next_offset: int | None
    merged_into_id: int | None
    split_from_id: int | None
    retired_at: datetime | None


def factors_of(figures: repository.PointFigures) -> tuple[Factor, ...]:
    """The five weighted factors of a pain point's score (module docstring)."""
    growth = (figures.recent_posts + 1) / (figures.previous_posts + 1)
    raw = {
        "volume": (figures.posts, math.log1p(figures.posts)),
        "growth": (growth, math.log2(growth)),
        "fan_level": (figures.mean_fan_level, max(figures.mean_fan_level - 1.0, 0.0)),
        "negativity": (figures.mean_negativity or 0.0, figures.mean_negativity or 0.0),
        "votes": (figures.votes, math.log1p(figures.votes)),
    }
    return tuple(
        Factor(name, round(float(value), 4), weight, round(weight * basis, 4))
        for name, weight in RANKING_WEIGHTS.items()
        for value, basis in [raw[name]]
    )


def _page_bounds(limit: int, offset: int) -> tuple[int, int]:
    if not 1 <= limit <= MAX_PAGE:
        raise Invalid(f"limit must be between 1 and {MAX_PAGE}.", field="limit")
    if not 0 <= offset <= MAX_ID:
        raise Invalid("offset must be 0 or more.", field="offset")
    return limit, offset


def summarise(session: Session, points: list[PainPoint], *, now: datetime) -> list[PainPointSummary]:
    """Figures, factors, sparkline and examples of each pain point (unranked: rank 0)."""
    ids = [point.id for point in points]
    figures = repository.figures(session, ids, now=now)
    sparklines = repository.daily_counts(session, ids, now=now)
    example_ids = {post_id for point in points for post_id in (point.example_post_ids or [])}
    examples = (
        {
            post.id: post
            for post in session.execute(
                select(
                    Post.id,
                    Post.title,
                    Post.kind,
                    Post.status,
                    Post.language,
                    Post.vote_count,
                    Post.created_at,
                ).where(Post.id.in_(example_ids), repository.live_posts(), Post.is_hidden.is_(False))
            ).all()
        }
        if example_ids
        else {}
    )
    empty = repository.PointFigures(0, 0, 0, 0, None, 0, 1.0)
    found = []
    for point in points:
        figure = figures.get(point.id, empty)
        factors = factors_of(figure)
        found.append(
            PainPointSummary(
                id=point.id,
                rank=0,
                label=point.name or phrases.label(point.phrases or [], point.language),
                name=point.name,
                phrases=tuple(point.phrases or ()),
                language=point.language,
                pinned=point.pinned,
                hidden=point.hidden,
                status=point.status,
                posts=figure.posts,
                recent_posts=figure.recent_posts,
                previous_posts=figure.previous_posts,
                authors=figure.authors,
                votes=figure.votes,
                mean_negativity=figure.mean_negativity,
                mean_fan_level=figure.mean_fan_level,
                score=round(sum(factor.points for factor in factors), 4),
                factors=factors,
                daily_counts=tuple(sparklines[point.id]),
                examples=tuple(
                    ExamplePost(*examples[post_id])
                    for post_id in point.example_post_ids or []
                    if post_id in examples
                ),
                created_at=point.created_at,
                updated_at=point.updated_at,
            )
        )
    return found


def ranked_pain_points(
    session: Session, *, viewer: Member | None, limit: int = 20, offset: int = 0, include_hidden: bool = False
) -> RankedPage:
    """Live pain points, pinned first then by score, with factors, sparklines and examples (staff)."""
    require(viewer, Action.VIEW_PAIN_POINTS)
    limit, offset = _page_bounds(limit, offset)
    query = select(PainPoint).where(PainPoint.retired_at.is_(None), PainPoint.merged_into_id.is_(None))
    if not include_hidden:
        query = query.where(PainPoint.hidden.is_(False))
    points = list(session.scalars(query))
    summaries = sorted(
        summarise(session, points, now=clock.now()), key=lambda item: (not item.pinned, -item.score, item.id)
    )
    ranked = [_with_rank(item, rank) for rank, item in enumerate(summaries, start=1)]
    page = ranked[offset : offset + limit]
    more = offset + limit < len(ranked)
    return RankedPage(items=tuple(page), total=len(ranked), next_offset=offset + limit if more else None)


def _with_rank(summary: PainPointSummary, rank: int) -> PainPointSummary:
    return replace(summary, rank=rank)


def get_point(session: Session, pain_point_id: int) -> PainPoint:
    point = session.get(PainPoint, pain_point_id) if 0 < pain_point_id <= MAX_ID else None
    if point is None:
        raise NotFound(f"No pain point {pain_point_id}.")
    return point


def pain_point_detail(
    session: Session, *, viewer: Member | None, pain_point_id: int, limit: int = 20, offset: int = 0
) -> PainPointDetail:
    """One pain point with its posts, most similar to its centroid first, paginated (staff)."""
    require(viewer, Action.VIEW_PAIN_POINTS)
    limit, offset = _page_bounds(limit, offset)
    point = get_point(session, pain_point_id)
    summary = summarise(session, [point], now=clock.now())[0]
    if point.retired_at is None and point.merged_into_id is None and not point.hidden:
        rank_of = {
            item.id: item.rank for item in ranked_pain_points(session, viewer=viewer, limit=MAX_PAGE).items
        }
        summary = _with_rank(summary, rank_of.get(point.id, 0))
    rows = session.execute(
        select(
            Post.id,
            Post.title,
            Post.kind,
            Post.status,
            Post.language,
            Post.vote_count,
            Member.handle,
            Post.created_at,
            PainPointPost.similarity,
            PainPointPost.source,
        )
        .join(PainPointPost, PainPointPost.post_id == Post.id)
        .join(Member, Member.id == Post.author_id)
        .where(PainPointPost.pain_point_id == point.id, repository.live_posts())
        .order_by(PainPointPost.similarity.desc(), Post.id)
        .offset(offset)
        .limit(limit + 1)
    ).all()
    posts = tuple(MemberPost(*row) for row in rows[:limit])
    return PainPointDetail(
        summary=summary,
        posts=posts,
        next_offset=offset + limit if len(rows) > limit else None,
        merged_into_id=point.merged_into_id,
        split_from_id=point.split_from_id,
        retired_at=point.retired_at,
    )


def pain_point_of_post(session: Session, *, viewer: Member | None, post_id: int) -> int | None:
    """The id of the pain point a post is in, if any (staff)."""
    require(viewer, Action.VIEW_PAIN_POINTS)
    return session.scalar(select(PainPointPost.pain_point_id).where(PainPointPost.post_id == post_id))


def unassigned_count(session: Session, *, viewer: Member | None) -> int:
    """Complaints, bugs and suggestions that are in no pain point yet (staff)."""
    require(viewer, Action.VIEW_PAIN_POINTS)
    assigned = select(PainPointPost.post_id)
    return (
        session.scalar(
            select(func.count()).select_from(Post).where(repository.live_posts(), Post.id.not_in(assigned))
        )
        or 0
    )


def post_insights(session: Session, *, viewer: Member | None, post_ids: list[int]) -> dict[int, PostInsight]:
    """Each post's negativity, its author's fan level and the pain point it is in, for pages (staff)."""
    require(viewer, Action.VIEW_PAIN_POINTS)
    ids = sorted({post_id for post_id in post_ids if 0 < post_id <= MAX_ID})
    if not ids:
        return {}
    negativity, authors, points = {}, {}, {}
    for part in repository.chunks(ids):
        negativity.update(negativity_of(session, part))
        authors.update(
            (post_id, (level, role))
            for post_id, level, role in session.execute(
                select(Post.id, repository.author_level(), Member.role)
                .join(Member, Member.id == Post.author_id)
                .where(Post.id.in_(part))
            )
        )
        points.update(
            (post_id, (point_id, name or phrases.label(found or [], language)))
            for post_id, point_id, name, found, language in session.execute(
                select(
                    PainPointPost.post_id, PainPoint.id, PainPoint.name, PainPoint.phrases, PainPoint.language
                )
                .join(PainPoint, PainPoint.id == PainPointPost.pain_point_id)
                .where(PainPointPost.post_id.in_(part))
            )
        )
    return {
        post_id: PostInsight(
            post_id=post_id,
            negativity=negativity.get(post_id),
            author_level=int(authors[post_id][0]),
            author_is_staff=authors[post_id][1] != "fan",
            pain_point_id=points.get(post_id, (None, ""))[0],
            pain_point_label=points.get(post_id, (None, ""))[1],
        )
        for post_id in ids
        if post_id in authors
    }


def posts_of(session: Session, *, pain_point_ids: list[int]) -> dict[int, list[int]]:
    """The live, visible posts of each pain point, by pain point id."""
    found: dict[int, list[int]] = {point_id: [] for point_id in pain_point_ids}
    rows = session.execute(
        select(PainPointPost.pain_point_id, PainPointPost.post_id)
        .join(Post, Post.id == PainPointPost.post_id)
        .where(
            PainPointPost.pain_point_id.in_(pain_point_ids),
            Post.deleted_at.is_(None),
            Post.is_hidden.is_(False),
        )
        .order_by(PainPointPost.post_id)
    )
    for point_id, post_id in rows:
        found[point_id].append(post_id)
    return found


def labels_of(session: Session, *, pain_point_ids: list[int]) -> dict[int, tuple[str, str | None]]:
    """Each pain point's label (staff name, else key phrases) and linked status, by id."""
    points = session.scalars(select(PainPoint).where(PainPoint.id.in_(pain_point_ids)))
    return {
        point.id: (point.name or phrases.label(point.phrases or [], point.language), point.status)
        for point in points
    }


def mark_shipped(session: Session, *, pain_point_ids: list[int]) -> None:
    """Link the status "shipped" to pain points a release shipped (their posts are set by the release)."""
    from sqlalchemy import update

    if pain_point_ids:
        session.execute(
            update(PainPoint)
            .where(PainPoint.id.in_(pain_point_ids))
            .values(status="shipped", updated_at=clock.now())
        )


@dataclass(frozen=True)
class LinkedPoint:
    """A live pain point with a linked status, for the roadmap and release composing."""

    id: int
    label: str
    status: str
    posts: int
    votes: int


def linked_points(session: Session, *, statuses: tuple[str, ...]) -> list[LinkedPoint]:
    """Live, visible pain points linked to one of `statuses`, most voted first."""
    figures = (
        select(
            PainPointPost.pain_point_id.label("point_id"),
            func.count().label("posts"),
            func.coalesce(func.sum(Post.vote_count), 0).label("votes"),
        )
        .join(Post, Post.id == PainPointPost.post_id)
        .where(Post.deleted_at.is_(None), Post.is_hidden.is_(False))
        .group_by(PainPointPost.pain_point_id)
        .subquery()
    )
    rows = session.execute(
        select(PainPoint, func.coalesce(figures.c.posts, 0), func.coalesce(figures.c.votes, 0))
        .outerjoin(figures, figures.c.point_id == PainPoint.id)
        .where(
            PainPoint.status.in_(statuses),
            PainPoint.retired_at.is_(None),
            PainPoint.hidden.is_(False),
            PainPoint.merged_into_id.is_(None),
        )
        .order_by(func.coalesce(figures.c.votes, 0).desc(), PainPoint.id)
    )
    return [
        LinkedPoint(
            point.id,
            point.name or phrases.label(point.phrases or [], point.language),
            point.status,
            posts,
            votes,
        )
        for point, posts, votes in rows
    ]
