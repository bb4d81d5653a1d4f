"""API shapes for members and access."""

from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel, ConfigDict, Field

from fanloop.community.levels.service import level_for


class _Input(BaseModel):
    model_config = ConfigDict(extra="forbid")


class SignUpCreate(_Input):
    handle: str = Field(max_length=30, examples=["li_wei"])
    email: str = Field(max_length=254)
    password: str = Field(max_length=200)
    display_name: str = Field(default="", max_length=60)
    language: str = Field(default="en", pattern="^(en|zh_CN)$")
    referral_code: str | None = Field(
        default=None,
        max_length=24,
        description="The code of the referral link the person came by; an unknown code is ignored.",
    )


class LoginCreate(_Input):
    login: str = Field(max_length=254, description="Handle or e-mail address")
    password: str = Field(max_length=200)


class TokenLoginCreate(LoginCreate):
    name: str = Field(default="api", max_length=80, description="What the token is for")


class PasswordResetRequest(_Input):
    email: str = Field(max_length=254)


class PasswordResetConfirm(_Input):
    token: str = Field(max_length=200)
    password: str = Field(max_length=200)


class RoleUpdate(_Input):
    role: str = Field(pattern="^(fan|staff|lead|admin)$")


class SuspensionUpdate(_Input):
    suspended: bool
    reason: str = Field(default="", max_length=2000)


class ApiTokenCreate(_Input):
    name: str = Field(max_length=80)


class MemberCreate(_Input):
    handle: str = Field(max_length=30, examples=["li_wei"])
    email: str = Field(max_length=254)
    display_name: str = Field(default="", max_length=60)
    role: str = Field(default="fan", pattern="^(fan|staff|lead|admin)$")
    language: str = Field(default="en", pattern="^(en|zh_CN)$")
    password: str | None = Field(default=None, max_length=200, description="Give this, or `invite`.")
    invite: bool = Field(
        default=False, description="Send a one-time link to choose a password instead of giving one."
    )


class MemberBrief(BaseModel):
    handle: str
    display_name: str
    role: str
    level: int
    level_name: str

    @classmethod
    def of(cls, member, language: str = "en") -> MemberBrief:  # noqa: ANN001
        level = level_for(member.xp)
        return cls(
            handle=member.handle,
            display_name=member.display_name,
            role=member.role,
            level=level.number,
            level_name=level.name(language),
        )


class MemberRead(MemberBrief):
    xp: int
    bio: str
    language: str
    created_at: datetime

    @classmethod
    def of(cls, member, language: str = "en") -> MemberRead:  # noqa: ANN001
        brief = MemberBrief.of(member, language)
        return cls(
            **brief.model_dump(),
            xp=member.xp,
            bio=member.bio,
            language=member.language,
            created_at=member.created_at,
        )


class SessionRead(MemberRead):
    csrf_token: str = Field(
        description="Send it as the X-CSRF-Token header with unsafe requests that use the session cookie."
    )


class MemberAccountRead(MemberRead):
    email: str | None = Field(description="Shown to admins only.")
    is_suspended: bool
    invitation_pending: bool = Field(description="Invited and has not chosen a password yet.")


class MemberPage(BaseModel):
    items: list[MemberAccountRead]
    next_cursor: str | None


class InvitationRead(BaseModel):
    emailed: bool = Field(description="True when the link went out by e-mail (SMTP is configured).")
    url: str | None = Field(description="The one-time link, when it was not e-mailed: hand it over.")
    expires_in_hours: int


class MemberCreated(BaseModel):
    member: MemberAccountRead
    invitation: InvitationRead | None


class ApiTokenRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    name: str
    prefix: str
    created_at: datetime
    last_used_at: datetime | None
    revoked_at: datetime | None


class ApiTokenCreated(ApiTokenRead):
    token: str = Field(description="Shown once; store it now.")


class ResetLinkRead(BaseModel):
    url: str
    expires_in_hours: int
