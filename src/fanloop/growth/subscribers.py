"""How the growth domain follows the community: registered once at start-up (fanloop.wiring)."""

from __future__ import annotations

from sqlalchemy.orm import Session

from fanloop.core import events
from fanloop.growth.channels import delivery


def _on_reply_created(session: Session, *, post, reply, **_) -> None:  # noqa: ANN001
    """A staff reply to an imported post goes back to its channel (queued; the worker sends it)."""
    delivery.queue_reply(session, post=post, reply=reply)


def _on_mentions_imported(session: Session, *, channel, mentions, **_) -> None:  # noqa: ANN001
    """A claim code posted from the claimed account proves the claim."""
    from fanloop.growth.channels import identities

    identities.verify_from_mentions(session, channel=channel, mentions=mentions)


def register() -> None:
    events.subscribe("mentions.imported", _on_mentions_imported)
    events.subscribe("reply.created", _on_reply_created)
