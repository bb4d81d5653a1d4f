"""Tickets for posts that arrive in bulk (a channel import): the same policy, rota assignment and
clocks as `open_ticket`, from each post's own time, in a few statements for a whole batch."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from fanloop.core import clock
from fanloop.core.db import fast_insert
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

    assignees: dict[int, int | None] = {}
    if rota.rota_settings(session).auto_assign:
        picked = rota.pick_assignees(session, facts_list=[t.facts for t in tickets])
        assignees = {t.post_id: a for t, a in zip(tickets, picked, strict=True)}
    targets = {p.id: _Targets.of(p) for p in policies}
    targets.setdefault(default.id, _Targets.of(default))
    ticket_rows, assignment_rows, clock_rows = [], [], []
    for ticket in tickets:
        assignee_id = assignees.get(ticket.post_id)
        ticket_rows.append(
            {
                "post_id": ticket.post_id,
                "state": "open",
                "priority": "normal",
                "assignee_id": assignee_id,
                "assigned_at": now if assignee_id else None,
                "created_at": now,
                "updated_at": now,
            }
        )
        if assignee_id:
            assignment_rows.append(
                {
                    "post_id": ticket.post_id,
                    "assignee_id": assignee_id,
                    "assigned_by_id": None,
                    "reason": "auto",
                    "created_at": now,
                }
            )
        policy_targets = targets[policy_for(ticket.facts).id]
        for kind, minutes in policy_targets.minutes:
            clock_rows.append(_clock_row(ticket, policy_targets, kind, minutes, assignee_id))
    fast_insert(session, Ticket.__table__, ticket_rows)
    fast_insert(session, Assignment.__table__, assignment_rows)
    fast_insert(session, SlaClock.__table__, clock_rows)


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


def _clock_row(
    ticket: NewTicket,
    targets: _Targets,
    kind: str,
    minutes: int,
    assignee_id: int | None,
) -> dict:
    started = ticket.created_at
    target = minutes * 60
    warn_at = targets.calendar.add(started, target * targets.warning_share)
    due_at = targets.calendar.add(started, target)
    return {
        "post_id": ticket.post_id,
        "policy_id": targets.policy_id,
        "kind": kind,
        "state": "running",
        "started_at": started,
        "target_seconds": target,
        "warn_at": warn_at,
        "due_at": due_at,
        "next_event_at": warn_at,
        "warned": False,
        "breached": False,
        "running_since": started,
        "used_seconds": 0.0,
        "paused_at": None,
        "stopped_at": None,
        "stopped_by_id": None,
        "elapsed_seconds": None,
        "assignee_id": assignee_id,
    }
