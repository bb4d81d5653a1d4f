"""The service desk: the inbox, each post's clocks and handlers, SLA policies and calendars, the rota
and canned responses. Staff only, except a post's first answer, which everyone may see."""

from __future__ import annotations

from typing import Annotated, Literal

from fastapi import APIRouter, Path, Query, Response, status

from fanloop.community.posts import service as posts
from fanloop.community.posts.schemas import PostKind
from fanloop.core.permissions import Action, require
from fanloop.deps import CurrentMember, RequiredMember, SessionDep, SettingsDep
from fanloop.service.desk import macros
from fanloop.service.desk import service as desk
from fanloop.service.desk.inbox import InboxFilters, inbox, lane_of_view
from fanloop.service.desk.overview import post_service
from fanloop.service.desk.schemas import (
    AssigneeUpdate,
    InboxRead,
    MacroCreate,
    MacroRead,
    MacroRender,
    MacroRendered,
    MacroUpdate,
    PostServiceRead,
    PriorityUpdate,
    WaitingUpdate,
)
from fanloop.service.rota import roster
from fanloop.service.rota.schemas import (
    RotaMemberRead,
    RotaMemberUpdate,
    RotaRead,
    RotaSettingsIO,
    RotaShiftsUpdate,
)
from fanloop.service.sla import policies
from fanloop.service.sla.schemas import (
    CalendarCreate,
    CalendarRead,
    CalendarUpdate,
    PolicyCreate,
    PolicyOrder,
    PolicyRead,
    PolicyUpdate,
)

router = APIRouter(tags=["service desk"])
Id = Annotated[int, Path(gt=0, le=2**31 - 1)]
Handle = Annotated[str, Path(min_length=2, max_length=30, description="A staff handle, or me")]


# --------------------------------------------------------------------------- inbox and posts


@router.get("/inbox", response_model=InboxRead)
def get_inbox(
    session: SessionDep,
    viewer: RequiredMember,
    lane: Annotated[
        Literal["mine", "unassigned", "overdue", "backlog", "live"] | None,
        Query(description="mine, unassigned, overdue, backlog, or live (every live post)"),
    ] = None,
    view: Annotated[
        Literal["all", "mine", "unassigned"] | None,
        Query(description="Before lanes: all is lane=live; mine and unassigned are those lanes"),
    ] = None,
    board: Annotated[str | None, Query(max_length=40)] = None,
    kind: PostKind | None = None,
    breached: bool = False,
    cursor: Annotated[str | None, Query(max_length=200)] = None,
    limit: Annotated[int, Query(ge=1, le=200)] = 50,
):
    """One page of an inbox lane, soonest due first, with the counts of every lane (staff). Without
    lane or view: every live post (lane=live), as the old view=all."""
    filters = InboxFilters(
        lane=lane or lane_of_view(view or "all"), board=board or None, kind=kind, breached=breached
    )
    return InboxRead.of(inbox(session, viewer=viewer, filters=filters, cursor=cursor, limit=limit))


@router.get("/posts/{post_id}/service", response_model=PostServiceRead)
def get_post_service(post_id: int, session: SessionDep, viewer: CurrentMember):
    """Who answered the post and after how much working time; staff also get its ticket state,
    priority, assignee, clocks and assignment history."""
    return PostServiceRead.of(post_service(session, viewer=viewer, post_id=post_id))


@router.post("/posts/{post_id}/claim", response_model=PostServiceRead)
def claim(post_id: int, session: SessionDep, actor: RequiredMember):
    """Take the post for yourself (staff)."""
    desk.claim(session, actor=actor, post_id=post_id)
    return PostServiceRead.of(post_service(session, viewer=actor, post_id=post_id))


@router.put("/posts/{post_id}/assignee", response_model=PostServiceRead)
def assign(post_id: int, body: AssigneeUpdate, session: SessionDep, actor: RequiredMember):
    """Hand the post to a staff member, or to nobody (leads)."""
    require(actor, Action.VIEW_AUDIT_LOG)  # the desk's own check; first, so a fan never learns who exists
    assignee = roster.staff_member(session, body.handle) if body.handle else None
    desk.assign(session, actor=actor, post_id=post_id, assignee=assignee)
    return PostServiceRead.of(post_service(session, viewer=actor, post_id=post_id))


@router.put("/posts/{post_id}/waiting", response_model=PostServiceRead)
def set_waiting(post_id: int, body: WaitingUpdate, session: SessionDep, actor: RequiredMember):
    """Mark the post as waiting on the fan (its clocks pause) or not (staff)."""
    desk.set_waiting_on_fan(session, actor=actor, post_id=post_id, waiting=body.waiting)
    return PostServiceRead.of(post_service(session, viewer=actor, post_id=post_id))


@router.put("/posts/{post_id}/priority", response_model=PostServiceRead)
def set_priority(post_id: int, body: PriorityUpdate, session: SessionDep, actor: RequiredMember):
    """Change the post's priority; its clocks follow the policy that now matches (staff)."""
    desk.set_priority(session, actor=actor, post_id=post_id, priority=body.priority)
    return PostServiceRead.of(post_service(session, viewer=actor, post_id=post_id))


# --------------------------------------------------------------------------- SLA policies


def _policy_reads(session, viewer) -> list[PolicyRead]:  # noqa: ANN001
    counts = policies.open_clock_counts(session)
    return [PolicyRead.of(p, counts.get(p.id, 0)) for p in policies.list_policies(session, viewer=viewer)]


@router.get("/sla/policies", response_model=list[PolicyRead])
def list_policies(session: SessionDep, viewer: RequiredMember):
    """Every policy in the order they are tried, the default last (staff)."""
    return _policy_reads(session, viewer)


@router.post("/sla/policies", status_code=status.HTTP_201_CREATED, response_model=PolicyRead)
def create_policy(body: PolicyCreate, session: SessionDep, actor: RequiredMember):
    """Add a policy; it is tried after the others (leads). Open clocks whose post it matches move to it."""
    policy = policies.create_policy(session, actor=actor, data=body.to_input())
    return PolicyRead.of(policy, policies.open_clock_counts(session).get(policy.id, 0))


@router.put("/sla/policies/order", response_model=list[PolicyRead])
def order_policies(body: PolicyOrder, session: SessionDep, actor: RequiredMember):
    """Set the order in which policies are tried (leads)."""
    policies.reorder_policies(session, actor=actor, policy_ids=body.policy_ids)
    return _policy_reads(session, actor)


@router.put("/sla/policies/{policy_id}", response_model=PolicyRead)
def update_policy(policy_id: Id, body: PolicyUpdate, session: SessionDep, actor: RequiredMember):
    """Change a policy (leads); its open clocks are recomputed."""
    policy = policies.update_policy(session, actor=actor, policy_id=policy_id, data=body.to_input())
    return PolicyRead.of(policy, policies.open_clock_counts(session).get(policy.id, 0))


@router.delete("/sla/policies/{policy_id}", status_code=status.HTTP_204_NO_CONTENT)
def delete_policy(policy_id: Id, session: SessionDep, actor: RequiredMember):
    """Delete a policy other than the default (leads)."""
    policies.delete_policy(session, actor=actor, policy_id=policy_id)
    return Response(status_code=status.HTTP_204_NO_CONTENT)


@router.get("/sla/calendars", response_model=list[CalendarRead])
def list_calendars(session: SessionDep, viewer: RequiredMember):
    return [CalendarRead.of(c) for c in policies.list_calendars(session, viewer=viewer)]


@router.post("/sla/calendars", status_code=status.HTTP_201_CREATED, response_model=CalendarRead)
def create_calendar(body: CalendarCreate, session: SessionDep, actor: RequiredMember):
    """Add working hours in a time zone, with holidays (leads)."""
    return CalendarRead.of(policies.create_calendar(session, actor=actor, data=body.to_input()))


@router.put("/sla/calendars/{calendar_id}", response_model=CalendarRead)
def update_calendar(calendar_id: Id, body: CalendarUpdate, session: SessionDep, actor: RequiredMember):
    """Change a calendar (leads); the open clocks of the policies using it are recomputed."""
    calendar = policies.update_calendar(session, actor=actor, calendar_id=calendar_id, data=body.to_input())
    return CalendarRead.of(calendar)


@router.delete("/sla/calendars/{calendar_id}", status_code=status.HTTP_204_NO_CONTENT)
def delete_calendar(calendar_id: Id, session: SessionDep, actor: RequiredMember):
    policies.delete_calendar(session, actor=actor, calendar_id=calendar_id)
    return Response(status_code=status.HTTP_204_NO_CONTENT)


# --------------------------------------------------------------------------- rota


def _rota_member(session, actor, handle: str):  # noqa: ANN001, ANN202
    require(actor, Action.VIEW_STAFF_AREA)
    return actor if handle == "me" else roster.staff_member(session, handle)


@router.get("/rota", response_model=RotaRead)
def get_rota(session: SessionDep, viewer: RequiredMember):
    """Everyone on the staff with their rota entry, shifts and open posts, and the assignment settings."""
    rows = roster.roster(session, viewer=viewer)
    return RotaRead(
        settings=RotaSettingsIO.of(roster.settings(session, viewer=viewer)),
        members=[RotaMemberRead.of(row) for row in rows],
    )


@router.put("/rota/settings", response_model=RotaSettingsIO)
def update_rota_settings(body: RotaSettingsIO, session: SessionDep, actor: RequiredMember):
    """Round-robin or least-loaded, by skills or not, automatic assignment or not (leads)."""
    updated = roster.update_settings(session, actor=actor, **body.model_dump())
    return RotaSettingsIO.of(updated)


@router.put("/rota/members/{handle}", response_model=RotaMemberRead)
def update_rota_member(handle: Handle, body: RotaMemberUpdate, session: SessionDep, actor: RequiredMember):
    """Join or leave the rota, set availability, capacity, team and skills: your own (`me`), or
    anyone's for leads. Only the fields sent change."""
    member = _rota_member(session, actor, handle)
    roster.update_entry(session, actor=actor, member=member, data=body.to_input())
    return RotaMemberRead.of(roster.roster_row(session, member))


@router.put("/rota/members/{handle}/shifts", response_model=RotaMemberRead)
def set_rota_shifts(handle: Handle, body: RotaShiftsUpdate, session: SessionDep, actor: RequiredMember):
    """Replace the weekly shifts (an empty list: any time while on duty)."""
    member = _rota_member(session, actor, handle)
    roster.set_shifts(session, actor=actor, member=member, shifts=[s.to_input() for s in body.shifts])
    return RotaMemberRead.of(roster.roster_row(session, member))


# --------------------------------------------------------------------------- macros


@router.get("/macros", response_model=list[MacroRead])
def list_macros(session: SessionDep, viewer: RequiredMember):
    """Canned responses (staff)."""
    return [MacroRead.of(m) for m in macros.list_macros(session, viewer=viewer)]


@router.post("/macros", status_code=status.HTTP_201_CREATED, response_model=MacroRead)
def create_macro(body: MacroCreate, session: SessionDep, actor: RequiredMember):
    """Add a canned response (leads)."""
    return MacroRead.of(macros.create_macro(session, actor=actor, name=body.name, body=body.body))


@router.put("/macros/{macro_id}", response_model=MacroRead)
def update_macro(macro_id: Id, body: MacroUpdate, session: SessionDep, actor: RequiredMember):
    macro = macros.update_macro(session, actor=actor, macro_id=macro_id, name=body.name, body=body.body)
    return MacroRead.of(macro)


@router.delete("/macros/{macro_id}", status_code=status.HTTP_204_NO_CONTENT)
def delete_macro(macro_id: Id, session: SessionDep, actor: RequiredMember):
    macros.delete_macro(session, actor=actor, macro_id=macro_id)
    return Response(status_code=status.HTTP_204_NO_CONTENT)


@router.post("/macros/{macro_id}/render", response_model=MacroRendered)
def render_macro(
    macro_id: Id, body: MacroRender, session: SessionDep, settings: SettingsDep, actor: RequiredMember
):
    """A macro's text with its placeholders filled in for a post, as you would send it (staff)."""
    require(actor, Action.VIEW_STAFF_AREA)
    post = posts.get_post(session, viewer=actor, post_id=body.post_id)
    text = macros.render_macro(
        session, viewer=actor, macro_id=macro_id, post=post, base_url=settings.base_url
    )
    return MacroRendered(body=text)
