"""The staff inbox page: posts waiting for a reply in lanes with their counts (mine, unassigned and
due soon, overdue, backlog), each soonest due first and paged, with live countdowns, filters,
claiming, and a reply box with canned responses, internal notes and waiting on the fan."""

from __future__ import annotations

from contextlib import suppress
from typing import Annotated

from fastapi import APIRouter, Depends, Form, Query, Request, Response
from fastapi.responses import HTMLResponse
from sqlalchemy.orm import Session

import fanloop.web.desk  # noqa: F401 - registers the desk template helpers
from fanloop.community.members.models import Member
from fanloop.community.posts import service as posts
from fanloop.community.posts.models import POST_KINDS
from fanloop.core.config import Settings
from fanloop.core.errors import Conflict, Forbidden, Invalid, NotAuthenticated, NotFound, RateLimited
from fanloop.core.permissions import Action, can
from fanloop.deps import CurrentMember, SessionDep, SettingsDep
from fanloop.service.desk import macros
from fanloop.service.desk import service as desk
from fanloop.service.desk.inbox import LANES, Inbox, InboxFilters, inbox
from fanloop.service.desk.overview import post_service
from fanloop.web.deps import CsrfChecked, PageRoute, is_htmx, page_language, redirect
from fanloop.web.errors import error_message
from fanloop.web.i18n import gettext
from fanloop.web.presenters import query_string
from fanloop.web.templating import render

router = APIRouter(route_class=PageRoute, dependencies=[Depends(page_language)])
REFRESH_SECONDS = 12
RECENT_REPLIES = 4
PAGE_SIZE = 50
Text = Annotated[str, Query(max_length=40)]
Cursor = Annotated[str, Query(max_length=200)]


def require_staff(viewer: Member | None) -> Member:
    if viewer is None:
        raise NotAuthenticated("Log in to do this.")
    if not can(viewer, Action.VIEW_STAFF_AREA):
        raise Forbidden("The inbox is for the product team.")
    return viewer


def read_filters(
    lane: str = "", board: str = "", kind: str = "", view: str = "", breached: str = ""
) -> InboxFilters:
    """Filters from the query string; anything unknown falls back to the default lane and no filter.
    Links from before the lanes keep working: view=mine and view=unassigned are those lanes, and
    breached=1 is the overdue lane."""
    if lane not in LANES:
        lane = view if view in ("mine", "unassigned") else ""
        lane = lane or ("overdue" if breached in ("1", "true", "on") else "")
    return InboxFilters(
        lane=lane or None,
        board=board.strip() or None,
        kind=kind if kind in POST_KINDS else None,
    )


def _params(result: Inbox) -> dict:
    """The query string of the lane shown, with its filters (the refresh keeps the lane it shows)."""
    return {"lane": result.lane, "board": result.filters.board or "", "kind": result.filters.kind or ""}


def _list_context(session: Session, viewer: Member, filters: InboxFilters, cursor: str = "") -> dict:
    try:
        result = inbox(session, viewer=viewer, filters=filters, cursor=cursor or None, limit=PAGE_SIZE)
    except Invalid as error:  # a cursor from an old link: show the first page
        if error.field != "cursor":
            raise
        result = inbox(session, viewer=viewer, filters=filters, limit=PAGE_SIZE)
    params = _params(result)
    page = {**params, "cursor": result.cursor or ""}
    return {
        "inbox": result,
        "filters": filters,
        "params": params,
        "lanes": LANES,
        "list_url": "/inbox/list" + query_string(page).rstrip("?"),
        "refresh_seconds": REFRESH_SECONDS,
    }


def render_list(
    request: Request, session: Session, viewer: Member, filters: InboxFilters, cursor: str = ""
) -> HTMLResponse:
    return render(request, "desk/_inbox_list.html", _list_context(session, viewer, filters, cursor))


def panel_context(
    session: Session,
    viewer: Member,
    settings: Settings,
    post_id: int,
    *,
    body: str = "",
    error: str = "",
    done: str = "",
) -> dict:
    summary = post_service(session, viewer=viewer, post_id=post_id)
    post = summary.post
    values = macros.placeholder_values(post, viewer, base_url=settings.base_url)
    canned = [(m, macros.fill(m.body, values)) for m in macros.list_macros(session, viewer=viewer)]
    replies = posts.list_replies(session, viewer=viewer, post_id=post.id)[-RECENT_REPLIES:]
    return {
        "service": summary,
        "post": post,
        "replies": replies,
        "macros": canned,
        "body": body,
        "error": error,
        "done": done,
    }


def render_panel(request: Request, session: Session, viewer: Member, settings: Settings, post_id: int, **kw):  # noqa: ANN003, ANN201
    return render(request, "desk/_inbox_panel.html", panel_context(session, viewer, settings, post_id, **kw))


@router.get("/inbox", response_class=HTMLResponse)
def inbox_page(
    request: Request,
    session: SessionDep,
    settings: SettingsDep,
    viewer: CurrentMember,
    lane: Text = "",
    board: Text = "",
    kind: Text = "",
    cursor: Cursor = "",
    view: Text = "",
    breached: Text = "",
    open: Annotated[int | None, Query(ge=1, le=2**31 - 1)] = None,
):
    """Posts waiting for a reply in lanes (mine, unassigned, overdue, backlog), soonest due first,
    with live countdowns (staff)."""
    viewer = require_staff(viewer)
    context = _list_context(session, viewer, read_filters(lane, board, kind, view, breached), cursor)
    context.update(boards=posts.list_boards(session), kinds=POST_KINDS, panel=None)
    if open:
        with suppress(NotFound):  # a stale link to a post that is gone: the inbox is still useful
            context["panel"] = panel_context(session, viewer, settings, open)
    return render(request, "desk/inbox.html", context)


@router.get("/inbox/list", response_class=HTMLResponse)
def inbox_list(
    request: Request,
    session: SessionDep,
    viewer: CurrentMember,
    lane: Text = "",
    board: Text = "",
    kind: Text = "",
    cursor: Cursor = "",
    view: Text = "",
    breached: Text = "",
):
    """The lanes and the list alone, for the page to refresh itself."""
    viewer = require_staff(viewer)
    return render_list(request, session, viewer, read_filters(lane, board, kind, view, breached), cursor)


@router.get("/inbox/posts/{post_id:int}", response_class=HTMLResponse)
def reply_panel(
    post_id: int, request: Request, session: SessionDep, settings: SettingsDep, viewer: CurrentMember
):
    """The reply box for one post (htmx); a plain link opens the inbox with it."""
    viewer = require_staff(viewer)
    if not is_htmx(request):
        return redirect(request, f"/inbox?open={post_id}")
    return render_panel(request, session, viewer, settings, post_id)


@router.post("/inbox/posts/{post_id:int}/reply", response_class=HTMLResponse)
def reply(
    post_id: int,
    request: Request,
    session: SessionDep,
    settings: SettingsDep,
    viewer: CurrentMember,
    _csrf: CsrfChecked,
    body: Annotated[str, Form(max_length=20_000)] = "",
    macro_id: Annotated[str, Form(max_length=12)] = "",
    internal: Annotated[str, Form(max_length=2)] = "",
    wait: Annotated[str, Form(max_length=2)] = "",
) -> Response:
    """Answer from the inbox: an optional canned response, your own words, as a public reply or an
    internal note, and optionally wait on the fan afterwards."""
    viewer = require_staff(viewer)
    is_note, then_wait = internal == "1", wait == "1"
    try:
        text = body.strip()
        if macro_id.strip().isdigit():
            post = posts.get_post(session, viewer=viewer, post_id=post_id)
            canned = macros.render_macro(
                session, viewer=viewer, macro_id=int(macro_id), post=post, base_url=settings.base_url
            )
            text = f"{canned}\n\n{text}" if text else canned
        posts.add_reply(
            session, author=viewer, post_id=post_id, body=text, settings=settings, internal=is_note
        )
        if then_wait:
            desk.set_waiting_on_fan(session, actor=viewer, post_id=post_id, waiting=True)
    except (Invalid, Conflict, RateLimited) as error:
        session.rollback()
        if not is_htmx(request):
            return redirect(request, f"/inbox?open={post_id}", flash=error_message(error), kind="error")
        return render_panel(
            request, session, viewer, settings, post_id, body=body, error=error_message(error)
        )
    done = gettext("Your note is saved.") if is_note else gettext("Your reply is posted.")
    if not is_htmx(request):
        return redirect(request, "/inbox", flash=done)
    response = render_panel(request, session, viewer, settings, post_id, done=done)
    response.headers["HX-Trigger"] = "inbox-changed"
    return response
