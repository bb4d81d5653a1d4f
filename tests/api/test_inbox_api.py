"""The inbox through the API: lanes with their counts, cursor paging, filters, the views from before
the lanes, and bad cursors refused as a 422 problem."""

from __future__ import annotations

import base64
import json

import pytest
from argon2 import PasswordHasher
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from fanloop.core import security


@pytest.fixture(autouse=True)
def _quick_password_hashing(monkeypatch):
    monkeypatch.setattr(security, "_hasher", PasswordHasher(time_cost=1, memory_cost=1024, parallelism=1))


@pytest.fixture
def inbox_api(api, seed):
    seed.board("battery", "Battery")
    seed.board("camera", "Camera")
    return api("fan", "li_wei"), api("staff", "zhang_min")


def post(fan, title: str, board: str = "battery", kind: str = "bug") -> int:
    response = fan.post("/api/v1/posts", json={"board": board, "kind": kind, "title": title, "body": "慢"})
    assert response.status_code == 201, response.text
    return response.json()["id"]


def ids(response) -> list[int]:
    assert response.status_code == 200, response.text
    return [item["post_id"] for item in response.json()["items"]]


def test_lanes_counts_and_paging(inbox_api, clock):
    fan, staff = inbox_api
    old = [post(fan, f"Imported mention {i}") for i in range(7)]
    clock.advance(days=10)
    new = post(fan, "App crashes on start", board="camera")

    unassigned = staff.get("/api/v1/inbox", params={"lane": "unassigned"}).json()
    assert unassigned["lane"] == "unassigned" and unassigned["next_cursor"] is None
    assert [i["post_id"] for i in unassigned["items"]] == [new]
    assert unassigned["counts"] == {
        **{"mine": 0, "unassigned": 1, "overdue": 0, "backlog": 7},
        **{"live": 1, "total": 8, "breached": 7},
    }
    # no lane: every live post, as the old view=all; the old views still answer
    assert ids(staff.get("/api/v1/inbox")) == [new]
    assert ids(staff.get("/api/v1/inbox", params={"view": "all"})) == [new]
    assert ids(staff.get("/api/v1/inbox", params={"view": "unassigned"})) == [new]
    assert ids(staff.get("/api/v1/inbox", params={"view": "mine"})) == []

    seen, cursor = [], None
    while True:
        params = {"lane": "backlog", "limit": 3, **({"cursor": cursor} if cursor else {})}
        page = staff.get("/api/v1/inbox", params=params).json()
        seen += [i["post_id"] for i in page["items"]]
        cursor = page["next_cursor"]
        if cursor is None:
            break
    assert seen == old

    assert ids(staff.get("/api/v1/inbox", params={"lane": "backlog", "board": "camera"})) == []
    assert ids(staff.get("/api/v1/inbox", params={"lane": "live", "kind": "question"})) == []
    clock.advance(hours=1)
    assert ids(staff.get("/api/v1/inbox", params={"lane": "overdue"})) == [new]
    assert ids(staff.get("/api/v1/inbox", params={"lane": "unassigned", "breached": True})) == [new]


@pytest.mark.parametrize(
    "cursor",
    [
        "garbage",
        base64.urlsafe_b64encode(json.dumps(["mine", "2026-03-10T13:40:00+00:00", 1]).encode()).decode(),
        base64.urlsafe_b64encode(json.dumps(["backlog", "2026-03-10T13:40:00", 1]).encode()).decode(),
        base64.urlsafe_b64encode(json.dumps(["backlog", "9999-12-31T23:00:00-05:00", 1]).encode()).decode(),
        base64.urlsafe_b64encode(
            json.dumps(["backlog", "2026-03-10T13:40:00+00:00", 2**70]).encode()
        ).decode(),
    ],
)
def test_bad_cursors_and_lanes_are_refused(inbox_api, cursor):
    _, staff = inbox_api
    refused = staff.get("/api/v1/inbox", params={"lane": "backlog", "cursor": cursor})
    assert refused.status_code == 422 and refused.json()["field"] == "cursor", refused.text
    assert refused.headers["content-type"] == "application/problem+json"
    assert staff.get("/api/v1/inbox", params={"lane": "everything"}).status_code == 422


def test_fans_have_no_inbox_lanes(inbox_api):
    fan, _ = inbox_api
    assert fan.get("/api/v1/inbox", params={"lane": "backlog"}).status_code == 403


def test_any_query_is_answered_without_a_server_error(inbox_api):
    _, staff = inbox_api
    text = st.text(max_size=30) | st.sampled_from(["", "\x00", "mine", "backlog", "live", "all", "camera"])
    parts = st.tuples(
        st.sampled_from(["mine", "unassigned", "overdue", "backlog", "live"]) | text,
        st.sampled_from(["2026-03-10T13:40:00+00:00", "0001-01-01T00:00:00+01:00", ""])
        | text
        | st.integers(),
        st.integers() | st.booleans() | st.none(),
    )
    cursors = parts.map(lambda p: base64.urlsafe_b64encode(json.dumps(list(p)).encode()).decode()) | text
    query = st.fixed_dictionaries(
        {},
        optional={
            "lane": text,
            "view": text,
            "board": text,
            "kind": text,
            "breached": text,
            "cursor": cursors,
            "limit": st.integers().map(str) | text,
        },
    )

    @settings(
        max_examples=60,
        deadline=None,
        database=None,
        suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
    )
    @given(query)
    def check(params):
        params = {k: v.encode("utf-8", "replace").decode("utf-8") for k, v in params.items()}
        response = staff.get("/api/v1/inbox", params=params)
        assert response.status_code < 500, response.text
        if response.status_code >= 400:
            assert response.headers["content-type"] == "application/problem+json"

    check()
