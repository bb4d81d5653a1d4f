"""How the service desk follows the community: registered once at start-up."""

from __future__ import annotations

from sqlalchemy.orm import Session

from fanloop.community.members.models import Member
from fanloop.core import events
from fanloop.service.desk import service as desk
from fanloop.service.notify import service as notify
from fanloop.service.sla.models import SlaEvent


def _on_post_created(session: Session, *, post, **_) -> None:  # noqa: ANN001
    desk.open_ticket(session, post=post)


def _on_reply_created(session: Session, *, post, reply, **_) -> None:  # noqa: ANN001
    desk.on_reply(session, post=post, reply=reply)


def _on_status_changed(session: Session, *, post, status: str, **_) -> None:  # noqa: ANN001
    desk.on_status_changed(session, post=post, status=status)


def _on_post_removed(session: Session, *, post, **_) -> None:  # noqa: ANN001
    desk.on_post_removed(session, post=post)


def _on_sla_warning(session: Session, *, event: SlaEvent, **_) -> None:
    if event.assignee_id:
        notify.notify(
            session,
            member_id=event.assignee_id,
            kind="sla_warning",
            title=f"Post #{event.post_id} is close to its reply target",
            url=f"/posts/{event.post_id}",
            post_id=event.post_id,
            dedupe_key=f"sla:{event.id}:assignee",
        )
    notify.emit(session, topic="sla.warning", payload=_payload(event))


def _on_sla_breach(session: Session, *, event: SlaEvent, **_) -> None:
    """Escalate: tell the assignee and the leads, and hand the post to someone else on duty."""
    from sqlalchemy import select

    if event.assignee_id:
        notify.notify(
            session,
            member_id=event.assignee_id,
            kind="sla_breach",
            title=f"Post #{event.post_id} missed its reply target",
            url=f"/posts/{event.post_id}",
            post_id=event.post_id,
            dedupe_key=f"sla:{event.id}:assignee",
        )
    for lead_id in session.scalars(select(Member.id).where(Member.role.in_(("lead", "admin")))):
        notify.notify(
            session,
            member_id=lead_id,
            kind="sla_escalation",
            title=f"Escalated: post #{event.post_id} missed its reply target",
            url=f"/posts/{event.post_id}",
            post_id=event.post_id,
            dedupe_key=f"sla:{event.id}:lead:{lead_id}",
        )
    new_assignee = desk.reassign_after_breach(session, post_id=event.post_id)
    if new_assignee:
        notify.notify(
            session,
            member_id=new_assignee,
            kind="sla_reassigned",
            title=f"Post #{event.post_id} was passed to you after a missed target",
            url=f"/posts/{event.post_id}",
            post_id=event.post_id,
            dedupe_key=f"sla:{event.id}:new",
        )
    notify.emit(session, topic="sla.breach", payload=_payload(event))


def _payload(event: SlaEvent) -> dict:
    return {
        "post_id": event.post_id,
        "kind": event.kind,
        "clock_id": event.clock_id,
        "due_at": event.due_at.isoformat(),
        "fired_at": event.fired_at.isoformat(),
        "assignee_id": event.assignee_id,
    }


def register() -> None:
    events.subscribe("post.created", _on_post_created)
    events.subscribe("reply.created", _on_reply_created)
    events.subscribe("post.status_changed", _on_status_changed)
    events.subscribe("post.removed", _on_post_removed)
    events.subscribe("sla.warning", _on_sla_warning)
    events.subscribe("sla.breach", _on_sla_breach)
