"""Replies back to channels (staff): where each staff reply on an imported post stands, and retry."""

from __future__ import annotations

from datetime import datetime

from fastapi import APIRouter
from pydantic import BaseModel

from fanloop.deps import RequiredMember, SessionDep
from fanloop.growth.channels import delivery as deliveries
from fanloop.growth.channels.delivery import DeliveryStatus

router = APIRouter(tags=["channels"])


class ChannelDeliveryRead(BaseModel):
    id: int
    reply_id: int
    post_id: int
    channel: str
    channel_name: str
    connector: str
    state: str
    attempts: int
    last_error: str
    next_attempt_at: datetime | None
    delivered_at: datetime | None
    external_id: str
    created_at: datetime

    @classmethod
    def of(cls, status: DeliveryStatus) -> ChannelDeliveryRead:
        return cls(
            id=status.id,
            reply_id=status.reply_id,
            post_id=status.post_id,
            channel=status.channel_slug,
            channel_name=status.channel_name,
            connector=status.connector,
            state=status.state,
            attempts=status.attempts,
            last_error=status.last_error,
            next_attempt_at=status.next_attempt_at,
            delivered_at=status.delivered_at,
            external_id=status.external_id,
            created_at=status.created_at,
        )


@router.get("/posts/{post_id}/deliveries", response_model=list[ChannelDeliveryRead])
def list_post_deliveries(post_id: int, actor: RequiredMember, session: SessionDep):
    """Each staff reply of the post on its way back to the channel: state, attempts, last error."""
    found = deliveries.deliveries_for_post(session, viewer=actor, post_id=post_id)
    return [ChannelDeliveryRead.of(status) for status in found]


@router.post("/deliveries/{delivery_id}/retry", response_model=ChannelDeliveryRead)
def retry_delivery(delivery_id: int, actor: RequiredMember, session: SessionDep):
    """Send a failed or dead delivery again now (409 for any other state)."""
    return ChannelDeliveryRead.of(deliveries.retry_delivery(session, actor=actor, delivery_id=delivery_id))
