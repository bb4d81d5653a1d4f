"""The growth dashboard for staff: new fans by source and campaign, active fans, retention cohorts
and the inverted funnel (core fans, promoters, reach), over 7, 30 or 90 days, with CSV downloads."""

from __future__ import annotations

from datetime import UTC, datetime, time
from typing import Annotated

from babel.numbers import format_decimal, format_percent
from fastapi import APIRouter, Query, Request
from fastapi.responses import HTMLResponse

from fanloop.core.errors import Invalid
from fanloop.deps import CurrentMember, SessionDep, SettingsDep
from fanloop.growth import metrics
from fanloop.web.deps import PageRoute
from fanloop.web.errors import N_, error_message
from fanloop.web.i18n import current_language, get_locale, gettext
from fanloop.web.templating import env, render

router = APIRouter(route_class=PageRoute)
PAGE = "/staff/growth"
PERIODS = (7, 30, 90)
# What the growth service says about a period, listed so the catalogue translates it.
PERIOD_MESSAGES = (N_("A period is 7 to 365 days."),)
SOURCE_LABELS = {"direct": N_("Direct"), "referral": N_("Referral"), "channel": N_("Channel (removed)")}
STAGE_LABELS = {"core": N_("Core fans"), "promoters": N_("Promoters"), "reach": N_("Reach")}


# --------------------------------------------------------------------------- formatting


def growth_share(value: float | None) -> str:
    """A share as a whole percentage: "33%"; a dash when there is none."""
    if value is None:
        return "–"
    return format_percent(value, format="#,##0%", locale=get_locale(current_language.get()))


def growth_ratio(value: float | None) -> str:
    """A stage's ratio to the one before: "×3.2"; a dash when there is none."""
    if value is None:
        return "–"
    return "×" + format_decimal(value, format="#,##0.#", locale=get_locale(current_language.get()))


def source_label(series: metrics.Series) -> str:
    """Direct, Referral, or the channel's name."""
    if series.key in SOURCE_LABELS:
        return gettext(SOURCE_LABELS[series.key])
    return series.name or series.key


def stage_label(key: str) -> str:
    return gettext(STAGE_LABELS[key])


env.globals.update(
    growth_share=growth_share, growth_ratio=growth_ratio, source_label=source_label, stage_label=stage_label
)


# --------------------------------------------------------------------------- the page


def _days(text: str) -> int:
    try:
        days = int(text.strip() or metrics.DEFAULT_DAYS)
    except ValueError:
        raise Invalid("A period is 7 to 365 days.", field="days") from None
    if not metrics.MIN_DAYS <= days <= metrics.MAX_DAYS:
        raise Invalid("A period is 7 to 365 days.", field="days")
    return days


def _x(report: metrics.GrowthReport) -> list[int]:
    """Each day as seconds at UTC midnight of its date (the chart labels them in UTC)."""
    return [int(datetime.combine(day, time.min, tzinfo=UTC).timestamp()) for day in report.new_members.days]


def _bar_widths(funnel: metrics.Funnel) -> dict[str, float]:
    """Each stage's bar as a percentage of the widest; a sliver for a stage of 0."""
    top = max((stage.count for stage in funnel.stages), default=0) or 1
    return {stage.key: max(round(stage.count / top * 100, 1), 1.0) for stage in funnel.stages}


@router.get(PAGE, response_class=HTMLResponse)
def dashboard(
    request: Request,
    session: SessionDep,
    viewer: CurrentMember,
    settings: SettingsDep,
    days: Annotated[str, Query(max_length=10)] = "",
):
    """KPI tiles, new fans per day by source, active fans per day, the cohort table, the funnel."""
    problem = None
    try:
        chosen = _days(days)
    except Invalid as error:
        problem, chosen = error_message(error), metrics.DEFAULT_DAYS
    report = metrics.growth_report(session, viewer=viewer, days=chosen, core_level=settings.core_fan_level)
    joined = report.new_members
    context = {
        "report": report,
        "days": chosen,
        "periods": PERIODS,
        "problem": problem,
        "widths": _bar_widths(report.funnel),
        "cohort_width": max((len(c.active) for c in report.cohorts), default=0),
        "members_chart": {
            "x": _x(report),
            "series": [{"label": source_label(s), "values": list(s.counts)} for s in joined.by_source],
        },
        "active_chart": {"x": _x(report), "values": list(report.active.counts)},
        "csv": {
            section: f"/api/v1/growth.csv?days={chosen}&section={section}"
            for section in ("members", "active", "cohorts", "funnel")
        },
    }
    return render(request, "growth/dashboard.html", context)
