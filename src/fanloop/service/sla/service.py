"""SLA clocks: which policy applies to a post, starting, pausing, resuming and stopping clocks, and
recomputing them when a policy changes. Working time comes from the policy's calendar."""

from __future__ import annotations

from datetime import datetime, timedelta
from functools import lru_cache

from sqlalchemy import select
from sqlalchemy.orm import Session

from fanloop.core import clock
from fanloop.service.sla.calendar import WorkingCalendar, parse_calendar
from fanloop.service.sla.models import SlaCalendar, SlaClock, SlaPolicy

OPEN_STATES = ("running", "paused")
REPLY_CLOCKS = ("first_reply", "next_reply")
# A reply clock this far past its due time is backlog, no longer live: it stays in the inbox's
# backlog lane until answered, but no longer counts against anyone's capacity or the lanes of
# what is due now (weeks-old imported mentions must not bury a post made a minute ago).
BACKLOG_AFTER = timedelta(hours=24)


def backlog_cutoff(now: datetime) -> datetime:
    """Reply clocks due before this are backlog; running ones due at or after it are live."""
    return now - BACKLOG_AFTER


def live_reply_clock(now: datetime) -> tuple:
    """Conditions on SlaClock for a live reply clock: running, and not yet backlog."""
    return (
        SlaClock.state == "running",
        SlaClock.kind.in_(REPLY_CLOCKS),
        SlaClock.due_at >= backlog_cutoff(now),
    )


def calendar_of(policy: SlaPolicy) -> WorkingCalendar:
    """The policy's working calendar (24x7 when it has none)."""
    if policy.calendar is None:
        return WorkingCalendar()
    cal = policy.calendar
    return _parsed(cal.timezone, _freeze(cal.hours), tuple(cal.holidays or ()))


@lru_cache(maxsize=256)
def _parsed(timezone: str, hours: tuple, holidays: tuple) -> WorkingCalendar:
    return parse_calendar(timezone, {day: [list(p) for p in spans] for day, spans in hours}, list(holidays))


def _freeze(hours: dict | None) -> tuple:
    return tuple(sorted((day, tuple(tuple(p) for p in spans)) for day, spans in (hours or {}).items()))


def default_policy(session: Session) -> SlaPolicy:
    """The policy that applies when no other matches; created with the 15-minute rule if missing."""
    policy = session.scalar(select(SlaPolicy).where(SlaPolicy.is_default.is_(True)).limit(1))
    if policy is None:
        policy = SlaPolicy(
            name="Default",
            position=1000,
            is_default=True,
            conditions={},
            first_reply_minutes=15,
            next_reply_minutes=15,
            resolution_minutes=None,
            warning_share=0.8,
        )
        session.add(policy)
        session.flush()
    return policy


def policy_matches(policy: SlaPolicy, facts: dict) -> bool:
    """Whether a post with these facts (channel, board, kind, tags, priority, level) meets the conditions."""
    conditions = policy.conditions or {}
    for key, fact in (
        ("channels", "channel"),
        ("boards", "board"),
        ("kinds", "kind"),
        ("priorities", "priority"),
    ):
        allowed = conditions.get(key)
        if allowed and facts.get(fact) not in allowed:
            return False
    tags = conditions.get("tags")
    if tags and not set(tags) & set(facts.get("tags", ())):
        return False
    level = facts.get("level", 1)
    if conditions.get("min_level") is not None and level < conditions["min_level"]:
        return False
    return not (conditions.get("max_level") is not None and level > conditions["max_level"])


def match_policy(session: Session, facts: dict) -> SlaPolicy:
    """The first policy, in the lead's order, whose conditions the post meets; else the default."""
    for policy in session.scalars(select(SlaPolicy).order_by(SlaPolicy.position, SlaPolicy.id)):
        if not policy.is_default and policy_matches(policy, facts):
            return policy
    return default_policy(session)


def target_minutes(policy: SlaPolicy, kind: str) -> int | None:
    return {
        "first_reply": policy.first_reply_minutes,
        "next_reply": policy.next_reply_minutes,
        "resolution": policy.resolution_minutes,
    }[kind]


def start_clock(
    session: Session,
    *,
    post_id: int,
    policy: SlaPolicy,
    kind: str,
    started_at: datetime,
    assignee_id: int | None = None,
) -> SlaClock | None:
    """Start a clock of this kind on the post, unless the policy sets no target for it."""
    minutes = target_minutes(policy, kind)
    if not minutes:
        return None
    sla_clock = SlaClock(
        post_id=post_id,
        policy_id=policy.id,
        kind=kind,
        state="running",
        started_at=started_at,
        target_seconds=minutes * 60,
        running_since=started_at,
        used_seconds=0.0,
        warned=False,
        breached=False,
        assignee_id=assignee_id,
    )
    sla_clock.policy = policy
    _schedule(sla_clock, calendar_of(policy), started_at)
    session.add(sla_clock)
    return sla_clock


def _schedule(sla_clock: SlaClock, calendar: WorkingCalendar, since: datetime) -> None:
    """Set due/warn times from the working time left, counted from `since`."""
    left = sla_clock.target_seconds - sla_clock.used_seconds
    sla_clock.due_at = calendar.add(since, max(0.0, left))
    warn_left = sla_clock.target_seconds * sla_clock.policy.warning_share - sla_clock.used_seconds
    sla_clock.warn_at = calendar.add(since, max(0.0, warn_left))
    sla_clock.next_event_at = next_event(sla_clock)


def next_event(sla_clock: SlaClock) -> datetime | None:
    """The next warning or breach still to fire on a running clock."""
    if sla_clock.state != "running":
        return None
    if not sla_clock.warned:
        return sla_clock.warn_at
    if not sla_clock.breached:
        return sla_clock.due_at
    return None


def open_clocks(session: Session, post_id: int, kinds: tuple[str, ...] | None = None) -> list[SlaClock]:
    query = select(SlaClock).where(SlaClock.post_id == post_id, SlaClock.state.in_(OPEN_STATES))
    if kinds:
        query = query.where(SlaClock.kind.in_(kinds))
    return list(session.scalars(query.order_by(SlaClock.id)))


def working_elapsed(sla_clock: SlaClock, at: datetime) -> float:
    """Working seconds the clock has run until `at` (pauses excluded)."""
    used = sla_clock.used_seconds
    if sla_clock.state == "running" and sla_clock.running_since is not None:
        used += calendar_of(sla_clock.policy).working_seconds(sla_clock.running_since, at)
    return used


def stop_clock(sla_clock: SlaClock, *, at: datetime, by_member_id: int | None) -> None:
    """Stop a clock (answered or resolved), crediting the member who stopped it."""
    sla_clock.elapsed_seconds = working_elapsed(sla_clock, at)
    sla_clock.state = "stopped"
    sla_clock.stopped_at = at
    sla_clock.stopped_by_id = by_member_id
    sla_clock.running_since = None
    sla_clock.next_event_at = None


def cancel_clock(sla_clock: SlaClock, *, at: datetime) -> None:
    """Cancel a clock that no longer applies (the post was deleted or merged)."""
    sla_clock.elapsed_seconds = working_elapsed(sla_clock, at)
    sla_clock.state = "cancelled"
    sla_clock.stopped_at = at
    sla_clock.running_since = None
    sla_clock.next_event_at = None


def pause_clock(sla_clock: SlaClock, *, at: datetime) -> None:
    """Pause while waiting on the fan: the working time so far is banked, no events fire."""
    if sla_clock.state != "running":
        return
    sla_clock.used_seconds = working_elapsed(sla_clock, at)
    sla_clock.state = "paused"
    sla_clock.paused_at = at
    sla_clock.running_since = None
    sla_clock.next_event_at = None


def resume_clock(sla_clock: SlaClock, *, at: datetime) -> None:
    """Resume a paused clock; its due time moves by the length of the pause."""
    if sla_clock.state != "paused":
        return
    sla_clock.state = "running"
    sla_clock.running_since = at
    sla_clock.paused_at = None
    _schedule(sla_clock, calendar_of(sla_clock.policy), at)


def recompute_policy_clocks(session: Session, *, policy: SlaPolicy) -> int:
    """After a policy or its calendar changed: new targets and due times for its open clocks."""
    now = clock.now()
    count = 0
    for sla_clock in session.scalars(
        select(SlaClock).where(SlaClock.policy_id == policy.id, SlaClock.state.in_(OPEN_STATES))
    ):
        minutes = target_minutes(policy, sla_clock.kind)
        if not minutes:
            cancel_clock(sla_clock, at=now)
            continue
        sla_clock.target_seconds = minutes * 60
        if sla_clock.state == "running":
            sla_clock.used_seconds = working_elapsed(sla_clock, now)
            sla_clock.running_since = now
            _schedule(sla_clock, calendar_of(policy), now)
        count += 1
    return count


def calendar_by_name(session: Session, name: str) -> SlaCalendar | None:
    return session.scalar(select(SlaCalendar).where(SlaCalendar.name == name))
