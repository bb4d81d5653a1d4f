"""How each member wants notifications e-mailed, per topic: immediately (one mail each, the default)
or in a daily digest. In-app notifications appear either way."""

from __future__ import annotations

from sqlalchemy import ColumnElement, and_, exists, not_, select
from sqlalchemy.orm import Session

from fanloop.core import clock
from fanloop.core.db import insert_ignoring
from fanloop.core.errors import Invalid
from fanloop.service.notify.models import Notification, NotificationPreference

IMMEDIATELY = "immediately"
DAILY_DIGEST = "daily_digest"
DELIVERIES = (IMMEDIATELY, DAILY_DIGEST)
# A topic is a group of kinds a member decides about at once. Escalations are the missed and nearly
# missed reply targets: on a bad day a lead gets dozens.
TOPICS: dict[str, tuple[str, ...]] = {"escalations": ("sla_escalation", "sla_breach", "sla_warning")}
ESCALATIONS = "escalations"


def get_preferences(session: Session, *, member_id: int) -> dict[str, str]:
    """Each topic's delivery for a member (immediately unless they chose otherwise)."""
    chosen = dict(
        session.execute(
            select(NotificationPreference.topic, NotificationPreference.delivery).where(
                NotificationPreference.member_id == member_id
            )
        ).all()
    )
    return {topic: chosen.get(topic, IMMEDIATELY) for topic in TOPICS}


def set_preference(session: Session, *, member_id: int, topic: str, delivery: str) -> None:
    """Choose how one topic is e-mailed to a member."""
    if topic not in TOPICS:
        raise Invalid(f"Unknown topic {topic!r}.", field="topic")
    if delivery not in DELIVERIES:
        raise Invalid("Choose immediately or daily_digest.", field=topic)
    now = clock.now()
    session.execute(
        insert_ignoring(session, NotificationPreference, conflict=["member_id", "topic"]).values(
            member_id=member_id, topic=topic, delivery=delivery, updated_at=now
        )
    )
    row = session.scalar(
        select(NotificationPreference).where(
            NotificationPreference.member_id == member_id, NotificationPreference.topic == topic
        )
    )
    row.delivery, row.updated_at = delivery, now


def digest_members(topic: str):  # noqa: ANN201
    """A statement for the ids of the members who chose the daily digest of `topic`."""
    return select(NotificationPreference.member_id).where(
        NotificationPreference.topic == topic, NotificationPreference.delivery == DAILY_DIGEST
    )


def mailed_one_by_one() -> ColumnElement[bool]:
    """A condition on Notification: it is e-mailed on its own, not held for its member's digest."""
    held = [
        and_(
            Notification.kind.in_(kinds),
            exists().where(
                NotificationPreference.member_id == Notification.member_id,
                NotificationPreference.topic == topic,
                NotificationPreference.delivery == DAILY_DIGEST,
            ),
        )
        for topic, kinds in TOPICS.items()
    ]
    return and_(*(not_(condition) for condition in held))
