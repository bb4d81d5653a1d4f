"""Sign-up, log-in/out, password resets and API tokens."""

from __future__ import annotations

import secrets

from fastapi import APIRouter, Request, Response, status
from sqlalchemy.orm import Session

from fanloop.community.members import service as members
from fanloop.community.members.models import Member
from fanloop.community.members.schemas import (
    ApiTokenCreate,
    ApiTokenCreated,
    ApiTokenRead,
    LoginCreate,
    MemberRead,
    PasswordResetConfirm,
    PasswordResetRequest,
    SessionRead,
    SignUpCreate,
    TokenLoginCreate,
)
from fanloop.core.config import Settings
from fanloop.core.errors import NotAuthenticated
from fanloop.deps import CSRF_COOKIE, SESSION_COOKIE, RequiredMember, SessionDep, SettingsDep, client_key
from fanloop.growth.referrals import COOKIE as REFERRAL_COOKIE

router = APIRouter(tags=["auth"])
CSRF_COOKIE_SECONDS = 365 * 86400


def set_session_cookie(response: Response, token: str, settings) -> None:  # noqa: ANN001
    response.set_cookie(
        SESSION_COOKIE,
        token,
        max_age=settings.session_days * 86400,
        httponly=True,
        samesite="lax",
        secure=settings.secure_cookies,
        path="/",
    )


def set_csrf_cookie(request: Request, response: Response, settings: Settings) -> str:
    """Give the client the CSRF cookie the pages would (keeping one it has, so open pages' forms
    still work) and return its value: an API client sends it back as the X-CSRF-Token header."""
    token = request.cookies.get(CSRF_COOKIE) or secrets.token_urlsafe(32)
    response.set_cookie(
        CSRF_COOKIE,
        token,
        max_age=CSRF_COOKIE_SECONDS,
        httponly=True,
        samesite="lax",
        secure=settings.secure_cookies,
        path="/",
    )
    return token


def _logged_in(
    request: Request, response: Response, session: Session, settings: Settings, member: Member
) -> SessionRead:
    set_session_cookie(response, members.start_session(session, member=member, settings=settings), settings)
    return SessionRead(
        **MemberRead.of(member).model_dump(), csrf_token=set_csrf_cookie(request, response, settings)
    )


def _authenticated(
    request: Request, session: Session, settings: Settings, *, login: str, password: str
) -> Member:
    member = members.authenticate(
        session, login=login, password=password, client_key=client_key(request), settings=settings
    )
    if member is None:
        session.commit()  # keep the failed attempt: it counts towards the rate limit
        raise NotAuthenticated("Wrong handle, e-mail or password.")
    return member


@router.post("/auth/signup", status_code=status.HTTP_201_CREATED, response_model=SessionRead)
def sign_up(
    body: SignUpCreate, request: Request, response: Response, session: SessionDep, settings: SettingsDep
):
    """Create a fan account and log it in: sets the session and CSRF cookies and returns the member
    with `csrf_token`, to send as X-CSRF-Token with unsafe requests."""
    member = members.sign_up(
        session,
        handle=body.handle,
        email=body.email,
        password=body.password,
        display_name=body.display_name,
        language=body.language,
        client_key=client_key(request),
        settings=settings,
        referral_code=body.referral_code or request.cookies.get(REFERRAL_COOKIE),
    )
    return _logged_in(request, response, session, settings, member)


@router.post("/auth/login", response_model=SessionRead)
def log_in(
    body: LoginCreate, request: Request, response: Response, session: SessionDep, settings: SettingsDep
):
    """Log in with handle or e-mail and password: sets the session and CSRF cookies and returns the
    member with `csrf_token`, to send as X-CSRF-Token with unsafe requests. Rate-limited."""
    member = _authenticated(request, session, settings, login=body.login, password=body.password)
    return _logged_in(request, response, session, settings, member)


@router.post("/auth/token", status_code=status.HTTP_201_CREATED, response_model=ApiTokenCreated)
def log_in_for_token(body: TokenLoginCreate, request: Request, session: SessionDep, settings: SettingsDep):
    """Log in with handle or e-mail and password and get a new API token instead of a session: the
    token is in this answer only. Rate-limited like log-in, with the same errors."""
    member = _authenticated(request, session, settings, login=body.login, password=body.password)
    token, raw = members.create_api_token(session, member=member, name=body.name)
    return ApiTokenCreated(**ApiTokenRead.model_validate(token).model_dump(), token=raw)


@router.post("/auth/logout", status_code=status.HTTP_204_NO_CONTENT)
def log_out(request: Request, session: SessionDep) -> Response:
    """End the browser session."""
    token = request.cookies.get(SESSION_COOKIE)
    if token:
        members.end_session(session, token=token)
    response = Response(status_code=status.HTTP_204_NO_CONTENT)
    response.delete_cookie(SESSION_COOKIE, path="/")
    return response


@router.post("/auth/password-reset", status_code=status.HTTP_202_ACCEPTED)
def request_password_reset(body: PasswordResetRequest, request: Request, session: SessionDep) -> dict:
    """Ask for a reset link. The answer is the same whether or not the address is known."""
    issued = members.request_password_reset(session, email=body.email)
    if issued is not None:
        member, token = issued
        request.app.state.outbox.password_reset(member=member, token=token)
    return {"detail": "If the address belongs to an account, a reset link is on its way."}


@router.post("/auth/password-reset/confirm", response_model=MemberRead)
def confirm_password_reset(body: PasswordResetConfirm, session: SessionDep):
    """Set a new password with the token from the reset link; logs out every session."""
    return MemberRead.of(members.reset_password(session, token=body.token, new_password=body.password))


@router.get("/me", response_model=MemberRead)
def me(member: RequiredMember):
    """The member making the request."""
    return MemberRead.of(member)


@router.get("/me/tokens", response_model=list[ApiTokenRead])
def list_tokens(member: RequiredMember, session: SessionDep):
    return members.list_api_tokens(session, member=member)


@router.post("/me/tokens", status_code=status.HTTP_201_CREATED, response_model=ApiTokenCreated)
def create_token(body: ApiTokenCreate, member: RequiredMember, session: SessionDep):
    """Issue an API token for an integration. The token is in this answer only."""
    token, raw = members.create_api_token(session, member=member, name=body.name)
    return ApiTokenCreated(**ApiTokenRead.model_validate(token).model_dump(), token=raw)


@router.delete("/me/tokens/{token_id}", response_model=ApiTokenRead)
def revoke_token(token_id: int, member: RequiredMember, session: SessionDep):
    """Revoke a token; requests with it fail from now on."""
    return members.revoke_api_token(session, member=member, token_id=token_id)
