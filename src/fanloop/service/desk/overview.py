"""What the service desk says about one post: who answered it and how fast (for everyone), and for
staff its ticket, clocks and assignment history."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from fanloop.community.members.models import Member
from fanloop.community.posts import service as posts
from fanloop.community.posts.models import Post
from fanloop.core.permissions import Action, can
from fanloop.service.desk import service as desk
from fanloop.service.desk.models import Assignment, Ticket
from fanloop.service.sla.models import SlaClock


@dataclass(slots=True)
class FirstAnswer:
    """The first public staff reply: who wrote it, when, and after how much working time."""

    by: Member
    at: datetime
    elapsed_seconds: float | None


@dataclass(slots=True)
class PostService:
    post: Post
    first_answer: FirstAnswer | None
    # Staff only; empty for everyone else.
    ticket: Ticket | None = None
    clocks: list[desk.ClockView] = field(default_factory=list)
    assignments: list[Assignment] = field(default_factory=list)
    people: dict[int, Member] = field(default_factory=dict)
    is_staff_view: bool = False

    def person(self, member_id: int | None) -> Member | None:
        return self.people.get(member_id) if member_id else None


def post_service(session: Session, *, viewer: Member | None, post_id: int) -> PostService:
    """The post's service state as the viewer may see it (404 when they cannot see the post)."""
    post = posts.get_post(session, viewer=viewer, post_id=post_id)
    ticket = desk.get_ticket(session, post.id)
    summary = PostService(post=post, first_answer=first_answer(session, ticket))
    if not can(viewer, Action.VIEW_STAFF_AREA):
        return summary
    summary.is_staff_view = True
    summary.ticket = ticket
    summary.clocks = desk.clock_views(session, post.id)
    summary.assignments = desk.assignment_history(session, post.id)
    ids = {c.stopped_by_id for c in summary.clocks} | {a.assigned_by_id for a in summary.assignments}
    ids |= {a.assignee_id for a in summary.assignments}
    ids.discard(None)
    if ids:
        summary.people = {m.id: m for m in session.scalars(select(Member).where(Member.id.in_(ids)))}
    return summary


def first_answer(session: Session, ticket: Ticket | None) -> FirstAnswer | None:
    if ticket is None or ticket.first_replied_at is None or ticket.first_replied_by is None:
        return None
    elapsed = session.scalar(
        select(SlaClock.elapsed_seconds)
        .where(
            SlaClock.post_id == ticket.post_id, SlaClock.kind == "first_reply", SlaClock.state == "stopped"
        )
        .order_by(SlaClock.id)
        .limit(1)
    )
    return FirstAnswer(by=ticket.first_replied_by, at=ticket.first_replied_at, elapsed_seconds=elapsed)
