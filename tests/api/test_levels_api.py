"""Fan levels through the JSON API: experience for contributions, the level table, profiles and the
leaderboard."""

from __future__ import annotations

import pytest

from fanloop.community.members.models import Member


@pytest.fixture(autouse=True)
def board(seed):
    seed.board("general", "General")


def new_post(client, kind: str = "bug", **overrides) -> dict:
    body = {"board": "general", "kind": kind, "title": "Wi-Fi drops", "body": "Every hour", **overrides}
    response = client.post("/api/v1/posts", json=body)
    assert response.status_code == 201, response.text
    return response.json()


def xp(client) -> int:
    return client.get("/api/v1/me").json()["xp"]


def profile(client, handle: str) -> dict:
    response = client.get(f"/api/v1/members/{handle}")
    assert response.status_code == 200, response.text
    return response.json()


def set_status(staff, post_id: int, status: str) -> None:
    response = staff.post(f"/api/v1/posts/{post_id}/status", json={"status": status})
    assert response.status_code == 201, response.text


def moderate(staff, post_id: int, action: str) -> None:
    response = staff.post(f"/api/v1/posts/{post_id}/moderation", json={"action": action})
    assert response.status_code == 200, response.text


def set_xp(database, member: Member, points: int) -> None:
    with database.unit_of_work() as session:
        session.get(Member, member.id).xp = points


def test_posting_earns_five(api):
    fan = api("fan")
    new_post(fan)
    assert xp(fan) == 5
    new_post(fan, kind="question")
    assert xp(fan) == 10


def test_replies_earn_two_for_fans_only(api):
    author, fan, staff = api("fan"), api("fan"), api("staff")
    post = new_post(author)
    for text in ("Same here", "Also on 5.1"):
        assert fan.post(f"/api/v1/posts/{post['id']}/replies", json={"body": text}).status_code == 201
    assert staff.post(f"/api/v1/posts/{post['id']}/replies", json={"body": "Looking"}).status_code == 201
    assert xp(fan) == 4
    assert xp(staff) == 0
    assert xp(author) == 5  # replies to a post earn the replier, not the author


def test_votes_received_earn_one_and_are_taken_back(api):
    author, voter, other = api("fan"), api("fan"), api("fan")
    post = new_post(author)
    voter.put(f"/api/v1/posts/{post['id']}/vote")
    voter.put(f"/api/v1/posts/{post['id']}/vote")  # voting twice counts once
    other.put(f"/api/v1/posts/{post['id']}/vote")
    assert xp(author) == 5 + 2
    assert xp(voter) == 0  # voting itself earns nothing

    voter.delete(f"/api/v1/posts/{post['id']}/vote")
    assert xp(author) == 5 + 1
    voter.delete(f"/api/v1/posts/{post['id']}/vote")  # nothing left to take back
    assert xp(author) == 5 + 1
    voter.put(f"/api/v1/posts/{post['id']}/vote")
    assert xp(author) == 5 + 2


def test_voting_for_your_own_post_earns_nothing(api):
    author = api("fan")
    post = new_post(author)
    assert author.put(f"/api/v1/posts/{post['id']}/vote").json()["vote_count"] == 1
    assert xp(author) == 5


def test_confirmed_bug_earns_fifteen_once(api):
    author, staff = api("fan"), api("staff")
    post = new_post(author, kind="bug")
    set_status(staff, post["id"], "acknowledged")
    assert xp(author) == 5 + 15
    for status in ("planned", "open", "in_progress", "shipped"):
        set_status(staff, post["id"], status)
    assert xp(author) == 5 + 15
    assert profile(author, author.member.handle)["contributions"]["bug_confirmed"] == 1


@pytest.mark.parametrize("status", ["declined", "open"])
def test_declined_or_reopened_bug_earns_nothing(api, status):
    author, staff = api("fan"), api("staff")
    post = new_post(author, kind="bug")
    set_status(staff, post["id"], "declined")
    if status == "open":
        set_status(staff, post["id"], "open")
    assert xp(author) == 5


def test_shipped_suggestion_earns_thirty(api):
    author, staff = api("fan"), api("staff")
    post = new_post(author, kind="suggestion", title="Add a sleep timer")
    set_status(staff, post["id"], "planned")
    assert xp(author) == 5  # planning a suggestion is not "confirming a bug"
    set_status(staff, post["id"], "shipped")
    assert xp(author) == 5 + 30
    set_status(staff, post["id"], "in_progress")
    set_status(staff, post["id"], "shipped")
    assert xp(author) == 5 + 30


def test_shipped_question_earns_nothing_extra(api):
    author, staff = api("fan"), api("staff")
    post = new_post(author, kind="question")
    set_status(staff, post["id"], "shipped")
    assert xp(author) == 5


def test_deleting_a_post_takes_back_its_points_and_restoring_returns_them(api):
    author, voter, staff = api("fan"), api("fan"), api("staff")
    new_post(author)
    removed = new_post(author, title="Duplicate of my report")
    voter.put(f"/api/v1/posts/{removed['id']}/vote")
    assert xp(author) == 5 + 5 + 1
    moderate(staff, removed["id"], "delete")
    assert xp(author) == 5 + 1
    assert profile(author, author.member.handle)["contributions"]["post_created"] == 1
    moderate(staff, removed["id"], "delete")  # deleting again takes nothing more
    assert xp(author) == 5 + 1
    moderate(staff, removed["id"], "restore")
    assert xp(author) == 5 + 5 + 1
    moderate(staff, removed["id"], "restore")  # restoring again gives nothing more
    assert xp(author) == 5 + 5 + 1


def test_levels_table(client):
    response = client.get("/api/v1/levels")
    assert response.status_code == 200
    levels = response.json()
    assert [level["number"] for level in levels] == list(range(1, len(levels) + 1))
    assert levels[0]["min_xp"] == 0
    assert all(a["min_xp"] < b["min_xp"] for a, b in zip(levels, levels[1:], strict=False))
    assert all(level["name_en"] and level["name_zh"] for level in levels)
    assert levels[0]["name_en"] == "Newcomer" and levels[0]["name_zh"] == "新手上路"


def test_profile_shows_level_progress_contributions_and_shipped_posts(api, client):
    author, voter, staff = api("fan", "li_wei"), api("fan"), api("staff")
    shipped = new_post(author, kind="suggestion", title="Add a sleep timer")
    other = new_post(author, kind="question", title="Where are the logs?")
    voter.put(f"/api/v1/posts/{other['id']}/vote")
    author.post(f"/api/v1/posts/{other['id']}/replies", json={"body": "Found them"})
    set_status(staff, shipped["id"], "shipped")

    seen = profile(client, "li_wei")  # profiles are public
    assert seen["member"]["handle"] == "li_wei"
    assert seen["member"]["xp"] == 5 + 5 + 1 + 2 + 30 == 43
    assert seen["level"]["number"] == 2 and seen["level"]["name_en"] == "Rookie fan"
    assert seen["member"]["level"] == 2 and seen["member"]["level_name"] == "Rookie fan"
    assert seen["next_level"]["number"] == 3 and seen["next_level"]["min_xp"] == 60
    assert seen["progress"] == pytest.approx((43 - 20) / (60 - 20))
    assert seen["contributions"] == {
        "post_created": 2,
        "reply_created": 1,
        "vote_received": 1,
        "bug_confirmed": 0,
        "suggestion_shipped": 1,
        "release_reporter": 0,
        "release_tester": 0,
        "release_confirmer": 0,
        "release_voter": 0,
        "award_winner": 0,
    }
    assert [p["id"] for p in seen["shipped"]] == [shipped["id"]]
    assert seen["shipped"][0]["status"] == "shipped"

    moderate(staff, shipped["id"], "hide")
    assert profile(client, "li_wei")["shipped"] == []  # hidden posts are not shown off


def test_profile_of_a_newcomer_and_of_a_legend(api, client, database):
    api("fan", "new_fan")
    legend = api("fan", "old_fan")
    fresh = profile(client, "new_fan")
    assert fresh["level"]["number"] == 1 and fresh["next_level"]["number"] == 2
    assert fresh["progress"] == 0
    assert set(fresh["contributions"].values()) == {0} and fresh["shipped"] == []

    set_xp(database, legend.member, 99_999)
    top = profile(client, "old_fan")
    assert top["level"]["number"] == 7 and top["next_level"] is None and top["progress"] == 1


def test_profile_of_unknown_member_is_404(client):
    response = client.get("/api/v1/members/nobody_here")
    assert response.status_code == 404
    assert response.headers["content-type"] == "application/problem+json"


def test_leaderboard_ranks_fans_by_experience(api, client, database):
    first, second, tied, staff, lead, suspended = (
        api("fan", "first_fan"),
        api("fan", "second_fan"),
        api("fan", "tied_fan"),
        api("staff", "busy_staff"),
        api("lead", "busy_lead"),
        api("fan", "banned_fan"),
    )
    for member, points in [
        (first, 300),
        (second, 120),
        (tied, 120),
        (staff, 5000),
        (lead, 900),
        (suspended, 1000),
    ]:
        set_xp(database, member.member, points)
    with database.unit_of_work() as session:
        session.get(Member, suspended.member.id).is_suspended = True

    board = client.get("/api/v1/leaderboard").json()
    assert [(e["rank"], e["member"]["handle"], e["xp"]) for e in board] == [
        (1, "first_fan", 300),
        (2, "second_fan", 120),
        (3, "tied_fan", 120),  # ties: the earlier member first
    ]
    assert board[0]["member"]["level"] == 4 and board[0]["member"]["level_name"] == "Senior fan"
    assert [e["member"]["handle"] for e in client.get("/api/v1/leaderboard?limit=1").json()] == ["first_fan"]
    assert len(client.get("/api/v1/leaderboard?limit=0").json()) == 1  # clamped, not an error


def test_leaderboard_follows_real_contributions(api, client):
    quiet, busy, voter = api("fan", "quiet_fan"), api("fan", "busy_fan"), api("fan", "voter_fan")
    new_post(quiet)
    for i in range(3):
        post = new_post(busy, title=f"Report {i}")
        voter.put(f"/api/v1/posts/{post['id']}/vote")
    board = client.get("/api/v1/leaderboard").json()
    assert [(e["member"]["handle"], e["xp"]) for e in board] == [
        ("busy_fan", 18),
        ("quiet_fan", 5),
        ("voter_fan", 0),
    ]
