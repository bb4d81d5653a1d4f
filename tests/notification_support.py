"""Notifications as the SLA handlers write them, for the tests of the grouped list and the digest
(service, API, pages and browser alike)."""

from __future__ import annotations

from collections.abc import Iterable

from fanloop.community.members.models import Member
from fanloop.service.notify import service as notify


def escalate(database, member: Member, post_ids: Iterable[int], *, times: int = 1, clock=None) -> None:  # noqa: ANN001
    """What the SLA breach handler tells a lead, `times` over for each post (one breach each, in
    rounds over the posts); with `clock`, a minute passes before each."""
    post_ids = list(post_ids)
    with database.unit_of_work(write=True) as session:
        for round_ in range(times):
            for post_id in post_ids:
                if clock is not None:
                    clock.advance(minutes=1)
                notify.notify(
                    session,
                    member_id=member.id,
                    kind="sla_escalation",
                    title=f"Escalated: post #{post_id} missed its reply target",
                    url=f"/posts/{post_id}",
                    post_id=post_id,
                    dedupe_key=f"sla:{post_id}-{round_}:lead:{member.id}",
                )


def warn(database, member: Member, post_id: int) -> None:  # noqa: ANN001
    """What the SLA warning handler tells an assignee."""
    with database.unit_of_work(write=True) as session:
        notify.notify(
            session,
            member_id=member.id,
            kind="sla_warning",
            title=f"Post #{post_id} is close to its reply target",
            url=f"/posts/{post_id}",
            post_id=post_id,
            dedupe_key=f"sla:{post_id}:warning:{member.id}",
        )
