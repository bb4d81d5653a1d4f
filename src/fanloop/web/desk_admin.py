"""Lead pages of the service desk: SLA policies (targets, conditions, order) and working calendars at
/staff/sla, canned responses at /staff/macros. Staff may look; leads change them."""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Annotated

from fastapi import APIRouter, Depends, Form, Request, Response
from fastapi.responses import HTMLResponse
from pydantic import BaseModel, ConfigDict, Field
from sqlalchemy.orm import Session

from fanloop.community.levels.service import LEVELS
from fanloop.community.members.models import Member
from fanloop.community.posts import service as posts
from fanloop.community.posts.models import POST_KINDS
from fanloop.core.errors import Conflict, Invalid
from fanloop.core.permissions import Action, can
from fanloop.deps import CurrentMember, SessionDep
from fanloop.service.desk import macros
from fanloop.service.desk.models import PRIORITIES
from fanloop.service.sla import policies
from fanloop.service.sla.calendar import WEEKDAYS
from fanloop.service.sla.models import SlaCalendar, SlaPolicy
from fanloop.web.deps import CsrfChecked, PageRoute, page_language, redirect
from fanloop.web.errors import error_message
from fanloop.web.i18n import gettext
from fanloop.web.inbox import require_staff
from fanloop.web.templating import render

router = APIRouter(route_class=PageRoute, dependencies=[Depends(page_language)])
LINE = re.compile(r"^([a-z]{3})(?:\s*-\s*([a-z]{3}))?\s+(.+)$")
PERIOD = re.compile(r"^(\d{1,2}:\d{2})\s*-\s*(\d{1,2}:\d{2})$")


# --------------------------------------------------------------------------- form shapes


class PolicyForm(BaseModel):
    """The policy form as submitted; numbers arrive as text and are checked here and in the service."""

    model_config = ConfigDict(extra="ignore")

    name: str = Field("", max_length=200)
    first_reply_minutes: str = Field("15", max_length=12)
    next_reply_minutes: str = Field("", max_length=12)
    resolution_minutes: str = Field("", max_length=12)
    warning_percent: str = Field("80", max_length=6)
    calendar_id: str = Field("", max_length=12)
    kinds: list[str] = Field(default_factory=list, max_length=20)
    priorities: list[str] = Field(default_factory=list, max_length=20)
    boards: list[str] = Field(default_factory=list, max_length=100)
    tags: str = Field("", max_length=2000)
    channels: str = Field("", max_length=2000)
    min_level: str = Field("", max_length=4)
    max_level: str = Field("", max_length=4)

    @classmethod
    def of(cls, policy: SlaPolicy) -> PolicyForm:
        c = policy.conditions or {}
        return cls(
            name=policy.name,
            first_reply_minutes=str(policy.first_reply_minutes),
            next_reply_minutes=str(policy.next_reply_minutes or ""),
            resolution_minutes=str(policy.resolution_minutes or ""),
            warning_percent=str(round(policy.warning_share * 100)),
            calendar_id=str(policy.calendar_id or ""),
            kinds=c.get("kinds", []),
            priorities=c.get("priorities", []),
            boards=c.get("boards", []),
            tags=", ".join(c.get("tags", [])),
            channels=", ".join(c.get("channels", [])),
            min_level=str(c.get("min_level") or ""),
            max_level=str(c.get("max_level") or ""),
        )

    def to_input(self) -> policies.PolicyInput:
        percent = _number(
            self.warning_percent, "warning_percent", gettext("The warning share is a percentage.")
        )
        conditions = {
            "kinds": self.kinds,
            "priorities": self.priorities,
            "boards": self.boards,
            "tags": _words(self.tags),
            "channels": _words(self.channels),
            "min_level": _number(self.min_level, "min_level", gettext("A fan level is a number.")),
            "max_level": _number(self.max_level, "max_level", gettext("A fan level is a number.")),
        }
        return policies.PolicyInput(
            name=self.name,
            first_reply_minutes=_minutes(self.first_reply_minutes, "first_reply_minutes"),
            next_reply_minutes=_minutes(self.next_reply_minutes, "next_reply_minutes"),
            resolution_minutes=_minutes(self.resolution_minutes, "resolution_minutes"),
            warning_share=(percent / 100) if percent is not None else 0.8,
            calendar_id=_number(self.calendar_id, "calendar_id", gettext("Pick a calendar.")),
            conditions=conditions,
        )


class CalendarForm(BaseModel):
    model_config = ConfigDict(extra="ignore")

    name: str = Field("", max_length=200)
    timezone: str = Field("UTC", max_length=64)
    hours: str = Field("", max_length=4000)
    holidays: str = Field("", max_length=20_000)

    @classmethod
    def of(cls, calendar: SlaCalendar) -> CalendarForm:
        return cls(
            name=calendar.name,
            timezone=calendar.timezone,
            hours=hours_text(calendar.hours or {}),
            holidays="\n".join(calendar.holidays or []),
        )

    def to_input(self) -> policies.CalendarInput:
        return policies.CalendarInput(
            name=self.name,
            timezone=self.timezone,
            hours=parse_hours(self.hours),
            holidays=[d for d in re.split(r"[\s,;]+", self.holidays) if d],
        )


def _number(value: str, field: str, message: str) -> int | None:
    value = value.strip()
    if not value:
        return None
    if not value.isdigit() or len(value) > 9:
        raise Invalid(message, field=field)
    return int(value)


def _minutes(value: str, field: str) -> int | None:
    return _number(value, field, gettext("Targets are whole numbers of minutes."))


def _words(value: str) -> list[str]:
    return [w for w in re.split(r"[\s,，、]+", value.strip().lower()) if w]


def parse_hours(text: str, *, field: str = "hours") -> dict[str, list[list[str]]]:
    """'mon-fri 09:00-12:00, 13:00-18:00' per line -> {"mon": [["09:00", "12:00"], ...], ...}."""
    hours: dict[str, list[list[str]]] = {}
    for number, raw in enumerate(text.splitlines(), start=1):
        line = raw.strip().lower()
        if not line:
            continue
        match = LINE.match(line)
        days = _day_range(match.group(1), match.group(2)) if match else None
        spans = [PERIOD.match(part.strip()) for part in match.group(3).split(",")] if match else []
        if not days or not spans or not all(spans):
            raise Invalid(
                gettext("Line %(num)d: write days and times like “mon-fri 09:00-12:00, 13:00-18:00”.")
                % {"num": number},
                field=field,
            )
        for day in days:
            hours.setdefault(day, []).extend(
                [[_two_digit(s.group(1)), _two_digit(s.group(2))] for s in spans]
            )
    return hours


def _day_range(first: str, last: str | None) -> list[str] | None:
    if first not in WEEKDAYS or (last is not None and last not in WEEKDAYS):
        return None
    start, end = WEEKDAYS.index(first), WEEKDAYS.index(last or first)
    return list(WEEKDAYS[start : end + 1]) if end >= start else None


def _two_digit(value: str) -> str:
    return value.zfill(5)


def hours_text(hours: dict) -> str:
    """The inverse of parse_hours, joining neighbouring days with the same hours ("mon-fri ...")."""
    lines, days = [], [d for d in WEEKDAYS if hours.get(d)]
    index = 0
    while index < len(days):
        first, spans = days[index], hours[days[index]]
        last = first
        while index + 1 < len(days):
            following = days[index + 1]
            adjacent = WEEKDAYS.index(following) == WEEKDAYS.index(last) + 1
            if not adjacent or hours[following] != spans:
                break
            last, index = following, index + 1
        label = first if first == last else f"{first}-{last}"
        lines.append(f"{label} " + ", ".join(f"{a}-{b}" for a, b in spans))
        index += 1
    return "\n".join(lines)


# --------------------------------------------------------------------------- SLA page


def _sla_context(session: Session, viewer: Member, *, draft: tuple[str, BaseModel] | None = None) -> dict:
    listed = policies.list_policies(session, viewer=viewer)
    calendars = policies.list_calendars(session, viewer=viewer)
    forms: dict[str, BaseModel] = {f"policy-{p.id}": PolicyForm.of(p) for p in listed}
    forms.update({f"calendar-{c.id}": CalendarForm.of(c) for c in calendars})
    forms["policy-new"] = PolicyForm(next_reply_minutes="15")
    forms["calendar-new"] = CalendarForm(hours="mon-fri 09:00-12:00, 13:00-18:00", timezone="Asia/Shanghai")
    if draft:
        forms[draft[0]] = draft[1]
    return {
        "policies": listed,
        "calendars": calendars,
        "forms": forms,
        "open_clocks": policies.open_clock_counts(session),
        "boards": posts.list_boards(session),
        "kinds": POST_KINDS,
        "priorities": PRIORITIES,
        "levels": LEVELS,
        "may_manage": can(viewer, Action.MANAGE_SERVICE_DESK),
        "draft_key": draft[0] if draft else None,
    }


@router.get("/staff/sla", response_class=HTMLResponse)
def sla_page(request: Request, session: SessionDep, viewer: CurrentMember):
    """SLA policies in the order they are tried, and the working calendars they count in."""
    viewer = require_staff(viewer)
    return render(request, "desk/sla.html", _sla_context(session, viewer))


def _save(
    request: Request,
    session: Session,
    viewer: Member,
    *,
    key: str,
    form: BaseModel,
    action: Callable[[], object],
    done: str,
    page: str = "sla",
) -> Response:
    """Run a change; on bad input show the page again with the form as typed and the reason."""
    try:
        action()
    except (Invalid, Conflict) as error:
        session.rollback()
        request.state.flashes = [("error", error_message(error))]
        if page == "sla":
            context = _sla_context(session, viewer, draft=(key, form))
            return render(request, "desk/sla.html", context, status_code=error.status_code)
        context = _macros_context(session, viewer, draft=(key, form))
        return render(request, "desk/macros.html", context, status_code=error.status_code)
    anchor = "" if key.endswith("-new") or "delete" in key else f"#{key}"
    return redirect(request, f"/staff/{page}{anchor}", flash=done)


PolicyFormData = Annotated[PolicyForm, Form()]
CalendarFormData = Annotated[CalendarForm, Form()]


@router.post("/staff/sla/policies")
def create_policy(
    request: Request, session: SessionDep, viewer: CurrentMember, _csrf: CsrfChecked, form: PolicyFormData
):
    viewer = require_staff(viewer)
    return _save(
        request,
        session,
        viewer,
        key="policy-new",
        form=form,
        action=lambda: policies.create_policy(session, actor=viewer, data=form.to_input()),
        done=gettext("The policy is added. Open posts it matches follow it now."),
    )


@router.post("/staff/sla/policies/{policy_id:int}")
def update_policy(
    policy_id: int,
    request: Request,
    session: SessionDep,
    viewer: CurrentMember,
    _csrf: CsrfChecked,
    form: PolicyFormData,
):
    viewer = require_staff(viewer)
    return _save(
        request,
        session,
        viewer,
        key=f"policy-{policy_id}",
        form=form,
        action=lambda: policies.update_policy(
            session, actor=viewer, policy_id=policy_id, data=form.to_input()
        ),
        done=gettext("The policy is saved and its open clocks are recomputed."),
    )


@router.post("/staff/sla/policies/{policy_id:int}/move")
def move_policy(
    policy_id: int,
    request: Request,
    session: SessionDep,
    viewer: CurrentMember,
    _csrf: CsrfChecked,
    direction: Annotated[str, Form(max_length=4)] = "up",
):
    """Move a policy up or down in the order."""
    viewer = require_staff(viewer)
    offset = -1 if direction == "up" else 1
    return _save(
        request,
        session,
        viewer,
        key=f"policy-{policy_id}",
        form=PolicyForm(),
        action=lambda: policies.move_policy(session, actor=viewer, policy_id=policy_id, offset=offset),
        done=gettext("The order is saved."),
    )


@router.post("/staff/sla/policies/{policy_id:int}/delete")
def delete_policy(
    policy_id: int, request: Request, session: SessionDep, viewer: CurrentMember, _csrf: CsrfChecked
):
    viewer = require_staff(viewer)
    return _save(
        request,
        session,
        viewer,
        key="policy-delete",
        form=PolicyForm(),
        action=lambda: policies.delete_policy(session, actor=viewer, policy_id=policy_id),
        done=gettext("The policy is deleted; its open posts follow the policies that match them now."),
    )


@router.post("/staff/sla/calendars")
def create_calendar(
    request: Request, session: SessionDep, viewer: CurrentMember, _csrf: CsrfChecked, form: CalendarFormData
):
    viewer = require_staff(viewer)
    return _save(
        request,
        session,
        viewer,
        key="calendar-new",
        form=form,
        action=lambda: policies.create_calendar(session, actor=viewer, data=form.to_input()),
        done=gettext("The calendar is added."),
    )


@router.post("/staff/sla/calendars/{calendar_id:int}")
def update_calendar(
    calendar_id: int,
    request: Request,
    session: SessionDep,
    viewer: CurrentMember,
    _csrf: CsrfChecked,
    form: CalendarFormData,
):
    viewer = require_staff(viewer)
    return _save(
        request,
        session,
        viewer,
        key=f"calendar-{calendar_id}",
        form=form,
        action=lambda: policies.update_calendar(
            session, actor=viewer, calendar_id=calendar_id, data=form.to_input()
        ),
        done=gettext("The calendar is saved and the clocks that use it are recomputed."),
    )


@router.post("/staff/sla/calendars/{calendar_id:int}/delete")
def delete_calendar(
    calendar_id: int, request: Request, session: SessionDep, viewer: CurrentMember, _csrf: CsrfChecked
):
    viewer = require_staff(viewer)
    return _save(
        request,
        session,
        viewer,
        key="calendar-delete",
        form=CalendarForm(),
        action=lambda: policies.delete_calendar(session, actor=viewer, calendar_id=calendar_id),
        done=gettext("The calendar is deleted."),
    )


# --------------------------------------------------------------------------- canned responses


class MacroForm(BaseModel):
    model_config = ConfigDict(extra="ignore")

    name: str = Field("", max_length=200)
    body: str = Field("", max_length=20_000)


MacroFormData = Annotated[MacroForm, Form()]


def _macros_context(session: Session, viewer: Member, *, draft: tuple[str, BaseModel] | None = None) -> dict:
    listed = macros.list_macros(session, viewer=viewer)
    forms: dict[str, BaseModel] = {f"macro-{m.id}": MacroForm(name=m.name, body=m.body) for m in listed}
    forms["macro-new"] = MacroForm()
    if draft:
        forms[draft[0]] = draft[1]
    return {
        "macros": listed,
        "forms": forms,
        "placeholders": macros.PLACEHOLDERS,
        "may_manage": can(viewer, Action.MANAGE_SERVICE_DESK),
        "draft_key": draft[0] if draft else None,
    }


@router.get("/staff/macros", response_class=HTMLResponse)
def macros_page(request: Request, session: SessionDep, viewer: CurrentMember):
    """Canned responses with placeholders, for replies from the inbox."""
    viewer = require_staff(viewer)
    return render(request, "desk/macros.html", _macros_context(session, viewer))


@router.post("/staff/macros")
def create_macro(
    request: Request, session: SessionDep, viewer: CurrentMember, _csrf: CsrfChecked, form: MacroFormData
):
    viewer = require_staff(viewer)
    return _save(
        request,
        session,
        viewer,
        key="macro-new",
        form=form,
        action=lambda: macros.create_macro(session, actor=viewer, name=form.name, body=form.body),
        done=gettext("The canned response is added."),
        page="macros",
    )


@router.post("/staff/macros/{macro_id:int}")
def update_macro(
    macro_id: int,
    request: Request,
    session: SessionDep,
    viewer: CurrentMember,
    _csrf: CsrfChecked,
    form: MacroFormData,
):
    viewer = require_staff(viewer)
    return _save(
        request,
        session,
        viewer,
        key=f"macro-{macro_id}",
        form=form,
        action=lambda: macros.update_macro(
            session, actor=viewer, macro_id=macro_id, name=form.name, body=form.body
        ),
        done=gettext("The canned response is saved."),
        page="macros",
    )


@router.post("/staff/macros/{macro_id:int}/delete")
def delete_macro(
    macro_id: int, request: Request, session: SessionDep, viewer: CurrentMember, _csrf: CsrfChecked
):
    viewer = require_staff(viewer)
    return _save(
        request,
        session,
        viewer,
        key="macro-delete",
        form=MacroForm(),
        action=lambda: macros.delete_macro(session, actor=viewer, macro_id=macro_id),
        done=gettext("The canned response is deleted."),
        page="macros",
    )
