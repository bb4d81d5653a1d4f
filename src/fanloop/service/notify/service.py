"""Telling people: in-app notifications, and events for the outside world queued in the outbox
(webhooks and mail leave only after the transaction that caused them commits)."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from sqlalchemy import func, select, update
from sqlalchemy.orm import Session

from fanloop.core import clock
from fanloop.core.db import insert_ignoring
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
    row = _row(member_id, dedupe_key, kind=kind, title=title, body=body, url=url, post_id=post_id)
    # RETURNING, not rowcount: psycopg reports no rowcount for this INSERT, so on PostgreSQL every
    # notification looked like a repeat.
    table = Notification.__table__
    new_id = session.scalar(
        insert_ignoring(session, table, conflict=["dedupe_key"]).values(**row).returning(table.c.id)
    )
    return new_id is not None


def notify_many(
    session: Session,
    *,
    member_ids: Iterable[int],
    kind: str,
    title: str,
    dedupe_prefix: str,
    body: str = "",
    url: str = "",
    post_id: int | None = None,
) -> None:
    """Tell several members the same thing, each once: their dedupe key is `<prefix>:<member id>`."""
    rows = [
        _row(
            member_id,
            f"{dedupe_prefix}:{member_id}",
            kind=kind,
            title=title,
            body=body,
            url=url,
            post_id=post_id,
        )
        for member_id in sorted(set(member_ids))
    ]
    if rows:
        session.execute(_insert_once(session), rows)


@dataclass(frozen=True, slots=True)
class Notice:
    """One member's own message, for `notify_each`."""

    member_id: int
    title: str
    body: str = ""
    url: str = ""
    post_id: int | None = None


def notify_each(
    session: Session, *, notices: Iterable[Notice], kind: str, dedupe_prefix: str, batch: int = 1000
) -> int:
    """Tell each member their own message, once per member and cause (`<prefix>:<member id>`), in
    batches of multi-row INSERTs; returns how many notices were handed over."""
    count = 0
    rows: list[dict] = []
    for notice in notices:
        rows.append(
            _row(
                notice.member_id,
                f"{dedupe_prefix}:{notice.member_id}",
                kind=kind,
                title=notice.title,
                body=notice.body,
                url=notice.url,
                post_id=notice.post_id,
            )
        )
        if len(rows) == batch:
            session.execute(_insert_once(session), rows)
            count, rows = count + len(rows), []
    if rows:
        session.execute(_insert_once(session), rows)
        count += len(rows)
    return count


def _row(
    member_id: int, dedupe_key: str, *, kind: str, title: str, body: str, url: str, post_id: int | None
) -> dict:
    return {
        "member_id": member_id,
        "kind": kind,
        "title": title[:200],
        "body": body,
        "url": url[:300],
        "post_id": post_id,
        "dedupe_key": dedupe_key[:160],
        "created_at": clock.now(),
    }


def _insert_once(session: Session):  # noqa: ANN202
    """INSERT that skips a notification whose dedupe key exists already."""
    return insert_ignoring(session, Notification, conflict=["dedupe_key"])


def emit(session: Session, *, topic: str, payload: dict) -> OutboxEvent:
    """Queue an event for webhooks; dispatched after commit by the worker."""
    event = OutboxEvent(topic=topic, payload=payload, created_at=clock.now())
    session.add(event)
    return event


def unread_count(session: Session, *, member_id: int, cap: int | None = None) -> int:
    """How many of a member's notifications are unread; with `cap`, counting stops there (a badge
    shows "99+"), so the query stays cheap however many pile up."""
    unread = select(Notification.id).where(
        Notification.member_id == member_id, Notification.read_at.is_(None)
    )
    if cap is not None:
        unread = unread.limit(cap)
    return session.scalar(select(func.count()).select_from(unread.subquery()))


def list_notifications(session: Session, *, member_id: int, limit: int = 50) -> list[Notification]:
    """A member's notifications: unread first, newest first within each."""
    return list(
        session.scalars(
            select(Notification)
            .where(Notification.member_id == member_id)
            .order_by(Notification.read_at.is_not(None), Notification.id.desc())
            .limit(limit)
        )
    )


def mark_read(session: Session, *, member_id: int, notification_ids: list[int] | None = None) -> None:
    """Mark some (or all) of a member's notifications read."""
    query = update(Notification).where(Notification.member_id == member_id, Notification.read_at.is_(None))
    if notification_ids is not None:
        query = query.where(Notification.id.in_(notification_ids))
    session.execute(query.values(read_at=clock.now()))
