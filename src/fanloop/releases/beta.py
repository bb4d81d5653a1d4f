"""The beta group: a limited number of seats, filled by invitation (staff ask a member, who
accepts) or by contribution (a fan whose experience reaches the lead's threshold joins at will).
Beta members see releases before they are published, their four-box reports are marked, and those
who discussed an item's posts before its release are credited as its testers."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from fanloop.community.members import service as members
from fanloop.community.members.models import Member
from fanloop.core import clock
from fanloop.core.errors import Conflict, Invalid, NotFound
from fanloop.core.permissions import Action, require
from fanloop.releases.models import BetaMember, BetaSettings
from fanloop.service.notify import service as notify

MAX_SEATS = 100_000


def get_settings(session: Session, *, for_update: bool = False) -> BetaSettings:
    """The group's rules. `for_update` locks the row (PostgreSQL), so two joins at once cannot
    both take the last seat; SQLite's single writer gives the same."""
    query = select(BetaSettings).where(BetaSettings.id == 1)
    if for_update and session.get_bind().dialect.name == "postgresql":
        query = query.with_for_update()
    settings = session.scalar(query)
    if settings is None:
        settings = BetaSettings(id=1, seats=100, score_threshold=None, updated_at=clock.now())
        if for_update:  # only a write stores the defaults: two first page views must not both insert
            session.add(settings)
            session.flush()
    return settings


def update_settings(
    session: Session,
    *,
    actor: Member,
    seats: int | None = None,
    score_threshold: int | None = None,
    clear_threshold: bool = False,
) -> BetaSettings:
    """Set the seats and the score from which fans may join (leads); `clear_threshold` makes it
    invitation only. Seats already taken are kept even if there are now fewer seats."""
    require(actor, Action.MANAGE_BETA)
    settings = get_settings(session, for_update=True)
    if seats is not None:
        if not 0 <= seats <= MAX_SEATS:
            raise Invalid(f"Seats are 0 to {MAX_SEATS}.", field="seats")
        settings.seats = seats
    if clear_threshold:
        settings.score_threshold = None
    elif score_threshold is not None:
        if score_threshold < 0:
            raise Invalid("The score threshold is 0 or more experience points.", field="score_threshold")
        settings.score_threshold = score_threshold
    settings.updated_at = clock.now()
    return settings


def seats_taken(session: Session) -> int:
    """Members and pending invitations: an invitation holds its seat."""
    return session.scalar(select(func.count()).select_from(BetaMember))


def is_member(session: Session, member_id: int | None) -> bool:
    if member_id is None:
        return False
    row = session.get(BetaMember, member_id)
    return row is not None and row.accepted_at is not None


def member_ids(session: Session, *, among: list[int] | None = None) -> set[int]:
    """The accepted members (of `among`, if given)."""
    query = select(BetaMember.member_id).where(BetaMember.accepted_at.is_not(None))
    if among is not None:
        found: set[int] = set()
        for start in range(0, len(among), 500):
            found |= set(session.scalars(query.where(BetaMember.member_id.in_(among[start : start + 500]))))
        return found
    return set(session.scalars(query))


@dataclass(frozen=True)
class BetaStatus:
    """Where a member stands: `none`, `invited` or `member`; whether they may join by score."""

    state: str
    may_join: bool
    seats: int
    seats_left: int
    score_threshold: int | None


def status_of(session: Session, member: Member | None) -> BetaStatus:
    settings = get_settings(session)
    left = max(0, settings.seats - seats_taken(session))
    row = session.get(BetaMember, member.id) if member is not None else None
    state = "none" if row is None else ("member" if row.accepted_at else "invited")
    may_join = (
        member is not None
        and state == "none"
        and member.role == "fan"
        and settings.score_threshold is not None
        and member.xp >= settings.score_threshold
        and left > 0
    )
    return BetaStatus(state, may_join, settings.seats, left, settings.score_threshold)


def _take_seat(session: Session) -> None:
    settings = get_settings(session, for_update=True)
    if seats_taken(session) >= settings.seats:
        raise Conflict("The beta group is full.")


def invite(session: Session, *, actor: Member, handle: str) -> BetaMember:
    """Invite a member (leads); they are told, and join when they accept."""
    require(actor, Action.MANAGE_BETA)
    member = members.get_member(session, handle=handle)
    if session.get(BetaMember, member.id) is not None:
        raise Conflict(f"{member.handle} is already invited or in the beta group.")
    _take_seat(session)
    row = BetaMember(member_id=member.id, via="invitation", invited_by_id=actor.id, created_at=clock.now())
    session.add(row)
    session.flush()
    notify.notify(
        session,
        member_id=member.id,
        kind="beta_invitation",
        title="beta",
        url="/beta",
        dedupe_key=f"beta:invite:{member.id}:{row.created_at.timestamp():.0f}",
    )
    return row


def accept(session: Session, *, member: Member) -> BetaMember:
    """Accept an invitation."""
    row = session.get(BetaMember, member.id)
    if row is None:
        raise NotFound("You have no invitation to the beta group.")
    if row.accepted_at is None:
        row.accepted_at = clock.now()
    return row


def join(session: Session, *, member: Member) -> BetaMember:
    """Join by contribution: a fan whose experience reaches the lead's threshold, while seats last."""
    require(member, Action.VOTE)
    if member.role != "fan":
        raise Conflict("Joining by contribution is for fans; staff are invited.")
    if session.get(BetaMember, member.id) is not None:
        raise Conflict("You are already invited or in the beta group.")
    settings = get_settings(session, for_update=True)
    if settings.score_threshold is None:
        raise Conflict("The beta group is by invitation only.")
    if member.xp < settings.score_threshold:
        raise Conflict(
            f"The beta group opens at {settings.score_threshold} experience points; you have {member.xp}."
        )
    _take_seat(session)
    now = clock.now()
    row = BetaMember(member_id=member.id, via="score", invited_by_id=None, created_at=now, accepted_at=now)
    session.add(row)
    session.flush()
    return row


def leave(session: Session, *, member: Member) -> None:
    """Leave the group, or decline an invitation: the seat is free again."""
    row = session.get(BetaMember, member.id)
    if row is None:
        raise NotFound("You are not in the beta group.")
    session.delete(row)


def remove(session: Session, *, actor: Member, handle: str) -> None:
    """Take a member out of the group, or withdraw an invitation (leads)."""
    require(actor, Action.MANAGE_BETA)
    member = members.get_member(session, handle=handle)
    row = session.get(BetaMember, member.id)
    if row is None:
        raise NotFound(f"{member.handle} is not in the beta group.")
    session.delete(row)


@dataclass(frozen=True)
class Seat:
    member: Member
    via: str
    invited_by: str | None
    created_at: object
    accepted_at: object


def seats(session: Session, *, actor: Member) -> list[Seat]:
    """Everyone in the group or invited, newest first (leads)."""
    require(actor, Action.MANAGE_BETA)
    inviter = Member.__table__.alias("inviter")
    rows = session.execute(
        select(BetaMember, Member, inviter.c.handle)
        .join(Member, Member.id == BetaMember.member_id)
        .outerjoin(inviter, inviter.c.id == BetaMember.invited_by_id)
        .order_by(BetaMember.created_at.desc(), BetaMember.member_id)
    ).all()
    return [Seat(member, row.via, handle, row.created_at, row.accepted_at) for row, member, handle in rows]
