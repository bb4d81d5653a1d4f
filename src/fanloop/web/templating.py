"""Jinja2 environment, template filters and the ``render`` helper for HTML pages.

Page handlers call :func:`render`; it reads ``request.state.lang``,
``request.state.tz``, ``request.state.member`` and ``request.state.csrf_token``
(set by the web middleware) and exposes them to the template together with
``static_url``.  Translations use ``{{ _("...") }}`` / ``{% trans %}`` with the
new-style gettext of :mod:`jinja2.ext.i18n` (``_("%(n)s posts", n=3)``).
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from contextvars import ContextVar
from datetime import UTC, date, datetime, timedelta, tzinfo
from functools import lru_cache
from importlib import metadata
from pathlib import Path
from typing import Any
from urllib.parse import quote
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from babel.dates import format_date, format_datetime, format_timedelta
from babel.numbers import format_decimal
from jinja2 import Environment, FileSystemLoader, select_autoescape
from starlette.requests import Request
from starlette.responses import HTMLResponse

from fanloop.web import i18n
from fanloop.web.i18n import SUPPORTED_LANGUAGES, current_language

__all__ = [
    "STATIC_DIR",
    "TEMPLATES_DIR",
    "current_csrf_token",
    "current_timezone",
    "env",
    "filter_isodate",
    "filter_localtime",
    "filter_number",
    "filter_timeago",
    "get_zone",
    "render",
    "render_template",
    "static_url",
    "use_timezone",
]

WEB_DIR = Path(__file__).resolve().parent
TEMPLATES_DIR = WEB_DIR / "templates"
STATIC_DIR = WEB_DIR / "static"
STATIC_PREFIX = "/static/"

#: IANA time-zone name of the viewer (from the ``tz`` cookie); invalid names mean UTC.
current_timezone: ContextVar[str] = ContextVar("fanloop_current_timezone", default="UTC")

#: CSRF token of the current request, readable from macros imported without context.
_current_csrf_token: ContextVar[str] = ContextVar("fanloop_current_csrf_token", default="")

_TZ_NAME_RE = re.compile(r"^[A-Za-z0-9_+\-]+(?:/[A-Za-z0-9_+\-]+)*$")


# --------------------------------------------------------------------------- time zones


@lru_cache(maxsize=512)
def _zone(name: str) -> tzinfo:
    if not name or len(name) > 64 or not _TZ_NAME_RE.match(name):
        return UTC
    if name.upper() in {"UTC", "Z", "ETC/UTC", "GMT"}:
        return UTC
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError, OSError):
        return UTC


def get_zone(name: str | None = None) -> tzinfo:
    """Time zone ``name`` (default: :data:`current_timezone`); UTC if unknown/invalid."""
    return _zone(current_timezone.get() if name is None else name)


@contextmanager
def use_timezone(name: str) -> Iterator[tzinfo]:
    """Temporarily set :data:`current_timezone` (e.g. in tests or e-mail rendering)."""
    token = current_timezone.set(name)
    try:
        yield get_zone()
    finally:
        current_timezone.reset(token)


def _as_utc(dt: datetime) -> datetime:
    """Aware datetimes are converted to UTC; naive ones are taken to be UTC already."""
    if dt.tzinfo is None or dt.tzinfo.utcoffset(dt) is None:
        return dt.replace(tzinfo=UTC)
    return dt.astimezone(UTC)


def _locale() -> Any:
    return i18n.get_locale(current_language.get())


# --------------------------------------------------------------------------- filters


def filter_localtime(dt: datetime | date | None, fmt: str = "medium") -> str:
    """Format ``dt`` in the viewer's time zone and language.

    ``fmt`` is a babel width (``short``, ``medium``, ``long``, ``full``) or a CLDR
    pattern such as ``"yyyy-MM-dd HH:mm"``.  Plain ``date`` objects are formatted
    as dates.  ``None`` gives an empty string.
    """
    if dt is None or dt == "":
        return ""
    if isinstance(dt, datetime):
        return format_datetime(_as_utc(dt), format=fmt, tzinfo=get_zone(), locale=_locale())
    if isinstance(dt, date):
        return format_date(dt, format=fmt, locale=_locale())
    return str(dt)


def filter_timeago(dt: datetime | None, now: datetime | None = None) -> str:
    """Relative time such as "3 minutes ago" / "3分钟前" (or "in 2 days" for the future).

    ``now`` defaults to ``datetime.now(UTC)``; pass it for stable output in tests
    or to use one reference time across a page.  Under 45 seconds gives "just now".
    """
    if dt is None or dt == "":
        return ""
    reference = _as_utc(now) if now is not None else datetime.now(UTC)
    delta = _as_utc(dt) - reference
    if abs(delta) < timedelta(seconds=45):
        return i18n.gettext("just now")
    return format_timedelta(delta, add_direction=True, threshold=0.9, locale=_locale())


def filter_isodate(dt: datetime | date | None) -> str:
    """ISO-8601 in UTC with ``Z`` (``2024-05-01T08:30:00Z``) for ``<time datetime>``."""
    if dt is None or dt == "":
        return ""
    if isinstance(dt, datetime):
        return _as_utc(dt).replace(microsecond=0).isoformat().replace("+00:00", "Z")
    if isinstance(dt, date):
        return dt.isoformat()
    return str(dt)


def filter_number(value: int | float | None) -> str:
    """Locale-aware number (``12,345`` / ``12,345``); empty for ``None``."""
    if value is None or value == "":
        return ""
    return format_decimal(value, locale=_locale())


# --------------------------------------------------------------------------- static files


@lru_cache(maxsize=1)
def _package_version() -> str:
    try:
        return metadata.version("fanloop")
    except metadata.PackageNotFoundError:
        return "dev"


def static_url(path: str) -> str:
    """URL of a file under ``fanloop/web/static`` with a cache-busting ``v`` parameter.

    ``static_url("css/app.css")`` -> ``/static/css/app.css?v=3f2a9c1b0d``.  The
    version is a short hash of the file's modification time and size, so it
    changes whenever the file does; if the file cannot be found the package
    version is used.
    """
    clean = path.lstrip("/")
    if clean.startswith("static/"):
        clean = clean[len("static/") :]
    try:
        candidate = (STATIC_DIR / clean).resolve()
        candidate.relative_to(STATIC_DIR)
        stat = candidate.stat()
        version = hashlib.sha256(f"{stat.st_mtime_ns}:{stat.st_size}".encode()).hexdigest()[:10]
    except (OSError, ValueError):
        version = _package_version()
    return f"{STATIC_PREFIX}{quote(clean)}?v={quote(version)}"


def current_csrf_token() -> str:
    """CSRF token of the request being rendered (used by the ``csrf_field`` macro)."""
    return _current_csrf_token.get()


# --------------------------------------------------------------------------- environment


def _build_environment() -> Environment:
    environment = Environment(
        loader=FileSystemLoader(str(TEMPLATES_DIR)),
        autoescape=select_autoescape(enabled_extensions=("html", "htm", "xml"), default_for_string=True),
        extensions=["jinja2.ext.i18n"],
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
    )
    environment.install_gettext_callables(  # type: ignore[attr-defined]
        i18n.gettext,
        i18n.ngettext,
        newstyle=True,
        pgettext=i18n.pgettext,
        npgettext=i18n.npgettext,
    )
    environment.filters.update(
        localtime=filter_localtime,
        timeago=filter_timeago,
        isodate=filter_isodate,
        number=filter_number,
    )
    environment.globals.update(
        static_url=static_url,
        current_csrf_token=current_csrf_token,
        languages=SUPPORTED_LANGUAGES,
        html_lang=i18n.html_lang,
    )
    return environment


#: The one Jinja2 environment used for all HTML pages and fragments.
env: Environment = _build_environment()


def _state(request: Request, name: str, default: Any = None) -> Any:
    return getattr(request.state, name, default)


def render_template(template_name: str, context: Mapping[str, Any] | None = None) -> str:
    """Render a template to a string with the *current* context variables
    (language, time zone); no request-derived defaults are added."""
    return env.get_template(template_name).render(dict(context or {}))


def render(
    request: Request,
    template_name: str,
    context: dict[str, Any] | None = None,
    status_code: int = 200,
    headers: dict[str, str] | None = None,
) -> HTMLResponse:
    """Render ``template_name`` into an :class:`HTMLResponse`.

    Sets :data:`fanloop.web.i18n.current_language` from ``request.state.lang``
    (default ``"en"``) and :data:`current_timezone` from ``request.state.tz``
    (default ``"UTC"``) while rendering.  The template receives ``request``,
    ``member``, ``csrf_token``, ``lang``, ``html_lang`` (e.g. ``zh-CN``), ``languages``,
    ``tz``, ``now``, ``flashes`` (``request.state.flashes`` or ``[]``) and ``static_url``;
    entries of ``context`` override these.
    """
    lang = i18n.normalize_language(_state(request, "lang")) or i18n.DEFAULT_LANGUAGE
    tz_name = _state(request, "tz") or "UTC"
    csrf_token = _state(request, "csrf_token") or ""

    values: dict[str, Any] = {
        "request": request,
        "member": _state(request, "member"),
        "csrf_token": csrf_token,
        "lang": lang,
        "html_lang": i18n.html_lang(lang),
        "languages": SUPPORTED_LANGUAGES,
        "tz": tz_name,
        "now": datetime.now(UTC),
        "flashes": list(_state(request, "flashes", None) or []),
        "static_url": static_url,
    }
    if context:
        values.update(context)

    lang_token = current_language.set(lang)
    tz_token = current_timezone.set(str(tz_name))
    csrf_var_token = _current_csrf_token.set(str(values.get("csrf_token") or ""))
    try:
        body = env.get_template(template_name).render(values)
    finally:
        _current_csrf_token.reset(csrf_var_token)
        current_timezone.reset(tz_token)
        current_language.reset(lang_token)

    response_headers = {"Content-Language": i18n.html_lang(lang), "Vary": "Cookie, Accept-Language"}
    if headers:
        response_headers.update(headers)
    return HTMLResponse(body, status_code=status_code, headers=response_headers)
