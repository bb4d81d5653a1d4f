"""Automatic assignment from the rota: round-robin or least-loaded, within each person's capacity,
optionally by skills (boards, tags, languages), only to people on duty and in a shift now.

Capacity counts live reply clocks only (running, not yet backlog): a post waiting on the fan, or
weeks overdue, does not stop someone from taking a new one. When everyone on shift is at capacity
the lead's overflow rule decides; a post nobody could take waits and is handed out as soon as
someone can (hand_out_waiting), and so is a live post whose assignee went off shift."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import func, or_, select, update
from sqlalchemy.orm import Session

from fanloop.community.members.models import Member
from fanloop.core import clock
from fanloop.core.permissions import Role
from fanloop.service.desk.models import Assignment, Ticket
from fanloop.service.rota.models import RotaMember, RotaSettings, RotaShift
from fanloop.service.sla.models import SlaClock
from fanloop.service.sla.service import live_reply_clock

OVERFLOW_RULES = ("least_loaded", "lead", "wait")
LEAD_ROLES = (Role.LEAD.value, Role.ADMIN.value)
MIDNIGHT = "24:00"
HAND_OUT_BATCH = 50
# Assignments a person chose or was given by a lead: the rota never takes these back.
PERSONAL_ASSIGNMENTS = ("claim", "manual")


def rota_settings(session: Session) -> RotaSettings:
    settings = session.get(RotaSettings, 1)
    if settings is None:
        settings = RotaSettings(
            id=1, strategy="least_loaded", use_skills=True, auto_assign=True, overflow="least_loaded"
        )
        session.add(settings)
        session.flush()
    return settings


def _minutes(value: str) -> int:
    """Minutes since midnight of an "HH:MM" time, "24:00" included."""
    hours, minutes = value.split(":")
    return int(hours) * 60 + int(minutes)


def in_shift(shifts: list[RotaShift], at: datetime) -> bool:
    """Whether `at` falls in one of the weekly shifts (no shifts: always). A shift may end at 24:00,
    and one that ends at or before its start runs past midnight into the next day."""
    if not shifts:
        return True
    for shift in shifts:
        local = at.astimezone(ZoneInfo(shift.timezone))
        minute = local.hour * 60 + local.minute + local.second / 60
        start, end = _minutes(shift.start), _minutes(shift.end)
        if end > start:
            if local.weekday() == shift.weekday and start <= minute < end:
                return True
        elif (local.weekday() == shift.weekday and minute >= start) or (
            local.weekday() == (shift.weekday + 1) % 7 and minute < end
        ):
            return True
    return False


def loads(session: Session, now: datetime | None = None) -> dict[int, int]:
    """Live reply clocks per assignee: what counts against capacity."""
    now = now or clock.now()
    rows = session.execute(
        select(SlaClock.assignee_id, func.count())
        .where(*live_reply_clock(now), SlaClock.assignee_id.is_not(None))
        .group_by(SlaClock.assignee_id)
    ).all()
    return dict(rows)


def skill_score(entry: RotaMember, facts: dict) -> int:
    """How many of the post's facts match the person's skills; 0 when they have none listed."""
    score = 0
    if facts.get("board") in (entry.boards or []):
        score += 1
    if set(facts.get("tags", ())) & set(entry.tags or []):
        score += 1
    if facts.get("language") in (entry.languages or []):
        score += 1
    return score


def _on_duty(session: Session) -> list[RotaMember]:
    return list(
        session.scalars(
            select(RotaMember)
            .join(Member, Member.id == RotaMember.member_id)
            .where(
                RotaMember.on_rota.is_(True),
                RotaMember.availability == "on_duty",
                Member.is_suspended.is_(False),
            )
            .order_by(RotaMember.member_id)
        )
    )


def _shifts(session: Session) -> dict[int, list[RotaShift]]:
    shifts: dict[int, list[RotaShift]] = {}
    for shift in session.scalars(select(RotaShift)):
        shifts.setdefault(shift.member_id, []).append(shift)
    return shifts


@dataclass(slots=True)
class _Pool:
    """Who can be picked right now, read once for a batch of picks."""

    settings: RotaSettings
    candidates: list[RotaMember]  # on shift
    leads: list[RotaMember]  # leads on duty, in or out of a shift: the "lead" overflow
    load: dict[int, int]
    now: datetime


def _pool(session: Session, exclude: set[int]) -> _Pool:
    now = clock.now()
    shifts = _shifts(session)
    on_duty = [e for e in _on_duty(session) if e.member_id not in exclude]
    candidates = [e for e in on_duty if in_shift(shifts.get(e.member_id, []), now)]
    leads = [e for e in on_duty if e.member.role in LEAD_ROLES]
    return _Pool(rota_settings(session), candidates, leads, loads(session, now), now)


def _choose(pool: _Pool, facts: dict) -> int | None:
    load, settings = pool.load, pool.settings
    epoch = datetime.min.replace(tzinfo=pool.now.tzinfo)
    free = [e for e in pool.candidates if load.get(e.member_id, 0) < e.capacity]
    if not free:
        free = _overflow(pool)
        if not free:
            return None
    if settings.use_skills:
        best = max(skill_score(e, facts) for e in free)
        free = [e for e in free if skill_score(e, facts) == best]
    if settings.strategy == "round_robin":
        chosen = min(free, key=lambda e: (e.last_assigned_at or epoch, e.member_id))
    else:
        chosen = min(free, key=lambda e: (load.get(e.member_id, 0), e.last_assigned_at or epoch, e.member_id))
    # Strictly later than the previous pick, so round-robin moves on within one batch too.
    everyone = [*pool.candidates, *pool.leads]
    chosen.last_assigned_at = max(pool.now, *(e.last_assigned_at or epoch for e in everyone)) + _TICK
    load[chosen.member_id] = load.get(chosen.member_id, 0) + 1
    return chosen.member_id


def _overflow(pool: _Pool) -> list[RotaMember]:
    """Everyone on shift is at capacity (or nobody is on shift): whom the lead's rule allows."""
    rule = pool.settings.overflow
    if rule == "least_loaded" and pool.candidates:
        least = min(pool.load.get(e.member_id, 0) - e.capacity for e in pool.candidates)
        return [e for e in pool.candidates if pool.load.get(e.member_id, 0) - e.capacity == least]
    if rule == "lead":
        on_shift = [e for e in pool.leads if e in pool.candidates]
        return on_shift or pool.leads
    return []


def pick_assignee(session: Session, *, facts: dict, exclude: set[int] = frozenset()) -> int | None:
    """Choose who answers a post: among people on duty with spare capacity, the best skill match,
    then by the strategy (fewest live posts, or longest since their last assignment); when all are
    at capacity, the overflow rule."""
    return pick_assignees(session, facts_list=[facts], exclude=exclude)[0]


def pick_assignees(
    session: Session, *, facts_list: list[dict], exclude: set[int] = frozenset()
) -> list[int | None]:
    """`pick_assignee` for many posts at once (a channel import, a hand-out): who is on duty and
    their loads are read once, and each choice counts towards the next. Picking nobody for a live
    post while nobody is on shift starts an uncovered spell (the leads are told once)."""
    if not facts_list:
        return []
    pool = _pool(session, exclude)
    chosen = [_choose(pool, facts) for facts in facts_list]
    if pool.candidates:
        _covered(session, pool.settings)
    elif None in chosen:
        _uncovered(session, pool.now)
    return chosen


def _covered(session: Session, settings: RotaSettings) -> None:
    if settings.uncovered_since is not None:
        session.execute(
            update(RotaSettings).where(RotaSettings.id == 1).values(uncovered_since=None),
            execution_options={"synchronize_session": False},
        )
        settings.uncovered_since = None


def _uncovered(session: Session, now: datetime) -> None:
    """Nobody is on shift: the first post of the spell tells the leads; the rest say nothing. The
    conditional UPDATE lets exactly one of several concurrent requests begin the spell."""
    began = session.execute(
        update(RotaSettings)
        .where(RotaSettings.id == 1, RotaSettings.uncovered_since.is_(None))
        .values(uncovered_since=now),
        execution_options={"synchronize_session": False},
    ).rowcount
    if began:
        from fanloop.service.notify import service as notify

        leads = session.scalars(
            select(Member.id).where(Member.role.in_(LEAD_ROLES), Member.is_suspended.is_(False))
        )
        for lead_id in leads:
            notify.notify(
                session,
                member_id=lead_id,
                kind="rota_uncovered",
                title="Nobody on the rota is on shift: new posts are waiting unassigned",
                url="/staff/rota",
                dedupe_key=f"rota:uncovered:{now.isoformat()}:{lead_id}",
            )


def holders(session: Session) -> list[int]:
    """Who may hold a live post now: people on shift, and the leads on duty when the overflow
    rule sends posts to them."""
    pool = _pool(session, set())
    people = {e.member_id for e in pool.candidates}
    if pool.settings.overflow == "lead":
        people |= {e.member_id for e in pool.leads}
    return sorted(people)


def waiting_tickets(session: Session, *, holders: list[int], limit: int = HAND_OUT_BATCH) -> list[Ticket]:
    """Live posts none of `holders` has: unassigned, or given by the rota to someone who went off
    shift or away (a post someone claimed, or a lead gave them, stays theirs). Most urgent first.
    Rows another transaction holds are skipped (it is answering or handing them out), so this never
    waits on a lock."""
    now = clock.now()
    chosen_by_hand = (
        select(Assignment.id)
        .where(
            Assignment.post_id == Ticket.post_id,
            Assignment.assignee_id == Ticket.assignee_id,
            Assignment.reason.in_(PERSONAL_ASSIGNMENTS),
        )
        .exists()
    )
    query = (
        select(Ticket)
        .join(SlaClock, SlaClock.post_id == Ticket.post_id)
        .where(
            *live_reply_clock(now),
            or_(Ticket.assignee_id.is_(None), Ticket.assignee_id.not_in(holders) & ~chosen_by_hand),
        )
        .order_by(SlaClock.due_at, SlaClock.id)
        .limit(limit)
    )
    if session.get_bind().dialect.name == "postgresql":
        query = query.with_for_update(skip_locked=True, of=Ticket, key_share=True)
    return list(session.scalars(query).unique())


_TICK = timedelta(microseconds=1)
