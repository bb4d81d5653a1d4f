"""The growth endpoints: the figures as JSON, each section as CSV, who may see them, bad parameters."""

from __future__ import annotations

import csv
import io
from datetime import UTC, datetime

import pytest
from sqlalchemy import update

from fanloop.community.members.models import Member
from fanloop.community.posts.models import Board
from fanloop.growth.models import Channel, MemberOrigin


@pytest.fixture
def grown(api, seed, database, clock):
    """Clock: 2026-03-10 13:40 UTC. Two fans joined on 03-09 (one direct, one from Weibo) and
    posted; a lead reads the figures."""
    seed.board("general", "General")
    lead = api("lead", "chen_jie")
    fans = {handle: api("fan", handle) for handle in ("li_wei", "wang_fang")}
    with database.unit_of_work() as session:
        weibo = Channel(
            slug="weibo",
            name="微博",
            kind="social",
            board_id=session.query(Board.id).filter_by(slug="general").scalar(),
            webhook_secret="s",
            created_at=datetime(2026, 1, 1, tzinfo=UTC),
        )
        session.add(weibo)
        session.flush()
        joined = datetime(2026, 3, 9, 12, tzinfo=UTC)
        for client in fans.values():
            session.execute(update(Member).where(Member.id == client.member.id).values(created_at=joined))
        session.merge(
            MemberOrigin(
                member_id=fans["wang_fang"].member.id,
                source="channel",
                channel_id=weibo.id,
                created_at=joined,
            )
        )
    for client in fans.values():
        response = client.post(
            "/api/v1/posts", json={"board": "general", "kind": "bug", "title": "待机掉电", "body": "每晚 20%"}
        )
        assert response.status_code == 201, response.text
    return lead


def is_problem(response, status: int) -> bool:
    return response.status_code == status and response.headers["content-type"].startswith(
        "application/problem+json"
    )


def read_csv(response) -> list[list[str]]:
    assert response.status_code == 200, response.text
    assert response.headers["content-type"].startswith("text/csv")
    assert "attachment" in response.headers["content-disposition"]
    return list(csv.reader(io.StringIO(response.text.removeprefix("\ufeff"))))


def test_all_figures_as_json(grown):
    body = grown.get("/api/v1/growth", params={"days": 7}).json()
    assert (body["start"], body["end"], body["days"], body["timezone"]) == (
        "2026-03-04",
        "2026-03-10",
        7,
        "UTC",
    )
    joined = body["new_members"]
    # the lead joined today through the seeder, but staff are not counted
    assert joined["total"] == 2 and joined["totals"] == [0, 0, 0, 0, 0, 2, 0]
    assert [(s["key"], s["name"], s["counts"][5]) for s in joined["by_source"]] == [
        ("direct", "", 1),
        ("referral", "", 0),
        ("channel:weibo", "微博", 1),
    ]
    assert joined["by_campaign"] == []
    active = body["active"]
    assert active["counts"] == [0, 0, 0, 0, 0, 0, 2]
    assert (active["in_period"], active["today"], active["last_7_days"], active["last_30_days"]) == (
        2,
        2,
        2,
        2,
    )
    this_week = body["cohorts"][-1]
    assert (this_week["week_start"], this_week["size"], this_week["weeks"]) == ("2026-03-09", 2, [])
    assert len(body["cohorts"]) == 8
    funnel = body["funnel"]
    assert funnel["core_level"] == 5 and funnel["core_min_xp"] == 400
    assert [(s["stage"], s["count"], s["ratio_to_previous"]) for s in funnel["stages"]] == [
        ("core", 0, None),
        ("promoters", 0, None),
        ("reach", 2, None),
    ]


def test_the_default_period_is_30_days(grown):
    body = grown.get("/api/v1/growth").json()
    assert (body["start"], body["days"]) == ("2026-02-09", 30)


def test_each_section_as_csv(grown):
    members = read_csv(grown.get("/api/v1/growth.csv", params={"days": 7, "section": "members"}))
    assert members[0] == ["day", "total", "direct", "referral", "channel:weibo"]
    assert members[6] == ["2026-03-09", "2", "1", "0", "1"] and len(members) == 8

    active = read_csv(grown.get("/api/v1/growth.csv", params={"days": 7, "section": "active"}))
    assert active[0] == ["day", "active_fans"] and active[-1] == ["2026-03-10", "2"]

    cohorts = read_csv(grown.get("/api/v1/growth.csv", params={"days": 7, "section": "cohorts"}))
    assert cohorts[0][:4] == ["week_start", "members", "week_1_active", "week_1_share"]
    assert len(cohorts[0]) == 2 + 2 * 7 and len(cohorts) == 9
    assert cohorts[-1] == ["2026-03-09", "2"] + [""] * 14

    response = grown.get("/api/v1/growth.csv", params={"days": 7, "section": "funnel"})
    assert (
        'filename="fanloop-growth-funnel-2026-03-04-2026-03-10.csv"'
        in response.headers["content-disposition"]
    )
    assert read_csv(response) == [
        ["stage", "count", "ratio_to_previous"],
        ["core", "0", ""],
        ["promoters", "0", ""],
        ["reach", "2", ""],
    ]


@pytest.mark.parametrize("days", ["6", "366", "0", "-1", "thirty", "1e3", ""])
def test_bad_days_are_a_problem(grown, days):
    for path, extra in (("/api/v1/growth", {}), ("/api/v1/growth.csv", {"section": "members"})):
        response = grown.get(path, params={"days": days, **extra})
        assert is_problem(response, 422), response.text
        assert "days" in response.json()["detail"]


@pytest.mark.parametrize("section", ["", "people", "MEMBERS", "members;drop"])
def test_a_bad_or_missing_section_is_a_problem(grown, section):
    response = grown.get("/api/v1/growth.csv", params={"section": section} if section else {})
    assert is_problem(response, 422), response.text
    assert "section" in response.json()["detail"]


def test_fans_and_visitors_see_nothing(grown, api, client):
    fan = api("fan", "zhao_lei")
    assert is_problem(fan.get("/api/v1/growth"), 403)
    assert is_problem(fan.get("/api/v1/growth.csv", params={"section": "funnel"}), 403)
    assert is_problem(client.get("/api/v1/growth"), 401)


def test_staff_see_it_and_the_core_level_setting_applies(grown, api, app):
    staff = api("staff", "zhang_min")
    assert staff.get("/api/v1/growth", params={"days": 7}).status_code == 200
    app.state.settings.core_fan_level = 1
    stages = staff.get("/api/v1/growth", params={"days": 7}).json()["funnel"]["stages"]
    assert [(s["stage"], s["count"]) for s in stages] == [("core", 2), ("promoters", 0), ("reach", 2)]
