"""Telling people: in-app notifications, and events for the outside world queued in the outbox
(webhooks and mail leave only after the transaction that caused them commits)."""

from __future__ import annotations

from sqlalchemy import func, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from fanloop.core import clock
from fanloop.service.notify.models import Notification, OutboxEvent


def notify(
    session: Session,
    *,
    member_id: int,
    kind: str,
    title: str,
    dedupe_key: str,
    body: str = "",
    url: str = "",
    post_id: int | None = None,
) -> bool:
    """Add an in-app notification once per dedupe key; returns whether it was new."""
    values = {
        "member_id": member_id,
        "kind": kind,
        "title": title[:200],
        "body": body,
        "url": url[:300],
        "post_id": post_id,
        "dedupe_key": dedupe_key[:160],
        "created_at": clock.now(),
    }
    dialect = session.get_bind().dialect.name
    insert = (postgresql.insert if dialect == "postgresql" else sqlite.insert)(Notification).values(**values)
    result = session.execute(insert.on_conflict_do_nothing(index_elements=["dedupe_key"]))
    return result.rowcount == 1


def emit(session: Session, *, topic: str, payload: dict) -> OutboxEvent:
    """Queue an event for webhooks; dispatched after commit by the worker."""
    event = OutboxEvent(topic=topic, payload=payload, created_at=clock.now())
    session.add(event)
    return event


def unread_count(session: Session, *, member_id: int) -> int:
    return session.scalar(
        select(func.count())
        .select_from(Notification)
        .where(Notification.member_id == member_id, Notification.read_at.is_(None))
    )


def list_notifications(session: Session, *, member_id: int, limit: int = 50) -> list[Notification]:
    return list(
        session.scalars(
            select(Notification)
            .where(Notification.member_id == member_id)
            .order_by(Notification.id.desc())
            .limit(limit)
        )
    )


def mark_read(session: Session, *, member_id: int, notification_ids: list[int] | None = None) -> None:
    """Mark some (or all) of a member's notifications read."""
    query = update(Notification).where(Notification.member_id == member_id, Notification.read_at.is_(None))
    if notification_ids is not None:
        query = query.where(Notification.id.in_(notification_ids))
    session.execute(query.values(read_at=clock.now()))
