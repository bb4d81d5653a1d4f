"""The SLA sweep: fire each due warning and breach exactly once.

Only clocks whose `next_event_at` has passed are read (an indexed range scan), so a sweep costs time
in proportion to what is due, not to the open clocks. Any number of workers may sweep; one sweep
runs at a time: on SQLite the write transaction serialises them, on PostgreSQL a transaction-level
advisory lock does. (A breach passes the post to someone else, which updates the rota; two sweeps
doing that at once locked rota rows in different orders and deadlocked, and the database then
aborted one of them with its whole batch.) On PostgreSQL the due clocks' tickets, then the clocks,
are locked FOR UPDATE SKIP LOCKED, in the order requests lock them, so a sweep never waits on a
reply that is stopping a clock, nor a reply on the sweep. The event row, the clock's flags and the
notifications commit together, and (clock, kind) is unique, so a sweeper killed mid-way leaves
nothing half-done and nothing twice."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import false, func, select
from sqlalchemy.orm import Session

from fanloop.core import clock, events
from fanloop.service.desk.models import Ticket
from fanloop.service.sla.models import SlaClock, SlaEvent
from fanloop.service.sla.service import next_event

SWEEP_BATCH = 500
# The PostgreSQL advisory lock sweeps take turns on (any fixed number; it shows in pg_locks).
SWEEP_LOCK_KEY = 7_245_001


def sweep(session: Session, *, now: datetime | None = None, limit: int = SWEEP_BATCH) -> list[SlaEvent]:
    """Fire the warnings and breaches that are due; returns the events fired."""
    # Take the turn first, then read the time, so that what fell due while waiting is swept too:
    # beginning waits for SQLite's write lock (in a unit of work for writing), and on PostgreSQL
    # the advisory lock waits for the sweep before this one to commit.
    session.connection()
    postgresql = session.get_bind().dialect.name == "postgresql"
    if postgresql:
        session.execute(select(func.pg_advisory_xact_lock(SWEEP_LOCK_KEY)))
    now = now or clock.now()
    query = (
        select(SlaClock).where(SlaClock.next_event_at <= now).order_by(SlaClock.next_event_at).limit(limit)
    )
    if postgresql:
        query = _locked_in_order(session, now, limit)
    fired: list[SlaEvent] = []
    for sla_clock in session.scalars(query).unique():
        if sla_clock.state == "running":
            if not sla_clock.warned and sla_clock.warn_at <= now:
                sla_clock.warned = True
                fired.append(_fire(session, sla_clock, "warning", sla_clock.warn_at, now))
            if not sla_clock.breached and sla_clock.due_at <= now:
                sla_clock.breached = True
                fired.append(_fire(session, sla_clock, "breach", sla_clock.due_at, now))
        sla_clock.next_event_at = next_event(sla_clock)
    session.flush()
    for event in fired:
        events.publish(session, f"sla.{event.kind}", event=event)
    return fired


def _locked_in_order(session: Session, now: datetime, limit: int):  # noqa: ANN202
    """PostgreSQL: the due clocks whose tickets this sweep could lock, tickets first. Requests lock
    a ticket before its clocks, and the sweep does the same, so the two never wait on each other
    in a circle (locking the clocks first deadlocked with a reply, and the database aborted the
    sweep's whole batch). Tickets and clocks a request holds are skipped until the next sweep."""
    due = session.execute(
        select(SlaClock.id, SlaClock.post_id)
        .where(SlaClock.next_event_at <= now)
        .order_by(SlaClock.next_event_at)
        .limit(limit)
    ).all()
    post_ids = sorted({post_id for _, post_id in due})
    if not post_ids:
        return select(SlaClock).where(false())
    locked = set(
        session.scalars(
            select(Ticket.post_id)
            .where(Ticket.post_id.in_(post_ids))
            .order_by(Ticket.post_id)
            .with_for_update(skip_locked=True, key_share=True)
        )
    )
    with_ticket = set(session.scalars(select(Ticket.post_id).where(Ticket.post_id.in_(post_ids))))
    # A clock without a ticket (none is made so today) has nothing to lock first.
    usable = [clock_id for clock_id, post_id in due if post_id in locked or post_id not in with_ticket]
    return (
        select(SlaClock)
        .where(SlaClock.id.in_(usable), SlaClock.next_event_at <= now)
        .order_by(SlaClock.next_event_at)
        .with_for_update(skip_locked=True, of=SlaClock, key_share=True)
    )


def _fire(session: Session, sla_clock: SlaClock, kind: str, due_at: datetime, now: datetime) -> SlaEvent:
    event = SlaEvent(
        clock_id=sla_clock.id,
        post_id=sla_clock.post_id,
        kind=kind,
        due_at=due_at,
        fired_at=now,
        assignee_id=sla_clock.assignee_id,
    )
    session.add(event)
    return event
