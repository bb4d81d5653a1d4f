"""Members and access: sign-up, log-in sessions, password resets, API tokens and roles."""

from __future__ import annotations

import re
from datetime import timedelta

from sqlalchemy import delete, func, or_, select, update
from sqlalchemy.orm import Session

from fanloop.community.members.models import ApiToken, LoginSession, Member, PasswordResetToken
from fanloop.community.posts.models import ModerationAction
from fanloop.core import clock, events, ratelimit
from fanloop.core.config import Settings
from fanloop.core.errors import Conflict, Forbidden, Invalid, NotFound
from fanloop.core.permissions import ROLE_RANK, Action, Role, require
from fanloop.core.security import hash_password, new_token, token_hash, verify_password

HANDLE_PATTERN = re.compile(r"^[a-z0-9_]{3,30}$")
EMAIL_PATTERN = re.compile(r"^[^@\s\x00]+@[^@\s\x00]+\.[^@\s\x00]+$")
MIN_PASSWORD_LENGTH = 8
RESET_TOKEN_HOURS = 2
API_TOKEN_PREFIX = "flt_"


def _validate_password(password: str) -> None:
    if len(password) < MIN_PASSWORD_LENGTH:
        raise Invalid(f"The password must be at least {MIN_PASSWORD_LENGTH} characters.", field="password")
    if len(password) > 200:
        raise Invalid("The password must be at most 200 characters.", field="password")


def sign_up(
    session: Session,
    *,
    handle: str,
    email: str,
    password: str,
    display_name: str = "",
    language: str = "en",
    role: Role = Role.FAN,
    client_key: str | None = None,
    settings: Settings | None = None,
    password_hash: str | None = None,
    referral_code: str | None = None,
) -> Member:
    """Create a member; handles and e-mail addresses are unique, case-insensitively.
    `password_hash` lets bulk creation (demo, imports) hash a shared password once. Publishes
    "member.created" with the `referral_code` the person came with (growth records the origin)."""
    handle, email = handle.strip().lower(), email.strip().lower()
    if not HANDLE_PATTERN.match(handle):
        raise Invalid("A handle is 3-30 characters: lower-case letters, digits and _.", field="handle")
    if not EMAIL_PATTERN.match(email) or len(email) > 254:
        raise Invalid("Enter a valid e-mail address.", field="email")
    _validate_password(password)
    display_name = display_name.replace("\x00", "").strip()[:60] or handle
    if client_key and settings:
        ratelimit.hit(
            session,
            bucket="signup",
            key=client_key,
            limit=settings.signup_rate_limit,
            window_seconds=settings.signup_rate_window,
        )
    if session.scalar(select(Member.id).where(Member.handle == handle)):
        raise Conflict("That handle is taken.", field="handle")
    if session.scalar(select(Member.id).where(Member.email == email)):
        raise Conflict("An account with that e-mail address exists already.", field="email")
    member = Member(
        handle=handle,
        email=email,
        display_name=display_name,
        password_hash=password_hash or hash_password(password),
        role=Role(role).value,
        language=language if language in ("en", "zh_CN") else "en",
        bio="",
        xp=0,
        is_suspended=False,
        created_at=clock.now(),
    )
    session.add(member)
    session.flush()
    events.publish(session, "member.created", member=member, referral_code=referral_code)
    return member


def authenticate(
    session: Session, *, login: str, password: str, client_key: str, settings: Settings
) -> Member | None:
    """The member for these credentials, or None. Failed attempts count towards the log-in limit,
    so the caller must commit even when this returns None."""
    login = login.replace("\x00", "").strip().lower()  # PostgreSQL text cannot hold NUL
    bucket_key = f"{client_key}|{login}"[:100]
    ratelimit.check(
        session,
        bucket="login",
        key=bucket_key,
        limit=settings.login_rate_limit,
        window_seconds=settings.login_rate_window,
    )
    member = session.scalar(select(Member).where((Member.handle == login) | (Member.email == login)))
    if member is None or not verify_password(member.password_hash, password) or member.is_suspended:
        ratelimit.record(session, bucket="login", key=bucket_key)
        return None
    ratelimit.clear(session, bucket="login", key=bucket_key)
    return member


def start_session(session: Session, *, member: Member, settings: Settings) -> str:
    """Open a browser session; returns the cookie value (only its hash is stored)."""
    token = new_token()
    now = clock.now()
    session.add(
        LoginSession(
            token_hash=token_hash(token),
            member_id=member.id,
            created_at=now,
            expires_at=now + timedelta(days=settings.session_days),
        )
    )
    return token


def end_session(session: Session, *, token: str) -> None:
    session.execute(delete(LoginSession).where(LoginSession.token_hash == token_hash(token)))


def member_for_session(session: Session, *, token: str) -> Member | None:
    row = session.execute(
        select(Member, LoginSession.expires_at)
        .join(LoginSession, LoginSession.member_id == Member.id)
        .where(LoginSession.token_hash == token_hash(token))
    ).first()
    if row is None or clock.as_utc(row.expires_at) <= clock.now():
        return None
    return row.Member


def create_api_token(session: Session, *, member: Member, name: str) -> tuple[ApiToken, str]:
    """Issue a token for an integration; the raw value is returned once and never stored."""
    require(member, Action.MANAGE_OWN_TOKENS)
    name = name.replace("\x00", "").strip()
    if not name or len(name) > 80:
        raise Invalid("Give the token a name of 1-80 characters.", field="name")
    raw = new_token(API_TOKEN_PREFIX)
    token = ApiToken(
        member_id=member.id,
        name=name,
        prefix=raw[: len(API_TOKEN_PREFIX) + 6],
        token_hash=token_hash(raw),
        created_at=clock.now(),
    )
    session.add(token)
    session.flush()
    return token, raw


def list_api_tokens(session: Session, *, member: Member) -> list[ApiToken]:
    require(member, Action.MANAGE_OWN_TOKENS)
    return list(
        session.scalars(select(ApiToken).where(ApiToken.member_id == member.id).order_by(ApiToken.id))
    )


def revoke_api_token(session: Session, *, member: Member, token_id: int) -> ApiToken:
    require(member, Action.MANAGE_OWN_TOKENS)
    token = session.get(ApiToken, token_id) if 0 < token_id <= 2**31 - 1 else None
    if token is None or token.member_id != member.id:
        raise NotFound("No such token.")
    if token.revoked_at is None:
        token.revoked_at = clock.now()
    return token


# How often a credential's last use is written down: a read request must stay a read, so the
# stamp is written after the response, and rarely (a write per API call would make every read
# queue for SQLite's one writer).
LAST_USE_EVERY = timedelta(minutes=5)


def member_for_api_token(session: Session, *, raw: str) -> tuple[Member, int | None] | None:
    """The member behind an API token, and the token's id when its last-use stamp is due
    (see record_token_use); None for an unknown or revoked token. Writes nothing."""
    row = session.execute(
        select(Member, ApiToken.id, ApiToken.last_used_at)
        .join(ApiToken, ApiToken.member_id == Member.id)
        .where(ApiToken.token_hash == token_hash(raw), ApiToken.revoked_at.is_(None))
    ).first()
    if row is None:
        return None
    last = row.last_used_at
    due = last is None or clock.now() - clock.as_utc(last) >= LAST_USE_EVERY
    return row.Member, row.id if due else None


def record_token_use(session: Session, *, token_ids: list[int]) -> None:
    """Stamp these tokens' last use, unless another request (or process) did within LAST_USE_EVERY."""
    now = clock.now()
    session.execute(
        update(ApiToken)
        .where(
            ApiToken.id.in_(token_ids),
            or_(ApiToken.last_used_at.is_(None), ApiToken.last_used_at <= now - LAST_USE_EVERY),
        )
        .values(last_used_at=now)
    )


def _issue_reset_token(session: Session, member: Member, *, hours: int = RESET_TOKEN_HOURS) -> str:
    raw = new_token()
    now = clock.now()
    session.add(
        PasswordResetToken(
            member_id=member.id,
            token_hash=token_hash(raw),
            created_at=now,
            expires_at=now + timedelta(hours=hours),
        )
    )
    return raw


def request_password_reset(session: Session, *, email: str) -> tuple[Member, str] | None:
    """A reset token for the account with this address, or None (callers must not reveal which)."""
    email = email.strip().lower()
    member = None if "\x00" in email else session.scalar(select(Member).where(Member.email == email))
    if member is None or member.is_suspended:
        return None
    return member, _issue_reset_token(session, member)


def issue_reset_link(session: Session, *, actor: Member, handle: str) -> str:
    """An admin issues a reset token for a member who cannot receive e-mail."""
    require(actor, Action.ISSUE_RESET_LINK)
    member = get_member(session, handle=handle)
    _audit(session, actor=actor, action="issue_reset_link", target=member)
    return _issue_reset_token(session, member)


def reset_password(session: Session, *, token: str, new_password: str) -> Member:
    """Set a new password with a valid, unused reset token; all of the member's sessions end."""
    _validate_password(new_password)
    reset = session.scalar(
        select(PasswordResetToken).where(PasswordResetToken.token_hash == token_hash(token))
    )
    if reset is None or reset.used_at is not None or clock.as_utc(reset.expires_at) <= clock.now():
        raise Invalid("This reset link is invalid or has expired.", field="token")
    member = session.get(Member, reset.member_id)
    member.password_hash = hash_password(new_password)
    reset.used_at = clock.now()
    session.execute(delete(LoginSession).where(LoginSession.member_id == member.id))
    return member


def get_member(session: Session, *, handle: str) -> Member:
    member = (
        None if "\x00" in handle else session.scalar(select(Member).where(Member.handle == handle.lower()))
    )
    if member is None:
        raise NotFound(f"No member @{handle}.")
    return member


def set_role(session: Session, *, actor: Member, handle: str, role: str) -> Member:
    """Change a member's role; recorded in the audit log."""
    require(actor, Action.MANAGE_ROLES)
    try:
        new_role = Role(role)
    except ValueError:
        raise Invalid(f"Unknown role {role!r}; use one of fan, staff, lead, admin.", field="role") from None
    member = get_member(session, handle=handle)
    if member.id == actor.id and new_role != Role.ADMIN:
        admins = session.scalar(select(func.count()).select_from(Member).where(Member.role == "admin"))
        if admins <= 1:
            raise Conflict("You are the last admin; appoint another before stepping down.")
    _audit(session, actor=actor, action=f"set_role:{new_role.value}", target=member)
    member.role = new_role.value
    return member


def set_suspended(
    session: Session, *, actor: Member, handle: str, suspended: bool, reason: str = ""
) -> Member:
    """Suspend or restore a member; staff cannot suspend their peers or superiors."""
    require(actor, Action.MODERATE)
    member = get_member(session, handle=handle)
    if ROLE_RANK[Role(member.role)] >= ROLE_RANK[Role(actor.role)]:
        raise Forbidden("You can only suspend members with a lower role.")
    member.is_suspended = suspended
    if suspended:
        session.execute(delete(LoginSession).where(LoginSession.member_id == member.id))
    _audit(session, actor=actor, action="suspend" if suspended else "unsuspend", target=member, reason=reason)
    return member


def _audit(session: Session, *, actor: Member, action: str, target: Member, reason: str = "") -> None:
    session.add(
        ModerationAction(
            actor_id=actor.id,
            action=action,
            target_type="member",
            target_id=target.id,
            reason=reason.replace("\x00", ""),
            created_at=clock.now(),
        )
    )


def find_members(session: Session, *, actor: Member, query: str, limit: int = 20) -> list[Member]:
    """Members whose handle, name or e-mail starts with the query (admins, to manage roles)."""
    require(actor, Action.MANAGE_ROLES)
    query = query.strip().lower().lstrip("@")[:100]
    if not query:
        return []
    pattern = query.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"
    return list(
        session.scalars(
            select(Member)
            .where(
                Member.handle.like(pattern, escape="\\")
                | func.lower(Member.display_name).like(pattern, escape="\\")
                | Member.email.like(pattern, escape="\\")
            )
            .order_by(Member.handle)
            .limit(limit)
        )
    )
