"""Managing SLA policies and calendars (leads): create, change, order and delete them. Every change
that moves a target brings the open clocks along: a changed target or calendar recomputes the due
times of the clocks under that policy, and changed conditions or order send each open clock to the
policy its post matches now."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import time

from sqlalchemy import func, select, update
from sqlalchemy.orm import Session

from fanloop.community.levels.service import LEVELS
from fanloop.community.members.models import Member
from fanloop.community.posts.models import POST_KINDS, Board, Post, Tag
from fanloop.core import clock
from fanloop.core.errors import Conflict, Invalid, NotFound
from fanloop.core.permissions import Action, require
from fanloop.service.desk.models import PRIORITIES, Ticket
from fanloop.service.sla import service as sla
from fanloop.service.sla.calendar import WEEKDAYS, CalendarError, parse_calendar
from fanloop.service.sla.models import SlaCalendar, SlaClock, SlaPolicy

MAX_MINUTES = 366 * 24 * 60  # a target longer than a year is a typo
MAX_NAME = 80
MAX_VALUES = 50
MAX_PERIODS_A_DAY = 12
MAX_HOLIDAYS = 1000
LIST_CONDITIONS = ("channels", "boards", "kinds", "tags", "priorities")
LEVEL_CONDITIONS = ("min_level", "max_level")
CHANNEL_PATTERN = re.compile(r"^[a-z0-9_-]{1,30}$")
MAX_ID = 2**31 - 1
REMATCH_BATCH = 500
HOURS_SHAPE = 'Working hours look like {"mon": [["09:00", "12:00"], ["13:00", "18:00"]]}.'


@dataclass(slots=True)
class PolicyInput:
    name: str
    first_reply_minutes: int = 15
    next_reply_minutes: int | None = 15
    resolution_minutes: int | None = None
    warning_share: float = 0.8
    calendar_id: int | None = None
    conditions: dict = field(default_factory=dict)


@dataclass(slots=True)
class CalendarInput:
    name: str
    timezone: str = "UTC"
    hours: dict[str, list[list[str]]] = field(default_factory=dict)
    holidays: list[str] = field(default_factory=list)


# --------------------------------------------------------------------------- reading


def list_policies(session: Session, *, viewer: Member) -> list[SlaPolicy]:
    """Every policy in matching order, the default last."""
    require(viewer, Action.VIEW_STAFF_AREA)
    sla.default_policy(session)
    return list(
        session.scalars(select(SlaPolicy).order_by(SlaPolicy.is_default, SlaPolicy.position, SlaPolicy.id))
    )


def list_calendars(session: Session, *, viewer: Member) -> list[SlaCalendar]:
    require(viewer, Action.VIEW_STAFF_AREA)
    return list(session.scalars(select(SlaCalendar).order_by(SlaCalendar.name)))


def get_policy(session: Session, policy_id: int) -> SlaPolicy:
    policy = session.get(SlaPolicy, policy_id) if 0 < policy_id <= MAX_ID else None
    if policy is None:
        raise NotFound(f"No SLA policy {policy_id}.")
    return policy


def get_calendar(session: Session, calendar_id: int) -> SlaCalendar:
    calendar = session.get(SlaCalendar, calendar_id) if 0 < calendar_id <= MAX_ID else None
    if calendar is None:
        raise NotFound(f"No calendar {calendar_id}.")
    return calendar


def open_clock_counts(session: Session) -> dict[int, int]:
    """Open clocks per policy, so a lead sees what a change will move."""
    rows = session.execute(
        select(SlaClock.policy_id, func.count())
        .where(SlaClock.state.in_(sla.OPEN_STATES))
        .group_by(SlaClock.policy_id)
    )
    return dict(rows.all())


# --------------------------------------------------------------------------- policies


def create_policy(session: Session, *, actor: Member, data: PolicyInput) -> SlaPolicy:
    """Add a policy; it is tried after the existing ones until the lead reorders it."""
    require(actor, Action.MANAGE_SERVICE_DESK)
    sla.default_policy(session)
    name = _name(session, SlaPolicy, data.name)
    last = session.scalar(select(func.max(SlaPolicy.position)).where(SlaPolicy.is_default.is_(False)))
    policy = SlaPolicy(name=name, position=(last or 0) + 1, is_default=False)
    _apply(session, policy, data)
    session.add(policy)
    session.flush()
    rematch_open_clocks(session)
    return policy


def update_policy(session: Session, *, actor: Member, policy_id: int, data: PolicyInput) -> SlaPolicy:
    """Change a policy's targets, calendar or conditions; its open clocks are recomputed."""
    require(actor, Action.MANAGE_SERVICE_DESK)
    policy = get_policy(session, policy_id)
    policy.name = _name(session, SlaPolicy, data.name, current=policy)
    _apply(session, policy, data)
    session.flush()
    rematch_open_clocks(session)
    sla.recompute_policy_clocks(session, policy=policy)
    return policy


def reorder_policies(session: Session, *, actor: Member, policy_ids: list[int]) -> list[SlaPolicy]:
    """Set the order in which policies are tried; the default always comes last."""
    require(actor, Action.MANAGE_SERVICE_DESK)
    ordered = list(
        session.scalars(
            select(SlaPolicy)
            .where(SlaPolicy.is_default.is_(False))
            .order_by(SlaPolicy.position, SlaPolicy.id)
        )
    )
    by_id = {policy.id: policy for policy in ordered}
    if len(policy_ids) != len(set(policy_ids)) or set(policy_ids) != set(by_id):
        raise Invalid("List every policy except the default exactly once.", field="policy_ids")
    for position, policy_id in enumerate(policy_ids, start=1):
        by_id[policy_id].position = position
    session.flush()
    rematch_open_clocks(session)
    return list_policies(session, viewer=actor)


def move_policy(session: Session, *, actor: Member, policy_id: int, offset: int) -> list[SlaPolicy]:
    """Move a policy up (-1) or down (+1) in the order."""
    require(actor, Action.MANAGE_SERVICE_DESK)
    policy = get_policy(session, policy_id)
    if policy.is_default:
        raise Invalid("The default policy always comes last.", field="policy_id")
    ids = [p.id for p in list_policies(session, viewer=actor) if not p.is_default]
    index = ids.index(policy.id)
    target = max(0, min(len(ids) - 1, index + offset))
    ids.insert(target, ids.pop(index))
    return reorder_policies(session, actor=actor, policy_ids=ids)


def delete_policy(session: Session, *, actor: Member, policy_id: int) -> None:
    """Remove a policy. Its open clocks move to the policy their post matches now; answered clocks
    keep their recorded target and elapsed time and are filed under the default policy."""
    require(actor, Action.MANAGE_SERVICE_DESK)
    policy = get_policy(session, policy_id)
    if policy.is_default:
        raise Conflict("The default policy cannot be deleted; it applies when no other policy matches.")
    default = sla.default_policy(session)
    rematch_open_clocks(session, exclude_id=policy.id)
    session.execute(
        update(SlaClock)
        .where(SlaClock.policy_id == policy.id)
        .values(policy_id=default.id)
        .execution_options(synchronize_session=False)
    )
    for sla_clock in session.identity_map.values():
        if isinstance(sla_clock, SlaClock) and sla_clock.policy_id == policy.id:
            sla_clock.policy_id, sla_clock.policy = default.id, default
    session.delete(policy)
    session.flush()


def _apply(session: Session, policy: SlaPolicy, data: PolicyInput) -> None:
    policy.first_reply_minutes = _minutes(data.first_reply_minutes, "first_reply_minutes", required=True)
    policy.next_reply_minutes = _minutes(data.next_reply_minutes, "next_reply_minutes")
    policy.resolution_minutes = _minutes(data.resolution_minutes, "resolution_minutes")
    share = data.warning_share
    if isinstance(share, bool) or not isinstance(share, int | float) or not 0.05 <= share <= 0.99:
        raise Invalid(
            "The warning comes at a share of the target between 0.05 and 0.99.", field="warning_share"
        )
    policy.warning_share = float(share)
    calendar = None
    if data.calendar_id is not None:
        valid_id = isinstance(data.calendar_id, int) and 0 < data.calendar_id <= MAX_ID
        calendar = session.get(SlaCalendar, data.calendar_id) if valid_id else None
        if calendar is None:
            raise Invalid(f"No calendar {data.calendar_id}.", field="calendar_id")
    policy.calendar_id, policy.calendar = (calendar.id if calendar else None), calendar
    conditions = clean_conditions(session, data.conditions)
    if policy.is_default and conditions:
        raise Invalid("The default policy applies to every post; it has no conditions.", field="conditions")
    policy.conditions = conditions


def _minutes(value: int | None, field_name: str, *, required: bool = False) -> int | None:
    if value is None and not required:
        return None
    if isinstance(value, bool) or not isinstance(value, int) or not 1 <= value <= MAX_MINUTES:
        label = field_name.replace("_", " ")
        raise Invalid(f"The {label} is a whole number from 1 to {MAX_MINUTES}.", field=field_name)
    return value


def clean_conditions(session: Session, conditions: dict | None) -> dict:
    """Check and normalise a policy's conditions; an empty list means "any"."""
    conditions = conditions or {}
    if not isinstance(conditions, dict):
        raise Invalid("Conditions are an object.", field="conditions")
    unknown = set(conditions) - set(LIST_CONDITIONS) - set(LEVEL_CONDITIONS)
    if unknown:
        known = ", ".join((*LIST_CONDITIONS, *LEVEL_CONDITIONS))
        raise Invalid(
            f"Unknown condition(s): {', '.join(sorted(map(str, unknown)))}; use {known}.", field="conditions"
        )
    cleaned: dict = {}
    for key in LIST_CONDITIONS:
        values = _strings(conditions.get(key), key)
        if values:
            _check_values(session, key, values)
            cleaned[key] = values
    top = LEVELS[-1].number
    for key in LEVEL_CONDITIONS:
        value = conditions.get(key)
        if value is None:
            continue
        if isinstance(value, bool) or not isinstance(value, int) or not 1 <= value <= top:
            raise Invalid(f"Fan levels go from 1 to {top}.", field=key)
        cleaned[key] = value
    if cleaned.get("min_level", 1) > cleaned.get("max_level", top):
        raise Invalid("The lowest fan level is above the highest.", field="min_level")
    return cleaned


def _strings(values: object, key: str) -> list[str]:
    if values is None:
        return []
    if not isinstance(values, list) or not all(isinstance(v, str) for v in values):
        raise Invalid(f"The {key} condition is a list of names.", field=key)
    cleaned = list(dict.fromkeys(v.strip() for v in values if v.strip()))
    if len(cleaned) > MAX_VALUES or any(len(v) > 40 or "\x00" in v for v in cleaned):
        raise Invalid(
            f"The {key} condition takes at most {MAX_VALUES} names of up to 40 characters.", field=key
        )
    return cleaned


def _check_values(session: Session, key: str, values: list[str]) -> None:
    if key == "kinds":
        allowed: set[str] = set(POST_KINDS)
    elif key == "priorities":
        allowed = set(PRIORITIES)
    elif key == "boards":
        allowed = set(session.scalars(select(Board.slug).where(Board.slug.in_(values))))
    elif key == "tags":
        allowed = set(session.scalars(select(Tag.slug).where(Tag.slug.in_(values))))
    else:
        allowed = {v for v in values if CHANNEL_PATTERN.match(v)}
    unknown = [v for v in values if v not in allowed]
    if unknown:
        raise Invalid(f"Unknown {key}: {', '.join(unknown)}.", field=key)


def _name(session: Session, model: type, value: str, *, current: object | None = None) -> str:
    name = (value or "").strip() if isinstance(value, str) else ""
    if not name or len(name) > MAX_NAME or "\x00" in name:
        raise Invalid(f"A name is 1-{MAX_NAME} characters.", field="name")
    existing = session.scalar(select(model).where(model.name == name))
    if existing is not None and existing is not current:
        raise Conflict(f"There is already one named {name!r}.")
    return name


# --------------------------------------------------------------------------- open clocks


def rematch_open_clocks(session: Session, *, exclude_id: int | None = None) -> int:
    """Send every open clock to the policy its post matches now; returns how many moved."""
    from fanloop.service.desk.service import post_facts  # the desk builds on the SLA, not the reverse

    policies = [
        p
        for p in session.scalars(select(SlaPolicy).order_by(SlaPolicy.position, SlaPolicy.id))
        if p.id != exclude_id
    ]
    default = next((p for p in policies if p.is_default), None) or sla.default_policy(session)
    candidates = [p for p in policies if not p.is_default]
    now, moved = clock.now(), 0
    open_clocks = list(
        session.scalars(
            select(SlaClock)
            .where(SlaClock.state.in_(sla.OPEN_STATES))
            .order_by(SlaClock.post_id, SlaClock.id)
        )
    )
    for start in range(0, len(open_clocks), REMATCH_BATCH):
        batch = open_clocks[start : start + REMATCH_BATCH]
        post_ids = {c.post_id for c in batch}
        posts = {p.id: p for p in session.scalars(select(Post).where(Post.id.in_(post_ids)))}
        priorities = dict(
            session.execute(select(Ticket.post_id, Ticket.priority).where(Ticket.post_id.in_(post_ids))).all()
        )
        for sla_clock in batch:
            facts = post_facts(posts[sla_clock.post_id], priorities.get(sla_clock.post_id, "normal"))
            policy = next((p for p in candidates if sla.policy_matches(p, facts)), default)
            if policy.id != sla_clock.policy_id:
                switch_policy(sla_clock, policy, at=now)
                moved += 1
    return moved


def switch_policy(sla_clock: SlaClock, policy: SlaPolicy, *, at) -> None:  # noqa: ANN001
    """Put a clock under another policy: the working time so far counts against the new target."""
    minutes = sla.target_minutes(policy, sla_clock.kind)
    if not minutes:
        sla.cancel_clock(sla_clock, at=at)
        sla_clock.policy_id, sla_clock.policy = policy.id, policy
        return
    elapsed = sla.working_elapsed(sla_clock, at)  # under the old policy's calendar
    sla_clock.policy_id, sla_clock.policy = policy.id, policy
    sla_clock.target_seconds = minutes * 60
    if sla_clock.state == "running":
        sla_clock.used_seconds = elapsed
        sla_clock.running_since = at
        sla._schedule(sla_clock, sla.calendar_of(policy), at)


# --------------------------------------------------------------------------- calendars


def create_calendar(session: Session, *, actor: Member, data: CalendarInput) -> SlaCalendar:
    """Add a working calendar (no hours: 24x7)."""
    require(actor, Action.MANAGE_SERVICE_DESK)
    calendar = SlaCalendar(name=_name(session, SlaCalendar, data.name))
    _apply_calendar(calendar, data)
    session.add(calendar)
    session.flush()
    return calendar


def update_calendar(session: Session, *, actor: Member, calendar_id: int, data: CalendarInput) -> SlaCalendar:
    """Change a calendar; the open clocks of every policy using it are recomputed."""
    require(actor, Action.MANAGE_SERVICE_DESK)
    calendar = get_calendar(session, calendar_id)
    calendar.name = _name(session, SlaCalendar, data.name, current=calendar)
    _apply_calendar(calendar, data)
    session.flush()
    for policy in session.scalars(select(SlaPolicy).where(SlaPolicy.calendar_id == calendar.id)):
        sla.recompute_policy_clocks(session, policy=policy)
    return calendar


def delete_calendar(session: Session, *, actor: Member, calendar_id: int) -> None:
    """Remove a calendar no policy uses."""
    require(actor, Action.MANAGE_SERVICE_DESK)
    calendar = get_calendar(session, calendar_id)
    users = list(session.scalars(select(SlaPolicy.name).where(SlaPolicy.calendar_id == calendar.id)))
    if users:
        raise Conflict(f"The calendar is used by {', '.join(users)}; give them another calendar first.")
    session.delete(calendar)
    session.flush()


def _apply_calendar(calendar: SlaCalendar, data: CalendarInput) -> None:
    hours, holidays = data.hours or {}, data.holidays or []
    timezone = data.timezone.strip() if isinstance(data.timezone, str) else ""
    if not timezone or len(timezone) > 64 or "\x00" in timezone:
        raise Invalid("Name a time zone such as Asia/Shanghai.", field="timezone")
    if not isinstance(holidays, list) or len(holidays) > MAX_HOLIDAYS:
        raise Invalid(f"Holidays are a list of at most {MAX_HOLIDAYS} dates.", field="holidays")
    if not isinstance(hours, dict) or not all(isinstance(spans, list) for spans in hours.values()):
        raise Invalid(HOURS_SHAPE, field="hours")
    if any(len(spans) > MAX_PERIODS_A_DAY for spans in hours.values()):
        raise Invalid(f"At most {MAX_PERIODS_A_DAY} working periods a day.", field="hours")
    try:
        parsed = parse_calendar(timezone, hours, holidays)
        parsed.add(clock.now(), 60)  # it must reach working time at all
    except CalendarError as error:
        raise Invalid(str(error), field="timezone" if "time zone" in str(error) else "hours") from None
    except (TypeError, AttributeError):
        raise Invalid(HOURS_SHAPE, field="hours") from None
    for day, periods in parsed.periods.items():
        same_day = sorted((p for p in periods if not p.crosses_midnight), key=lambda p: p.start)
        for earlier, later in zip(same_day, same_day[1:], strict=False):
            if later.start < earlier.end:
                raise Invalid(f"Working periods on {WEEKDAYS[day]} overlap.", field="hours")
    calendar.timezone = timezone
    calendar.hours = {
        WEEKDAYS[day]: [[_hhmm(p.start), _hhmm(p.end)] for p in periods]
        for day, periods in sorted(parsed.periods.items())
    }
    calendar.holidays = sorted(d.isoformat() for d in parsed.holidays)


def _hhmm(value: time) -> str:
    return value.strftime("%H:%M")
