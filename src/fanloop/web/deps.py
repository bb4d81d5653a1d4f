"""Plumbing for HTML pages: what every page needs on ``request.state`` (language, time zone, viewer,
CSRF token, flash messages), the CSRF check for forms, and the route class that writes the cookies.

A page request gets a CSRF token from the ``fanloop_csrf`` cookie, or a new one that
:class:`PageRoute` then sets on the response (double-submit: a form sends the token back and
:func:`verify_csrf` compares it with the cookie). Flash messages live for one redirect in a
short-lived cookie and are shown, escaped, by the next page.
"""

from __future__ import annotations

import base64
import json
import secrets
from collections.abc import AsyncIterator, Callable, Coroutine
from dataclasses import dataclass
from typing import Annotated, Any
from urllib.parse import quote, urlsplit

from fastapi import Depends, Request, Response
from fastapi.responses import RedirectResponse
from fastapi.routing import APIRoute

from fanloop.community.members.models import Member
from fanloop.core.permissions import Role
from fanloop.deps import CSRF_COOKIE, CSRF_HEADER, CurrentMember, SessionDep, check_csrf
from fanloop.service.notify import groups as notification_groups
from fanloop.web.i18n import negotiate_language, use_language

LANG_COOKIE = "lang"
TZ_COOKIE = "tz"
FLASH_COOKIE = "fanloop_flash"
FLASH_KINDS = ("ok", "error", "info")
MAX_FLASH_LENGTH = 500
ONE_YEAR = 365 * 86400


@dataclass(frozen=True, slots=True)
class Viewer:
    """The logged-in member as templates see them: plain values, so a page can still be drawn
    after the request's unit of work was rolled back (error pages)."""

    id: int
    handle: str
    display_name: str
    role: str
    xp: int
    is_suspended: bool = False

    @property
    def is_staff(self) -> bool:
        return self.role != Role.FAN

    @classmethod
    def of(cls, member: Member) -> Viewer:
        return cls(member.id, member.handle, member.display_name, member.role, member.xp, member.is_suspended)


def _secure(request: Request) -> bool:
    return request.app.state.settings.secure_cookies


def is_htmx(request: Request) -> bool:
    return request.headers.get("hx-request") == "true"


def init_page_state(request: Request, member: Member | None = None) -> None:
    """Fill ``request.state`` for templates; cheap and idempotent (error pages call it too)."""
    state = request.state
    if not hasattr(state, "lang"):
        state.lang = negotiate_language(
            request.cookies.get(LANG_COOKIE), request.headers.get("accept-language")
        )
        state.tz = request.cookies.get(TZ_COOKIE) or "UTC"
    if member is not None or not hasattr(state, "member"):
        state.member = Viewer.of(member) if member is not None else None
    if not hasattr(state, "csrf_token"):
        token = request.cookies.get(CSRF_COOKIE)
        state.csrf_is_new = not token
        state.csrf_token = token or secrets.token_urlsafe(32)
    if not hasattr(state, "flashes"):
        state.flashes = [] if is_htmx(request) else read_flashes(request)


def page_state(request: Request, member: CurrentMember, session: SessionDep) -> None:
    """Router-wide dependency of the pages; also counts the viewer's unread notifications for the bell:
    groups (30 escalations on one post are one thing to look at), as the notifications page lists them."""
    init_page_state(request, member)
    if member is not None and not is_htmx(request):
        request.state.unread_notifications = notification_groups.unread_group_count(
            session, member_id=member.id, cap=100
        )


async def verify_csrf(request: Request) -> None:
    """Every state-changing page request carries the CSRF token (form field or htmx header)."""
    submitted = request.headers.get(CSRF_HEADER)
    if not submitted and "form" in request.headers.get("content-type", ""):
        value = (await request.form()).get("csrf_token")
        submitted = value if isinstance(value, str) else None
    check_csrf(request, submitted)


CsrfChecked = Annotated[None, Depends(verify_csrf)]


def finish_page_response(request: Request, response: Response) -> Response:
    """Write the cookies the request's state asks for: a new CSRF token, a consumed flash."""
    state = request.state
    if getattr(state, "csrf_is_new", False):
        response.set_cookie(
            CSRF_COOKIE,
            state.csrf_token,
            max_age=ONE_YEAR,
            path="/",
            samesite="lax",
            httponly=True,
            secure=_secure(request),
        )
        state.csrf_is_new = False
    is_redirect = 300 <= response.status_code < 400
    if getattr(state, "flashes_read", False) and not is_redirect:
        response.delete_cookie(FLASH_COOKIE, path="/")
    return response


class PageRoute(APIRoute):
    """An APIRoute whose responses get the cookies of :func:`finish_page_response`."""

    def get_route_handler(self) -> Callable[[Request], Coroutine[Any, Any, Response]]:
        handler = super().get_route_handler()

        async def page_handler(request: Request) -> Response:
            return finish_page_response(request, await handler(request))

        return page_handler


# --------------------------------------------------------------------------- flash messages


def read_flashes(request: Request) -> list[tuple[str, str]]:
    raw = request.cookies.get(FLASH_COOKIE)
    if not raw:
        return []
    request.state.flashes_read = True
    try:
        items = json.loads(base64.urlsafe_b64decode(raw + "=" * (-len(raw) % 4)))
        return [
            (kind, text[:MAX_FLASH_LENGTH])
            for kind, text in items[:3]
            if kind in FLASH_KINDS and isinstance(text, str)
        ]
    except (ValueError, TypeError):
        return []


def set_flash(request: Request, response: Response, text: str, kind: str = "ok") -> None:
    """Show ``text`` on the next page the browser loads (the template escapes it)."""
    payload = json.dumps([[kind, text[:MAX_FLASH_LENGTH]]], ensure_ascii=False).encode()
    value = base64.urlsafe_b64encode(payload).decode().rstrip("=")
    response.set_cookie(
        FLASH_COOKIE, value, max_age=60, path="/", samesite="lax", httponly=True, secure=_secure(request)
    )


# --------------------------------------------------------------------------- redirects


def safe_next(value: str | None, default: str = "/") -> str:
    """A local path to go back to; anything pointing off-site falls back to ``default``."""
    if not value or len(value) > 2000 or "\\" in value or any(ord(ch) < 32 for ch in value):
        return default
    parts = urlsplit(value)
    if parts.scheme or parts.netloc or not value.startswith("/") or value.startswith("//"):
        return default
    return value


def redirect(
    request: Request, url: str, *, flash: str | None = None, kind: str = "ok", status_code: int = 303
) -> Response:
    """Redirect after a form; for htmx requests an HX-Redirect so the whole page navigates."""
    if is_htmx(request):
        response: Response = Response(status_code=204, headers={"HX-Redirect": url})
    else:
        response = RedirectResponse(url, status_code=status_code)
    if flash:
        set_flash(request, response, flash, kind)
    return response


def login_url(next_path: str) -> str:
    return f"/login?next={quote(safe_next(next_path), safe='/')}"


def current_path(request: Request) -> str:
    query = request.url.query
    return request.url.path + (f"?{query}" if query else "")


def back_path(request: Request, default: str = "/") -> str:
    """The local page a form was posted from (its Referer), for redirects after small actions."""
    referer = request.headers.get("referer")
    if not referer:
        return default
    parts = urlsplit(referer)
    if parts.netloc and parts.netloc != request.url.netloc:
        return default
    return safe_next(parts.path + (f"?{parts.query}" if parts.query else ""), default)


async def page_language(request: Request) -> AsyncIterator[None]:
    """A page router's dependency: messages its handlers write (flashes, notices, refusals) come
    out in the viewer's language."""
    with use_language(
        negotiate_language(request.cookies.get(LANG_COOKIE), request.headers.get("accept-language"))
    ):
        yield
