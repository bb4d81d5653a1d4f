"""Who hears about what: a post's author and followers are told when the team replies or the status
changes, and integrators' webhooks get an outbox event for each. All of it is written inside the
transaction that caused it, so nothing is told about a change that rolled back."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from fanloop.community.posts.models import Follow, Post, Reply, StatusChange
from fanloop.core import events
from fanloop.service.notify import service as notify

EXCERPT_LENGTH = 200


def post_payload(post: Post) -> dict:
    """How a post looks in a webhook event."""
    return {
        "id": post.id,
        "path": f"/posts/{post.id}",
        "title": post.title,
        "kind": post.kind,
        "status": post.status,
        "board": post.board.slug,
        "author": post.author.handle,
        "created_at": post.created_at.isoformat(),
    }


def _excerpt(text: str) -> str:
    text = " ".join(text.split())
    return text if len(text) <= EXCERPT_LENGTH else text[: EXCERPT_LENGTH - 1] + "…"


def _audience(session: Session, post: Post, *, leaving_out: int | None) -> set[int]:
    """The post's author and followers, less the member who caused the news."""
    followers = set(session.scalars(select(Follow.member_id).where(Follow.post_id == post.id)))
    return (followers | {post.author_id}) - {leaving_out}


def _on_post_created(session: Session, *, post: Post, **_) -> None:
    notify.emit(session, topic="post.created", payload={"post": post_payload(post)})


def _on_reply_created(session: Session, *, post: Post, reply: Reply, **_) -> None:
    if reply.is_internal:  # staff-only notes never leave the staff area
        return
    notify.emit(
        session,
        topic="reply.created",
        payload={
            "post": post_payload(post),
            "reply": {
                "id": reply.id,
                "author": reply.author.handle,
                "is_staff": reply.is_staff,
                "body": reply.body,
                "created_at": reply.created_at.isoformat(),
            },
        },
    )
    if reply.is_staff and not reply.is_automatic:
        notify.notify_many(
            session,
            member_ids=_audience(session, post, leaving_out=reply.author_id),
            kind="staff_reply",
            title=post.title,
            body=_excerpt(reply.body),
            url=f"/posts/{post.id}#reply-{reply.id}",
            post_id=post.id,
            dedupe_prefix=f"reply:{reply.id}",
        )


def _on_status_changed(session: Session, *, post: Post, status: str, announce: bool = True, **_) -> None:
    # The change being recorded is the post's latest (the query flushes it first); its id names the
    # cause, so each follower hears of each change once.
    change = session.scalar(
        select(StatusChange).where(StatusChange.post_id == post.id).order_by(StatusChange.id.desc()).limit(1)
    )
    notify.emit(
        session,
        topic="post.status_changed",
        payload={
            "post": post_payload(post),
            "status": status,
            "from_status": change.from_status if change else None,
        },
    )
    if not announce:  # told by whoever changed it in bulk (a release tells each member once)
        return
    notify.notify_many(
        session,
        member_ids=_audience(session, post, leaving_out=change.actor_id if change else None),
        kind="status_changed",
        title=post.title,
        body=status,
        url=f"/posts/{post.id}",
        post_id=post.id,
        dedupe_prefix=f"status:{change.id}" if change else f"status:{post.id}:{status}",
    )


def register() -> None:
    events.subscribe("post.created", _on_post_created)
    events.subscribe("reply.created", _on_reply_created)
    events.subscribe("post.status_changed", _on_status_changed)
