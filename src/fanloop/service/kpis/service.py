"""KPIs of the everyone-answers rota: per person, per team, per board and per day.

The figures come from what the service desk recorded: public staff replies, the first-reply clocks
those replies stopped (who is credited, the working seconds it took, the target), the first-reply
clocks still unanswered past their due time (who has the post) and breach events (who had the post
when it breached). The share within target is over every first-reply target that came due, so a
post nobody answered counts against it; the answered-only figures stand beside it, named so. Rows are fetched with plain range queries on their time
columns and the medians and percentiles are computed here, in Python, so the same code runs on
SQLite and PostgreSQL. Days and weeks are the viewer's: a day runs from local midnight to midnight
in the time zone asked for, and weeks start on Monday.

Staff see their own figures and the team totals; leads and admins see everyone; fans see nothing.
"""

from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Callable, Collection, Hashable, Iterable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta, tzinfo
from functools import lru_cache
from typing import Generic, TypeVar
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from sqlalchemy import Row, and_, func, or_, select
from sqlalchemy.orm import Session

from fanloop.community.members import service as members
from fanloop.community.members.models import Member
from fanloop.community.posts.models import Board, Post, Reply
from fanloop.core import clock
from fanloop.core.errors import Forbidden, Invalid
from fanloop.core.permissions import ROLE_RANK, Action, Role, require
from fanloop.service.kpis import stats
from fanloop.service.rota.models import RotaMember
from fanloop.service.sla.models import SlaClock, SlaEvent

BUCKETS = ("day", "week", "period")
PRESETS = ("this_week", "last_7_days", "last_30_days")
DEFAULT_DAYS = 7
MAX_DAYS = 366
# Who sees every person's row; below it, staff see their own row and the totals.
SEES_EVERYONE = Role.LEAD
# Far enough from datetime's limits that local midnight converts to UTC in every zone.
EARLIEST, LATEST = date(1970, 1, 1), date(9998, 12, 31)
_ZONE_NAME = re.compile(r"^[A-Za-z0-9_+\-]+(?:/[A-Za-z0-9_+\-]+)*$")

RowT = TypeVar("RowT")


# --------------------------------------------------------------------------- periods and zones


@lru_cache(maxsize=256)
def zone_of(name: str) -> tzinfo:
    """The IANA time zone called `name` ("UTC", "Asia/Shanghai"); Invalid if there is none."""
    if name.upper() in ("UTC", "ETC/UTC", "Z"):
        return UTC
    if len(name) > 64 or not _ZONE_NAME.match(name):
        raise Invalid(f"Unknown time zone {name[:64]!r}; use an IANA name such as Asia/Shanghai.", field="tz")
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError, OSError):
        raise Invalid(
            f"Unknown time zone {name!r}; use an IANA name such as Asia/Shanghai.", field="tz"
        ) from None


@dataclass(frozen=True, slots=True)
class Period:
    """The local days `start` to `end`, both included, in the time zone `timezone`."""

    start: date
    end: date
    timezone: str

    @property
    def zone(self) -> tzinfo:
        return zone_of(self.timezone)

    def bounds(self) -> tuple[datetime, datetime]:
        """The period as UTC instants: from local midnight of `start` to local midnight after `end`."""
        return self._midnight(self.start), self._midnight(self.end + timedelta(days=1))

    def _midnight(self, day: date) -> datetime:
        return datetime.combine(day, time.min, tzinfo=self.zone).astimezone(UTC)

    def days(self) -> list[date]:
        return [self.start + timedelta(days=n) for n in range((self.end - self.start).days + 1)]

    def bucket_of(self, at: datetime, bucket: str) -> tuple[date, date]:
        """The first and last local day of the bucket `at` falls in; weeks are cut to the period."""
        day = at.astimezone(self.zone).date()
        if bucket == "day":
            return day, day
        if bucket == "week":
            monday = day - timedelta(days=day.weekday())
            return max(monday, self.start), min(monday + timedelta(days=6), self.end)
        return self.start, self.end


def today(timezone: str) -> date:
    """Today's date in the time zone, by the injectable clock."""
    return clock.now().astimezone(zone_of(timezone)).date()


def period(*, start: date | None = None, end: date | None = None, timezone: str = "UTC") -> Period:
    """A checked reporting period. Without an end it ends today; without a start it is the
    7 days up to its end. At most 366 days."""
    end = end or today(timezone)
    start = start or end - timedelta(days=DEFAULT_DAYS - 1)
    for name, value in (("start", start), ("end", end)):
        if not EARLIEST <= value <= LATEST:
            raise Invalid(f"The {name} date must be between {EARLIEST} and {LATEST}.", field=name)
    if start > end:
        raise Invalid("The start date is after the end date.", field="start")
    if (end - start).days + 1 > MAX_DAYS:
        raise Invalid(f"A period is at most {MAX_DAYS} days.", field="end")
    return Period(start, end, timezone)


def preset_period(name: str, *, timezone: str = "UTC") -> Period:
    """This week (from Monday), the last 7 days or the last 30 days, up to today in the zone."""
    end = today(timezone)
    if name == "this_week":
        return period(start=end - timedelta(days=end.weekday()), end=end, timezone=timezone)
    if name == "last_7_days":
        return period(start=end - timedelta(days=6), end=end, timezone=timezone)
    if name == "last_30_days":
        return period(start=end - timedelta(days=29), end=end, timezone=timezone)
    raise Invalid(f"Unknown period {name!r}; use one of {', '.join(PRESETS)}.", field="period")


def _check_bucket(bucket: str) -> None:
    if bucket not in BUCKETS:
        raise Invalid(f"Unknown bucket {bucket!r}; use one of {', '.join(BUCKETS)}.", field="bucket")


# --------------------------------------------------------------------------- who sees what


def sees_everyone(viewer: Member) -> bool:
    """Whether the viewer sees every person's figures (leads and admins) or only their own."""
    return ROLE_RANK[Role(viewer.role)] >= ROLE_RANK[SEES_EVERYONE]


def _own_scope(viewer: Member | None) -> int | None:
    """Whose rows the viewer may see: None for everyone's, else their own member id. Fans and
    visitors are refused (403 and 401)."""
    member = require(viewer, Action.VIEW_STAFF_AREA)
    return None if sees_everyone(member) else member.id


# --------------------------------------------------------------------------- results


@dataclass(frozen=True, slots=True)
class Figures:
    """What the board shows for one person, team, board or day.

    `replies` are public staff replies (internal notes and automatic messages excluded);
    `first_replies` the first-reply clocks those replies stopped, of which `answered_within_target`
    in time; `unanswered_past_target` the first-reply clocks whose due time passed in the period
    with no reply by its end; `first_replies_due` both together. `within_target_share` is the
    answers in time out of all that came due; the median, p90 and `answered_within_target_share`
    are over the answered clocks only. `breaches` are missed targets of posts the person had when
    the target passed; `posts_handled` the distinct posts replied to."""

    replies: int = 0
    first_replies: int = 0
    first_reply_median_seconds: float | None = None
    first_reply_p90_seconds: float | None = None
    within_target_share: float | None = None
    breaches: int = 0
    posts_handled: int = 0
    first_replies_due: int = 0
    answered_within_target: int = 0
    unanswered_past_target: int = 0
    answered_within_target_share: float | None = None


@dataclass(frozen=True, slots=True)
class PersonKpis:
    member_id: int
    handle: str
    display_name: str
    team: str
    bucket_start: date
    bucket_end: date
    figures: Figures


@dataclass(frozen=True, slots=True)
class TeamKpis:
    """A team's totals; `team` is "" for people in no team and None for everyone together."""

    team: str | None
    people: int
    bucket_start: date
    bucket_end: date
    figures: Figures


@dataclass(frozen=True, slots=True)
class BoardKpis:
    rank: int
    board_id: int
    slug: str
    name: str
    name_zh: str
    posts: int
    figures: Figures


@dataclass(frozen=True, slots=True)
class TimelinePoint:
    day: date
    figures: Figures


@dataclass(frozen=True, slots=True)
class Report(Generic[RowT]):
    period: Period
    bucket: str
    rows: list[RowT]


# --------------------------------------------------------------------------- reading the desk


@dataclass(slots=True)
class _Activity:
    """The rows of one period. Each has member_id, board_id and at, and all but `unanswered`
    post_id; answers also have elapsed and target (seconds). `unanswered` are first-reply clocks
    past due with no reply: member_id is the assignee (None when nobody has the post) and `at` the
    due time."""

    replies: list[Row]
    answers: list[Row]
    unanswered: list[Row]
    breaches: list[Row]

    def member_ids(self) -> set[int]:
        rows = (*self.replies, *self.answers, *self.unanswered, *self.breaches)
        return {row.member_id for row in rows if row.member_id is not None}


def _unanswered_past_target(lo: datetime, hi: datetime, now: datetime):  # noqa: ANN202
    """First-reply clocks that came due in [lo, hi) and had no reply by the end of the period (or
    by now, for a period not over yet). Paused clocks count once their banked working time is past
    the target; a clock answered after the period counts here and again, as a late answer, in the
    period of its answer. Cancelled clocks (post deleted or merged) and clocks not yet due never
    count. One range scan of the (state, due_at) index; the answered clocks of the period are
    scanned only for a period that is over, as none can have been answered after one that is not."""
    missed = [
        SlaClock.state == "running",
        and_(SlaClock.state == "paused", SlaClock.used_seconds > SlaClock.target_seconds),
    ]
    states = ["running", "paused"]
    if hi <= now:
        missed.append(
            and_(
                SlaClock.state == "stopped",
                SlaClock.stopped_at >= hi,
                SlaClock.elapsed_seconds > SlaClock.target_seconds,
            )
        )
        states.append("stopped")
    return (
        select(SlaClock.assignee_id.label("member_id"), Post.board_id, SlaClock.due_at.label("at"))
        .join(Post, Post.id == SlaClock.post_id)
        .where(
            SlaClock.state.in_(states),
            SlaClock.due_at >= lo,
            SlaClock.due_at < min(hi, now),
            SlaClock.kind == "first_reply",
            or_(*missed),
        )
    )


def _fetch(session: Session, span: Period, member_ids: Collection[int] | None = None) -> _Activity:
    """Public staff replies, answered and unanswered-past-due first-reply clocks and breaches in
    the period; only those of `member_ids` when given."""
    lo, hi = span.bounds()
    replies = (
        select(
            Reply.author_id.label("member_id"),
            Reply.post_id,
            Post.board_id,
            Reply.created_at.label("at"),
        )
        .join(Post, Post.id == Reply.post_id)
        .where(
            Reply.created_at >= lo,
            Reply.created_at < hi,
            Reply.is_staff.is_(True),
            Reply.is_internal.is_(False),
            Reply.is_automatic.is_(False),
        )
    )
    answers = (
        select(
            SlaClock.stopped_by_id.label("member_id"),
            SlaClock.post_id,
            Post.board_id,
            SlaClock.stopped_at.label("at"),
            SlaClock.elapsed_seconds.label("elapsed"),
            SlaClock.target_seconds.label("target"),
        )
        .join(Post, Post.id == SlaClock.post_id)
        .where(
            SlaClock.stopped_at >= lo,
            SlaClock.stopped_at < hi,
            SlaClock.kind == "first_reply",
            SlaClock.state == "stopped",
            SlaClock.stopped_by_id.is_not(None),
            SlaClock.elapsed_seconds.is_not(None),
        )
    )
    breaches = (
        select(
            SlaEvent.assignee_id.label("member_id"),
            SlaEvent.post_id,
            Post.board_id,
            SlaEvent.fired_at.label("at"),
        )
        .join(Post, Post.id == SlaEvent.post_id)
        .where(SlaEvent.fired_at >= lo, SlaEvent.fired_at < hi, SlaEvent.kind == "breach")
    )
    unanswered = _unanswered_past_target(lo, hi, clock.now())
    if member_ids is not None:
        replies = replies.where(Reply.author_id.in_(member_ids))
        answers = answers.where(SlaClock.stopped_by_id.in_(member_ids))
        unanswered = unanswered.where(SlaClock.assignee_id.in_(member_ids))
        breaches = breaches.where(SlaEvent.assignee_id.in_(member_ids))
    return _Activity(
        replies=list(session.execute(replies)),
        answers=list(session.execute(answers)),
        unanswered=list(session.execute(unanswered)),
        breaches=list(session.execute(breaches)),
    )


@dataclass(frozen=True, slots=True)
class _Person:
    handle: str
    display_name: str
    team: str


def _people(session: Session, member_ids: Collection[int]) -> dict[int, _Person]:
    """Handle, name and rota team ("" when none) of each member."""
    if not member_ids:
        return {}
    rows = session.execute(
        select(Member.id, Member.handle, Member.display_name, RotaMember.team)
        .outerjoin(RotaMember, RotaMember.member_id == Member.id)
        .where(Member.id.in_(sorted(member_ids)))
    )
    return {row.id: _Person(row.handle, row.display_name, row.team or "") for row in rows}


# --------------------------------------------------------------------------- tallying


@dataclass(slots=True)
class _Tally:
    reply_posts: list[int] = field(default_factory=list)
    elapsed: list[float] = field(default_factory=list)
    in_time: list[bool] = field(default_factory=list)
    unanswered: int = 0
    breaches: int = 0
    people: set[int] = field(default_factory=set)

    def figures(self) -> Figures:
        answered_in_time = sum(self.in_time)
        due = len(self.in_time) + self.unanswered
        return Figures(
            replies=len(self.reply_posts),
            first_replies=len(self.elapsed),
            first_reply_median_seconds=stats.median(self.elapsed),
            first_reply_p90_seconds=stats.p90(self.elapsed),
            within_target_share=stats.ratio(answered_in_time, due),
            breaches=self.breaches,
            posts_handled=len(set(self.reply_posts)),
            first_replies_due=due,
            answered_within_target=answered_in_time,
            unanswered_past_target=self.unanswered,
            answered_within_target_share=stats.share(self.in_time),
        )


def _tally(activity: _Activity, keys: Callable[[Row], Iterable[Hashable]]) -> dict[Hashable, _Tally]:
    """Add each row to the tallies of the keys it belongs to (a person's day, a team, a board)."""
    tallies: dict[Hashable, _Tally] = defaultdict(_Tally)
    for row in activity.replies:
        for key in keys(row):
            tallies[key].reply_posts.append(row.post_id)
            tallies[key].people.add(row.member_id)
    for row in activity.answers:
        for key in keys(row):
            tallies[key].elapsed.append(row.elapsed)
            tallies[key].in_time.append(row.elapsed <= row.target)
            tallies[key].people.add(row.member_id)
    for row in activity.unanswered:
        for key in keys(row):
            tallies[key].unanswered += 1
            if row.member_id is not None:
                tallies[key].people.add(row.member_id)
    for row in activity.breaches:
        for key in keys(row):
            tallies[key].breaches += 1
            if row.member_id is not None:
                tallies[key].people.add(row.member_id)
    return tallies


def _timeliness(figures: Figures) -> tuple:
    """Best first: the highest share within target (of all that came due), then the lowest median;
    nothing due last."""
    share, middle = figures.within_target_share, figures.first_reply_median_seconds
    return (share is None, -(share or 0.0), middle is None, middle or 0.0)


# --------------------------------------------------------------------------- reports


def person_kpis(
    session: Session,
    *,
    viewer: Member | None,
    start: date | None = None,
    end: date | None = None,
    bucket: str = "day",
    timezone: str = "UTC",
) -> Report[PersonKpis]:
    """Each staff member's figures per day, week or the whole period; staff get only their own."""
    own = _own_scope(viewer)
    _check_bucket(bucket)
    span = period(start=start, end=end, timezone=timezone)
    activity = _fetch(session, span, None if own is None else {own})
    tallies = _tally(
        activity,
        lambda row: [(row.member_id, span.bucket_of(row.at, bucket))] if row.member_id is not None else [],
    )
    people = _people(session, {member_id for member_id, _ in tallies})
    rows = [
        PersonKpis(
            member_id=member_id,
            handle=people[member_id].handle,
            display_name=people[member_id].display_name,
            team=people[member_id].team,
            bucket_start=first,
            bucket_end=last,
            figures=tally.figures(),
        )
        for (member_id, (first, last)), tally in tallies.items()
        if member_id in people
    ]
    rows.sort(key=lambda r: (r.bucket_start, *_timeliness(r.figures), r.handle))
    return Report(span, bucket, rows)


def team_kpis(
    session: Session,
    *,
    viewer: Member | None,
    start: date | None = None,
    end: date | None = None,
    bucket: str = "day",
    timezone: str = "UTC",
) -> Report[TeamKpis]:
    """Totals per rota team ("" for no team) and for everyone (team None), per bucket. Medians
    and percentiles are over the pooled replies, not averages of the people's medians."""
    _own_scope(viewer)
    _check_bucket(bucket)
    span = period(start=start, end=end, timezone=timezone)
    activity = _fetch(session, span)
    people = _people(session, activity.member_ids())

    def keys(row: Row) -> list[tuple]:
        where = span.bucket_of(row.at, bucket)
        person = people.get(row.member_id)
        return [(None, where)] + ([(person.team, where)] if person else [])

    rows = [
        TeamKpis(
            team=team, people=len(tally.people), bucket_start=first, bucket_end=last, figures=tally.figures()
        )
        for (team, (first, last)), tally in _tally(activity, keys).items()
    ]
    # Named teams by name, then the people in no team, then everyone.
    rows.sort(key=lambda r: (r.bucket_start, r.team is None, r.team == "", r.team or ""))
    return Report(span, bucket, rows)


def board_ranking(
    session: Session,
    *,
    viewer: Member | None,
    start: date | None = None,
    end: date | None = None,
    timezone: str = "UTC",
) -> Report[BoardKpis]:
    """Boards ranked by the share of first replies due that were answered within target, then by
    the median; boards with posts but no first reply due come last."""
    _own_scope(viewer)
    span = period(start=start, end=end, timezone=timezone)
    lo, hi = span.bounds()
    tallies = _tally(_fetch(session, span), lambda row: [row.board_id])
    posts = dict(
        session.execute(
            select(Post.board_id, func.count())
            .where(Post.created_at >= lo, Post.created_at < hi, Post.deleted_at.is_(None))
            .group_by(Post.board_id)
        ).all()
    )
    ids = set(tallies) | set(posts)
    boards = session.scalars(select(Board).where(Board.id.in_(sorted(ids)))).all() if ids else []
    ranked = sorted(
        boards, key=lambda b: (*_timeliness(tallies.get(b.id, _Tally()).figures()), b.position, b.slug)
    )
    rows = [
        BoardKpis(
            rank=rank,
            board_id=board.id,
            slug=board.slug,
            name=board.name,
            name_zh=board.name_zh or "",
            posts=posts.get(board.id, 0),
            figures=tallies.get(board.id, _Tally()).figures(),
        )
        for rank, board in enumerate(ranked, 1)
    ]
    return Report(span, "period", rows)


def timeline(
    session: Session,
    *,
    viewer: Member | None,
    start: date | None = None,
    end: date | None = None,
    timezone: str = "UTC",
    person: str | None = None,
    team: str | None = None,
) -> Report[TimelinePoint]:
    """One point per local day for the charts: the first-reply median, p90, share within target
    (of all due that day) and volume. For one person (by handle), one team, or by default the viewer's scope: everyone
    for leads, themselves for staff."""
    own = _own_scope(viewer)
    span = period(start=start, end=end, timezone=timezone)
    if person is not None:
        member_id = members.get_member(session, handle=person).id
        if own is not None and member_id != own:
            raise Forbidden("Staff see their own figures and the team totals; leads see everyone's.")
        member_ids: set[int] | None = {member_id}
    else:
        member_ids = {own} if own is not None and team is None else None
    activity = _fetch(session, span, member_ids)
    teams = {k: v.team for k, v in _people(session, activity.member_ids()).items()}

    def keys(row: Row) -> list[date]:
        if team is not None and teams.get(row.member_id) != team:
            return []
        return [span.bucket_of(row.at, "day")[0]]

    tallies = _tally(activity, keys)
    points = [TimelinePoint(day, tallies.get(day, _Tally()).figures()) for day in span.days()]
    return Report(span, "day", points)
