"""Sign-up, log-in and -out, password resets, and the language switch."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Form, Query, Request, Response
from fastapi.responses import HTMLResponse

from fanloop.api.v1.auth import set_session_cookie
from fanloop.community.members import service as members
from fanloop.core.errors import Conflict, Invalid, RateLimited
from fanloop.deps import SESSION_COOKIE, CurrentMember, SessionDep, SettingsDep, client_key
from fanloop.growth.referrals import COOKIE as REFERRAL_COOKIE
from fanloop.web.deps import LANG_COOKIE, ONE_YEAR, CsrfChecked, PageRoute, redirect, safe_next
from fanloop.web.errors import error_message, form_errors
from fanloop.web.i18n import gettext, normalize_language
from fanloop.web.templating import render

router = APIRouter(route_class=PageRoute)
Field = Annotated[str, Form(max_length=254)]
Secret = Annotated[str, Form(max_length=200)]
Next = Annotated[str, Query(max_length=2000)]


@router.get("/signup", response_class=HTMLResponse)
def signup_form(request: Request, viewer: CurrentMember, next: Next = "/"):  # noqa: A002
    if viewer is not None:
        return redirect(request, safe_next(next))
    return render(request, "auth/signup.html", {"values": {}, "errors": {}, "next": safe_next(next)})


@router.post("/signup", response_class=HTMLResponse)
def sign_up(
    request: Request,
    session: SessionDep,
    settings: SettingsDep,
    _csrf: CsrfChecked,
    handle: Field = "",
    email: Field = "",
    display_name: Field = "",
    password: Secret = "",
    next: Annotated[str, Form(max_length=2000)] = "/",  # noqa: A002
):
    """Create a fan account in the page's language and log it in."""
    try:
        member = members.sign_up(
            session,
            handle=handle,
            email=email,
            password=password,
            display_name=display_name,
            language=request.state.lang,
            client_key=client_key(request),
            settings=settings,
            referral_code=request.cookies.get(REFERRAL_COOKIE),
        )
    except (Invalid, Conflict, RateLimited) as error:
        session.rollback()
        values = {"handle": handle, "email": email, "display_name": display_name}
        context = {"values": values, "errors": form_errors(error), "next": safe_next(next)}
        return render(request, "auth/signup.html", context, status_code=error.status_code)
    response = redirect(request, safe_next(next), flash=gettext("Welcome to the community!"))
    set_session_cookie(response, members.start_session(session, member=member, settings=settings), settings)
    response.delete_cookie(REFERRAL_COOKIE, path="/")  # the referral is recorded; it counts once
    return response


@router.get("/login", response_class=HTMLResponse)
def login_form(request: Request, viewer: CurrentMember, next: Next = "/"):  # noqa: A002
    if viewer is not None:
        return redirect(request, safe_next(next))
    return render(request, "auth/login.html", {"login": "", "errors": {}, "next": safe_next(next)})


@router.post("/login", response_class=HTMLResponse)
def log_in(
    request: Request,
    session: SessionDep,
    settings: SettingsDep,
    _csrf: CsrfChecked,
    login: Field = "",
    password: Secret = "",
    next: Annotated[str, Form(max_length=2000)] = "/",  # noqa: A002
):
    """Log in with handle or e-mail; failed attempts count towards the rate limit."""
    target = safe_next(next)
    try:
        member = members.authenticate(
            session, login=login, password=password, client_key=client_key(request), settings=settings
        )
    except RateLimited as error:
        context = {"login": login, "errors": {"form": error_message(error)}, "next": target}
        return render(request, "auth/login.html", context, status_code=429)
    if member is None:
        message = gettext("Wrong handle, e-mail or password.")
        context = {"login": login, "errors": {"form": message}, "next": target}
        return render(request, "auth/login.html", context, status_code=401)
    response = redirect(request, target)
    set_session_cookie(response, members.start_session(session, member=member, settings=settings), settings)
    return response


@router.post("/logout")
def log_out(request: Request, session: SessionDep, _csrf: CsrfChecked) -> Response:
    token = request.cookies.get(SESSION_COOKIE)
    if token:
        members.end_session(session, token=token)
    response = redirect(request, "/", flash=gettext("You are logged out."), kind="info")
    response.delete_cookie(SESSION_COOKIE, path="/")
    return response


@router.get("/reset", response_class=HTMLResponse)
def reset_form(request: Request, token: Annotated[str, Query(max_length=200)] = ""):
    """Ask for a reset link, or (with ?token= from the link) choose a new password."""
    template = "auth/reset_confirm.html" if token else "auth/reset.html"
    return render(request, template, {"token": token, "errors": {}, "email": ""})


@router.post("/reset", response_class=HTMLResponse)
def request_reset(request: Request, session: SessionDep, _csrf: CsrfChecked, email: Field = ""):
    """Send a reset link; the answer is the same whether or not the address is known."""
    issued = members.request_password_reset(session, email=email)
    if issued is not None:
        member, token = issued
        request.app.state.outbox.password_reset(member=member, token=token)
    message = gettext("If the address belongs to an account, a reset link is on its way.")
    return redirect(request, "/login", flash=message, kind="info")


@router.post("/reset/confirm", response_class=HTMLResponse)
def confirm_reset(
    request: Request,
    session: SessionDep,
    _csrf: CsrfChecked,
    token: Annotated[str, Form(max_length=200)] = "",
    password: Secret = "",
):
    try:
        members.reset_password(session, token=token, new_password=password)
    except Invalid as error:
        session.rollback()
        context = {"token": token, "errors": form_errors(error)}
        return render(request, "auth/reset_confirm.html", context, status_code=422)
    return redirect(request, "/login", flash=gettext("Your password is changed. Log in with the new one."))


@router.post("/lang")
def switch_language(
    request: Request,
    _csrf: CsrfChecked,
    lang: Annotated[str, Form(max_length=10)] = "",
    next: Annotated[str, Form(max_length=2000)] = "/",  # noqa: A002
) -> Response:
    """Remember the chosen language in a cookie and go back to the page (local paths only)."""
    response = redirect(request, safe_next(next))
    code = normalize_language(lang)
    if code:
        response.set_cookie(
            LANG_COOKIE,
            code,
            max_age=ONE_YEAR,
            path="/",
            samesite="lax",
            secure=request.app.state.settings.secure_cookies,
        )
    return response
