"""Replies back on the post page (staff): each staff reply's way to the channel, and retry."""

from __future__ import annotations

from fastapi import APIRouter, Request, Response
from fastapi.responses import HTMLResponse

from fanloop.deps import CurrentMember, SessionDep
from fanloop.growth.channels import delivery as deliveries
from fanloop.web.deps import CsrfChecked, PageRoute, is_htmx, login_url, redirect
from fanloop.web.i18n import gettext
from fanloop.web.templating import render

router = APIRouter(route_class=PageRoute)


def _panel(request: Request, session: SessionDep, viewer: CurrentMember, post_id: int) -> HTMLResponse:
    found = deliveries.deliveries_for_post(session, viewer=viewer, post_id=post_id)
    return render(request, "growth/_deliveries.html", {"post_id": post_id, "deliveries": found})


@router.get("/posts/{post_id:int}/deliveries", response_class=HTMLResponse)
def post_deliveries(post_id: int, request: Request, session: SessionDep, viewer: CurrentMember):
    """For staff on a post: where its staff replies stand on their way back to the channel (htmx)."""
    return _panel(request, session, viewer, post_id)


@router.post("/deliveries/{delivery_id:int}/retry")
def retry(
    delivery_id: int, request: Request, session: SessionDep, viewer: CurrentMember, _csrf: CsrfChecked
) -> Response:
    """Send a failed or dead delivery again now; htmx gets the refreshed panel."""
    if viewer is None:
        return redirect(request, login_url("/"))
    status = deliveries.retry_delivery(session, actor=viewer, delivery_id=delivery_id)
    if is_htmx(request):
        return _panel(request, session, viewer, status.post_id)
    return redirect(
        request,
        f"/posts/{status.post_id}#deliveries",
        flash=gettext("The reply is queued and goes out in a moment."),
    )
