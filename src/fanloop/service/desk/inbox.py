"""The staff inbox: posts waiting for a reply (a running first- or next-reply clock), in lanes a person
can count at a glance, each soonest due first and paged.

- ``mine``: live clocks on posts assigned to the viewer;
- ``unassigned``: live clocks on posts nobody has (unassigned and due soon);
- ``overdue``: live clocks past their due time, whoever has them;
- ``backlog``: running reply clocks more than a day past due (weeks-old imported mentions, say).

A clock is live while it is less than ``BACKLOG_AFTER`` past due (``live_reply_clock`` in the SLA
service), so imported history sits in the backlog and never buries a post made a minute ago. The
lanes overlap on purpose: an overdue post of mine is in ``mine`` and in ``overdue``.

Each page walks the clocks in due order on ``ix_sla_clocks_state_due`` (state, due_at) from a keyset
cursor (due_at, clock id) and stops one row past the page size, so its cost follows the page, not the
number of open posts. The counts of all lanes come from one aggregate over the running clocks."""

from __future__ import annotations

import base64
import json
from dataclasses import dataclass, field
from datetime import UTC, datetime

from sqlalchemy import and_, case, func, or_, select
from sqlalchemy.orm import Session, lazyload

from fanloop.community.members.models import Member
from fanloop.community.posts.models import POST_KINDS, Board, Post
from fanloop.core import clock
from fanloop.core.errors import Invalid
from fanloop.core.permissions import Action, require
from fanloop.service.desk.models import Ticket
from fanloop.service.sla.models import SlaClock
from fanloop.service.sla.service import REPLY_CLOCKS, backlog_cutoff, live_reply_clock

LANES = ("mine", "unassigned", "overdue", "backlog")
# Every live clock, whoever has it: not a tab on the page, but what API clients that asked for the
# old view "all" get, so that they too see what is due now and not weeks of imported history.
LIVE = "live"
# The inbox's views before it had lanes, kept for API clients.
VIEW_LANES = {"all": LIVE, "mine": "mine", "unassigned": "unassigned"}
VIEWS = tuple(VIEW_LANES)
MAX_LIMIT = 200
MAX_ID = 2**31 - 1


@dataclass(slots=True)
class InboxFilters:
    # None: the viewer's own lane when something of theirs is due, else the unassigned one
    lane: str | None = None
    board: str | None = None
    kind: str | None = None
    breached: bool = False  # only clocks past their due time, within the lane


@dataclass(slots=True)
class InboxItem:
    post: Post
    ticket: Ticket
    clock_id: int
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
    """How many posts each lane holds (after the board and kind filters)."""

    mine: int = 0
    unassigned: int = 0
    overdue: int = 0
    backlog: int = 0
    live: int = 0  # every live clock, whoever has it

    @property
    def total(self) -> int:
        """Every post waiting for a reply, live or backlog."""
        return self.live + self.backlog

    @property
    def breached(self) -> int:
        """Every post past its due time: the overdue lane and the backlog."""
        return self.overdue + self.backlog

    def of(self, lane: str) -> int:
        return getattr(self, lane)


@dataclass(slots=True)
class Inbox:
    items: list[InboxItem]
    counts: InboxCounts
    now: datetime
    lane: str
    filters: InboxFilters = field(default_factory=InboxFilters)
    cursor: str | None = None  # the cursor this page started from (None: the first page)
    next_cursor: str | None = None  # where the next page starts; None at the end of the lane


def lane_of_view(view: str) -> str:
    """The lane an old ``view`` (all, mine, unassigned) maps onto."""
    if view not in VIEW_LANES:
        raise Invalid(f"The view is one of {', '.join(VIEWS)}.", field="view")
    return VIEW_LANES[view]


def default_lane(counts: InboxCounts) -> str:
    """Mine when something of the viewer's is due, else the unassigned posts due soonest."""
    return "mine" if counts.mine else "unassigned"


def inbox(
    session: Session,
    *,
    viewer: Member,
    filters: InboxFilters,
    cursor: str | None = None,
    limit: int = 50,
) -> Inbox:
    """One page of a lane, soonest due first, with the counts of every lane for the badges."""
    require(viewer, Action.VIEW_STAFF_AREA)
    _check(filters)
    limit = max(1, min(limit, MAX_LIMIT))
    now = clock.now()
    board_id = _board_id(session, filters.board)
    lane_counts = counts(session, viewer=viewer, filters=filters, now=now, board_id=board_id)
    lane = filters.lane or default_lane(lane_counts)
    after = decode_cursor(cursor, lane) if cursor else None
    query = (
        select(SlaClock, Post, Ticket)
        .join(Post, Post.id == SlaClock.post_id)
        .join(Ticket, Ticket.post_id == SlaClock.post_id)
        .where(
            Post.deleted_at.is_(None),
            *_in_lane(lane, viewer, now),
            *_filtered(filters, board_id, now),
            *_after(after),
        )
        .options(lazyload(SlaClock.policy), lazyload(Ticket.first_replied_by))
        .order_by(SlaClock.due_at, SlaClock.id)
        .limit(limit + 1)
    )
    items = [
        InboxItem(
            post=post,
            ticket=ticket,
            clock_id=sla_clock.id,
            clock_kind=sla_clock.kind,
            due_at=sla_clock.due_at,
            seconds_left=(sla_clock.due_at - now).total_seconds(),
            warn_in=(sla_clock.warn_at - now).total_seconds(),
        )
        for sla_clock, post, ticket in session.execute(query).unique()
    ]
    next_cursor = encode_cursor(lane, items[limit - 1]) if len(items) > limit else None
    return Inbox(
        items=items[:limit],
        counts=lane_counts,
        now=now,
        lane=lane,
        filters=filters,
        cursor=cursor or None,
        next_cursor=next_cursor,
    )


def counts(
    session: Session,
    *,
    viewer: Member,
    filters: InboxFilters | None = None,
    now: datetime | None = None,
    board_id: int | None = None,
) -> InboxCounts:
    """How many posts each lane holds, in one pass over the running reply clocks."""
    now = now or clock.now()
    filters = InboxFilters(board=filters.board, kind=filters.kind) if filters else InboxFilters()
    if filters.board and board_id is None:
        board_id = _board_id(session, filters.board)
    cutoff = backlog_cutoff(now)
    live = SlaClock.due_at >= cutoff

    def tally(*conditions) -> object:
        return func.coalesce(func.sum(case((and_(*conditions), 1), else_=0)), 0)

    row = session.execute(
        select(
            tally(live, Ticket.assignee_id == viewer.id),
            tally(live, Ticket.assignee_id.is_(None)),
            tally(live, SlaClock.due_at <= now),
            tally(SlaClock.due_at < cutoff),
            tally(live),
        )
        .select_from(SlaClock)
        .join(Post, Post.id == SlaClock.post_id)
        .join(Ticket, Ticket.post_id == SlaClock.post_id)
        .where(
            SlaClock.state == "running",
            SlaClock.kind.in_(REPLY_CLOCKS),
            Post.deleted_at.is_(None),
            *_filtered(filters, board_id, now),
        )
    ).one()
    return InboxCounts(*(int(value) for value in row))


def _in_lane(lane: str, viewer: Member, now: datetime) -> tuple:
    if lane == "backlog":
        return (
            SlaClock.state == "running",
            SlaClock.kind.in_(REPLY_CLOCKS),
            SlaClock.due_at < backlog_cutoff(now),
        )
    narrower = {
        "mine": (Ticket.assignee_id == viewer.id,),
        "unassigned": (Ticket.assignee_id.is_(None),),
        "overdue": (SlaClock.due_at <= now,),
        LIVE: (),
    }[lane]
    return (*live_reply_clock(now), *narrower)


def _filtered(filters: InboxFilters, board_id: int | None, now: datetime) -> list:
    conditions: list = []
    if filters.board:
        conditions.append(Post.board_id == (board_id or -1))  # an unknown board shows nothing
    if filters.kind:
        conditions.append(Post.kind == filters.kind)
    if filters.breached:
        conditions.append(SlaClock.due_at <= now)
    return conditions


def _board_id(session: Session, slug: str | None) -> int | None:
    return session.scalar(select(Board.id).where(Board.slug == slug)) if slug else None


def _check(filters: InboxFilters) -> None:
    if filters.lane is not None and filters.lane not in (*LANES, LIVE):
        raise Invalid(f"The lane is one of {', '.join(LANES)}.", field="lane")
    if filters.kind and filters.kind not in POST_KINDS:
        raise Invalid(f"Unknown kind {filters.kind!r}; use one of {', '.join(POST_KINDS)}.", field="kind")
    if filters.board and ("\x00" in filters.board or len(filters.board) > 40):
        raise Invalid("Unknown board.", field="board")


# --------------------------------------------------------------------------- cursors


def encode_cursor(lane: str, item: InboxItem) -> str:
    """Where the page after this item starts: the lane, the item's due time and its clock id."""
    raw = json.dumps([lane, item.due_at.isoformat(), item.clock_id], separators=(",", ":")).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def decode_cursor(cursor: str, lane: str) -> tuple[datetime, int]:
    """The (due_at, clock id) a cursor made for this lane points after; Invalid for anything else."""
    try:
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4))
        cursor_lane, due_text, clock_id = json.loads(raw)
        valid = (
            cursor_lane == lane
            and isinstance(due_text, str)
            and isinstance(clock_id, int)
            and not isinstance(clock_id, bool)
            and 0 < clock_id <= MAX_ID
        )
        due_at = datetime.fromisoformat(due_text) if valid else None
        # a naive time, or one that leaves the calendar in UTC, is no cursor the inbox made
        valid = valid and due_at.utcoffset() is not None and due_at.astimezone(UTC) is not None
    except (ValueError, TypeError, OverflowError, json.JSONDecodeError, UnicodeDecodeError):
        valid = False
    if not valid:
        raise Invalid("The cursor is not valid for this lane; start again without it.", field="cursor")
    return due_at, clock_id


def _after(position: tuple[datetime, int] | None) -> tuple:
    """Keyset condition for the rows after (due_at, id); the range on due_at keeps the index usable."""
    if position is None:
        return ()
    due_at, clock_id = position
    return (
        SlaClock.due_at >= due_at,
        or_(SlaClock.due_at > due_at, SlaClock.id > clock_id),
    )
