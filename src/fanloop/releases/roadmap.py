"""The public roadmap: planned, in progress and shipped, built from post statuses and the statuses
linked to pain points. Staff order the cards within a column and move them between columns (which
changes the status, and tells followers as any status change does)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from fanloop.community.members.models import Member
from fanloop.community.posts import service as posts
from fanloop.community.posts.models import Post, StatusChange
from fanloop.core import clock
from fanloop.core.errors import Invalid
from fanloop.core.permissions import Action, require
from fanloop.insights.painpoints import actions as pain_point_actions
from fanloop.insights.painpoints import service as pain_points
from fanloop.releases.models import Release, ReleaseItem, RoadmapPosition

COLUMNS = ("planned", "in_progress", "shipped")
SUBJECTS = ("post", "pain_point")
# The shipped column shows what shipped in this many days.
SHIPPED_DAYS = 30
CARDS_PER_COLUMN = 60


@dataclass(frozen=True)
class Card:
    subject: str  # post | pain_point
    id: int
    title: str
    status: str
    votes: int
    posts: int = 1
    kind: str = ""
    version: str | None = None  # the release it shipped in
    position: int | None = None

    @property
    def key(self) -> str:
        return f"{self.subject}:{self.id}"


def roadmap(session: Session, *, limit: int = CARDS_PER_COLUMN) -> dict[str, list[Card]]:
    """The three columns, each in staff order, then most voted first."""
    positions = {
        (row.subject, row.subject_id): row.position for row in session.scalars(select(RoadmapPosition))
    }
    shipped_in = _shipped_versions(session)
    since = clock.now() - timedelta(days=SHIPPED_DAYS)
    columns: dict[str, list[Card]] = {column: [] for column in COLUMNS}
    points = pain_points.linked_points(session, statuses=COLUMNS)
    # A post in a pain point on the roadmap is shown by the pain point's card, not a card of its own.
    grouped = {
        post_id
        for ids in pain_points.posts_of(session, pain_point_ids=[p.id for p in points]).values()
        for post_id in ids
    }
    placed = [subject_id for subject, subject_id in positions if subject == "post"]
    rows: list[Post] = []
    for status in COLUMNS:
        query = select(Post).where(
            Post.status == status,
            Post.deleted_at.is_(None),
            Post.is_hidden.is_(False),
            Post.merged_into_id.is_(None),
        )
        if status == "shipped":  # shipped lately: by when it was shipped, not when last edited
            query = query.where(
                Post.id.in_(
                    select(StatusChange.post_id).where(
                        StatusChange.to_status == "shipped", StatusChange.created_at >= since
                    )
                )
            )
        # Per column: the most voted, and every card staff placed however few its votes.
        top = session.scalars(query.order_by(Post.vote_count.desc(), Post.id).limit(limit + len(grouped)))
        chosen = {post.id: post for post in top}
        if placed:
            chosen |= {post.id: post for post in session.scalars(query.where(Post.id.in_(placed[:500])))}
        rows.extend(chosen.values())
    for post in rows:
        if post.id in grouped:
            continue
        columns[post.status].append(
            Card(
                "post",
                post.id,
                post.title,
                post.status,
                post.vote_count,
                1,
                post.kind,
                shipped_in.get(("post", post.id)),
                positions.get(("post", post.id)),
            )
        )
    for point in points:
        if point.status == "shipped" and ("pain_point", point.id) not in shipped_in:
            continue  # shipped longer ago than the column shows
        columns[point.status].append(
            Card(
                "pain_point",
                point.id,
                point.label,
                point.status,
                point.votes,
                point.posts,
                "",
                shipped_in.get(("pain_point", point.id)),
                positions.get(("pain_point", point.id)),
            )
        )
    for column, cards in columns.items():
        cards.sort(
            key=lambda card: (card.position is None, card.position or 0, -card.votes, card.subject, card.id)
        )
        columns[column] = cards[:limit]
    return columns


def _shipped_versions(session: Session) -> dict[tuple[str, int], str]:
    """The latest published release of each shipped post and pain point."""
    found: dict[tuple[str, int], str] = {}
    rows = session.execute(
        select(ReleaseItem.post_id, ReleaseItem.pain_point_id, Release.version)
        .join(Release, Release.id == ReleaseItem.release_id)
        .where(
            Release.state == "published", Release.published_at >= clock.now() - timedelta(days=SHIPPED_DAYS)
        )
        .order_by(Release.published_at)
    )
    for post_id, pain_point_id, version in rows:
        found[("post", post_id) if post_id else ("pain_point", pain_point_id)] = version
    return found


def _subject(subject: str) -> str:
    if subject not in SUBJECTS:
        raise Invalid(f"A roadmap card is a post or a pain_point, not {subject!r}.", field="subject")
    return subject


def move(
    session: Session, *, actor: Member, subject: str, subject_id: int, status: str, note: str = ""
) -> None:
    """Move a card to another column (staff): the post's status changes, or the status linked to the
    pain point (set on its open posts); followers are told as for any status change."""
    require(actor, Action.MANAGE_RELEASES)
    if status not in COLUMNS[:2]:
        raise Invalid("Cards move to planned or in_progress; a release ships them.", field="status")
    if _subject(subject) == "post":
        posts.change_status(session, actor=actor, post_id=subject_id, status=status, note=note)
    else:
        pain_point_actions.link_status(
            session, actor=actor, pain_point_id=subject_id, status=status, note=note
        )
    session.execute(
        delete(RoadmapPosition).where(
            RoadmapPosition.subject == subject, RoadmapPosition.subject_id == subject_id
        )
    )


def reorder(session: Session, *, actor: Member, cards: list[tuple[str, int]]) -> None:
    """Put these cards first in their column, in this order (staff)."""
    require(actor, Action.MANAGE_RELEASES)
    if len(cards) > 500:
        raise Invalid("Order at most 500 cards at once.", field="cards")
    for position, (subject, subject_id) in enumerate(cards):
        key = (_subject(subject), subject_id)
        row = session.get(RoadmapPosition, key)
        if row is None:
            session.add(RoadmapPosition(subject=subject, subject_id=subject_id, position=position))
        else:
            row.position = position
