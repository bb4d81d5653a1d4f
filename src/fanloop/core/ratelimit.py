"""Sliding-window rate limits kept in the database, so several processes share one count."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import delete, func, select
from sqlalchemy.orm import Session

from fanloop.core import clock
from fanloop.core.errors import RateLimited
from fanloop.core.models import RateEvent


def hit(session: Session, *, bucket: str, key: str, limit: int, window_seconds: int) -> None:
    """Count one action; raise RateLimited if it would exceed `limit` within the window."""
    check(session, bucket=bucket, key=key, limit=limit, window_seconds=window_seconds)
    record(session, bucket=bucket, key=key)


def record(session: Session, *, bucket: str, key: str) -> None:
    """Count one action without checking (e.g. a failed log-in)."""
    session.add(RateEvent(bucket=bucket, key=key, created_at=clock.now()))


def check(session: Session, *, bucket: str, key: str, limit: int, window_seconds: int) -> None:
    """Raise RateLimited if `limit` actions already happened within the window."""
    now = clock.now()
    since = now - timedelta(seconds=window_seconds)
    session.execute(
        delete(RateEvent).where(
            RateEvent.bucket == bucket, RateEvent.key == key, RateEvent.created_at < since
        )
    )
    count, oldest = session.execute(
        select(func.count(), func.min(RateEvent.created_at)).where(
            RateEvent.bucket == bucket, RateEvent.key == key, RateEvent.created_at >= since
        )
    ).one()
    if count >= limit:
        oldest = clock.as_utc(oldest)
        retry_after = int((oldest + timedelta(seconds=window_seconds) - now).total_seconds()) + 1
        raise RateLimited(f"Too many attempts; try again in {retry_after} seconds.", retry_after=retry_after)


def clear(session: Session, *, bucket: str, key: str) -> None:
    session.execute(delete(RateEvent).where(RateEvent.bucket == bucket, RateEvent.key == key))
