"""Who is on the everyone-answers rota: joining and leaving, availability, capacity, skills and weekly
shifts, and how posts are handed out. Staff keep their own entry; leads keep anyone's and the
assignment settings."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from fanloop.community.members.models import Member
from fanloop.community.posts.models import Board, Tag
from fanloop.core import clock
from fanloop.core.errors import Forbidden, Invalid, NotFound
from fanloop.core.permissions import Action, Role, can, require
from fanloop.service.rota import service as rota
from fanloop.service.rota.models import RotaMember, RotaSettings, RotaShift

AVAILABILITY = ("on_duty", "away")
STRATEGIES = ("round_robin", "least_loaded")
OVERFLOW_RULES = rota.OVERFLOW_RULES
# The languages posts are detected in (see core.text.detect_language).
LANGUAGES = ("en", "zh_CN")
MAX_CAPACITY = 200
MAX_SKILLS = 30
MAX_SHIFTS = 42
DEFAULT_CAPACITY = 5
TIME_PATTERN = re.compile(r"^([01]\d|2[0-3]):[0-5]\d$")
END_PATTERN = re.compile(r"^(([01]\d|2[0-3]):[0-5]\d|24:00)$")


@dataclass(slots=True)
class RotaUpdate:
    """Fields to change on a rota entry; None leaves a field as it is."""

    on_rota: bool | None = None
    availability: str | None = None
    capacity: int | None = None
    team: str | None = None
    boards: list[str] | None = None
    tags: list[str] | None = None
    languages: list[str] | None = None


@dataclass(slots=True)
class ShiftInput:
    weekday: int
    start: str
    end: str
    timezone: str = "UTC"


@dataclass(slots=True)
class RosterRow:
    """One staff member as the rota page shows them."""

    member: Member
    entry: RotaMember | None
    shifts: list[RotaShift] = field(default_factory=list)
    load: int = 0
    in_shift_now: bool = False

    @property
    def answering_now(self) -> bool:
        """On the rota, on duty, in a shift and below capacity (live posts only): auto-assignment
        picks them before anyone over capacity."""
        entry = self.entry
        return bool(
            entry
            and entry.on_rota
            and entry.availability == "on_duty"
            and self.in_shift_now
            and self.load < entry.capacity
        )


# --------------------------------------------------------------------------- reading


def roster(session: Session, *, viewer: Member) -> list[RosterRow]:
    """Every staff member with their rota entry (if any), shifts and open posts, people on the rota first."""
    require(viewer, Action.VIEW_STAFF_AREA)
    staff = session.scalars(
        select(Member)
        .where(Member.role != Role.FAN.value, Member.is_suspended.is_(False))
        .order_by(Member.display_name, Member.id)
    )
    entries = {e.member_id: e for e in session.scalars(select(RotaMember))}
    shifts: dict[int, list[RotaShift]] = {}
    for shift in session.scalars(select(RotaShift).order_by(RotaShift.weekday, RotaShift.start)):
        shifts.setdefault(shift.member_id, []).append(shift)
    loads, now = rota.loads(session), clock.now()
    rows = [
        RosterRow(
            member=member,
            entry=entries.get(member.id),
            shifts=shifts.get(member.id, []),
            load=loads.get(member.id, 0),
            in_shift_now=rota.in_shift(shifts.get(member.id, []), now),
        )
        for member in staff
    ]
    return sorted(rows, key=lambda r: not (r.entry and r.entry.on_rota))


def roster_row(session: Session, member: Member) -> RosterRow:
    """One person's line of the roster."""
    shifts = list(
        session.scalars(
            select(RotaShift)
            .where(RotaShift.member_id == member.id)
            .order_by(RotaShift.weekday, RotaShift.start)
        )
    )
    return RosterRow(
        member=member,
        entry=session.get(RotaMember, member.id),
        shifts=shifts,
        load=rota.loads(session).get(member.id, 0),
        in_shift_now=rota.in_shift(shifts, clock.now()),
    )


def settings(session: Session, *, viewer: Member) -> RotaSettings:
    require(viewer, Action.VIEW_STAFF_AREA)
    return rota.rota_settings(session)


# --------------------------------------------------------------------------- changing


def may_edit(viewer: Member | None, member: Member) -> bool:
    """Staff edit their own rota entry; leads anyone's."""
    if not can(viewer, Action.VIEW_STAFF_AREA):
        return False
    return viewer.id == member.id or can(viewer, Action.MANAGE_SERVICE_DESK)


def staff_member(session: Session, handle: str) -> Member:
    handle = handle.strip().lower() if isinstance(handle, str) else ""
    member = None
    if handle and "\x00" not in handle and len(handle) <= 30:
        member = session.scalar(select(Member).where(Member.handle == handle))
    if member is None:
        raise NotFound(f"No member @{handle}.")
    return member


def update_entry(session: Session, *, actor: Member, member: Member, data: RotaUpdate) -> RotaMember:
    """Join or leave the rota, set availability, capacity, team and skills."""
    _require_editor(actor, member)
    entry = session.get(RotaMember, member.id)
    if entry is None:
        entry = RotaMember(
            member_id=member.id,
            on_rota=True,
            availability="on_duty",
            capacity=DEFAULT_CAPACITY,
            team="",
            boards=[],
            tags=[],
            languages=[],
        )
        entry.member = member
        session.add(entry)
    if data.on_rota is not None:
        entry.on_rota = bool(data.on_rota)
    if data.availability is not None:
        if data.availability not in AVAILABILITY:
            raise Invalid("Availability is on_duty or away.", field="availability")
        entry.availability = data.availability
    if data.capacity is not None:
        capacity = data.capacity
        if isinstance(capacity, bool) or not isinstance(capacity, int) or not 0 <= capacity <= MAX_CAPACITY:
            raise Invalid(f"Capacity is a number of open posts from 0 to {MAX_CAPACITY}.", field="capacity")
        entry.capacity = capacity
    if data.team is not None:
        team = data.team.strip() if isinstance(data.team, str) else ""
        if len(team) > 40 or "\x00" in team:
            raise Invalid("A team name is at most 40 characters.", field="team")
        entry.team = team
    if data.boards is not None:
        entry.boards = _known(session, Board, _skill_list(data.boards, "boards"), "boards")
    if data.tags is not None:
        entry.tags = _known(session, Tag, _skill_list(data.tags, "tags"), "tags")
    if data.languages is not None:
        entry.languages = [_language(value) for value in _skill_list(data.languages, "languages")]
    session.flush()
    _hand_out(session)
    return entry


def join(session: Session, *, actor: Member, member: Member) -> RotaMember:
    """Put someone on the rota (on duty)."""
    return update_entry(session, actor=actor, member=member, data=RotaUpdate(on_rota=True))


def leave(session: Session, *, actor: Member, member: Member) -> RotaMember:
    """Take someone off the rota; posts already assigned to them stay theirs."""
    return update_entry(session, actor=actor, member=member, data=RotaUpdate(on_rota=False))


def set_availability(session: Session, *, actor: Member, member: Member, availability: str) -> RotaMember:
    return update_entry(session, actor=actor, member=member, data=RotaUpdate(availability=availability))


def set_shifts(
    session: Session, *, actor: Member, member: Member, shifts: list[ShiftInput]
) -> list[RotaShift]:
    """Replace someone's weekly shifts (none: they answer whenever they are on duty)."""
    _require_editor(actor, member)
    if len(shifts) > MAX_SHIFTS:
        raise Invalid(f"At most {MAX_SHIFTS} shifts a week.", field="shifts")
    rows = [_shift(member.id, shift) for shift in shifts]
    session.execute(delete(RotaShift).where(RotaShift.member_id == member.id))
    session.add_all(rows)
    session.flush()
    _hand_out(session)
    return sorted(rows, key=lambda s: (s.weekday, s.start))


def update_settings(
    session: Session,
    *,
    actor: Member,
    strategy: str,
    use_skills: bool,
    auto_assign: bool,
    overflow: str | None = None,
) -> RotaSettings:
    """How posts are handed out: round-robin or least-loaded, by skills or not, automatically or
    not, and who takes them when everyone on shift is at capacity (None keeps the overflow rule)."""
    require(actor, Action.MANAGE_SERVICE_DESK)
    if strategy not in STRATEGIES:
        raise Invalid("The strategy is round_robin or least_loaded.", field="strategy")
    if overflow is not None and overflow not in OVERFLOW_RULES:
        raise Invalid("The overflow rule is least_loaded, lead or wait.", field="overflow")
    current = rota.rota_settings(session)
    current.strategy, current.use_skills, current.auto_assign = strategy, bool(use_skills), bool(auto_assign)
    if overflow is not None:
        current.overflow = overflow
    session.flush()
    _hand_out(session)
    return current


def _hand_out(session: Session) -> None:
    """Who may take posts changed: waiting live posts go out now rather than at the next sweep."""
    from fanloop.service.desk.service import hand_out_waiting

    hand_out_waiting(session)


def _require_editor(actor: Member, member: Member) -> None:
    require(actor, Action.VIEW_STAFF_AREA)
    if actor.id != member.id:
        require(actor, Action.MANAGE_SERVICE_DESK)
    if not member.is_staff:
        raise Invalid("Only staff can be on the rota.", field="member")
    if member.is_suspended:
        raise Forbidden("A suspended member cannot be on the rota.")


def _skill_list(values: object, name: str) -> list[str]:
    if not isinstance(values, list) or not all(isinstance(v, str) for v in values):
        raise Invalid(f"The {name} are a list of names.", field=name)
    cleaned = list(dict.fromkeys(v.strip() for v in values if v.strip()))
    if len(cleaned) > MAX_SKILLS or any(len(v) > 40 or "\x00" in v for v in cleaned):
        raise Invalid(f"At most {MAX_SKILLS} {name} of up to 40 characters.", field=name)
    return cleaned


def _known(session: Session, model: type, slugs: list[str], name: str) -> list[str]:
    slugs = [s.lower() for s in slugs]
    found = set(session.scalars(select(model.slug).where(model.slug.in_(slugs)))) if slugs else set()
    unknown = [s for s in slugs if s not in found]
    if unknown:
        raise Invalid(f"Unknown {name}: {', '.join(unknown)}.", field=name)
    return slugs


def _language(value: str) -> str:
    """ "zh", "zh-CN" and "zh_cn" all mean the Chinese that posts are detected in."""
    code = value.replace("-", "_")
    primary = code.split("_", 1)[0].lower()
    for language in LANGUAGES:
        if code.lower() == language.lower() or primary == language.split("_", 1)[0]:
            return language
    raise Invalid(f"Unknown language {value!r}; use {' or '.join(LANGUAGES)}.", field="languages")


def _shift(member_id: int, shift: ShiftInput) -> RotaShift:
    if isinstance(shift.weekday, bool) or not isinstance(shift.weekday, int) or not 0 <= shift.weekday <= 6:
        raise Invalid("A shift's weekday is 0 (Monday) to 6 (Sunday).", field="weekday")
    if not isinstance(shift.start, str) or not TIME_PATTERN.match(shift.start):
        raise Invalid("A shift's start is a time from 00:00 to 23:59.", field="start")
    if not isinstance(shift.end, str) or not END_PATTERN.match(shift.end):
        raise Invalid("A shift's end is a time from 00:01 to 24:00.", field="end")
    if shift.end == shift.start:
        raise Invalid("A shift ends at another time than it starts.", field="end")
    # An end at or before the start runs past midnight into the next day (22:00-06:00).
    timezone = shift.timezone if isinstance(shift.timezone, str) else ""
    try:
        if not timezone or len(timezone) > 64 or "\x00" in timezone:
            raise ValueError
        ZoneInfo(timezone)
    except (ZoneInfoNotFoundError, ValueError):
        raise Invalid(f"Unknown time zone {timezone!r}.", field="timezone") from None
    return RotaShift(
        member_id=member_id, weekday=shift.weekday, start=shift.start, end=shift.end, timezone=timezone
    )
