"""Accounts an admin makes: members created with a password or invited by a one-time link to choose
one, and the member list that leads and admins work from."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from fanloop.community.members.models import Member
from fanloop.community.members.service import _audit, _issue_reset_token, sign_up
from fanloop.core.errors import Invalid
from fanloop.core.permissions import Action, Role, can, require
from fanloop.core.security import new_token

# No password verifies against this (it is no Argon2 hash): the member logs in once they have
# chosen one through the invitation, which is a password-reset token that lives longer.
INVITED_PASSWORD = "!invited"
INVITATION_HOURS = 72
MAX_PAGE = 100


def create_member(
    session: Session,
    *,
    actor: Member,
    handle: str,
    email: str,
    display_name: str = "",
    role: str = "fan",
    language: str = "en",
    password: str | None = None,
    invite: bool = False,
) -> tuple[Member, str | None]:
    """An admin creates a member with a password, or invites them: then the raw one-time token of
    the invitation link comes back too. Recorded in the audit log."""
    require(actor, Action.CREATE_MEMBERS)
    try:
        new_role = Role(role)
    except ValueError:
        raise Invalid(f"Unknown role {role!r}; use one of fan, staff, lead, admin.", field="role") from None
    if invite and password is not None:
        raise Invalid("Give a password or send an invitation, not both.", field="invite")
    if not invite and password is None:
        raise Invalid("Give a password, or set invite to send a link to choose one.", field="password")
    member = sign_up(
        session,
        handle=handle,
        email=email,
        # An invited member's password is unknown to all: a random one passes the length check
        # and the stored hash is a marker no password matches.
        password=password if password is not None else new_token(),
        password_hash=INVITED_PASSWORD if invite else None,
        display_name=display_name,
        language=language,
        role=new_role,
    )
    kind = "invite_member" if invite else "create_member"
    _audit(session, actor=actor, action=f"{kind}:{new_role.value}", target=member)
    token = _issue_reset_token(session, member, hours=INVITATION_HOURS) if invite else None
    return member, token


def invitation_pending(member: Member) -> bool:
    """Invited, and no password chosen yet."""
    return member.password_hash == INVITED_PASSWORD


def sees_emails(actor: Member) -> bool:
    """Only admins see members' e-mail addresses in the list."""
    return can(actor, Action.CREATE_MEMBERS)


def list_members(
    session: Session, *, actor: Member, role: str | None = None, cursor: str | None = None, limit: int = 50
) -> tuple[list[Member], str | None]:
    """Members, newest first, optionally of one role; and the cursor of the next page (None at the end)."""
    require(actor, Action.LIST_MEMBERS)
    size = max(1, min(limit, MAX_PAGE))
    query = select(Member).order_by(Member.id.desc()).limit(size + 1)
    if role is not None:
        try:
            query = query.where(Member.role == Role(role).value)
        except ValueError:
            raise Invalid(
                f"Unknown role {role!r}; use one of fan, staff, lead, admin.", field="role"
            ) from None
    if cursor is not None:
        query = query.where(Member.id < _before_id(cursor))
    rows = list(session.scalars(query))
    page = rows[:size]
    return page, (str(page[-1].id) if len(rows) > size else None)


def _before_id(cursor: str) -> int:
    # A cursor is the id of the last member of the previous page; clients treat it as opaque.
    if not (len(cursor) <= 10 and cursor.isascii() and cursor.isdigit()) or not 0 < int(cursor) < 2**31:
        raise Invalid("This cursor is not one the list gave out.", field="cursor")
    return int(cursor)
