"""What bench/loop.py reads from the database: live posts nobody is assigned to (sampled during the
run) and, at the end, how the first replies went. The CPU accounting is the SLA benchmark's."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from sla import CpuWindow, database_backends, line, percentile
from sqlalchemy import func, select

from fanloop.core.db import Database
from fanloop.service.desk.models import Ticket
from fanloop.service.sla.models import SlaClock, SlaEvent

__all__ = [
    "CpuWindow",
    "database_backends",
    "first_reply_figures",
    "line",
    "percentile",
    "unassigned_counter",
]

REPLY_CLOCKS = ("first_reply", "next_reply")


def _live_reply_clock(now: datetime) -> tuple:
    """The product's definition of a live reply clock (running, not yet a day overdue), or the same
    conditions written out where the product does not have it yet."""
    try:
        from fanloop.service.sla.service import live_reply_clock
    except ImportError:
        return (
            SlaClock.state == "running",
            SlaClock.kind.in_(REPLY_CLOCKS),
            SlaClock.due_at >= now - timedelta(hours=24),
        )
    return live_reply_clock(now)


class unassigned_counter:  # noqa: N801 (used like a function that returns a counter)
    """Counts live posts without an assignee, with its own connection pool."""

    def __init__(self, url: str) -> None:
        self.db = Database(url)

    def count(self) -> int:
        now = datetime.now(UTC)
        query = (
            select(func.count(func.distinct(SlaClock.post_id)))
            .join(Ticket, Ticket.post_id == SlaClock.post_id)
            .where(*_live_reply_clock(now), Ticket.assignee_id.is_(None))
        )
        with self.db.engine.connect() as connection:
            return connection.scalar(query) or 0

    def close(self) -> None:
        self.db.dispose()


def first_reply_figures(url: str, *, post_ids: list[int], since: float, now: float) -> dict:
    """First-reply clocks of the posts made during the run: answered in time, late, unanswered;
    and the warnings and breaches fired since the start."""
    start = datetime.fromtimestamp(since, UTC)
    end = datetime.fromtimestamp(now, UTC)
    db = Database(url)
    rows = []
    try:
        with db.engine.connect() as connection:
            for offset in range(0, len(post_ids), 500):
                chunk = post_ids[offset : offset + 500]
                rows += connection.execute(
                    select(SlaClock.state, SlaClock.started_at, SlaClock.due_at, SlaClock.stopped_at).where(
                        SlaClock.kind == "first_reply", SlaClock.post_id.in_(chunk)
                    )
                ).all()
            events = dict(
                connection.execute(
                    select(SlaEvent.kind, func.count())
                    .where(SlaEvent.fired_at >= start)
                    .group_by(SlaEvent.kind)
                ).all()
            )
    finally:
        db.dispose()
    within = late = unanswered = pending = 0
    reply_s = []
    for _state, started_at, due_at, stopped_at in rows:
        if stopped_at is not None:
            reply_s.append((stopped_at - started_at).total_seconds())
            if stopped_at <= due_at:
                within += 1
            else:
                late += 1
        elif due_at <= end:
            unanswered += 1
        else:
            pending += 1  # still within its target when the run ended: not counted
    counted = within + late + unanswered
    share = 100.0 * within / counted if counted else 0.0
    return {
        "first_reply_within_target_pct": f"{share:.2f}",
        "first_reply_within_target_pct_value": share,
        "first_replies": within + late,
        "first_reply_late": late,
        "first_reply_unanswered": unanswered,
        "first_reply_pending": pending,
        "posts_without_clock": len(post_ids) - len(rows),
        "first_reply_p50_s": percentile(reply_s, 0.50),
        "first_reply_p99_s": percentile(reply_s, 0.99),
        "breaches": events.get("breach", 0),
        "warnings": events.get("warning", 0),
    }
