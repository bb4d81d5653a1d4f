"""The KPI board: how fast fans get a first reply, per person, team, board and day, in the viewer's
time zone. Staff see their own row and the team totals; leads see everyone."""

from __future__ import annotations

from datetime import UTC, date, datetime, time
from typing import Annotated
from urllib.parse import urlencode

from babel.numbers import format_percent
from fastapi import APIRouter, Query, Request
from fastapi.responses import HTMLResponse

from fanloop.core.errors import Invalid
from fanloop.deps import CurrentMember, SessionDep
from fanloop.service.kpis import service as kpis
from fanloop.web.deps import PageRoute
from fanloop.web.errors import N_, error_message
from fanloop.web.i18n import current_language, get_locale, gettext
from fanloop.web.templating import env, render

router = APIRouter(route_class=PageRoute)
PERIODS = (*kpis.PRESETS, "custom")
DEFAULT_PERIOD = "last_7_days"
DateText = Annotated[str, Query(max_length=20)]
NOT_A_DATE = {
    "start": N_("Enter the start date as year-month-day, e.g. 2026-03-10."),
    "end": N_("Enter the end date as year-month-day, e.g. 2026-03-10."),
}
# What the KPI service says about a period, listed so the catalogue translates it.
PERIOD_MESSAGES = (
    N_("The start date is after the end date."),
    N_("A period is at most 366 days."),
    N_("The start date must be between 1970-01-01 and 9998-12-31."),
    N_("The end date must be between 1970-01-01 and 9998-12-31."),
)


# --------------------------------------------------------------------------- formatting


def kpi_duration(seconds: float | None) -> str:
    """A reply time to the second: "6 min 12 s" / "6分12秒"; a dash when there is none."""
    if seconds is None:
        return "–"
    total = round(seconds)
    days, rest = divmod(total, 86400)
    hours, rest = divmod(rest, 3600)
    minutes, secs = divmod(rest, 60)
    if days:
        return gettext("%(days)d d %(hours)d h") % {"days": days, "hours": hours}
    if hours:
        return gettext("%(hours)d h %(minutes)d min") % {"hours": hours, "minutes": minutes}
    if minutes and secs:
        return gettext("%(minutes)d min %(seconds)d s") % {"minutes": minutes, "seconds": secs}
    if minutes:
        return gettext("%(minutes)d min") % {"minutes": minutes}
    return gettext("%(seconds)d s") % {"seconds": secs}


def kpi_share(value: float | None) -> str:
    """A share as a percentage with at most one decimal: "80%", "96.4%"; a dash when there is none."""
    if value is None:
        return "–"
    return format_percent(value, format="#,##0.#%", locale=get_locale(current_language.get()))


env.globals.update(kpi_duration=kpi_duration, kpi_share=kpi_share)


# --------------------------------------------------------------------------- the page


def _viewer_zone(request: Request) -> str:
    """The viewer's time zone from the browser's cookie; UTC when it is not a real zone."""
    name = getattr(request.state, "tz", None) or "UTC"
    try:
        kpis.zone_of(name)
    except Invalid:
        return "UTC"
    return name


def _parse_day(text: str, field: str) -> date:
    try:
        return date.fromisoformat(text.strip())
    except ValueError:
        raise Invalid(NOT_A_DATE[field], field=field) from None


def _choose_period(choice: str, start: str, end: str, zone: str) -> kpis.Period:
    if choice == "custom":
        return kpis.period(start=_parse_day(start, "start"), end=_parse_day(end, "end"), timezone=zone)
    return kpis.preset_period(choice if choice in kpis.PRESETS else DEFAULT_PERIOD, timezone=zone)


def _chart(points: list[kpis.TimelinePoint]) -> dict:
    """The daily series for uPlot: x in seconds at UTC midnight of each local day (the chart
    labels them in UTC, so each point shows its own date), times in minutes, shares in percent."""

    def minutes(seconds: float | None) -> float | None:
        return None if seconds is None else round(seconds / 60, 2)

    return {
        "x": [int(datetime.combine(p.day, time.min, tzinfo=UTC).timestamp()) for p in points],
        "median": [minutes(p.figures.first_reply_median_seconds) for p in points],
        "p90": [minutes(p.figures.first_reply_p90_seconds) for p in points],
        "within": [
            None if p.figures.within_target_share is None else round(p.figures.within_target_share * 100, 1)
            for p in points
        ],
        "volume": [p.figures.first_replies for p in points],
    }


@router.get("/staff/kpis", response_class=HTMLResponse)
def kpi_board(
    request: Request,
    session: SessionDep,
    viewer: CurrentMember,
    period: Annotated[str, Query(max_length=20)] = DEFAULT_PERIOD,
    start: DateText = "",
    end: DateText = "",
):
    """Period picker, a chart of the daily first-reply median, p90 and share within target, and
    tables of people, teams and boards with CSV downloads."""
    zone = _viewer_zone(request)
    choice = period if period in PERIODS else DEFAULT_PERIOD
    problem = None
    try:
        span = _choose_period(choice, start, end, zone)
    except Invalid as error:
        problem = error_message(error)
        span = kpis.preset_period(DEFAULT_PERIOD, timezone=zone)
    window = {"start": span.start, "end": span.end, "timezone": zone}
    people = kpis.person_kpis(session, viewer=viewer, bucket="period", **window).rows
    teams = kpis.team_kpis(session, viewer=viewer, bucket="period", **window).rows
    boards = kpis.board_ranking(session, viewer=viewer, **window).rows
    points = kpis.timeline(session, viewer=viewer, **window).rows
    everyone_sees = kpis.sees_everyone(viewer)
    if everyone_sees:
        totals = next((t.figures for t in teams if t.team is None), kpis.Figures())
    else:
        totals = next((p.figures for p in people if p.member_id == viewer.id), kpis.Figures())
    query = urlencode({"start": span.start.isoformat(), "end": span.end.isoformat(), "tz": zone})
    context = {
        "choice": choice if problem is None else DEFAULT_PERIOD,
        "periods": PERIODS,
        "span": span,
        "problem": problem,
        "custom_start": start if choice == "custom" else span.start.isoformat(),
        "custom_end": end if choice == "custom" else span.end.isoformat(),
        "sees_everyone": everyone_sees,
        "totals": totals,
        "people": people,
        "teams": [t for t in teams if t.team is not None],
        "everyone": next((t for t in teams if t.team is None), None),
        "boards": boards,
        "points": points,
        "chart": _chart(points),
        "csv": {
            "people": f"/api/v1/kpis/people.csv?{query}&bucket=period",
            "people_by_day": f"/api/v1/kpis/people.csv?{query}&bucket=day",
            "teams": f"/api/v1/kpis/teams.csv?{query}&bucket=period",
            "boards": f"/api/v1/kpis/boards.csv?{query}",
            "timeline": f"/api/v1/kpis/timeline.csv?{query}",
        },
    }
    return render(request, "staff/kpis.html", context)
