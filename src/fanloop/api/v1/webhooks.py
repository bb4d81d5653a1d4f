"""Outbound webhooks (admin): endpoints, their delivery log, and test events."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, Response, status

from fanloop.deps import RequiredMember, SessionDep
from fanloop.service.notify import webhooks
from fanloop.service.notify.schemas import (
    DeliveryRead,
    WebhookCreate,
    WebhookCreated,
    WebhookRead,
    WebhookUpdate,
)

router = APIRouter(prefix="/webhooks", tags=["webhooks"])


@router.post("", response_model=WebhookCreated, status_code=status.HTTP_201_CREATED)
def create_webhook(body: WebhookCreate, actor: RequiredMember, session: SessionDep):
    """Register an endpoint. The answer holds its signing secret, which is never shown again."""
    endpoint, secret = webhooks.create_endpoint(session, actor=actor, url=body.url, topics=body.topics)
    return WebhookCreated(**WebhookRead.of(endpoint).model_dump(), secret=secret)


@router.get("", response_model=list[WebhookRead])
def list_webhooks(actor: RequiredMember, session: SessionDep):
    """Every endpoint, without secrets."""
    return [WebhookRead.of(endpoint) for endpoint in webhooks.list_endpoints(session, actor=actor)]


@router.get("/{endpoint_id}", response_model=WebhookRead)
def get_webhook(endpoint_id: int, actor: RequiredMember, session: SessionDep):
    return WebhookRead.of(webhooks.get_endpoint(session, actor=actor, endpoint_id=endpoint_id))


@router.patch("/{endpoint_id}", response_model=WebhookRead)
def update_webhook(endpoint_id: int, body: WebhookUpdate, actor: RequiredMember, session: SessionDep):
    """Pause or resume an endpoint (`active`), or change its topics or URL."""
    endpoint = webhooks.update_endpoint(
        session, actor=actor, endpoint_id=endpoint_id, active=body.active, topics=body.topics, url=body.url
    )
    return WebhookRead.of(endpoint)


@router.delete("/{endpoint_id}", status_code=status.HTTP_204_NO_CONTENT)
def delete_webhook(endpoint_id: int, actor: RequiredMember, session: SessionDep) -> Response:
    """Remove an endpoint and its delivery log."""
    webhooks.delete_endpoint(session, actor=actor, endpoint_id=endpoint_id)
    return Response(status_code=status.HTTP_204_NO_CONTENT)


@router.get("/{endpoint_id}/deliveries", response_model=list[DeliveryRead])
def list_deliveries(
    endpoint_id: int,
    actor: RequiredMember,
    session: SessionDep,
    limit: Annotated[int, Query(ge=1, le=500)] = 50,
):
    """The endpoint's delivery log, newest first: status, attempts, last answer or error."""
    deliveries = webhooks.list_deliveries(session, actor=actor, endpoint_id=endpoint_id, limit=limit)
    return [DeliveryRead.of(delivery) for delivery in deliveries]


@router.post("/{endpoint_id}/test", response_model=DeliveryRead, status_code=status.HTTP_202_ACCEPTED)
def send_test_event(endpoint_id: int, actor: RequiredMember, session: SessionDep):
    """Queue a `ping` event for this endpoint; the worker sends it within a moment."""
    return DeliveryRead.of(webhooks.queue_ping(session, actor=actor, endpoint_id=endpoint_id))
