"""What fans reported on a release, for staff: the four-box reports summed up (totals, liked most and
least per item, reports per day, how many filled each box) and the latest reports with the bug and
suggestion posts they became.

The per-item and per-box bars are drawn on the server (they read without scripts); the reports per
day are a uPlot chart like the KPI page's, over a table of the same figures."""

from __future__ import annotations

from datetime import UTC, date, datetime, time

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse

from fanloop.core.errors import Conflict
from fanloop.core.permissions import Action, require
from fanloop.deps import CurrentMember, SessionDep
from fanloop.releases import feedback, service
from fanloop.web.deps import PageRoute
from fanloop.web.templating import render

router = APIRouter(route_class=PageRoute)
REPORTS = "/staff/releases/{release_id:int}/reports"


def day_chart(per_day: list[tuple[date, int]]) -> dict:
    """The reports per day for uPlot: one bar per day at x = 0, 1, 2…, labelled with its date
    (seconds at UTC midnight of the day, which the chart shows in UTC so each label is its own
    date)."""
    return {
        "x": list(range(len(per_day))),
        "days": [int(datetime.combine(day, time.min, tzinfo=UTC).timestamp()) for day, _ in per_day],
        "reports": [count for _, count in per_day],
    }


@router.get(REPORTS, response_class=HTMLResponse)
def report_summary(release_id: int, request: Request, session: SessionDep, viewer: CurrentMember):
    """The four-box reports on a published release, summed up, and the latest ones."""
    require(viewer, Action.VIEW_STAFF_AREA)
    release = service.get_release(session, viewer=viewer, release_id=release_id)
    try:
        summary = feedback.report_summary(session, viewer=viewer, release_id=release.id)
    except Conflict:  # not published yet: fans report on published releases only
        summary = None
    context = {"release": release, "summary": summary}
    if summary is not None:
        context |= {
            "item_names": {tally.item_id: tally.summary for tally in summary.items},
            "top_item": max((max(t.liked_most, t.liked_least) for t in summary.items), default=0),
            "top_box": max(summary.box_counts.values(), default=0),
            "chart": day_chart(summary.per_day),
        }
    return render(request, "releases/reports.html", context)
