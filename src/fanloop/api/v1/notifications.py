"""A member's in-app notifications: the flat list (as it always was), the list grouped by kind and
post with paging and filters, marking read, and how escalations are e-mailed."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, Request

from fanloop.deps import RequiredMember, SessionDep
from fanloop.service.notify import groups, preferences
from fanloop.service.notify import service as notify
from fanloop.service.notify.schemas import (
    NotificationGroupList,
    NotificationList,
    NotificationPreferences,
    NotificationRead,
    NotificationsRead,
    UnreadCount,
)
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


@router.get("/me/notifications/groups", response_model=NotificationGroupList)
def list_notification_groups(
    request: Request,
    member: RequiredMember,
    session: SessionDep,
    kind: Annotated[str | None, Query(max_length=30)] = None,
    unread: bool = False,
    post_id: Annotated[int | None, Query(ge=1, le=groups.MAX_ID)] = None,
    cursor: Annotated[str | None, Query(max_length=200)] = None,
    limit: Annotated[int, Query(ge=1, le=groups.MAX_PAGE)] = 20,
):
    """Your notifications grouped by kind and post, newest group first, a page at a time; filter by
    `kind`, `unread` (groups with an unread notification) and `post_id`."""
    filters = groups.GroupFilters(kind=kind or None, unread_only=unread, post_id=post_id)
    page = groups.list_groups(session, member_id=member.id, filters=filters, cursor=cursor, limit=limit)
    counts = groups.overview(session, member_id=member.id, filters=filters)
    with use_language(negotiate_language(None, request.headers.get("accept-language"))):
        return NotificationGroupList.of(page, counts)


@router.post("/me/notifications/read", response_model=UnreadCount)
def mark_read(body: NotificationsRead, member: RequiredMember, session: SessionDep):
    """Mark the given notifications, the given groups (`groups`: their keys), or with `all` every one
    read; answers the unread count left, of notifications and of groups."""
    if body.all:
        notify.mark_read(session, member_id=member.id)
    else:
        if body.groups:  # first: a key that is no group refuses the whole request
            groups.mark_groups_read(session, member_id=member.id, keys=body.groups)
        if body.ids:
            notify.mark_read(session, member_id=member.id, notification_ids=body.ids)
    return UnreadCount(
        unread=notify.unread_count(session, member_id=member.id),
        unread_groups=groups.unread_group_count(session, member_id=member.id),
    )


@router.get("/me/notifications/preferences", response_model=NotificationPreferences)
def get_preferences(member: RequiredMember, session: SessionDep):
    """How your notifications are e-mailed."""
    return NotificationPreferences(**preferences.get_preferences(session, member_id=member.id))


@router.put("/me/notifications/preferences", response_model=NotificationPreferences)
def put_preferences(body: NotificationPreferences, member: RequiredMember, session: SessionDep):
    """Choose how escalations are e-mailed: `immediately` or in a `daily_digest`."""
    for topic, delivery in body.model_dump().items():
        preferences.set_preference(session, member_id=member.id, topic=topic, delivery=delivery)
    return NotificationPreferences(**preferences.get_preferences(session, member_id=member.id))
