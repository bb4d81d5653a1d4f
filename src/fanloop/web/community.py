"""Community listing pages: the home page with its tabs and filters, and search."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, Request
from fastapi.responses import HTMLResponse
from sqlalchemy.orm import Session

from fanloop.community.members.models import Member
from fanloop.community.posts import service as posts
from fanloop.community.posts.models import POST_KINDS, POST_STATUSES
from fanloop.community.posts.repository import Page, PostFilters
from fanloop.deps import CurrentMember, SessionDep
from fanloop.web.deps import PageRoute, is_htmx
from fanloop.web.templating import render

router = APIRouter(route_class=PageRoute)
PAGE_SIZE = 20
SORTS = ("hot", "new", "top")
Text = Annotated[str, Query(max_length=200)]
# Responses differ for htmx "load more" requests, so caches must tell them apart.
VARY = {"Vary": "Cookie, Accept-Language, HX-Request"}


def rows_context(session: Session, viewer: Member | None, page: Page) -> dict:
    """What the post-row partial needs: the posts, which of them the viewer voted for, the cursor."""
    voted, _ = posts.member_relations(session, member=viewer, post_ids=[p.id for p in page.items])
    return {"posts": page.items, "voted": voted, "next_cursor": page.next_cursor}


def _render_list(request: Request, template: str, context: dict, *, more: bool) -> HTMLResponse:
    if more and is_htmx(request):
        return render(request, "community/_post_rows.html", {**context, "oob": True}, headers=VARY)
    return render(request, template, context, headers=VARY)


@router.get("/", response_class=HTMLResponse)
def home(
    request: Request,
    session: SessionDep,
    viewer: CurrentMember,
    sort: Text = "hot",
    board: Text = "",
    kind: Text = "",
    status: Text = "",
    tag: Text = "",
    cursor: Text = "",
):
    """The community: hot/new/top tabs, filters by board, kind, status and tag, and "load more"."""
    sort = sort if sort in SORTS else "hot"
    filters = PostFilters(board=board or None, kind=kind or None, status=status or None, tag=tag or None)
    page = posts.list_posts(
        session, viewer=viewer, sort=sort, filters=filters, cursor=cursor or None, limit=PAGE_SIZE
    )
    params = {"sort": sort, "board": board, "kind": kind, "status": status, "tag": tag}
    boards = posts.list_boards(session)
    context = {
        **rows_context(session, viewer, page),
        "params": params,
        "list_url": "/",
        "sort": sort,
        "boards": boards,
        "current_board": next((b for b in boards if b.slug == board), None),
        "tags": posts.list_tags(session),
        "kinds": POST_KINDS,
        "statuses": POST_STATUSES,
        "filtered": bool(board or kind or status or tag),
    }
    return _render_list(request, "community/home.html", context, more=bool(cursor))


@router.get("/search", response_class=HTMLResponse)
def search(request: Request, session: SessionDep, viewer: CurrentMember, q: Text = "", cursor: Text = ""):
    """Search posts in Chinese or English; results use the same rows as the home page."""
    q = q.strip()
    page = (
        posts.search_posts(session, viewer=viewer, query=q, cursor=cursor or None, limit=PAGE_SIZE)
        if q
        else Page(items=[], next_cursor=None)
    )
    context = {**rows_context(session, viewer, page), "q": q, "params": {"q": q}, "list_url": "/search"}
    return _render_list(request, "community/search.html", context, more=bool(cursor))
