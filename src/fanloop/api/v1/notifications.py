"""A member's in-app notifications."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, Request

from fanloop.deps import RequiredMember, SessionDep
from fanloop.service.notify import service as notify
from fanloop.service.notify.schemas import NotificationList, NotificationRead, NotificationsRead, UnreadCount
from fanloop.web.i18n import negotiate_language, use_language

router = APIRouter(tags=["notifications"])


@router.get("/me/notifications", response_model=NotificationList)
def list_notifications(
    request: Request,
    member: RequiredMember,
    session: SessionDep,
    limit: Annotated[int, Query(ge=1, le=200)] = 50,
):
    """Your notifications, unread first and newest first; `summary` follows Accept-Language."""
    items = notify.list_notifications(session, member_id=member.id, limit=limit)
    with use_language(negotiate_language(None, request.headers.get("accept-language"))):
        read = [NotificationRead.of(item) for item in items]
    return NotificationList(unread=notify.unread_count(session, member_id=member.id), items=read)


@router.post("/me/notifications/read", response_model=UnreadCount)
def mark_read(body: NotificationsRead, member: RequiredMember, session: SessionDep):
    """Mark the given notifications (or, with `all`, every one) read; answers the unread count left."""
    notify.mark_read(session, member_id=member.id, notification_ids=None if body.all else body.ids)
    return UnreadCount(unread=notify.unread_count(session, member_id=member.id))
