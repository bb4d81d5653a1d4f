"""The rota's KPIs as JSON or CSV: per person, per team, per board and per day.

Every list takes `start` and `end` (ISO dates, both included; by default the last 7 days), `tz` (the
time zone the days are counted in) and, for people and teams, `bucket` (day, week or the whole
period). `?format=csv`, or the same path with `.csv`, answers a spreadsheet with a header row."""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass
from datetime import date
from typing import Annotated, Literal

from fastapi import APIRouter, Depends, Query, Response
from pydantic import BaseModel

from fanloop.deps import CurrentMember, SessionDep
from fanloop.service.kpis import service as kpis

router = APIRouter(prefix="/kpis", tags=["kpis"])

Bucket = Annotated[
    Literal["day", "week", "period"], Query(description="Rows per day, per week or one per period.")
]
Format = Annotated[Literal["json", "csv"], Query(alias="format", description="json (default) or csv.")]
CSV_RESPONSE = {200: {"content": {"text/csv": {}}, "description": "The rows as CSV, with a header row."}}
# A leading =, +, - or @ makes spreadsheet programs run a cell as a formula.
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


@dataclass(frozen=True, slots=True)
class Window:
    start: date | None
    end: date | None
    tz: str


def window(
    start: Annotated[
        date | None, Query(description="First day, e.g. 2026-03-04 (default: 6 days before end).")
    ] = None,
    end: Annotated[date | None, Query(description="Last day, included (default: today in tz).")] = None,
    tz: Annotated[
        str, Query(max_length=64, description="IANA time zone of the days, e.g. Asia/Shanghai.")
    ] = "UTC",
) -> Window:
    return Window(start, end, tz)


WindowDep = Annotated[Window, Depends(window)]


# --------------------------------------------------------------------------- schemas


class FiguresRead(BaseModel):
    """`within_target_share` is over every first reply that came due, answered or not; the
    median, p90 and `answered_within_target_share` are over the answered posts only. The newer
    fields come last so CSV columns keep their places."""

    replies: int
    first_replies: int
    first_reply_median_seconds: float | None
    first_reply_p90_seconds: float | None
    within_target_share: float | None
    breaches: int
    posts_handled: int
    first_replies_due: int
    answered_within_target: int
    unanswered_past_target: int
    answered_within_target_share: float | None

    @staticmethod
    def values(figures: kpis.Figures) -> dict:
        """The figures rounded for reading: seconds to a tenth, shares to four places."""

        def rounded(value: float | None, places: int) -> float | None:
            return None if value is None else round(value, places)

        return {
            "replies": figures.replies,
            "first_replies": figures.first_replies,
            "first_reply_median_seconds": rounded(figures.first_reply_median_seconds, 1),
            "first_reply_p90_seconds": rounded(figures.first_reply_p90_seconds, 1),
            "within_target_share": rounded(figures.within_target_share, 4),
            "breaches": figures.breaches,
            "posts_handled": figures.posts_handled,
            "first_replies_due": figures.first_replies_due,
            "answered_within_target": figures.answered_within_target,
            "unanswered_past_target": figures.unanswered_past_target,
            "answered_within_target_share": rounded(figures.answered_within_target_share, 4),
        }


class PersonKpisRead(FiguresRead):
    member_id: int
    handle: str
    display_name: str
    team: str
    bucket_start: date
    bucket_end: date

    @classmethod
    def of(cls, row: kpis.PersonKpis) -> PersonKpisRead:
        return cls(
            member_id=row.member_id,
            handle=row.handle,
            display_name=row.display_name,
            team=row.team,
            bucket_start=row.bucket_start,
            bucket_end=row.bucket_end,
            **FiguresRead.values(row.figures),
        )


class TeamKpisRead(FiguresRead):
    scope: Literal["team", "everyone"]
    team: str | None
    people: int
    bucket_start: date
    bucket_end: date

    @classmethod
    def of(cls, row: kpis.TeamKpis) -> TeamKpisRead:
        return cls(
            scope="everyone" if row.team is None else "team",
            team=row.team,
            people=row.people,
            bucket_start=row.bucket_start,
            bucket_end=row.bucket_end,
            **FiguresRead.values(row.figures),
        )


class BoardKpisRead(FiguresRead):
    rank: int
    board: str
    name: str
    name_zh: str
    posts: int

    @classmethod
    def of(cls, row: kpis.BoardKpis) -> BoardKpisRead:
        return cls(
            rank=row.rank,
            board=row.slug,
            name=row.name,
            name_zh=row.name_zh,
            posts=row.posts,
            **FiguresRead.values(row.figures),
        )


class TimelinePointRead(FiguresRead):
    day: date

    @classmethod
    def of(cls, row: kpis.TimelinePoint) -> TimelinePointRead:
        return cls(day=row.day, **FiguresRead.values(row.figures))


class KpiReportRead(BaseModel):
    start: date
    end: date
    timezone: str
    bucket: str

    @classmethod
    def envelope(cls, report: kpis.Report) -> dict:
        span = report.period
        return {"start": span.start, "end": span.end, "timezone": span.timezone, "bucket": report.bucket}


class PeopleReport(KpiReportRead):
    items: list[PersonKpisRead]


class TeamsReport(KpiReportRead):
    items: list[TeamKpisRead]


class BoardsReport(KpiReportRead):
    items: list[BoardKpisRead]


class TimelineReport(KpiReportRead):
    items: list[TimelinePointRead]


# --------------------------------------------------------------------------- CSV


def _cell(value: object) -> object:
    if value is None:
        return ""
    if isinstance(value, str) and value.startswith(FORMULA_STARTS):
        return "'" + value
    return value


def csv_response(name: str, report: KpiReportRead, item_type: type[FiguresRead]) -> Response:
    """The report's items as CSV: own columns first, then the figures. It starts with a UTF-8
    byte-order mark so spreadsheet programs read Chinese names correctly."""
    figures = list(FiguresRead.model_fields)
    columns = [column for column in item_type.model_fields if column not in figures] + figures
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow(columns)
    for item in report.items:
        values = item.model_dump(mode="json")
        writer.writerow([_cell(values[column]) for column in columns])
    filename = f"fanloop-kpis-{name}-{report.start}-{report.end}.csv"
    return Response(
        "\ufeff" + buffer.getvalue(),
        media_type="text/csv; charset=utf-8",
        headers={"Content-Disposition": f'attachment; filename="{filename}"'},
    )


# --------------------------------------------------------------------------- routes


def _people(session, viewer, span: Window, bucket: str) -> PeopleReport:  # noqa: ANN001
    report = kpis.person_kpis(
        session, viewer=viewer, start=span.start, end=span.end, bucket=bucket, timezone=span.tz
    )
    return PeopleReport(**KpiReportRead.envelope(report), items=[PersonKpisRead.of(r) for r in report.rows])


def _teams(session, viewer, span: Window, bucket: str) -> TeamsReport:  # noqa: ANN001
    report = kpis.team_kpis(
        session, viewer=viewer, start=span.start, end=span.end, bucket=bucket, timezone=span.tz
    )
    return TeamsReport(**KpiReportRead.envelope(report), items=[TeamKpisRead.of(r) for r in report.rows])


def _boards(session, viewer, span: Window) -> BoardsReport:  # noqa: ANN001
    report = kpis.board_ranking(session, viewer=viewer, start=span.start, end=span.end, timezone=span.tz)
    return BoardsReport(**KpiReportRead.envelope(report), items=[BoardKpisRead.of(r) for r in report.rows])


def _timeline(session, viewer, span: Window, person: str | None, team: str | None) -> TimelineReport:  # noqa: ANN001
    report = kpis.timeline(
        session, viewer=viewer, start=span.start, end=span.end, timezone=span.tz, person=person, team=team
    )
    return TimelineReport(
        **KpiReportRead.envelope(report), items=[TimelinePointRead.of(r) for r in report.rows]
    )


Person = Annotated[
    str | None, Query(max_length=30, description="One person's handle (leads; staff: their own).")
]
Team = Annotated[str | None, Query(max_length=40, description="One rota team; empty for people in no team.")]


@router.get("/people", response_model=PeopleReport, responses=CSV_RESPONSE)
def people(
    session: SessionDep,
    viewer: CurrentMember,
    span: WindowDep,
    bucket: Bucket = "day",
    output: Format = "json",
):
    """Each staff member's replies, first replies, first-reply median and p90 (seconds, of answered
    posts), share within target of every first reply due (and of the answered ones), first replies
    due and unanswered past target, breaches and posts handled, per bucket. Staff get their own
    rows; leads everyone's. Unanswered posts count for whoever has them."""
    report = _people(session, viewer, span, bucket)
    return csv_response("people", report, PersonKpisRead) if output == "csv" else report


@router.get("/people.csv", response_class=Response, responses=CSV_RESPONSE)
def people_csv(session: SessionDep, viewer: CurrentMember, span: WindowDep, bucket: Bucket = "day"):
    """The people's figures as CSV."""
    return csv_response("people", _people(session, viewer, span, bucket), PersonKpisRead)


@router.get("/teams", response_model=TeamsReport, responses=CSV_RESPONSE)
def teams(
    session: SessionDep,
    viewer: CurrentMember,
    span: WindowDep,
    bucket: Bucket = "day",
    output: Format = "json",
):
    """The same figures per rota team ("" for no team) and for everyone (scope "everyone")."""
    report = _teams(session, viewer, span, bucket)
    return csv_response("teams", report, TeamKpisRead) if output == "csv" else report


@router.get("/teams.csv", response_class=Response, responses=CSV_RESPONSE)
def teams_csv(session: SessionDep, viewer: CurrentMember, span: WindowDep, bucket: Bucket = "day"):
    """The team totals as CSV."""
    return csv_response("teams", _teams(session, viewer, span, bucket), TeamKpisRead)


@router.get("/boards", response_model=BoardsReport, responses=CSV_RESPONSE)
def boards(session: SessionDep, viewer: CurrentMember, span: WindowDep, output: Format = "json"):
    """Boards ranked by the share of first replies due that were answered within target, then by
    the median."""
    report = _boards(session, viewer, span)
    return csv_response("boards", report, BoardKpisRead) if output == "csv" else report


@router.get("/boards.csv", response_class=Response, responses=CSV_RESPONSE)
def boards_csv(session: SessionDep, viewer: CurrentMember, span: WindowDep):
    """The board ranking as CSV."""
    return csv_response("boards", _boards(session, viewer, span), BoardKpisRead)


@router.get("/timeline", response_model=TimelineReport, responses=CSV_RESPONSE)
def timeline(
    session: SessionDep,
    viewer: CurrentMember,
    span: WindowDep,
    person: Person = None,
    team: Team = None,
    output: Format = "json",
):
    """One point per day for charts: first-reply median, p90, share within target (of all due) and
    volume; for
    one person, one team, or the viewer's own scope (leads: everyone; staff: themselves)."""
    report = _timeline(session, viewer, span, person, team)
    return csv_response("timeline", report, TimelinePointRead) if output == "csv" else report


@router.get("/timeline.csv", response_class=Response, responses=CSV_RESPONSE)
def timeline_csv(
    session: SessionDep, viewer: CurrentMember, span: WindowDep, person: Person = None, team: Team = None
):
    """The daily series as CSV."""
    return csv_response("timeline", _timeline(session, viewer, span, person, team), TimelinePointRead)
