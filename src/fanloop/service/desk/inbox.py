"""The staff inbox: posts waiting for a reply (a running first- or next-reply clock), soonest due first.

The query walks the clocks in due order on ``ix_sla_clocks_state_due`` (state, due_at) and stops at
the page size, so its cost follows the page, not the number of open posts; the filters are
conditions on the joined post and ticket rows."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy import case, func, select
from sqlalchemy.orm import Session, lazyload

from fanloop.community.members.models import Member
from fanloop.community.posts.models import POST_KINDS, Board, Post
from fanloop.core import clock
from fanloop.core.errors import Invalid
from fanloop.core.permissions import Action, require
from fanloop.service.desk.models import Ticket
from fanloop.service.sla.models import SlaClock

REPLY_CLOCKS = ("first_reply", "next_reply")
VIEWS = ("all", "mine", "unassigned")
MAX_LIMIT = 200


@dataclass(slots=True)
class InboxFilters:
    view: str = "all"  # all | mine | unassigned
    board: str | None = None
    kind: str | None = None
    breached: bool = False


@dataclass(slots=True)
class InboxItem:
    post: Post
    ticket: Ticket
    clock_kind: str
    due_at: datetime
    seconds_left: float
    warn_in: float  # seconds until the warning; zero or less once it is due

    @property
    def breached(self) -> bool:
        return self.seconds_left <= 0

    @property
    def assignee(self) -> Member | None:
        return self.ticket.assignee


@dataclass(slots=True)
class InboxCounts:
    total: int = 0
    mine: int = 0
    unassigned: int = 0
    breached: int = 0


@dataclass(slots=True)
class Inbox:
    items: list[InboxItem]
    counts: InboxCounts
    now: datetime
    filters: InboxFilters = field(default_factory=InboxFilters)


def inbox(session: Session, *, viewer: Member, filters: InboxFilters, limit: int = 50) -> Inbox:
    """Posts waiting for a reply, soonest due first, with the counts the filter chips show."""
    require(viewer, Action.VIEW_STAFF_AREA)
    _check(filters)
    limit = max(1, min(limit, MAX_LIMIT))
    now = clock.now()
    query = (
        select(SlaClock, Post, Ticket)
        .join(Post, Post.id == SlaClock.post_id)
        .join(Ticket, Ticket.post_id == SlaClock.post_id)
        .where(*_waiting(), *_filtered(session, viewer, filters, now))
        .options(lazyload(SlaClock.policy), lazyload(Ticket.first_replied_by))
        .order_by(SlaClock.due_at, SlaClock.id)
        .limit(limit)
    )
    items = [
        InboxItem(
            post=post,
            ticket=ticket,
            clock_kind=sla_clock.kind,
            due_at=sla_clock.due_at,
            seconds_left=(sla_clock.due_at - now).total_seconds(),
            warn_in=(sla_clock.warn_at - now).total_seconds(),
        )
        for sla_clock, post, ticket in session.execute(query).unique()
    ]
    return Inbox(items=items, counts=counts(session, viewer=viewer, now=now), now=now, filters=filters)


def counts(session: Session, *, viewer: Member, now: datetime | None = None) -> InboxCounts:
    """How many posts wait in all, for the viewer, for nobody, and past their target."""
    now = now or clock.now()
    row = session.execute(
        select(
            func.count(),
            func.coalesce(func.sum(case((Ticket.assignee_id == viewer.id, 1), else_=0)), 0),
            func.coalesce(func.sum(case((Ticket.assignee_id.is_(None), 1), else_=0)), 0),
            func.coalesce(func.sum(case((SlaClock.due_at <= now, 1), else_=0)), 0),
        )
        .select_from(SlaClock)
        .join(Post, Post.id == SlaClock.post_id)
        .join(Ticket, Ticket.post_id == SlaClock.post_id)
        .where(*_waiting())
    ).one()
    return InboxCounts(*(int(value) for value in row))


def _waiting() -> tuple:
    return (
        SlaClock.state == "running",
        SlaClock.kind.in_(REPLY_CLOCKS),
        Post.deleted_at.is_(None),
    )


def _filtered(session: Session, viewer: Member, filters: InboxFilters, now: datetime) -> list:
    conditions: list = []
    if filters.view == "mine":
        conditions.append(Ticket.assignee_id == viewer.id)
    elif filters.view == "unassigned":
        conditions.append(Ticket.assignee_id.is_(None))
    if filters.board:
        conditions.append(
            Post.board_id == select(Board.id).where(Board.slug == filters.board).scalar_subquery()
        )
    if filters.kind:
        conditions.append(Post.kind == filters.kind)
    if filters.breached:
        conditions.append(SlaClock.due_at <= now)
    return conditions


def _check(filters: InboxFilters) -> None:
    if filters.view not in VIEWS:
        raise Invalid(f"The view is one of {', '.join(VIEWS)}.", field="view")
    if filters.kind and filters.kind not in POST_KINDS:
        raise Invalid(f"Unknown kind {filters.kind!r}; use one of {', '.join(POST_KINDS)}.", field="kind")
    if filters.board and ("\x00" in filters.board or len(filters.board) > 40):
        raise Invalid("Unknown board.", field="board")
