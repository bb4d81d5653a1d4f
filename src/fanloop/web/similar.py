"""Similar posts on the pages: likely duplicates under the new-post form as a fan types, and for staff
on a post (and in the inbox) the similar posts already answered and the possible duplicates, each
with a one-click merge through the existing merge form."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, Request, Response
from fastapi.responses import HTMLResponse

from fanloop.community.posts import service as posts
from fanloop.core.errors import RateLimited
from fanloop.core.permissions import Action, can, require
from fanloop.deps import CurrentMember, SessionDep
from fanloop.insights.similar import service as similar
from fanloop.web.deps import PageRoute
from fanloop.web.templating import render

router = APIRouter(route_class=PageRoute)
# The page sends only the start of the body (static/js/similar.js); a longer one is cut here, not refused,
# because the suggestions must never get in the way of writing.
DraftText = Annotated[str, Query(max_length=20_000)]


@router.get("/posts/similar", response_class=HTMLResponse)
def draft_duplicates(
    request: Request,
    session: SessionDep,
    viewer: CurrentMember,
    title: DraftText = "",
    body: DraftText = "",
    board: Annotated[str, Query(max_length=200)] = "",
) -> Response:
    """Posts like the one being written (htmx, as the fan types); empty when there are none."""
    if viewer is None or not can(viewer, Action.CREATE_POST):
        return Response(status_code=204)
    try:
        similar.draft_limiter.hit(str(viewer.id))
    except RateLimited:
        return Response(status_code=204)  # htmx keeps what it shows; the next pause asks again
    board_id = next((b.id for b in posts.list_boards(session) if b.slug == board), None) if board else None
    found = similar.likely_duplicates(session, title=title, body=body, board_id=board_id)
    return render(request, "insights/_draft_duplicates.html", {"similar_posts": found})


@router.get("/posts/{post_id:int}/similar", response_class=HTMLResponse)
def staff_panel(post_id: int, request: Request, session: SessionDep, viewer: CurrentMember):
    """For staff: similar posts already answered (with the answers) and possible duplicates to merge."""
    require(viewer, Action.VIEW_STAFF_AREA)
    post = posts.get_post(session, viewer=viewer, post_id=post_id)
    context = {
        "post": post,
        "answered": similar.answered_suggestions(session, post_id=post.id),
        "duplicates": similar.similar_posts(session, post_id=post.id),
        "may_merge": can(viewer, Action.MERGE_POSTS) and post.merged_into_id is None,
    }
    return render(request, "insights/_similar_panel.html", context)
