"""The KPI endpoints: who sees what, JSON and CSV, and bad parameters as problems."""

from __future__ import annotations

import csv
import io

import pytest
from fastapi.testclient import TestClient

from fanloop.service.rota.models import RotaMember

DAY = {"start": "2026-03-10", "end": "2026-03-10"}  # the clock fixture's day
PEOPLE_COLUMNS = [
    "member_id",
    "handle",
    "display_name",
    "team",
    "bucket_start",
    "bucket_end",
    "replies",
    "first_replies",
    "first_reply_median_seconds",
    "first_reply_p90_seconds",
    "within_target_share",
    "breaches",
    "posts_handled",
    "first_replies_due",
    "answered_within_target",
    "unanswered_past_target",
    "answered_within_target_share",
]


@pytest.fixture
def desk(api, seed, database, clock):
    """A fan, two engineers of the camera team on the rota, a lead; three posts answered in
    3 (Zhang), 5 (Li) and 8 (Zhang) minutes."""
    seed.board("battery", "Battery")
    people = {
        "fan": api("fan", "li_wei"),
        "zhang": api("staff", "zhang_min"),
        "li": api("staff", "li_lei"),
        "lead": api("lead", "chen_jie"),
    }
    with database.unit_of_work() as session:
        for key in ("zhang", "li"):
            session.add(
                RotaMember(member_id=people[key].member.id, team="camera", boards=[], tags=[], languages=[])
            )
    for who, minutes in (("zhang", 3), ("li", 5), ("zhang", 8)):
        response = people["fan"].post(
            "/api/v1/posts",
            json={"board": "battery", "kind": "bug", "title": "待机掉电严重", "body": "每晚掉电 20%"},
        )
        assert response.status_code == 201, response.text
        clock.advance(minutes=minutes)
        reply = people[who].post(
            f"/api/v1/posts/{response.json()['id']}/replies", json={"body": "Please send a log."}
        )
        assert reply.status_code == 201, reply.text
    return people


def is_problem(response, status: int) -> bool:
    return response.status_code == status and response.headers["content-type"].startswith(
        "application/problem+json"
    )


def read_csv(response) -> list[list[str]]:
    assert response.status_code == 200, response.text
    assert response.headers["content-type"].startswith("text/csv")
    assert "attachment" in response.headers["content-disposition"]
    return list(csv.reader(io.StringIO(response.text.removeprefix("\ufeff"))))


def test_leads_see_everyone_staff_their_own_row_fans_nothing(desk, app):
    everyone = desk["lead"].get("/api/v1/kpis/people", params=DAY).json()
    assert (everyone["start"], everyone["end"], everyone["timezone"], everyone["bucket"]) == (
        "2026-03-10",
        "2026-03-10",
        "UTC",
        "day",
    )
    rows = {item["handle"]: item for item in everyone["items"]}
    assert set(rows) == {"zhang_min", "li_lei"}
    zhang = rows["zhang_min"]
    assert (zhang["replies"], zhang["first_replies"], zhang["posts_handled"]) == (2, 2, 2)
    assert zhang["first_reply_median_seconds"] == 330.0  # (3 + 8) / 2 minutes
    assert zhang["first_reply_p90_seconds"] == 480.0
    assert zhang["within_target_share"] == 1.0 and zhang["team"] == "camera"
    assert (zhang["first_replies_due"], zhang["unanswered_past_target"]) == (2, 0)
    assert zhang["answered_within_target_share"] == 1.0

    own = desk["zhang"].get("/api/v1/kpis/people", params=DAY).json()["items"]
    assert [item["handle"] for item in own] == ["zhang_min"]
    teams = desk["zhang"].get("/api/v1/kpis/teams", params={**DAY, "bucket": "period"}).json()["items"]
    assert [(t["scope"], t["team"], t["first_replies"]) for t in teams] == [
        ("team", "camera", 3),
        ("everyone", None, 3),
    ]
    assert desk["zhang"].get("/api/v1/kpis/timeline", params={**DAY, "person": "li_lei"}).status_code == 403

    for path in ("people", "teams", "boards", "timeline", "people.csv"):
        assert is_problem(desk["fan"].get(f"/api/v1/kpis/{path}"), 403), path
        with TestClient(app) as visitor:
            assert is_problem(visitor.get(f"/api/v1/kpis/{path}"), 401), path


def test_boards_and_timeline(desk):
    boards = desk["lead"].get("/api/v1/kpis/boards", params=DAY).json()["items"]
    assert [(b["rank"], b["board"], b["posts"], b["first_replies"]) for b in boards] == [(1, "battery", 3, 3)]
    assert boards[0]["first_reply_median_seconds"] == 300.0
    points = (
        desk["lead"].get("/api/v1/kpis/timeline", params={"start": "2026-03-09", "end": "2026-03-10"}).json()
    )
    assert [(p["day"], p["first_replies"]) for p in points["items"]] == [("2026-03-09", 0), ("2026-03-10", 3)]
    assert points["items"][0]["first_reply_median_seconds"] is None
    team = desk["lead"].get("/api/v1/kpis/timeline", params={**DAY, "team": "camera"}).json()
    assert team["items"][0]["within_target_share"] == 1.0


def test_csv_export_has_a_header_and_a_row_per_person(desk):
    rows = read_csv(desk["lead"].get("/api/v1/kpis/people.csv", params=DAY))
    assert rows[0] == PEOPLE_COLUMNS
    body = {row[1]: dict(zip(rows[0], row, strict=True)) for row in rows[1:]}
    assert set(body) == {"zhang_min", "li_lei"}
    assert body["li_lei"]["replies"] == "1" and body["li_lei"]["first_reply_median_seconds"] == "300.0"
    assert read_csv(desk["lead"].get("/api/v1/kpis/people", params={**DAY, "format": "csv"})) == rows
    assert read_csv(desk["zhang"].get("/api/v1/kpis/people.csv", params=DAY))[1][1] == "zhang_min"
    for path in ("teams.csv", "boards.csv", "timeline.csv"):
        table = read_csv(desk["lead"].get(f"/api/v1/kpis/{path}", params=DAY))
        assert len(table) >= 2 and "within_target_share" in table[0], path


def test_half_the_posts_unanswered_is_fifty_percent_in_json_and_csv(desk, clock):
    """Three more posts nobody answers, two Zhang's and one Li's: half of every figure's first
    replies due were missed, though every answer came in time."""
    for handle in ("zhang_min", "zhang_min", "li_lei"):
        response = desk["fan"].post(
            "/api/v1/posts", json={"board": "battery", "kind": "bug", "title": "相机闪退", "body": "打开就退"}
        )
        assert response.status_code == 201, response.text
        assigned = desk["lead"].put(
            f"/api/v1/posts/{response.json()['id']}/assignee", json={"handle": handle}
        )
        assert assigned.status_code == 200, assigned.text
    clock.advance(minutes=20)

    honest = ("within_target_share", "answered_within_target_share", "unanswered_past_target")
    people = desk["lead"].get("/api/v1/kpis/people", params=DAY).json()["items"]
    assert {p["handle"]: tuple(p[f] for f in honest) for p in people} == {
        "zhang_min": (0.5, 1.0, 2),
        "li_lei": (0.5, 1.0, 1),
    }
    teams = desk["lead"].get("/api/v1/kpis/teams", params={**DAY, "bucket": "period"}).json()["items"]
    assert [(t["team"], t["first_replies_due"], *(t[f] for f in honest)) for t in teams] == [
        ("camera", 6, 0.5, 1.0, 3),
        (None, 6, 0.5, 1.0, 3),
    ]
    (board,) = desk["lead"].get("/api/v1/kpis/boards", params=DAY).json()["items"]
    assert (board["board"], *(board[f] for f in honest)) == ("battery", 0.5, 1.0, 3)
    (day,) = desk["lead"].get("/api/v1/kpis/timeline", params=DAY).json()["items"]
    assert tuple(day[f] for f in honest) == (0.5, 1.0, 3)

    for path in ("people.csv", "teams.csv", "boards.csv", "timeline.csv"):
        table = read_csv(desk["lead"].get(f"/api/v1/kpis/{path}", params=DAY))
        for row in table[1:]:
            cells = dict(zip(table[0], row, strict=True))
            assert (cells["within_target_share"], cells["answered_within_target_share"]) == ("0.5", "1.0"), (
                path
            )


def test_csv_cells_never_start_a_formula(desk, database):
    from fanloop.community.members.models import Member

    with database.unit_of_work() as session:
        session.get(Member, desk["li"].member.id).display_name = "=HYPERLINK(1)"
    rows = read_csv(desk["lead"].get("/api/v1/kpis/people.csv", params=DAY))
    assert "'=HYPERLINK(1)" in [row[2] for row in rows]


def test_periods_default_to_the_last_seven_days(desk):
    body = desk["lead"].get("/api/v1/kpis/people", params={"tz": "Asia/Shanghai", "bucket": "week"}).json()
    assert (body["start"], body["end"], body["timezone"]) == ("2026-03-04", "2026-03-10", "Asia/Shanghai")
    assert {item["bucket_start"] for item in body["items"]} == {"2026-03-09"}


@pytest.mark.parametrize(
    ("params", "field"),
    [
        ({"start": "2026-13-01"}, "start"),
        ({"end": "yesterday"}, "end"),
        ({"start": "2026-03-11", "end": "2026-03-10"}, "start"),
        ({"start": "2024-01-01", "end": "2026-03-10"}, "end"),
        ({"tz": "Mars/Olympus_Mons"}, "tz"),
        ({"tz": "Asia/Shanghai\x00"}, "tz"),
        ({"bucket": "month"}, "bucket"),
        ({"format": "xml"}, "format"),
    ],
)
def test_bad_parameters_are_422_problems(desk, params, field):
    response = desk["lead"].get("/api/v1/kpis/people", params=params)
    assert is_problem(response, 422), response.text
    problem = response.json()
    assert field in (problem.get("field"), *(e["field"].split(".")[-1] for e in problem.get("errors", [])))
