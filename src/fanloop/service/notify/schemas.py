"""API shapes for notifications and webhooks."""

from __future__ import annotations

from datetime import datetime
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

from fanloop.service.notify.groups import GroupPage, KindCount, NotificationGroup, Overview
from fanloop.service.notify.messages import group_count, headline, kind_label
from fanloop.service.notify.models import Notification, WebhookDelivery, WebhookEndpoint


class _Input(BaseModel):
    model_config = ConfigDict(extra="forbid")


class NotificationRead(BaseModel):
    id: int
    kind: str
    summary: str = Field(description="One line saying what happened, in the language of Accept-Language")
    title: str
    body: str
    url: str
    post_id: int | None
    created_at: datetime
    read_at: datetime | None

    @classmethod
    def of(cls, notification: Notification) -> NotificationRead:
        return cls(
            id=notification.id,
            kind=notification.kind,
            summary=headline(notification),
            title=notification.title,
            body=notification.body,
            url=notification.url,
            post_id=notification.post_id,
            created_at=notification.created_at,
            read_at=notification.read_at,
        )


class NotificationList(BaseModel):
    unread: int
    items: list[NotificationRead]


class NotificationGroupRead(BaseModel):
    key: str = Field(description="Names the group in POST /me/notifications/read (`groups`)")
    kind: str
    post_id: int | None
    count: int = Field(description="How many notifications the group holds")
    unread: int = Field(description="How many of them are unread")
    summary: str = Field(description="The newest notification's line, in the language of Accept-Language")
    count_summary: str = Field(description='"3 escalations on post #12", in the language of Accept-Language')
    url: str
    latest_id: int
    first_at: datetime
    latest_at: datetime

    @classmethod
    def of(cls, group: NotificationGroup) -> NotificationGroupRead:
        return cls(
            key=group.key,
            kind=group.kind,
            post_id=group.post_id,
            count=group.count,
            unread=group.unread,
            summary=headline(group.latest),
            count_summary=group_count(group.kind, group.count, group.post_id),
            url=group.latest.url,
            latest_id=group.latest.id,
            first_at=group.first_at,
            latest_at=group.latest.created_at,
        )


class KindCountRead(BaseModel):
    kind: str
    label: str
    count: int
    unread: int

    @classmethod
    def of(cls, count: KindCount) -> KindCountRead:
        return cls(kind=count.kind, label=kind_label(count.kind), count=count.count, unread=count.unread)


class NotificationGroupList(BaseModel):
    unread: int = Field(description="Unread notifications")
    unread_groups: int = Field(description="Groups with an unread notification: what the bell shows")
    kinds: list[KindCountRead] = Field(description="Notifications by kind (with `unread`, kinds with unread)")
    items: list[NotificationGroupRead]
    next_cursor: str | None = Field(description="Pass as ?cursor= for the next page; null at the end")

    @classmethod
    def of(cls, page: GroupPage, counts: Overview) -> NotificationGroupList:
        return cls(
            unread=counts.unread,
            unread_groups=counts.unread_groups,
            kinds=[KindCountRead.of(count) for count in counts.kinds],
            items=[NotificationGroupRead.of(group) for group in page.items],
            next_cursor=page.next_cursor,
        )


class NotificationsRead(_Input):
    """Mark notifications read: the listed ids, the listed groups (every notification in them), or
    with `all` every one."""

    ids: list[int] = Field(default_factory=list, max_length=500)
    groups: list[str] = Field(
        default_factory=list, max_length=100, description="Group keys, e.g. sla_escalation:12"
    )
    all: bool = False

    @model_validator(mode="after")
    def _ids_or_all(self) -> NotificationsRead:
        if not self.ids and not self.groups and not self.all:
            raise ValueError("give the ids or groups to mark read, or all: true")
        return self


class UnreadCount(BaseModel):
    unread: int
    unread_groups: int | None = None


Delivery = Literal["immediately", "daily_digest"]


class NotificationPreferences(_Input):
    """How notifications are e-mailed. `escalations` (sla_escalation, sla_breach, sla_warning):
    `immediately`, one mail each, or `daily_digest`, one mail a day listing the day's escalations
    grouped by post. In-app notifications appear either way."""

    escalations: Delivery = "immediately"


class WebhookCreate(_Input):
    url: str = Field(max_length=500, examples=["https://example.com/fanloop-hook"])
    topics: list[str] = Field(default_factory=list, max_length=20, description="Empty: every topic")


class WebhookUpdate(_Input):
    url: str | None = Field(default=None, max_length=500)
    topics: list[str] | None = Field(default=None, max_length=20)
    active: bool | None = None


class WebhookRead(BaseModel):
    id: int
    url: str
    topics: list[str]
    active: bool
    created_at: datetime

    @classmethod
    def of(cls, endpoint: WebhookEndpoint) -> WebhookRead:
        return cls(
            id=endpoint.id,
            url=endpoint.url,
            topics=list(endpoint.topics or []),
            active=endpoint.active,
            created_at=endpoint.created_at,
        )


class WebhookCreated(WebhookRead):
    secret: str = Field(description="The signing secret; shown only in this answer")


class DeliveryRead(BaseModel):
    id: int
    endpoint_id: int
    event_id: int
    topic: str
    status: str
    attempts: int
    next_attempt_at: datetime | None
    last_status_code: int | None
    last_error: str
    created_at: datetime
    delivered_at: datetime | None

    @classmethod
    def of(cls, delivery: WebhookDelivery) -> DeliveryRead:
        return cls(
            id=delivery.id,
            endpoint_id=delivery.endpoint_id,
            event_id=delivery.event_id,
            topic=delivery.topic,
            status=delivery.status,
            attempts=delivery.attempts,
            next_attempt_at=delivery.next_attempt_at if delivery.status == "pending" else None,
            last_status_code=delivery.last_status_code,
            last_error=delivery.last_error,
            created_at=delivery.created_at,
            delivered_at=delivery.delivered_at,
        )
