"""Who was active when, in SQL: the posts, replies and votes of fans, deduplicated per member and
day or week, and each member's latest activity for the "active in the last n days" counts."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta

from sqlalchemy import ColumnElement, Select, case, func, select, union, union_all
from sqlalchemy.orm import Session

from fanloop.community.members.models import Member
from fanloop.community.posts.models import Post, Reply, Vote
from fanloop.growth.metrics_days import LocalCalendar, day_of
from fanloop.service.kpis.service import Period, today

FAN = "fan"
ACTIONS = (
    (Post.author_id, Post.created_at),
    (Reply.author_id, Reply.created_at),
    (Vote.member_id, Vote.created_at),
)


def midnight(day: date, span: Period) -> datetime:
    """Local midnight at the start of `day` in the period's zone, as UTC."""
    return datetime.combine(day, time.min, tzinfo=span.zone).astimezone(UTC)


def activity_rows(
    lo: datetime, hi: datetime, bucket: Callable[[ColumnElement], ColumnElement[int]] | None = None
) -> Select:
    """Who was active between lo and hi: posts, replies and votes as (member_id[, bucket]) rows,
    deduplicated; `bucket` turns a timestamp column into a day or week number."""
    parts = []
    for member_id, at in ACTIONS:
        columns = [member_id.label("member_id")]
        if bucket is not None:
            columns.append(bucket(at).label("bucket"))
        parts.append(select(*columns).where(at >= lo, at < hi))
    return union(*parts)


@dataclass(frozen=True, slots=True)
class ActiveCounts:
    in_period: int
    today: int
    last_7_days: int
    last_30_days: int
    core: int


def active_counts(session: Session, span: Period, core_min_xp: int) -> ActiveCounts:
    """Fans active in the period, today, the last 7 and 30 days, and the core fans among the
    period's: one pass over each member's latest activity (every window ends with today)."""
    last_day = today(span.timezone)
    hi = midnight(last_day + timedelta(days=1), span)
    since = {days: midnight(last_day - timedelta(days=days - 1), span) for days in (1, 7, 30)}
    period_lo = midnight(span.start, span)
    lo = min(period_lo, *since.values())
    # Each member's latest post, reply and vote, then the latest of the three: grouping each table
    # first keeps the rows to combine to one per member and table.
    parts = [
        select(member_id.label("member_id"), func.max(at).label("at")).where(at >= lo, at < hi).group_by(member_id)
        for member_id, at in ACTIONS
    ]
    activity = union_all(*parts).subquery()
    latest = (
        select(activity.c.member_id, func.max(activity.c.at).label("last_at"))
        .group_by(activity.c.member_id)
        .subquery()
    )

    row = session.execute(
        select(
            func.count(case((latest.c.last_at >= period_lo, 1))),
            func.count(case((latest.c.last_at >= since[1], 1))),
            func.count(case((latest.c.last_at >= since[7], 1))),
            func.count(case((latest.c.last_at >= since[30], 1))),
            func.count(case(((latest.c.last_at >= period_lo) & (Member.xp >= core_min_xp), 1))),
        )
        .select_from(latest)
        .join(Member, Member.id == latest.c.member_id)
        .where(Member.role == FAN)
    ).one()
    return ActiveCounts(*(int(value or 0) for value in row))


def daily_active(session: Session, span: Period) -> tuple[int, ...]:
    """Distinct fans active on each local day of the period, 0 for quiet days."""
    lo, hi = span.bounds()
    calendar = LocalCalendar(span.zone, lo, hi)
    activity = activity_rows(lo, hi, calendar.day_number).subquery()
    rows = session.execute(
        select(activity.c.bucket, func.count())
        .select_from(activity)
        .join(Member, Member.id == activity.c.member_id)
        .where(Member.role == FAN)
        .group_by(activity.c.bucket)
    )
    per_day = {day_of(number): count for number, count in rows}
    return tuple(per_day.get(day, 0) for day in span.days())
