"""Pages for notifications: a member's list (with the bell in the nav), and the webhook endpoints and
their delivery log for admins."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Form, Query, Request, Response
from fastapi.responses import HTMLResponse
from sqlalchemy.orm import Session

from fanloop.community.members.models import Member
from fanloop.core.errors import Conflict, Invalid
from fanloop.deps import CurrentMember, SessionDep
from fanloop.service.notify import messages, webhooks
from fanloop.service.notify import service as notify
from fanloop.web.deps import CsrfChecked, PageRoute, login_url, redirect
from fanloop.web.errors import N_, error_message, form_errors
from fanloop.web.i18n import gettext
from fanloop.web.templating import env, render

router = APIRouter(route_class=PageRoute)
PAGE_SIZE = 100
DELIVERY_LOG_SIZE = 50
WEBHOOKS_PAGE = "/staff/webhooks"

# What the webhook service may refuse with, listed so the catalogue translates it on these pages.
WEBHOOK_MESSAGES = (
    N_("Enter the URL that should receive the events."),
    N_("The URL is longer than 500 characters."),
    N_("The URL is not valid."),
    N_("Use an http:// or https:// URL."),
    N_("The endpoint is paused; resume it before sending a test event."),
)

# Worked out while the template renders, so in the viewer's language.
env.globals.update(notification_headline=messages.headline, notification_detail=messages.detail)


# --------------------------------------------------------------------------- a member's notifications


@router.get("/notifications", response_class=HTMLResponse)
def notifications_page(request: Request, session: SessionDep, viewer: CurrentMember):
    """Your notifications, unread first; each links to the post it is about."""
    if viewer is None:
        return redirect(request, login_url("/notifications"))
    items = notify.list_notifications(session, member_id=viewer.id, limit=PAGE_SIZE)
    unread = sum(1 for item in items if item.read_at is None)
    return render(request, "notifications/index.html", {"items": items, "unread": unread})


@router.post("/notifications/read")
def mark_notifications_read(
    request: Request,
    session: SessionDep,
    viewer: CurrentMember,
    _csrf: CsrfChecked,
    notification_id: Annotated[int | None, Form(gt=0)] = None,
) -> Response:
    """Mark one notification read, or (without an id) all of them."""
    if viewer is None:
        return redirect(request, login_url("/notifications"))
    ids = [notification_id] if notification_id else None
    notify.mark_read(session, member_id=viewer.id, notification_ids=ids)
    message = gettext("Marked as read.") if ids else gettext("All notifications are marked as read.")
    return redirect(request, "/notifications", flash=message)


# --------------------------------------------------------------------------- webhooks (admin)


def _webhooks_context(session: Session, viewer: Member, endpoint_id: int | None) -> dict:
    endpoints = webhooks.list_endpoints(session, actor=viewer)
    shown = endpoint_id if any(e.id == endpoint_id for e in endpoints) else None
    return {
        "endpoints": endpoints,
        "urls": {e.id: e.url for e in endpoints},
        "deliveries": webhooks.list_deliveries(
            session, actor=viewer, endpoint_id=shown, limit=DELIVERY_LOG_SIZE
        ),
        "shown_endpoint": shown,
        "topics": webhooks.TOPICS,
        "errors": {},
        "form": {"url": "", "topics": []},
        "new_secret": None,
    }


@router.get(WEBHOOKS_PAGE, response_class=HTMLResponse)
def webhooks_page(
    request: Request,
    session: SessionDep,
    viewer: CurrentMember,
    endpoint: Annotated[int | None, Query(gt=0)] = None,
):
    """Webhook endpoints and the latest deliveries: status, attempts, the last answer or error."""
    if viewer is None:
        return redirect(request, login_url(WEBHOOKS_PAGE))
    return render(request, "notifications/webhooks.html", _webhooks_context(session, viewer, endpoint))


@router.post(WEBHOOKS_PAGE, response_class=HTMLResponse)
def create_webhook(
    request: Request,
    session: SessionDep,
    viewer: CurrentMember,
    _csrf: CsrfChecked,
    url: Annotated[str, Form(max_length=2000)] = "",
    topics: Annotated[list[str] | None, Form()] = None,
):
    """Register an endpoint; its signing secret is shown on this page, once."""
    if viewer is None:
        return redirect(request, login_url(WEBHOOKS_PAGE))
    try:
        endpoint, secret = webhooks.create_endpoint(session, actor=viewer, url=url, topics=topics or [])
    except Invalid as error:
        session.rollback()
        context = _webhooks_context(session, viewer, None)
        context.update(errors=form_errors(error), form={"url": url, "topics": topics or []})
        return render(request, "notifications/webhooks.html", context, status_code=422)
    context = _webhooks_context(session, viewer, None)
    context.update(new_secret=secret, new_endpoint=endpoint)
    return render(request, "notifications/webhooks.html", context)


def _endpoint_action(
    request: Request, session: Session, viewer: Member | None, action, done: str
) -> Response:  # noqa: ANN001
    if viewer is None:
        return redirect(request, login_url(WEBHOOKS_PAGE))
    try:
        action()
    except (Invalid, Conflict) as error:
        session.rollback()
        return redirect(request, WEBHOOKS_PAGE, flash=error_message(error), kind="error")
    return redirect(request, WEBHOOKS_PAGE, flash=done)


@router.post(WEBHOOKS_PAGE + "/{endpoint_id:int}/delete")
def delete_webhook(
    endpoint_id: int, request: Request, session: SessionDep, viewer: CurrentMember, _csrf: CsrfChecked
) -> Response:
    return _endpoint_action(
        request,
        session,
        viewer,
        lambda: webhooks.delete_endpoint(session, actor=viewer, endpoint_id=endpoint_id),
        gettext("The endpoint and its delivery log are deleted."),
    )


@router.post(WEBHOOKS_PAGE + "/{endpoint_id:int}/active")
def set_webhook_active(
    endpoint_id: int,
    request: Request,
    session: SessionDep,
    viewer: CurrentMember,
    _csrf: CsrfChecked,
    active: Annotated[bool, Form()] = False,
) -> Response:
    """Pause an endpoint (its deliveries wait) or resume it."""
    return _endpoint_action(
        request,
        session,
        viewer,
        lambda: webhooks.update_endpoint(session, actor=viewer, endpoint_id=endpoint_id, active=active),
        gettext("The endpoint is resumed.") if active else gettext("The endpoint is paused."),
    )


@router.post(WEBHOOKS_PAGE + "/{endpoint_id:int}/test")
def test_webhook(
    endpoint_id: int, request: Request, session: SessionDep, viewer: CurrentMember, _csrf: CsrfChecked
) -> Response:
    """Queue a ping event for one endpoint."""
    return _endpoint_action(
        request,
        session,
        viewer,
        lambda: webhooks.queue_ping(session, actor=viewer, endpoint_id=endpoint_id),
        gettext("A test event is queued; its delivery shows below in a moment."),
    )
