"""The service desk's view of a post: its ticket, SLA clocks and assignee, kept in step with what
happens in the community (posts, replies, statuses) through domain events."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from fanloop.community.levels.service import level_for
from fanloop.community.members.models import Member
from fanloop.community.posts.models import Post, Reply
from fanloop.core import clock
from fanloop.core.errors import Invalid, NotFound
from fanloop.core.permissions import Action, require
from fanloop.service.desk.models import PRIORITIES, Assignment, PostPresence, Ticket
from fanloop.service.rota import service as rota
from fanloop.service.sla import service as sla
from fanloop.service.sla.models import SlaClock

RESOLVED_STATUSES = ("shipped", "declined", "duplicate")
PRESENCE_SECONDS = 45


def post_facts(post: Post, priority: str = "normal") -> dict:
    """What policies and the rota match on."""
    return {
        "channel": post.channel,
        "board": post.board.slug,
        "kind": post.kind,
        "tags": [tag.slug for tag in post.tags],
        "priority": priority,
        "level": level_for(post.author.xp).number,
        "language": post.language,
    }


def open_ticket(session: Session, *, post: Post) -> Ticket:
    """A new post: its ticket, its first-reply (and resolution) clocks from the post's own time,
    and an assignee from the rota."""
    now = clock.now()
    ticket = Ticket(post_id=post.id, state="open", priority="normal", created_at=now, updated_at=now)
    session.add(ticket)
    facts = post_facts(post)
    policy = sla.match_policy(session, facts)
    assignee_id = (
        rota.pick_assignee(session, facts=facts) if rota.rota_settings(session).auto_assign else None
    )
    if assignee_id:
        _assign(session, ticket, assignee_id, by_id=None, reason="auto")
    for kind in ("first_reply", "resolution"):
        sla.start_clock(
            session,
            post_id=post.id,
            policy=policy,
            kind=kind,
            started_at=post.created_at,
            assignee_id=assignee_id,
        )
    return ticket


def get_ticket(session: Session, post_id: int) -> Ticket | None:
    return session.get(Ticket, post_id)


def lock_ticket(session: Session, post_id: int) -> Ticket | None:
    """The post's ticket, its row locked (PostgreSQL) and reloaded. Every path that changes a
    ticket's clocks takes the ticket first, then the clocks (and the post before both, where it
    locks the post): with one order, a request and the SLA sweep never deadlock."""
    if any(isinstance(row, Ticket) and row.post_id == post_id for row in session.dirty):
        session.flush()  # reloading the row must not drop changes not yet written
    return session.get(
        Ticket, post_id, with_for_update={"of": Ticket, "key_share": True}, populate_existing=True
    )


def hand_out_waiting(session: Session, *, limit: int = rota.HAND_OUT_BATCH) -> int:
    """Give live posts nobody on shift holds to someone who can take them, most urgent first:
    after capacity frees up, a shift starts or ends, or someone comes back on duty. Returns how
    many changed hands."""
    if not rota.rota_settings(session).auto_assign:
        return 0
    holders = rota.holders(session)
    if not holders:
        return 0  # nobody could take them; the leads were told when the spell began
    tickets = rota.waiting_tickets(session, holders=holders, limit=limit)
    if not tickets:
        return 0
    posts = {p.id: p for p in session.scalars(select(Post).where(Post.id.in_([t.post_id for t in tickets])))}
    chosen = rota.pick_assignees(
        session, facts_list=[post_facts(posts[t.post_id], t.priority) for t in tickets]
    )
    moved = 0
    for ticket, assignee_id in zip(tickets, chosen, strict=True):
        if assignee_id is not None and assignee_id != ticket.assignee_id:
            _assign(session, ticket, assignee_id, by_id=None, reason="handout")
            moved += 1
    return moved


def _assign(
    session: Session, ticket: Ticket, assignee_id: int | None, *, by_id: int | None, reason: str
) -> None:
    ticket.assignee_id = assignee_id
    ticket.assigned_at = clock.now()
    ticket.updated_at = clock.now()
    session.add(
        Assignment(
            post_id=ticket.post_id,
            assignee_id=assignee_id,
            assigned_by_id=by_id,
            reason=reason,
            created_at=clock.now(),
        )
    )
    for sla_clock in sla.open_clocks(session, ticket.post_id):
        sla_clock.assignee_id = assignee_id


def on_reply(session: Session, *, post: Post, reply: Reply) -> None:
    """A public staff reply stops the reply clocks, credited to its author; the fan writing again
    after an answer starts the next-reply clock (and ends a wait on the fan)."""
    if reply.is_internal or reply.is_automatic:
        return
    ticket = lock_ticket(session, post.id)
    if ticket is None:
        return
    at = reply.created_at
    if reply.is_staff:
        stopped = sla.open_clocks(session, post.id, sla.REPLY_CLOCKS)
        for sla_clock in stopped:
            sla.stop_clock(sla_clock, at=at, by_member_id=reply.author_id)
        if stopped:
            # Capacity freed up: a post that found everyone full is handed out now, not later.
            session.flush()
            hand_out_waiting(session, limit=1)
        if ticket.first_replied_at is None:
            ticket.first_replied_at, ticket.first_replied_by_id = at, reply.author_id
        if ticket.state == "open":
            ticket.state = "answered"
    elif reply.author_id == post.author_id and ticket.first_replied_at is not None:
        if ticket.state == "waiting_on_fan":
            for sla_clock in sla.open_clocks(session, post.id):
                sla.resume_clock(sla_clock, at=at)
        if ticket.state != "resolved" and not sla.open_clocks(
            session, post.id, ("next_reply", "first_reply")
        ):
            policy = sla.match_policy(session, post_facts(post, ticket.priority))
            sla.start_clock(
                session,
                post_id=post.id,
                policy=policy,
                kind="next_reply",
                started_at=at,
                assignee_id=ticket.assignee_id,
            )
        ticket.state = "open"
    ticket.updated_at = clock.now()


def on_status_changed(session: Session, *, post: Post, status: str) -> None:
    """A resolving status stops the resolution clock; a duplicate stops everything."""
    ticket = lock_ticket(session, post.id)
    if ticket is None:
        return
    now = clock.now()
    if status == "duplicate":
        for sla_clock in sla.open_clocks(session, post.id):
            sla.cancel_clock(sla_clock, at=now)
    if status in RESOLVED_STATUSES:
        for sla_clock in sla.open_clocks(session, post.id, ("resolution",)):
            sla.stop_clock(sla_clock, at=now, by_member_id=None)
        ticket.state = "resolved"
        ticket.updated_at = now


def on_post_removed(session: Session, *, post: Post) -> None:
    """A deleted post no longer waits for anyone."""
    lock_ticket(session, post.id)
    now = clock.now()
    for sla_clock in sla.open_clocks(session, post.id):
        sla.cancel_clock(sla_clock, at=now)


def set_waiting_on_fan(session: Session, *, actor: Member, post_id: int, waiting: bool) -> Ticket:
    """Staff mark a post as waiting on the fan (clocks pause) or not (clocks resume)."""
    require(actor, Action.CHANGE_STATUS)
    ticket = _ticket_or_404(session, post_id)
    now = clock.now()
    if waiting and ticket.state != "waiting_on_fan":
        for sla_clock in sla.open_clocks(session, post_id):
            sla.pause_clock(sla_clock, at=now)
        ticket.state = "waiting_on_fan"
    elif not waiting and ticket.state == "waiting_on_fan":
        for sla_clock in sla.open_clocks(session, post_id):
            sla.resume_clock(sla_clock, at=now)
        ticket.state = "open" if ticket.first_replied_at is None else "answered"
    ticket.updated_at = now
    return ticket


def set_priority(session: Session, *, actor: Member, post_id: int, priority: str) -> Ticket:
    """Change a post's priority; its clocks follow the policy that now matches."""
    require(actor, Action.CHANGE_STATUS)
    if priority not in PRIORITIES:
        raise Invalid(f"Unknown priority {priority!r}; use one of {', '.join(PRIORITIES)}.", field="priority")
    ticket = _ticket_or_404(session, post_id)
    ticket.priority = priority
    post = session.get(Post, post_id)
    policy = sla.match_policy(session, post_facts(post, priority))
    for sla_clock in sla.open_clocks(session, post_id):
        if sla_clock.policy_id != policy.id:
            sla_clock.policy_id, sla_clock.policy = policy.id, policy
            minutes = sla.target_minutes(policy, sla_clock.kind)
            if not minutes:
                sla.cancel_clock(sla_clock, at=clock.now())
                continue
            sla_clock.target_seconds = minutes * 60
            if sla_clock.state == "running":
                sla_clock.used_seconds = sla.working_elapsed(sla_clock, clock.now())
                sla_clock.running_since = clock.now()
                sla._schedule(sla_clock, sla.calendar_of(policy), clock.now())
    return ticket


def claim(session: Session, *, actor: Member, post_id: int) -> Ticket:
    """A staff member takes a post for themselves."""
    require(actor, Action.VIEW_STAFF_AREA)
    ticket = _ticket_or_404(session, post_id)
    if ticket.assignee_id != actor.id:
        _assign(session, ticket, actor.id, by_id=actor.id, reason="claim")
    return ticket


def assign(session: Session, *, actor: Member, post_id: int, assignee: Member | None) -> Ticket:
    """A lead hands a post to someone (or to nobody)."""
    require(actor, Action.VIEW_AUDIT_LOG)
    ticket = _ticket_or_404(session, post_id)
    if assignee is not None and not assignee.is_staff:
        raise Invalid("Only staff can be assigned posts.", field="assignee")
    _assign(session, ticket, assignee.id if assignee else None, by_id=actor.id, reason="manual")
    return ticket


def reassign_after_breach(session: Session, *, post_id: int) -> int | None:
    """On a breach, hand the post to someone else who is available; returns the new assignee."""
    ticket = lock_ticket(session, post_id)
    if ticket is None:
        return None
    post = session.get(Post, post_id)
    exclude = {ticket.assignee_id} if ticket.assignee_id else set()
    new_assignee = rota.pick_assignee(session, facts=post_facts(post, ticket.priority), exclude=exclude)
    if new_assignee:
        _assign(session, ticket, new_assignee, by_id=None, reason="breach_reassign")
    return new_assignee


def _ticket_or_404(session: Session, post_id: int) -> Ticket:
    ticket = lock_ticket(session, post_id) if 0 < post_id <= 2**31 - 1 else None
    if ticket is None:
        raise NotFound(f"No ticket for post {post_id}.")
    return ticket


@dataclass(slots=True)
class ClockView:
    """How a post's clock looks right now: for pages and the API."""

    kind: str
    state: str
    due_at: datetime
    seconds_left: float
    breached: bool
    elapsed_seconds: float | None
    stopped_by_id: int | None
    target_seconds: int


def clock_views(session: Session, post_id: int) -> list[ClockView]:
    now = clock.now()
    views = []
    for sla_clock in session.scalars(
        select(SlaClock).where(SlaClock.post_id == post_id).order_by(SlaClock.id)
    ):
        views.append(
            ClockView(
                kind=sla_clock.kind,
                state=sla_clock.state,
                due_at=sla_clock.due_at,
                seconds_left=(sla_clock.due_at - now).total_seconds()
                if sla_clock.state == "running"
                else 0.0,
                breached=sla_clock.breached or (sla_clock.state == "running" and sla_clock.due_at <= now),
                elapsed_seconds=sla_clock.elapsed_seconds
                if sla_clock.state != "running"
                else sla.working_elapsed(sla_clock, now),
                stopped_by_id=sla_clock.stopped_by_id,
                target_seconds=sla_clock.target_seconds,
            )
        )
    return views


def touch_presence(session: Session, *, member: Member, post_id: int) -> list[Member]:
    """Record that a staff member has the post open; returns the other staff who have it open."""
    now = clock.now()
    presence = session.get(PostPresence, (post_id, member.id))
    if presence is None:
        session.add(PostPresence(post_id=post_id, member_id=member.id, last_seen_at=now))
    else:
        presence.last_seen_at = now
    cutoff = now - timedelta(seconds=PRESENCE_SECONDS)
    session.execute(delete(PostPresence).where(PostPresence.last_seen_at < cutoff))
    others = session.scalars(
        select(PostPresence).where(
            PostPresence.post_id == post_id,
            PostPresence.member_id != member.id,
            PostPresence.last_seen_at >= cutoff,
        )
    )
    return [p.member for p in others]


def assignment_history(session: Session, post_id: int) -> list[Assignment]:
    return list(
        session.scalars(select(Assignment).where(Assignment.post_id == post_id).order_by(Assignment.id))
    )
