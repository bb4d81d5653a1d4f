"""The rota page: everyone on the staff, their shifts, availability, capacity and skills. Staff keep
their own line; leads keep anyone's and choose how posts are handed out."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Form, Request, Response
from fastapi.responses import HTMLResponse
from pydantic import BaseModel, ConfigDict, Field
from sqlalchemy.orm import Session

from fanloop.community.members.models import Member
from fanloop.community.posts import service as posts
from fanloop.core.errors import Conflict, Forbidden, Invalid
from fanloop.core.permissions import Action, can
from fanloop.deps import CurrentMember, SessionDep
from fanloop.service.rota import roster
from fanloop.service.rota.models import RotaShift
from fanloop.service.sla.calendar import WEEKDAYS
from fanloop.web.deps import CsrfChecked, PageRoute, page_language, redirect
from fanloop.web.desk_admin import hours_text, parse_hours
from fanloop.web.errors import error_message
from fanloop.web.i18n import gettext
from fanloop.web.inbox import require_staff
from fanloop.web.templating import render

router = APIRouter(route_class=PageRoute, dependencies=[Depends(page_language)])


def shifts_text(shifts: list[RotaShift]) -> str:
    by_day: dict[str, list[list[str]]] = {}
    for shift in shifts:
        by_day.setdefault(WEEKDAYS[shift.weekday], []).append([shift.start, shift.end])
    return hours_text(by_day)


def _context(session: Session, viewer: Member) -> dict:
    rows = roster.roster(session, viewer=viewer)
    mine = next((row for row in rows if row.member.id == viewer.id), None)
    return {
        "rows": rows,
        "mine": mine,
        "settings": roster.settings(session, viewer=viewer),
        "boards": posts.list_boards(session),
        "rota_languages": roster.LANGUAGES,
        "may_manage": can(viewer, Action.MANAGE_SERVICE_DESK),
        "may_edit": lambda member: roster.may_edit(viewer, member),
        "shifts_text": shifts_text,
        "default_tz": default_timezone(rows, viewer),
    }


def default_timezone(rows: list[roster.RosterRow], viewer: Member) -> str:
    """The time zone a new shift is in: the viewer's existing shifts', else their browser's."""
    for row in rows:
        if row.member.id == viewer.id and row.shifts:
            return row.shifts[0].timezone
    return ""


@router.get("/staff/rota", response_class=HTMLResponse)
def rota_page(request: Request, session: SessionDep, viewer: CurrentMember):
    """Who answers when: the everyone-answers rota."""
    viewer = require_staff(viewer)
    return render(request, "desk/rota.html", _context(session, viewer))


def _attempt(request: Request, session: Session, action, done: str, anchor: str = "") -> Response:  # noqa: ANN001
    try:
        action()
    except (Invalid, Conflict, Forbidden) as error:
        session.rollback()
        return redirect(request, f"/staff/rota{anchor}", flash=error_message(error), kind="error")
    return redirect(request, f"/staff/rota{anchor}", flash=done)


class EntryForm(BaseModel):
    """The rota entry form. A quick toggle sends a field or two; the full form sends `full` and then
    an unticked list of skills means none."""

    model_config = ConfigDict(extra="ignore")

    full: str = Field("", max_length=1)
    on_rota: str = Field("", max_length=1)
    availability: str = Field("", max_length=10)
    capacity: str = Field("", max_length=6)
    team: str = Field("", max_length=200)
    boards: list[str] = Field(default_factory=list, max_length=100)
    tags: str = Field("", max_length=2000)
    languages: list[str] = Field(default_factory=list, max_length=10)

    def to_update(self) -> roster.RotaUpdate:
        capacity = self.capacity.strip()
        if capacity and not capacity.isdigit():
            raise Invalid(gettext("Capacity is a number of open posts."), field="capacity")
        full = self.full == "1"
        tags = [t for t in self.tags.replace("，", ",").replace(" ", ",").split(",") if t.strip()]
        return roster.RotaUpdate(
            on_rota={"1": True, "0": False}.get(self.on_rota),
            availability=self.availability or None,
            capacity=int(capacity) if capacity else None,
            team=self.team if full else None,
            boards=self.boards if full else None,
            tags=tags if full else None,
            languages=self.languages if full else None,
        )


@router.post("/staff/rota/members/{handle}")
def update_entry(
    handle: str,
    request: Request,
    session: SessionDep,
    viewer: CurrentMember,
    _csrf: CsrfChecked,
    form: Annotated[EntryForm, Form()],
):
    """Join or leave, on duty or away, capacity, team and skills."""
    viewer = require_staff(viewer)
    member = roster.staff_member(session, handle)
    return _attempt(
        request,
        session,
        lambda: roster.update_entry(session, actor=viewer, member=member, data=form.to_update()),
        gettext("The rota is updated."),
        f"#rota-{member.handle}",
    )


@router.post("/staff/rota/members/{handle}/shifts")
def update_shifts(
    handle: str,
    request: Request,
    session: SessionDep,
    viewer: CurrentMember,
    _csrf: CsrfChecked,
    shifts: Annotated[str, Form(max_length=4000)] = "",
    timezone: Annotated[str, Form(max_length=64)] = "UTC",
):
    """Replace someone's weekly shifts, written like “wed 14:00-15:00”."""
    viewer = require_staff(viewer)
    member = roster.staff_member(session, handle)

    def save() -> None:
        by_day = parse_hours(shifts, field="shifts")
        inputs = [
            roster.ShiftInput(weekday=WEEKDAYS.index(day), start=start, end=end, timezone=timezone.strip())
            for day, spans in by_day.items()
            for start, end in spans
        ]
        roster.set_shifts(session, actor=viewer, member=member, shifts=inputs)

    return _attempt(request, session, save, gettext("The shifts are saved."), f"#rota-{member.handle}")


@router.post("/staff/rota/settings")
def update_settings(
    request: Request,
    session: SessionDep,
    viewer: CurrentMember,
    _csrf: CsrfChecked,
    strategy: Annotated[str, Form(max_length=20)] = "",
    use_skills: Annotated[str, Form(max_length=1)] = "",
    auto_assign: Annotated[str, Form(max_length=1)] = "",
    overflow: Annotated[str, Form(max_length=20)] = "",
):
    """How posts are handed out (leads)."""
    viewer = require_staff(viewer)
    return _attempt(
        request,
        session,
        lambda: roster.update_settings(
            session,
            actor=viewer,
            strategy=strategy,
            use_skills=use_skills == "1",
            auto_assign=auto_assign == "1",
            overflow=overflow or None,
        ),
        gettext("The assignment settings are saved."),
    )
