"""Sending webhooks: after commit, signed, retried with backoff, each (endpoint, event) once.

One pass of `dispatch_pending` is three steps, and no database transaction is open while it waits on
the network (on SQLite that would hold the single write lock for every slow endpoint):

1. In one transaction, fan new outbox events out into delivery rows (one per matching active
   endpoint; (endpoint, event) is unique, so a repeated fan-out adds nothing) and claim the due
   deliveries with a lease: their `next_attempt_at` moves past the time the pass needs. On
   PostgreSQL the rows are locked FOR UPDATE SKIP LOCKED, so several workers share the work; on
   SQLite the write transaction serialises them.
2. POST each claimed delivery, outside any transaction.
3. In a second transaction, record each answer on the rows this pass still holds the lease of.

A worker that dies between 1 and 3 leaves its claims to expire; they are sent again then, which is
why receivers get `X-Fanloop-Delivery` to recognise a repeat."""

from __future__ import annotations

import json
import logging
import urllib.error
import urllib.request
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from fanloop import __version__
from fanloop.core import clock
from fanloop.core.db import Database, insert_ignoring
from fanloop.service.notify.models import OutboxEvent, WebhookDelivery, WebhookEndpoint
from fanloop.service.notify.webhooks import (
    DELIVERY_HEADER,
    EVENT_HEADER,
    SIGNATURE_HEADER,
    sign,
    wants,
)

log = logging.getLogger("fanloop.webhooks")

FANOUT_BATCH = 200
DELIVERY_BATCH = 20
SENDERS = 8
TIMEOUT_SECONDS = 5.0
# Longer than a batch can take (DELIVERY_BATCH / SENDERS rounds of TIMEOUT_SECONDS, with margin).
LEASE = timedelta(minutes=2)
MAX_ATTEMPTS = 8
BACKOFF_BASE = timedelta(seconds=30)
BACKOFF_CAP = timedelta(hours=1)
MAX_ERROR_LENGTH = 500


@dataclass(frozen=True)
class Attempt:
    """A claimed delivery, with everything needed to send it outside the database."""

    delivery_id: int
    url: str
    topic: str
    body: bytes
    lease_until: datetime
    secret: str = field(repr=False)


@dataclass(frozen=True)
class Outcome:
    delivery_id: int
    lease_until: datetime
    status_code: int | None
    error: str

    @property
    def ok(self) -> bool:
        return self.status_code is not None and 200 <= self.status_code < 300


def dispatch_pending(database: Database) -> int:
    """One pass: fan out new events, claim due deliveries, send them, record the answers.
    Returns how many deliveries were attempted."""
    with database.unit_of_work(write=True) as session:
        fan_out(session)
        attempts = claim_due(session)
    if not attempts:
        return 0
    outcomes = send_all(attempts)
    with database.unit_of_work(write=True) as session:
        record(session, outcomes)
    return len(outcomes)


def backoff(attempts: int) -> timedelta:
    """How long to wait after the `attempts`-th failure: 30 s, 1 min, 2 min, ... at most an hour."""
    return min(BACKOFF_BASE * 2 ** max(0, attempts - 1), BACKOFF_CAP)


def _is_postgresql(session: Session) -> bool:
    return session.get_bind().dialect.name == "postgresql"


def fan_out(session: Session, *, limit: int = FANOUT_BATCH) -> int:
    """Turn undispatched outbox events into pending deliveries; returns how many events were handled."""
    now = clock.now()
    query = (
        select(OutboxEvent).where(OutboxEvent.dispatched_at.is_(None)).order_by(OutboxEvent.id).limit(limit)
    )
    if _is_postgresql(session):
        query = query.with_for_update(skip_locked=True)
    events = list(session.scalars(query))
    if not events:
        return 0
    endpoints = list(session.scalars(select(WebhookEndpoint).where(WebhookEndpoint.active.is_(True))))
    rows = [
        {
            "endpoint_id": endpoint.id,
            "event_id": event.id,
            "topic": event.topic,
            "status": "pending",
            "attempts": 0,
            "next_attempt_at": now,
            "last_error": "",
            "created_at": now,
        }
        for event in events
        for endpoint in endpoints
        if wants(endpoint, event.topic)
    ]
    if rows:
        session.execute(insert_ignoring(session, WebhookDelivery, conflict=["endpoint_id", "event_id"]), rows)
    for event in events:
        event.dispatched_at = now
    return len(events)


def claim_due(session: Session, *, limit: int = DELIVERY_BATCH) -> list[Attempt]:
    """Lease the deliveries that are due (of active endpoints) and build their requests."""
    now = clock.now()
    query = (
        select(WebhookDelivery)
        .join(WebhookEndpoint, WebhookEndpoint.id == WebhookDelivery.endpoint_id)
        .where(
            WebhookDelivery.status == "pending",
            WebhookDelivery.next_attempt_at <= now,
            WebhookEndpoint.active.is_(True),
        )
        .order_by(WebhookDelivery.next_attempt_at, WebhookDelivery.id)
        .limit(limit)
    )
    if _is_postgresql(session):
        query = query.with_for_update(skip_locked=True, of=WebhookDelivery)
    deliveries = list(session.scalars(query))
    if not deliveries:
        return []
    endpoints = _by_id(session, WebhookEndpoint, {d.endpoint_id for d in deliveries})
    events = _by_id(session, OutboxEvent, {d.event_id for d in deliveries})
    lease_until = now + LEASE
    attempts = []
    for delivery in deliveries:
        delivery.next_attempt_at = lease_until
        endpoint, event = endpoints[delivery.endpoint_id], events[delivery.event_id]
        attempts.append(
            Attempt(
                delivery_id=delivery.id,
                url=endpoint.url,
                topic=event.topic,
                body=event_body(event),
                lease_until=lease_until,
                secret=endpoint.secret,
            )
        )
    return attempts


def _by_id(session: Session, model, ids: set[int]) -> dict:  # noqa: ANN001
    return {row.id: row for row in session.scalars(select(model).where(model.id.in_(ids)))}


def event_body(event: OutboxEvent) -> bytes:
    """The JSON body every endpoint receives for an event."""
    document = {
        "id": event.id,
        "topic": event.topic,
        "created_at": event.created_at.isoformat(),
        "data": event.payload,
    }
    return json.dumps(document, ensure_ascii=False, separators=(",", ":")).encode()


def send_all(attempts: list[Attempt]) -> list[Outcome]:
    """POST every attempt, a few at a time, so one slow endpoint does not hold up the rest."""
    if len(attempts) == 1:
        return [send(attempts[0])]
    with ThreadPoolExecutor(max_workers=min(SENDERS, len(attempts))) as pool:
        return list(pool.map(send, attempts))


class _NoRedirects(urllib.request.HTTPRedirectHandler):
    """A redirect is an answer, not a delivery: following it would re-send the body elsewhere."""

    def redirect_request(self, *_args, **_kwargs) -> None:  # noqa: ANN002, ANN003
        return None


_opener = urllib.request.build_opener(_NoRedirects)


def send(attempt: Attempt) -> Outcome:
    """POST one signed delivery; any answer but 2xx, and any network error, is a failure."""
    timestamp = int(clock.now().timestamp())
    request = urllib.request.Request(
        attempt.url,
        data=attempt.body,
        method="POST",
        headers={
            "Content-Type": "application/json",
            "User-Agent": f"fanloop-webhooks/{__version__}",
            EVENT_HEADER: attempt.topic,
            DELIVERY_HEADER: str(attempt.delivery_id),
            SIGNATURE_HEADER: sign(attempt.secret, timestamp, attempt.body),
        },
    )
    try:
        with _opener.open(request, timeout=TIMEOUT_SECONDS) as response:
            response.read(4096)
            status = response.status
            error = "" if 200 <= status < 300 else f"HTTP {status}"
            return Outcome(attempt.delivery_id, attempt.lease_until, status, error)
    except urllib.error.HTTPError as answer:
        return Outcome(attempt.delivery_id, attempt.lease_until, answer.code, _describe_answer(answer))
    except (urllib.error.URLError, OSError, ValueError) as error:
        reason = getattr(error, "reason", None) or error
        return Outcome(attempt.delivery_id, attempt.lease_until, None, f"{type(error).__name__}: {reason}")


def _describe_answer(answer: urllib.error.HTTPError) -> str:
    try:
        text = answer.read(300).decode("utf-8", "replace").strip()
    except OSError:
        text = ""
    finally:
        answer.close()
    return f"HTTP {answer.code}" + (f": {text}" if text else "")


def record(session: Session, outcomes: list[Outcome]) -> None:
    """Write each answer to the delivery log: delivered, retry later, or failed for good."""
    now = clock.now()
    for outcome in outcomes:
        query = select(WebhookDelivery).where(WebhookDelivery.id == outcome.delivery_id)
        if _is_postgresql(session):
            query = query.with_for_update()
        delivery = session.scalar(query)
        # Only the holder of the lease records: after it expired, another worker owns the row.
        if (
            delivery is None
            or delivery.status != "pending"
            or delivery.next_attempt_at != outcome.lease_until
        ):
            continue
        delivery.attempts += 1
        delivery.last_status_code = outcome.status_code
        delivery.last_error = outcome.error[:MAX_ERROR_LENGTH]
        if outcome.ok:
            delivery.status, delivery.delivered_at, delivery.next_attempt_at = "delivered", now, None
        elif delivery.attempts >= MAX_ATTEMPTS:
            delivery.status, delivery.next_attempt_at = "failed", None
            log.warning("webhook delivery %s failed for good: %s", delivery.id, delivery.last_error)
        else:
            delivery.next_attempt_at = now + backoff(delivery.attempts)
