"""Automatic assignment from the rota: round-robin or least-loaded, within each person's capacity,
optionally by skills (boards, tags, languages), only to people on duty and in a shift now."""

from __future__ import annotations

from datetime import datetime, time, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from fanloop.community.members.models import Member
from fanloop.core import clock
from fanloop.service.desk.models import Ticket
from fanloop.service.rota.models import RotaMember, RotaSettings, RotaShift

ACTIVE_TICKET_STATES = ("open", "waiting_on_fan")


def rota_settings(session: Session) -> RotaSettings:
    settings = session.get(RotaSettings, 1)
    if settings is None:
        settings = RotaSettings(id=1, strategy="least_loaded", use_skills=True, auto_assign=True)
        session.add(settings)
        session.flush()
    return settings


def in_shift(shifts: list[RotaShift], at: datetime) -> bool:
    """Whether `at` falls in one of the weekly shifts (no shifts: always)."""
    if not shifts:
        return True
    for shift in shifts:
        local = at.astimezone(ZoneInfo(shift.timezone))
        start, end = time.fromisoformat(shift.start), time.fromisoformat(shift.end)
        if local.weekday() == shift.weekday and start <= local.time() < end:
            return True
    return False


def loads(session: Session) -> dict[int, int]:
    """Open tickets per assignee."""
    rows = session.execute(
        select(Ticket.assignee_id, func.count())
        .where(Ticket.assignee_id.is_not(None), Ticket.state.in_(ACTIVE_TICKET_STATES))
        .group_by(Ticket.assignee_id)
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


def available(session: Session, at: datetime, exclude: set[int] = frozenset()) -> list[RotaMember]:
    entries = list(
        session.scalars(
            select(RotaMember)
            .join(Member, Member.id == RotaMember.member_id)
            .where(
                RotaMember.on_rota.is_(True),
                RotaMember.availability == "on_duty",
                Member.is_suspended.is_(False),
            )
        )
    )
    shifts: dict[int, list[RotaShift]] = {}
    for shift in session.scalars(select(RotaShift)):
        shifts.setdefault(shift.member_id, []).append(shift)
    return [e for e in entries if e.member_id not in exclude and in_shift(shifts.get(e.member_id, []), at)]


def pick_assignee(session: Session, *, facts: dict, exclude: set[int] = frozenset()) -> int | None:
    """Choose who answers a post: among people on duty with spare capacity, the best skill match,
    then by the strategy (fewest open posts, or longest since their last assignment)."""
    return pick_assignees(session, facts_list=[facts], exclude=exclude)[0]


def pick_assignees(
    session: Session, *, facts_list: list[dict], exclude: set[int] = frozenset()
) -> list[int | None]:
    """`pick_assignee` for many posts at once (a channel import): who is on duty and their loads are
    read once, and each choice counts towards the next."""
    settings = rota_settings(session)
    now = clock.now()
    candidates = available(session, now, exclude)
    if not candidates:
        return [None] * len(facts_list)
    load = loads(session)
    epoch = datetime.min.replace(tzinfo=now.tzinfo)
    chosen_ids: list[int | None] = []
    for facts in facts_list:
        free = [e for e in candidates if load.get(e.member_id, 0) < e.capacity]
        if not free:
            chosen_ids.append(None)
            continue
        if settings.use_skills:
            best = max(skill_score(e, facts) for e in free)
            free = [e for e in free if skill_score(e, facts) == best]
        if settings.strategy == "round_robin":
            chosen = min(free, key=lambda e: (e.last_assigned_at or epoch, e.member_id))
        else:
            chosen = min(
                free, key=lambda e: (load.get(e.member_id, 0), e.last_assigned_at or epoch, e.member_id)
            )
        # Strictly later than the previous pick, so round-robin moves on within one batch too.
        chosen.last_assigned_at = max(now, *(e.last_assigned_at or epoch for e in candidates)) + _TICK
        load[chosen.member_id] = load.get(chosen.member_id, 0) + 1
        chosen_ids.append(chosen.member_id)
    return chosen_ids


_TICK = timedelta(microseconds=1)
