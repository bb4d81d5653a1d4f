"""Members, profiles, roles and the leaderboard."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, Request, status
from pydantic import BaseModel

from fanloop.community.levels import service as levels
from fanloop.community.members import accounts
from fanloop.community.members import service as members
from fanloop.community.members.models import Member
from fanloop.community.members.schemas import (
    InvitationRead,
    MemberAccountRead,
    MemberBrief,
    MemberCreate,
    MemberCreated,
    MemberPage,
    MemberRead,
    ResetLinkRead,
    RoleUpdate,
    SuspensionUpdate,
)
from fanloop.community.posts import service as posts
from fanloop.community.posts.schemas import PostRead
from fanloop.deps import RequiredMember, SessionDep, SettingsDep

router = APIRouter(tags=["members"])


class LevelRead(BaseModel):
    number: int
    name_en: str
    name_zh: str
    min_xp: int


class ProfileRead(BaseModel):
    member: MemberRead
    level: LevelRead
    next_level: LevelRead | None
    progress: float
    contributions: dict[str, int]
    shipped: list[PostRead]


class LeaderboardEntry(BaseModel):
    rank: int
    member: MemberBrief
    xp: int


def _level(level) -> LevelRead | None:  # noqa: ANN001
    return (
        None
        if level is None
        else LevelRead(number=level.number, name_en=level.name_en, name_zh=level.name_zh, min_xp=level.min_xp)
    )


@router.get("/levels", response_model=list[LevelRead])
def list_levels():
    """The named fan levels and the experience each needs."""
    return [_level(level) for level in levels.LEVELS]


def _account(member: Member, *, viewer: Member) -> MemberAccountRead:
    return MemberAccountRead(
        **MemberRead.of(member).model_dump(),
        email=member.email if accounts.sees_emails(viewer) else None,
        is_suspended=member.is_suspended,
        invitation_pending=accounts.invitation_pending(member),
    )


@router.get("/members", response_model=MemberPage)
def list_members(
    actor: RequiredMember,
    session: SessionDep,
    role: Annotated[str | None, Query(pattern="^(fan|staff|lead|admin)$")] = None,
    cursor: Annotated[str | None, Query(max_length=20)] = None,
    limit: Annotated[int, Query(ge=1, le=accounts.MAX_PAGE)] = 50,
):
    """Members, newest first, optionally of one role (lead+; e-mail addresses for admins only).
    Pass `next_cursor` as `cursor` for the next page."""
    items, next_cursor = accounts.list_members(session, actor=actor, role=role, cursor=cursor, limit=limit)
    return MemberPage(items=[_account(m, viewer=actor) for m in items], next_cursor=next_cursor)


@router.post("/members", status_code=status.HTTP_201_CREATED, response_model=MemberCreated)
def create_member(
    body: MemberCreate, request: Request, actor: RequiredMember, session: SessionDep, settings: SettingsDep
):
    """Create a member (admin) with a password, or with `invite` a one-time link to choose one: it is
    e-mailed when SMTP is configured, else it is in this answer to hand over. Either way the member
    sets the password through the reset page or `POST /auth/password-reset/confirm`."""
    member, token = accounts.create_member(
        session,
        actor=actor,
        handle=body.handle,
        email=body.email,
        display_name=body.display_name,
        role=body.role,
        language=body.language,
        password=body.password,
        invite=body.invite,
    )
    invitation = None
    if token is not None:
        emailed = settings.smtp_configured
        if emailed:
            request.app.state.outbox.invitation(
                member=member, token=token, invited_by=actor, valid_hours=accounts.INVITATION_HOURS
            )
        invitation = InvitationRead(
            emailed=emailed,
            url=None if emailed else f"{settings.base_url.rstrip('/')}/reset?token={token}",
            expires_in_hours=accounts.INVITATION_HOURS,
        )
    return MemberCreated(member=_account(member, viewer=actor), invitation=invitation)


@router.get("/members/{handle}", response_model=ProfileRead)
def profile(handle: str, session: SessionDep):
    """A member's profile: level, contributions and what of theirs shipped."""
    member = members.get_member(session, handle=handle)
    return ProfileRead(
        member=MemberRead.of(member),
        level=_level(levels.level_for(member.xp)),
        next_level=_level(levels.next_level(member.xp)),
        progress=levels.level_progress(member.xp),
        contributions=levels.contributions(session, member_id=member.id),
        shipped=[PostRead.of(p) for p in posts.shipped_posts_of(session, member_id=member.id)],
    )


@router.get("/leaderboard", response_model=list[LeaderboardEntry])
def leaderboard(session: SessionDep, limit: int = 50):
    """Fans ranked by experience."""
    ranked = levels.leaderboard(session, limit=max(1, min(limit, 200)))
    return [LeaderboardEntry(rank=i, member=MemberBrief.of(m), xp=m.xp) for i, m in enumerate(ranked, 1)]


@router.put("/members/{handle}/role", response_model=MemberRead)
def set_role(handle: str, body: RoleUpdate, actor: RequiredMember, session: SessionDep):
    """Change a member's role (admin)."""
    return MemberRead.of(members.set_role(session, actor=actor, handle=handle, role=body.role))


@router.put("/members/{handle}/suspension", response_model=MemberRead)
def set_suspension(handle: str, body: SuspensionUpdate, actor: RequiredMember, session: SessionDep):
    """Suspend or restore a member (staff, for members below them)."""
    member = members.set_suspended(
        session, actor=actor, handle=handle, suspended=body.suspended, reason=body.reason
    )
    return MemberRead.of(member)


@router.post("/members/{handle}/reset-link", response_model=ResetLinkRead)
def reset_link(handle: str, actor: RequiredMember, session: SessionDep, settings: SettingsDep):
    """Issue a password-reset link for a member (admin), to hand over out of band."""
    token = members.issue_reset_link(session, actor=actor, handle=handle)
    return ResetLinkRead(
        url=f"{settings.base_url.rstrip('/')}/reset?token={token}", expires_in_hours=members.RESET_TOKEN_HOURS
    )
