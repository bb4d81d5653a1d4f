"""The growth dashboard's figures as JSON, or one section of them as CSV (staff and up).

`days` (7 to 365, default 30) sets the period: that many local days up to today, in the site's
time zone (the default SLA policy's calendar; UTC without one). See docs/growth.md."""

from __future__ import annotations

import csv
import io
from datetime import date
from typing import Annotated, Literal

from fastapi import APIRouter, Query, Response
from pydantic import BaseModel

from fanloop.deps import CurrentMember, SessionDep, SettingsDep
from fanloop.growth import metrics

router = APIRouter(tags=["growth"])

Days = Annotated[
    int, Query(ge=metrics.MIN_DAYS, le=metrics.MAX_DAYS, description="Local days up to today, 7 to 365.")
]
Section = Annotated[
    Literal["members", "active", "cohorts", "funnel"],
    Query(description="Which figures: members, active, cohorts or funnel."),
]
CSV_RESPONSE = {200: {"content": {"text/csv": {}}, "description": "The section as CSV, with a header row."}}
# A leading =, +, - or @ makes spreadsheet programs run a cell as a formula.
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


# --------------------------------------------------------------------------- schemas


class SeriesRead(BaseModel):
    key: str
    name: str
    total: int
    counts: list[int]

    @classmethod
    def of(cls, series: metrics.Series) -> SeriesRead:
        return cls(key=series.key, name=series.name, total=series.total, counts=list(series.counts))


class NewMembersRead(BaseModel):
    """New fans per day (`days[i]` goes with `totals[i]` and each series' `counts[i]`)."""

    total: int
    days: list[date]
    totals: list[int]
    by_source: list[SeriesRead]
    by_campaign: list[SeriesRead]


class ActiveRead(BaseModel):
    days: list[date]
    counts: list[int]
    in_period: int
    today: int
    last_7_days: int
    last_30_days: int


class CohortWeekRead(BaseModel):
    week: int
    active: int
    share: float | None


class CohortRead(BaseModel):
    week_start: date
    size: int
    weeks: list[CohortWeekRead]


class FunnelStageRead(BaseModel):
    stage: str
    count: int
    ratio_to_previous: float | None


class FunnelRead(BaseModel):
    core_level: int
    core_min_xp: int
    stages: list[FunnelStageRead]
    reach_active_fans: int
    reach_engagements: int


class GrowthRead(BaseModel):
    start: date
    end: date
    days: int
    timezone: str
    new_members: NewMembersRead
    active: ActiveRead
    cohorts: list[CohortRead]
    funnel: FunnelRead

    @classmethod
    def of(cls, report: metrics.GrowthReport) -> GrowthRead:
        span, joined, active, funnel = report.period, report.new_members, report.active, report.funnel
        return cls(
            start=span.start,
            end=span.end,
            days=len(joined.days),
            timezone=span.timezone,
            new_members=NewMembersRead(
                total=joined.total,
                days=list(joined.days),
                totals=list(joined.totals),
                by_source=[SeriesRead.of(s) for s in joined.by_source],
                by_campaign=[SeriesRead.of(s) for s in joined.by_campaign],
            ),
            active=ActiveRead(
                days=list(active.days),
                counts=list(active.counts),
                in_period=active.in_period,
                today=active.today,
                last_7_days=active.last_7_days,
                last_30_days=active.last_30_days,
            ),
            cohorts=[
                CohortRead(
                    week_start=cohort.week_start,
                    size=cohort.size,
                    weeks=[
                        CohortWeekRead(week=n, active=count, share=_rounded(share))
                        for n, (count, share) in enumerate(zip(cohort.active, cohort.shares, strict=True), 1)
                    ],
                )
                for cohort in report.cohorts
            ],
            funnel=FunnelRead(
                core_level=funnel.core_level,
                core_min_xp=funnel.core_min_xp,
                stages=[
                    FunnelStageRead(
                        stage=s.key, count=s.count, ratio_to_previous=_rounded(s.ratio_to_previous)
                    )
                    for s in funnel.stages
                ],
                reach_active_fans=funnel.reach_active_fans,
                reach_engagements=funnel.reach_engagements,
            ),
        )


def _rounded(value: float | None) -> float | None:
    return None if value is None else round(value, 4)


# --------------------------------------------------------------------------- CSV


def _members_rows(report: metrics.GrowthReport) -> list[list[object]]:
    joined = report.new_members
    header = ["day", "total"]
    header += [s.key for s in joined.by_source] + [f"campaign:{s.key}" for s in joined.by_campaign]
    rows: list[list[object]] = [header]
    series = [*joined.by_source, *joined.by_campaign]
    for i, day in enumerate(joined.days):
        rows.append([day.isoformat(), joined.totals[i], *(s.counts[i] for s in series)])
    return rows


def _active_rows(report: metrics.GrowthReport) -> list[list[object]]:
    active = report.active
    return [
        ["day", "active_fans"],
        *([d.isoformat(), n] for d, n in zip(active.days, active.counts, strict=True)),
    ]


def _cohort_rows(report: metrics.GrowthReport) -> list[list[object]]:
    """One row per cohort; blank cells for weeks that have not come yet."""
    width = max((len(c.active) for c in report.cohorts), default=0)
    header = ["week_start", "members"]
    for n in range(1, width + 1):
        header += [f"week_{n}_active", f"week_{n}_share"]
    rows: list[list[object]] = [header]
    for cohort in report.cohorts:
        cells: list[object] = [cohort.week_start.isoformat(), cohort.size]
        for n in range(width):
            if n < len(cohort.active):
                cells += [cohort.active[n], "" if cohort.shares[n] is None else round(cohort.shares[n], 4)]
            else:
                cells += ["", ""]
        rows.append(cells)
    return rows


def _funnel_rows(report: metrics.GrowthReport) -> list[list[object]]:
    return [
        ["stage", "count", "ratio_to_previous"],
        *(
            [s.key, s.count, "" if s.ratio_to_previous is None else round(s.ratio_to_previous, 4)]
            for s in report.funnel.stages
        ),
    ]


SECTIONS = {"members": _members_rows, "active": _active_rows, "cohorts": _cohort_rows, "funnel": _funnel_rows}


def _cell(value: object) -> object:
    if isinstance(value, str) and value.startswith(FORMULA_STARTS):
        return "'" + value
    return value


def csv_response(report: metrics.GrowthReport, section: str) -> Response:
    """One section as CSV with a header row, starting with a UTF-8 byte-order mark so spreadsheet
    programs read Chinese campaign names correctly."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    for row in SECTIONS[section](report):
        writer.writerow([_cell(value) for value in row])
    span = report.period
    filename = f"fanloop-growth-{section}-{span.start}-{span.end}.csv"
    return Response(
        "\ufeff" + buffer.getvalue(),
        media_type="text/csv; charset=utf-8",
        headers={"Content-Disposition": f'attachment; filename="{filename}"'},
    )


# --------------------------------------------------------------------------- routes


def _report(session, viewer, settings, days: int) -> metrics.GrowthReport:  # noqa: ANN001
    return metrics.growth_report(session, viewer=viewer, days=days, core_level=settings.core_fan_level)


@router.get("/growth", response_model=GrowthRead)
def growth(
    session: SessionDep, viewer: CurrentMember, settings: SettingsDep, days: Days = metrics.DEFAULT_DAYS
):
    """New fans per day by source and campaign, active fans per day and in the last 1/7/30 days,
    retention of the last 8 sign-up weeks, and the funnel: core fans, promoters, reach."""
    return GrowthRead.of(_report(session, viewer, settings, days))


@router.get("/growth.csv", response_class=Response, responses=CSV_RESPONSE)
def growth_csv(
    session: SessionDep,
    viewer: CurrentMember,
    settings: SettingsDep,
    section: Section,
    days: Days = metrics.DEFAULT_DAYS,
):
    """One section as CSV: members (per day, a column per source and campaign), active (per day),
    cohorts (a row per sign-up week) or funnel (a row per stage)."""
    return csv_response(_report(session, viewer, settings, days), section)
