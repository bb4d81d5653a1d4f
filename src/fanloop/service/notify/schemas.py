"""API shapes for notifications and webhooks."""

from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel, ConfigDict, Field, model_validator

from fanloop.service.notify.messages import headline
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


class NotificationsRead(_Input):
    """Mark notifications read: the listed ids, or with `all` every one."""

    ids: list[int] = Field(default_factory=list, max_length=500)
    all: bool = False

    @model_validator(mode="after")
    def _ids_or_all(self) -> NotificationsRead:
        if not self.ids and not self.all:
            raise ValueError("give the ids to mark read, or all: true")
        return self


class UnreadCount(BaseModel):
    unread: int


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
