"""/api/v1/pain-points: staff read and act, leads re-mine, fans and strangers are refused; bad ids
and bad bodies are clear 4xx problems, never a 500."""

from __future__ import annotations

import pytest
from painpoints_support import clustered_vectors, make_point, make_post, store_vectors

from fanloop.insights.painpoints import centroids

PROBLEM = "application/problem+json"


@pytest.fixture(autouse=True)
def _fresh_cache():
    centroids.forget()
    yield
    centroids.forget()


@pytest.fixture
def board(api, seed, database, settings, clock):
    seed.board()
    fan = api("fan")
    matrix = clustered_vectors(2, 3)
    post_ids = [make_post(database, settings, fan.member, f"Problem {i}", "Text") for i in range(6)]
    store_vectors(database, post_ids, matrix)
    return {
        "fan": fan,
        "staff": api("staff"),
        "lead": api("lead"),
        "posts": post_ids,
        "points": [make_point(database, post_ids[:3]), make_point(database, post_ids[3:])],
    }


def test_staff_list_and_read_pain_points(board):
    staff = board["staff"]
    listing = staff.get("/api/v1/pain-points", params={"limit": 1})
    assert listing.status_code == 200, listing.text
    body = listing.json()
    assert body["total"] == 2 and body["next_offset"] == 1 and len(body["items"]) == 1
    item = body["items"][0]
    assert {f["name"] for f in item["factors"]} == {"volume", "growth", "fan_level", "negativity", "votes"}
    assert len(item["daily_counts"]) == 28 and item["examples"]

    detail = staff.get(f"/api/v1/pain-points/{board['points'][0]}", params={"limit": 2})
    assert detail.status_code == 200
    assert len(detail.json()["post_items"]) == 2 and detail.json()["next_offset"] == 2


def test_staff_actions_through_the_api(board):
    staff, (first, second) = board["staff"], board["points"]
    renamed = staff.patch(f"/api/v1/pain-points/{first}", json={"name": "Screen flicker", "pinned": True})
    assert (
        renamed.status_code == 200
        and renamed.json()["label"] == "Screen flicker"
        and renamed.json()["pinned"]
    )

    split = staff.post(f"/api/v1/pain-points/{first}/split", json={"post_ids": [board["posts"][0]]})
    assert split.status_code == 201 and split.json()["posts"] == 1

    linked = staff.put(f"/api/v1/pain-points/{second}/status", json={"status": "planned"})
    assert linked.status_code == 200 and linked.json()["posts_changed"] == 3
    assert staff.delete(f"/api/v1/pain-points/{second}/status").json()["pain_point"]["status"] is None

    merged = staff.post(f"/api/v1/pain-points/{second}/merge", json={"into_pain_point_id": first})
    assert merged.status_code == 200 and merged.json()["id"] == first and merged.json()["posts"] == 5
    again = staff.post(f"/api/v1/pain-points/{second}/merge", json={"into_pain_point_id": first})
    assert again.status_code == 409 and again.headers["content-type"] == PROBLEM


def test_leads_request_a_remine_and_everyone_on_staff_sees_runs(board):
    assert board["staff"].post("/api/v1/pain-points/runs").status_code == 403
    queued = board["lead"].post("/api/v1/pain-points/runs")
    assert queued.status_code == 202 and queued.json()["state"] == "queued"
    runs = board["staff"].get("/api/v1/pain-points/runs")
    assert [run["id"] for run in runs.json()] == [queued.json()["id"]]
    assert (
        board["staff"].get(f"/api/v1/pain-points/runs/{queued.json()['id']}").json()["trigger"] == "request"
    )


@pytest.mark.parametrize(
    ("method", "path"),
    [
        ("get", "/api/v1/pain-points"),
        ("get", "/api/v1/pain-points/1"),
        ("patch", "/api/v1/pain-points/1"),
        ("get", "/api/v1/pain-points/runs"),
    ],
)
def test_fans_and_strangers_are_refused(board, client, method, path):
    body = {"json": {"name": "x"}} if method == "patch" else {}
    assert getattr(client, method)(path, **body).status_code == 401
    refused = getattr(board["fan"], method)(path, **body)
    assert refused.status_code == 403 and refused.headers["content-type"] == PROBLEM


@pytest.mark.parametrize(
    ("method", "path", "body", "expected"),
    [
        ("get", "/api/v1/pain-points/999999", None, 404),
        ("get", "/api/v1/pain-points/0", None, 404),
        ("get", "/api/v1/pain-points/-3", None, 404),
        ("get", "/api/v1/pain-points/99999999999999999999", None, 404),
        ("get", "/api/v1/pain-points/abc", None, 422),
        ("get", "/api/v1/pain-points/runs/424242", None, 404),
        ("get", "/api/v1/pain-points?limit=0", None, 422),
        ("get", "/api/v1/pain-points?offset=-1", None, 422),
        ("patch", "/api/v1/pain-points/999999", {"name": "x"}, 404),
        ("patch", "/api/v1/pain-points/{first}", {}, 422),
        ("patch", "/api/v1/pain-points/{first}", {"name": "x" * 121}, 422),
        ("patch", "/api/v1/pain-points/{first}", {"colour": "red"}, 422),
        ("post", "/api/v1/pain-points/{first}/merge", {"into_pain_point_id": 999999}, 404),
        ("post", "/api/v1/pain-points/{first}/merge", {"into_pain_point_id": "{first}"}, 422),
        ("post", "/api/v1/pain-points/{first}/split", {"post_ids": []}, 422),
        ("post", "/api/v1/pain-points/{first}/split", {"post_ids": [999999]}, 422),
        ("put", "/api/v1/pain-points/{first}/status", {"status": "duplicate"}, 422),
        ("put", "/api/v1/pain-points/{first}/status", {"status": "nonsense"}, 422),
    ],
)
def test_bad_ids_and_bodies_are_clear_problems(board, method, path, body, expected):
    first = str(board["points"][0])
    path = path.replace("{first}", first)
    if body is not None:
        body = {k: (int(first) if v == "{first}" else v) for k, v in body.items()}
    response = getattr(board["staff"], method)(path, **({"json": body} if body is not None else {}))
    assert response.status_code == expected, response.text
    assert response.headers["content-type"] == PROBLEM and response.json()["detail"]
