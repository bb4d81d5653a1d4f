"""Webhook endpoints (admin): where events go, which topics, the signing secret, the delivery log.

Each delivery is signed: `X-Fanloop-Signature: t=<unix time>,v1=<hex HMAC-SHA256 of "<t>.<body>">`
with the endpoint's secret, which is shown once when the endpoint is created."""

from __future__ import annotations

import hashlib
import hmac
import secrets
from urllib.parse import urlsplit

from sqlalchemy import select
from sqlalchemy.orm import Session

from fanloop.community.members.models import Member
from fanloop.core import clock
from fanloop.core.errors import Conflict, Invalid, NotFound
from fanloop.core.permissions import Action, require
from fanloop.service.notify.models import OutboxEvent, WebhookDelivery, WebhookEndpoint

TOPICS = (
    "post.created",
    "reply.created",
    "post.status_changed",
    "sla.warning",
    "sla.breach",
    "release.published",
)
PING_TOPIC = "ping"
MAX_URL_LENGTH = 500
SECRET_PREFIX = "whsec_"
SIGNATURE_HEADER = "X-Fanloop-Signature"
EVENT_HEADER = "X-Fanloop-Event"
DELIVERY_HEADER = "X-Fanloop-Delivery"


def sign(secret: str, timestamp: int, body: bytes) -> str:
    """The signature header value for `body` sent at `timestamp` (unix seconds)."""
    digest = hmac.new(secret.encode(), f"{timestamp}.".encode() + body, hashlib.sha256).hexdigest()
    return f"t={timestamp},v1={digest}"


def wants(endpoint: WebhookEndpoint, topic: str) -> bool:
    """Whether an endpoint subscribes to a topic (no topics: every topic)."""
    return not endpoint.topics or topic in endpoint.topics


def _clean_url(url: str) -> str:
    url = (url or "").strip()
    if not url:
        raise Invalid("Enter the URL that should receive the events.", field="url")
    if len(url) > MAX_URL_LENGTH:
        raise Invalid(f"The URL is longer than {MAX_URL_LENGTH} characters.", field="url")
    try:
        parts = urlsplit(url)
        parts.port  # noqa: B018  (raises on a malformed port)
    except ValueError:
        raise Invalid("The URL is not valid.", field="url") from None
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise Invalid("Use an http:// or https:// URL.", field="url")
    if any(ch.isspace() or ord(ch) < 32 for ch in url):
        raise Invalid("The URL is not valid.", field="url")
    return url


def _clean_topics(topics: list[str] | None) -> list[str]:
    chosen = sorted({(topic or "").strip() for topic in topics or []} - {""})
    unknown = [topic for topic in chosen if topic not in TOPICS]
    if unknown:
        raise Invalid(
            f"Unknown topic {unknown[0]!r}; use any of {', '.join(TOPICS)} (none: every topic).",
            field="topics",
        )
    return chosen


def create_endpoint(
    session: Session, *, actor: Member, url: str, topics: list[str] | None = None
) -> tuple[WebhookEndpoint, str]:
    """Register an endpoint; returns it with its signing secret, which is never shown again."""
    require(actor, Action.MANAGE_INTEGRATIONS)
    secret = SECRET_PREFIX + secrets.token_urlsafe(32)
    endpoint = WebhookEndpoint(
        url=_clean_url(url), secret=secret, topics=_clean_topics(topics), active=True, created_at=clock.now()
    )
    session.add(endpoint)
    session.flush()
    return endpoint, secret


def list_endpoints(session: Session, *, actor: Member) -> list[WebhookEndpoint]:
    require(actor, Action.MANAGE_INTEGRATIONS)
    return list(session.scalars(select(WebhookEndpoint).order_by(WebhookEndpoint.id)))


def get_endpoint(session: Session, *, actor: Member, endpoint_id: int) -> WebhookEndpoint:
    require(actor, Action.MANAGE_INTEGRATIONS)
    endpoint = session.get(WebhookEndpoint, endpoint_id)
    if endpoint is None:
        raise NotFound(f"There is no webhook endpoint {endpoint_id}.")
    return endpoint


def update_endpoint(
    session: Session,
    *,
    actor: Member,
    endpoint_id: int,
    active: bool | None = None,
    topics: list[str] | None = None,
    url: str | None = None,
) -> WebhookEndpoint:
    """Pause or resume an endpoint, or change its topics or URL; deliveries wait while it is paused."""
    endpoint = get_endpoint(session, actor=actor, endpoint_id=endpoint_id)
    if url is not None:
        endpoint.url = _clean_url(url)
    if topics is not None:
        endpoint.topics = _clean_topics(topics)
    if active is not None:
        endpoint.active = active
    return endpoint


def delete_endpoint(session: Session, *, actor: Member, endpoint_id: int) -> None:
    """Remove an endpoint and its delivery log."""
    session.delete(get_endpoint(session, actor=actor, endpoint_id=endpoint_id))


def list_deliveries(
    session: Session, *, actor: Member, endpoint_id: int | None = None, limit: int = 50
) -> list[WebhookDelivery]:
    """The delivery log, newest first: of one endpoint, or of all."""
    require(actor, Action.MANAGE_INTEGRATIONS)
    query = select(WebhookDelivery).order_by(WebhookDelivery.id.desc()).limit(max(1, min(limit, 500)))
    if endpoint_id is not None:
        get_endpoint(session, actor=actor, endpoint_id=endpoint_id)
        query = query.where(WebhookDelivery.endpoint_id == endpoint_id)
    return list(session.scalars(query))


def queue_ping(session: Session, *, actor: Member, endpoint_id: int) -> WebhookDelivery:
    """Queue a `ping` event for one endpoint only; the worker sends it after this commits."""
    endpoint = get_endpoint(session, actor=actor, endpoint_id=endpoint_id)
    if not endpoint.active:
        raise Conflict("The endpoint is paused; resume it before sending a test event.")
    now = clock.now()
    # Already fanned out (to this endpoint alone), so the dispatcher never offers it to the others.
    event = OutboxEvent(
        topic=PING_TOPIC, payload={"endpoint_id": endpoint.id}, created_at=now, dispatched_at=now
    )
    session.add(event)
    session.flush()
    delivery = WebhookDelivery(
        endpoint_id=endpoint.id,
        event_id=event.id,
        topic=PING_TOPIC,
        status="pending",
        attempts=0,
        next_attempt_at=now,
        last_error="",
        created_at=now,
    )
    session.add(delivery)
    session.flush()
    return delivery
