"""Pages for notifications: a member's list (with the bell in the nav), and the webhook endpoints and
their delivery log for admins."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Form, Query, Request, Response
from fastapi.responses import HTMLResponse
from sqlalchemy.orm import Session

from fanloop.community.members.models import Member
from fanloop.core.errors import Conflict, Invalid
from fanloop.deps import CurrentMember, SessionDep
from fanloop.service.notify import groups, messages, preferences, webhooks
from fanloop.service.notify import service as notify
from fanloop.web.deps import (
    CsrfChecked,
    PageRoute,
    back_path,
    current_path,
    login_url,
    page_language,
    redirect,
)
from fanloop.web.errors import N_, error_message, form_errors
from fanloop.web.i18n import gettext
from fanloop.web.templating import env, render

# page_language: the flashes the handlers write come out in the viewer's language.
router = APIRouter(route_class=PageRoute, dependencies=[Depends(page_language)])
PAGE_SIZE = 25
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
env.globals.update(
    notification_headline=messages.headline,
    notification_detail=messages.detail,
    notification_kind_label=messages.kind_label,
    notification_group_count=messages.group_count,
)


# --------------------------------------------------------------------------- a member's notifications


@router.get("/notifications", response_class=HTMLResponse)
def notifications_page(
    request: Request,
    session: SessionDep,
    viewer: CurrentMember,
    kind: Annotated[str | None, Query(max_length=30)] = None,
    unread: bool = False,
    post: Annotated[int | None, Query(ge=1, le=groups.MAX_ID)] = None,
    cursor: Annotated[str | None, Query(max_length=200)] = None,
):
    """Your notifications grouped by kind and post, newest first, a page at a time; the counts by
    kind filter the list, as do "unread only" and a post."""
    if viewer is None:
        return redirect(request, login_url(current_path(request)))
    filters = groups.GroupFilters(kind=kind or None, unread_only=unread, post_id=post)
    try:
        page = groups.list_groups(
            session, member_id=viewer.id, filters=filters, cursor=cursor, limit=PAGE_SIZE
        )
    except Invalid as error:
        return redirect(request, "/notifications", flash=error_message(error), kind="error")
    delivery = preferences.get_preferences(session, member_id=viewer.id)[preferences.ESCALATIONS]
    context = {
        "groups": page.items,
        "next_cursor": page.next_cursor,
        "counts": groups.overview(session, member_id=viewer.id, filters=filters),
        "filters": filters,
        "params": {"kind": filters.kind or "", "unread": "1" if unread else "", "post": post or ""},
        "cursor": cursor,
        "escalations_delivery": delivery,
        # Only staff are told of escalations; a fan is not asked about them.
        "offer_digest": viewer.is_staff or delivery != preferences.IMMEDIATELY,
    }
    return render(request, "notifications/index.html", context)


@router.post("/notifications/read")
def mark_notifications_read(
    request: Request,
    session: SessionDep,
    viewer: CurrentMember,
    _csrf: CsrfChecked,
    notification_id: Annotated[int | None, Form(gt=0, le=groups.MAX_ID)] = None,
    group: Annotated[str | None, Form(max_length=60)] = None,
) -> Response:
    """Mark one group (every notification in it), one notification, or (with neither) all of them
    read; back to the list as it was filtered."""
    if viewer is None:
        return redirect(request, login_url("/notifications"))
    back = back_path(request, "/notifications")
    if group:
        try:
            groups.mark_groups_read(session, member_id=viewer.id, keys=[group])
        except Invalid as error:
            return redirect(request, back, flash=error_message(error), kind="error")
        return redirect(request, back, flash=gettext("Marked as read."))
    ids = [notification_id] if notification_id else None
    notify.mark_read(session, member_id=viewer.id, notification_ids=ids)
    message = gettext("Marked as read.") if ids else gettext("All notifications are marked as read.")
    return redirect(request, back if ids else "/notifications", flash=message)


@router.post("/notifications/preferences")
def save_notification_preferences(
    request: Request,
    session: SessionDep,
    viewer: CurrentMember,
    _csrf: CsrfChecked,
    escalations: Annotated[str, Form(max_length=20)] = "",
) -> Response:
    """Choose how escalations are e-mailed: one by one, or in a daily digest."""
    if viewer is None:
        return redirect(request, login_url("/notifications"))
    try:
        preferences.set_preference(
            session, member_id=viewer.id, topic=preferences.ESCALATIONS, delivery=escalations
        )
    except Invalid:
        session.rollback()
        return redirect(
            request,
            "/notifications#email",
            flash=gettext("Choose how escalations are e-mailed."),
            kind="error",
        )
    message = (
        gettext("Escalations are e-mailed once a day, in a digest.")
        if escalations == preferences.DAILY_DIGEST
        else gettext("Each escalation is e-mailed as it happens.")
    )
    return redirect(request, "/notifications#email", flash=message)


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
