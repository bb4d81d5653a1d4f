"""Request dependencies shared by the JSON API and the pages: one unit of work per request,
the current member (API token or session cookie), CSRF checks and the client's address."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from typing import Annotated

import anyio.to_thread
from anyio import CancelScope, CapacityLimiter
from fastapi import Depends, Request
from fastapi.concurrency import run_in_threadpool
from sqlalchemy.orm import Session

from fanloop.community.members import service as members
from fanloop.community.members.models import Member
from fanloop.community.members.usage import TokenUseRecorder
from fanloop.core.config import Settings
from fanloop.core.db import Database
from fanloop.core.errors import Forbidden, NotAuthenticated
from fanloop.core.security import constant_time_equal

SESSION_COOKIE = "fanloop_session"
CSRF_COOKIE = "fanloop_csrf"
CSRF_HEADER = "x-csrf-token"
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})


# Dependencies that do no I/O are `async def`: FastAPI would run a plain `def` one in its thread
# pool, a hand-off that costs more than the dependency itself.


async def get_settings(request: Request) -> Settings:
    return request.app.state.settings


async def get_database(request: Request) -> Database:
    return request.app.state.database


async def get_session(request: Request) -> AsyncIterator[Session]:
    """The request's unit of work: committed when the handler returns, rolled back if it raises.
    Requests with an unsafe method are the ones that write: they open it for writing.

    Opening a session does no I/O, so it happens right here unless a writer has to wait for
    SQLite's write lock; only that wait, and the commit or rollback at the end, go to the thread
    pool (a plain `def` generator would hand over to it for both). A handler may commit in its
    own thread with finish_unit_of_work(), which saves that last hand-off."""
    database: Database = request.app.state.database
    unit = database.begin(write=request.method not in SAFE_METHODS)
    if not unit.open(blocking=False):
        with CancelScope(shield=True):  # once the thread holds the lock, nothing may drop it
            # Waiting writers get threads of their own, outside the pool that runs handlers: were
            # they to fill it, the writer holding the lock could not get a thread to finish its
            # request, and everyone would wait out the lock's time-out.
            await anyio.to_thread.run_sync(unit.open, limiter=_LOCK_WAITERS)
    unit.session.info[_UNIT_OF_WORK] = unit
    try:
        yield unit.session
    except BaseException as error:
        if not unit.finished:
            await _in_thread_shielded(unit.finish, error)
        raise
    if not unit.finished:
        await _in_thread_shielded(unit.finish)


_UNIT_OF_WORK = "fanloop.unit_of_work"
_LOCK_WAITERS = CapacityLimiter(1000)


def finish_unit_of_work(session: Session) -> None:
    """Commit the request's unit of work now, where the handler runs, as the end of the request
    would (rolled back, and the error raised here, if the commit fails): for handlers done with
    the database, it saves the hand-off to the thread pool that get_session makes otherwise. The
    session is closed afterwards; its objects keep what they loaded."""
    session.info[_UNIT_OF_WORK].finish()


async def _in_thread_shielded(function: Callable[..., object], *args: object) -> None:
    # As FastAPI ends a sync generator dependency: shielded from cancellation, and with a limiter
    # of its own, so it never waits for a free thread (those may all be writers queuing for the
    # lock that this very call releases).
    with CancelScope(shield=True):
        await anyio.to_thread.run_sync(function, *args, limiter=CapacityLimiter(1))


SettingsDep = Annotated[Settings, Depends(get_settings)]
SessionDep = Annotated[Session, Depends(get_session, scope="function")]


def client_key(request: Request) -> str:
    """The client's address, for rate limits on anonymous actions."""
    settings: Settings = request.app.state.settings
    if settings.trust_proxy:
        forwarded = request.headers.get("x-forwarded-for")
        if forwarded:
            return forwarded.split(",")[0].strip()[:64]
    return request.client.host if request.client else "unknown"


def bearer_token(request: Request) -> str | None:
    header = request.headers.get("authorization", "")
    scheme, _, value = header.partition(" ")
    return value.strip() if scheme.lower() == "bearer" and value.strip() else None


def check_csrf(request: Request, submitted: str | None) -> None:
    """Double-submit check: the token sent with the request must equal the CSRF cookie."""
    cookie = request.cookies.get(CSRF_COOKIE)
    if not cookie or not submitted or not constant_time_equal(cookie, submitted):
        raise Forbidden("The form has expired or the CSRF token is missing; reload the page and try again.")


async def get_current_member(request: Request, session: SessionDep) -> Member | None:
    """The member behind an API token, or behind the session cookie (then unsafe requests need the
    CSRF header, because a browser sends cookies on its own). A request with neither needs no
    look-up, so only the others go to the thread pool for it."""
    if bearer_token(request) is None and not request.cookies.get(SESSION_COOKIE):
        return None
    member, stamp_token_id = await run_in_threadpool(_member_for_credentials, request, session)
    if stamp_token_id is not None:
        database: Database = request.app.state.database
        if database.is_sqlite:
            # The request's unit of work stays a read when the request is one, so it never has to
            # upgrade to a write (that fails at once if another writer committed since it began):
            # the next unit of work that writes anyway stamps the token.
            token_uses(request.app).note(stamp_token_id)
        else:
            # PostgreSQL has no such upgrade: a short transaction of its own, so the stamp holds
            # its row lock for a moment, not for the whole of some other request.
            await run_in_threadpool(_stamp_token, database, stamp_token_id)
    return member


def _stamp_token(database: Database, token_id: int) -> None:
    with database.unit_of_work(write=True) as session:
        members.record_token_use(session, token_ids=[token_id])


def token_uses(app) -> TokenUseRecorder:  # noqa: ANN001
    """The app's recorder of API-token use, made on first need."""
    recorder = getattr(app.state, "token_uses", None)
    if recorder is None:
        recorder = app.state.token_uses = TokenUseRecorder(app.state.database)
    return recorder


def _member_for_credentials(request: Request, session: Session) -> tuple[Member | None, int | None]:
    raw = bearer_token(request)
    if raw is not None:
        found = members.member_for_api_token(session, raw=raw)
        if found is None:
            raise NotAuthenticated("The API token is not valid or was revoked.")
        member, stamp_token_id = found
        return (None if member.is_suspended else member), stamp_token_id
    cookie = request.cookies.get(SESSION_COOKIE)
    if not cookie:
        return None, None
    member = members.member_for_session(session, token=cookie)
    if member is not None and request.method not in SAFE_METHODS and request.url.path.startswith("/api/"):
        check_csrf(request, request.headers.get(CSRF_HEADER))
    return (None if member is None or member.is_suspended else member), None


CurrentMember = Annotated[Member | None, Depends(get_current_member)]


async def require_member(member: CurrentMember) -> Member:
    if member is None:
        raise NotAuthenticated("Log in, or send an API token as 'Authorization: Bearer <token>'.")
    return member


RequiredMember = Annotated[Member, Depends(require_member)]
