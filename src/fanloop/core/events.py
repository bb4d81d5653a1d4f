"""Domain events. A service publishes what happened; subscribers in other domains react inside the
same unit of work (so their writes commit or roll back with the cause), and anything that leaves
the process (webhooks, mail) is queued in the outbox table and sent only after the commit."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable
from typing import Any

from sqlalchemy.orm import Session

Handler = Callable[..., None]
_subscribers: dict[str, list[Handler]] = defaultdict(list)


def subscribe(event: str, handler: Handler) -> None:
    """Call `handler(session, **payload)` whenever `event` is published; registering twice is a no-op."""
    if handler not in _subscribers[event]:
        _subscribers[event].append(handler)


def publish(session: Session, event: str, /, **payload: Any) -> None:
    """Tell the subscribers of `event`, in the order they subscribed, inside the caller's transaction."""
    for handler in list(_subscribers.get(event, ())):
        handler(session, **payload)


def subscribers(event: str) -> list[Handler]:
    return list(_subscribers.get(event, ()))
