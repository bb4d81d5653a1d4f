"""Tickets for posts that arrive in bulk (a channel import): the same policy, rota assignment and
clocks as `open_ticket`, from each post's own time, in a few statements for a whole batch."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from fanloop.core import clock
from fanloop.core.db import insert_columns
from fanloop.service.desk.models import Assignment, Ticket
from fanloop.service.rota import service as rota
from fanloop.service.sla import service as sla
from fanloop.service.sla.calendar import WorkingCalendar
from fanloop.service.sla.models import SlaClock, SlaPolicy


@dataclass(frozen=True)
class NewTicket:
    post_id: int
    # What policies and the rota match on: see desk.service.post_facts.
    facts: dict
    created_at: datetime


def open_tickets(session: Session, tickets: list[NewTicket]) -> None:
    """Open a ticket per post, its clocks running from the post's own time."""
    if not tickets:
        return
    now = clock.now()
    policies = [p for p in session.scalars(select(SlaPolicy).order_by(SlaPolicy.position, SlaPolicy.id))]
    default = sla.default_policy(session)
    rules = [p for p in policies if not p.is_default]

    def policy_for(facts: dict) -> SlaPolicy:
        return next((p for p in rules if sla.policy_matches(p, facts)), default)

    assignee_ids: list[int | None] = [None] * len(tickets)
    if rota.rota_settings(session).auto_assign:
        # Only posts whose reply clock is live go to someone: older ones start in the backlog.
        cutoff = sla.backlog_cutoff(now)
        live = [i for i, t in enumerate(tickets) if t.created_at >= cutoff]
        for i, assignee_id in zip(
            live, rota.pick_assignees(session, facts_list=[tickets[i].facts for i in live]), strict=True
        ):
            assignee_ids[i] = assignee_id
    targets = {p.id: _Targets.of(p) for p in policies}
    targets.setdefault(default.id, _Targets.of(default))
    post_ids = [t.post_id for t in tickets]
    insert_columns(
        session,
        Ticket.__table__,
        len(tickets),
        {
            "post_id": post_ids,
            "state": "open",
            "priority": "normal",
            "assignee_id": assignee_ids,
            "assigned_at": [now if assignee_id else None for assignee_id in assignee_ids],
            "created_at": now,
            "updated_at": now,
        },
    )
    assigned = [(post_id, a) for post_id, a in zip(post_ids, assignee_ids, strict=True) if a]
    insert_columns(
        session,
        Assignment.__table__,
        len(assigned),
        {
            "post_id": [post_id for post_id, _ in assigned],
            "assignee_id": [a for _, a in assigned],
            "assigned_by_id": None,
            "reason": "auto",
            "created_at": now,
        },
    )
    clocks = _Clocks()
    for ticket, assignee_id in zip(tickets, assignee_ids, strict=True):
        policy_targets = targets[policy_for(ticket.facts).id]
        for kind, minutes in policy_targets.minutes:
            clocks.add(ticket, policy_targets, kind, minutes, assignee_id)
    clocks.insert(session)


@dataclass(frozen=True)
class _Targets:
    """What a policy sets for new clocks, read once per batch rather than once per post."""

    policy_id: int
    minutes: tuple[tuple[str, int], ...]
    warning_share: float
    calendar: WorkingCalendar

    @classmethod
    def of(cls, policy: SlaPolicy) -> _Targets:
        kinds = (
            ("first_reply", sla.target_minutes(policy, "first_reply")),
            ("resolution", sla.target_minutes(policy, "resolution")),
        )
        return cls(
            policy_id=policy.id,
            minutes=tuple((kind, minutes) for kind, minutes in kinds if minutes),
            warning_share=policy.warning_share,
            calendar=sla.calendar_of(policy),
        )


class _Clocks:
    """Running clocks for new tickets, gathered column by column."""

    def __init__(self) -> None:
        self.post_id, self.policy_id, self.kind, self.started_at = [], [], [], []
        self.target_seconds, self.warn_at, self.due_at, self.assignee_id = [], [], [], []

    def add(self, ticket: NewTicket, targets: _Targets, kind: str, minutes: int, assignee_id: int | None) -> None:
        started, target = ticket.created_at, minutes * 60
        self.post_id.append(ticket.post_id)
        self.policy_id.append(targets.policy_id)
        self.kind.append(kind)
        self.started_at.append(started)
        self.target_seconds.append(target)
        self.warn_at.append(targets.calendar.add(started, target * targets.warning_share))
        self.due_at.append(targets.calendar.add(started, target))
        self.assignee_id.append(assignee_id)

    def insert(self, session: Session) -> None:
        insert_columns(
            session,
            SlaClock.__table__,
            len(self.post_id),
            {
                "post_id": self.post_id,
                "policy_id": self.policy_id,
                "kind": self.kind,
                "state": "running",
                "started_at": self.started_at,
                "target_seconds": self.target_seconds,
                "warn_at": self.warn_at,
                "due_at": self.due_at,
                "next_event_at": self.warn_at,  # the sweep fires the warning first, then the breach
                "warned": False,
                "breached": False,
                "running_since": self.started_at,
                "used_seconds": 0.0,
                "paused_at": None,
                "stopped_at": None,
                "stopped_by_id": None,
                "elapsed_seconds": None,
                "assignee_id": self.assignee_id,
            },
        )
