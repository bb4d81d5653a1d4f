"""The service-desk API: the inbox, a post's service state, claiming and waiting, SLA policies and
calendars, the rota and canned responses. Fans get 403 on all of it but a post's first answer; bad
input is a 422 problem, never a server error."""

from __future__ import annotations

import json

import pytest
from argon2 import PasswordHasher
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from fanloop.core import security

FUZZ = settings(
    max_examples=40,
    deadline=None,
    database=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
text = st.text(max_size=30) | st.sampled_from(
    ["", "\x00", "mon", "Asia/Shanghai", "09:00", "zh_CN", "camera"]
)
values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False, allow_infinity=False) | text,
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(text, inner, max_size=3),
    max_leaves=10,
)


@pytest.fixture(autouse=True)
def _quick_password_hashing(monkeypatch):
    monkeypatch.setattr(security, "_hasher", PasswordHasher(time_cost=1, memory_cost=1024, parallelism=1))


@pytest.fixture
def desk_api(api, seed):
    seed.board("battery", "Battery")
    seed.board("camera", "Camera")
    seed.tag("update")
    fan, staff, lead = api("fan", "li_wei"), api("staff", "zhang_min"), api("lead", "chen_jie")
    response = fan.post(
        "/api/v1/posts", json={"board": "camera", "kind": "bug", "title": "对焦很慢", "body": "慢"}
    )
    assert response.status_code == 201, response.text
    return fan, staff, lead, response.json()["id"]


def problem(response, status: int) -> dict:
    assert response.status_code == status, response.text
    assert response.headers["content-type"] == "application/problem+json"
    body = response.json()
    assert body["detail"].strip()
    return body


STAFF_ONLY = [
    ("get", "/api/v1/inbox", None),
    ("get", "/api/v1/rota", None),
    ("get", "/api/v1/sla/policies", None),
    ("get", "/api/v1/sla/calendars", None),
    ("get", "/api/v1/macros", None),
    ("post", "/api/v1/sla/policies", {"name": "Fans"}),
    ("put", "/api/v1/sla/policies/order", {"policy_ids": []}),
    ("post", "/api/v1/sla/calendars", {"name": "Fans"}),
    ("put", "/api/v1/rota/members/me", {"on_rota": True}),
    ("put", "/api/v1/rota/members/zhang_min", {"on_rota": True}),
    ("put", "/api/v1/rota/members/me/shifts", {"shifts": []}),
    ("put", "/api/v1/rota/settings", {"strategy": "round_robin", "use_skills": True, "auto_assign": True}),
    ("post", "/api/v1/macros", {"name": "Hi", "body": "Hi"}),
]


@pytest.mark.parametrize(("method", "path", "body"), STAFF_ONLY, ids=[f"{m} {p}" for m, p, _ in STAFF_ONLY])
def test_fans_get_403_and_visitors_401(desk_api, client, method, path, body):
    fan, _, _, post_id = desk_api
    kwargs = {"json": body} if body is not None else {}
    problem(getattr(fan, method)(path, **kwargs), 403)
    problem(getattr(client, method)(path, **kwargs), 401)


def test_fans_cannot_act_on_tickets(desk_api):
    fan, _, _, post_id = desk_api
    problem(fan.post(f"/api/v1/posts/{post_id}/claim"), 403)
    problem(fan.put(f"/api/v1/posts/{post_id}/waiting", json={"waiting": True}), 403)
    problem(fan.put(f"/api/v1/posts/{post_id}/priority", json={"priority": "urgent"}), 403)
    problem(fan.put(f"/api/v1/posts/{post_id}/assignee", json={"handle": "nobody_here"}), 403)
    problem(fan.post("/api/v1/macros/1/render", json={"post_id": post_id}), 403)


def test_inbox_claim_and_post_service(desk_api):
    fan, staff, lead, post_id = desk_api
    inbox = staff.get("/api/v1/inbox").json()
    assert inbox["lane"] == "live" and inbox["next_cursor"] is None  # no lane or view: as view=all
    assert inbox["counts"] == {
        **{"mine": 0, "unassigned": 1, "overdue": 0, "backlog": 0},
        **{"live": 1, "total": 1, "breached": 0},
    }
    item = inbox["items"][0]
    assert item["post_id"] == post_id and item["clock"] == "first_reply" and item["seconds_left"] > 800
    assert item["author"]["handle"] == "li_wei" and item["assignee"] is None and item["board"] == "camera"
    claimed = staff.post(f"/api/v1/posts/{post_id}/claim").json()
    assert claimed["ticket"]["assignee"]["handle"] == "zhang_min"
    assert [a["reason"] for a in claimed["assignments"]] == ["claim"]
    assert [i["post_id"] for i in staff.get("/api/v1/inbox", params={"view": "mine"}).json()["items"]] == [
        post_id
    ]
    assert staff.get("/api/v1/inbox", params={"view": "unassigned"}).json()["items"] == []
    assert staff.get("/api/v1/inbox", params={"kind": "question"}).json()["items"] == []

    # before an answer a fan sees nothing of the desk
    assert fan.get(f"/api/v1/posts/{post_id}/service").json() == {
        "post_id": post_id,
        "first_answer": None,
        "ticket": None,
        "clocks": [],
        "assignments": [],
    }
    assert staff.post(f"/api/v1/posts/{post_id}/replies", json={"body": "请上传日志"}).status_code == 201
    public = fan.get(f"/api/v1/posts/{post_id}/service").json()
    assert (
        public["first_answer"]["by"]["handle"] == "zhang_min"
        and public["first_answer"]["elapsed_seconds"] >= 0
    )
    assert public["ticket"] is None and public["clocks"] == []
    inside = staff.get(f"/api/v1/posts/{post_id}/service").json()
    assert inside["ticket"]["state"] == "answered"
    assert [(c["kind"], c["state"], c["stopped_by"]) for c in inside["clocks"]] == [
        ("first_reply", "stopped", "zhang_min")
    ]
    assert staff.get("/api/v1/inbox").json()["items"] == []

    waiting = staff.put(f"/api/v1/posts/{post_id}/waiting", json={"waiting": True}).json()
    assert waiting["ticket"]["state"] == "waiting_on_fan"
    urgent = staff.put(f"/api/v1/posts/{post_id}/priority", json={"priority": "urgent"}).json()
    assert urgent["ticket"]["priority"] == "urgent"
    problem(staff.put(f"/api/v1/posts/{post_id}/assignee", json={"handle": "zhang_min"}), 403)  # leads only
    moved = lead.put(f"/api/v1/posts/{post_id}/assignee", json={"handle": "chen_jie"}).json()
    assert moved["ticket"]["assignee"]["handle"] == "chen_jie"
    assert moved["assignments"][-1] == {
        **moved["assignments"][-1],
        "reason": "manual",
        "assigned_by": "chen_jie",
    }
    problem(
        lead.put(f"/api/v1/posts/{post_id}/assignee", json={"handle": "li_wei"}), 422
    )  # fans are not staff
    problem(lead.put(f"/api/v1/posts/{post_id}/assignee", json={"handle": "ghost"}), 404)
    problem(staff.post("/api/v1/posts/999999/claim"), 404)
    problem(fan.get("/api/v1/posts/999999/service"), 404)


def test_policies_and_calendars_through_the_api(desk_api):
    _, staff, lead, post_id = desk_api
    listed = staff.get("/api/v1/sla/policies").json()
    assert [(p["name"], p["is_default"], p["open_clocks"]) for p in listed] == [("Default", True, 1)]
    bad = problem(lead.post("/api/v1/sla/calendars", json={"name": "Mars", "timezone": "Mars/Olympus"}), 422)
    assert "Unknown time zone 'Mars/Olympus'" in bad["detail"]
    bad = problem(
        lead.post("/api/v1/sla/calendars", json={"name": "Office", "hours": {"mon": [["9", "18"]]}}), 422
    )
    assert "Times are HH:MM" in bad["detail"]
    calendar = lead.post(
        "/api/v1/sla/calendars",
        json={"name": "Office", "timezone": "Asia/Shanghai", "hours": {"mon": [["09:00", "18:00"]]}},
    )
    assert calendar.status_code == 201 and calendar.json()["is_24x7"] is False
    camera = lead.post(
        "/api/v1/sla/policies",
        json={"name": "Camera", "first_reply_minutes": 5, "conditions": {"boards": ["camera"]}},
    )
    assert camera.status_code == 201 and camera.json()["open_clocks"] == 1  # the open post moved to it
    bugs = lead.post("/api/v1/sla/policies", json={"name": "Bugs", "conditions": {"kinds": ["bug"]}}).json()
    ordered = lead.put("/api/v1/sla/policies/order", json={"policy_ids": [bugs["id"], camera.json()["id"]]})
    assert [p["name"] for p in ordered.json()] == ["Bugs", "Camera", "Default"]
    assert ordered.json()[0]["open_clocks"] == 1
    problem(lead.put("/api/v1/sla/policies/order", json={"policy_ids": [bugs["id"]]}), 422)
    updated = lead.put(
        f"/api/v1/sla/policies/{bugs['id']}",
        json={"name": "Bugs", "first_reply_minutes": 30, "calendar_id": calendar.json()["id"]},
    )
    assert updated.json()["calendar_name"] == "Office" and updated.json()["conditions"] == {}
    problem(lead.delete(f"/api/v1/sla/calendars/{calendar.json()['id']}"), 409)
    assert lead.delete(f"/api/v1/sla/policies/{bugs['id']}").status_code == 204
    assert lead.delete(f"/api/v1/sla/calendars/{calendar.json()['id']}").status_code == 204
    problem(lead.delete(f"/api/v1/sla/policies/{listed[0]['id']}"), 409)  # the default stays
    problem(lead.put("/api/v1/sla/policies/99999", json={"name": "Ghost"}), 404)
    problem(lead.post("/api/v1/sla/policies", json={"name": "Zero", "first_reply_minutes": 0}), 422)
    problem(lead.post("/api/v1/sla/policies", json={"name": "Camera"}), 409)
    problem(staff.post("/api/v1/sla/policies", json={"name": "Staff"}), 403)


def test_rota_through_the_api(desk_api):
    _, staff, lead, _ = desk_api
    me = staff.put(
        "/api/v1/rota/members/me",
        json={
            "on_rota": True,
            "capacity": 3,
            "boards": ["camera"],
            "languages": ["zh_CN"],
            "availability": "on_duty",
        },
    ).json()
    assert (me["member"]["handle"], me["on_rota"], me["capacity"], me["boards"]) == (
        "zhang_min",
        True,
        3,
        ["camera"],
    )
    shifts = staff.put(
        "/api/v1/rota/members/me/shifts",
        json={"shifts": [{"weekday": 2, "start": "14:00", "end": "15:00", "timezone": "Asia/Shanghai"}]},
    ).json()
    assert shifts["shifts"] == [{"weekday": 2, "start": "14:00", "end": "15:00", "timezone": "Asia/Shanghai"}]
    problem(staff.put("/api/v1/rota/members/chen_jie", json={"on_rota": True}), 403)
    assert (
        lead.put("/api/v1/rota/members/zhang_min", json={"availability": "away"}).json()["availability"]
        == "away"
    )
    problem(staff.put("/api/v1/rota/members/me", json={"boards": ["nope"]}), 422)
    problem(
        staff.put(
            "/api/v1/rota/members/me/shifts",
            json={"shifts": [{"weekday": 1, "start": "10:00", "end": "10:00"}]},
        ),
        422,
    )
    problem(
        staff.put(
            "/api/v1/rota/settings", json={"strategy": "round_robin", "use_skills": True, "auto_assign": True}
        ),
        403,
    )
    settings_ = lead.put(
        "/api/v1/rota/settings", json={"strategy": "round_robin", "use_skills": False, "auto_assign": True}
    )
    assert settings_.json() == {
        "strategy": "round_robin",
        "use_skills": False,
        "auto_assign": True,
        "overflow": "least_loaded",
    }
    overflow = lead.put(
        "/api/v1/rota/settings",
        json={"strategy": "round_robin", "use_skills": False, "auto_assign": True, "overflow": "lead"},
    )
    assert overflow.json()["overflow"] == "lead"
    problem(
        lead.put(
            "/api/v1/rota/settings",
            json={"strategy": "round_robin", "use_skills": False, "auto_assign": True, "overflow": "nobody"},
        ),
        422,
    )
    rota = staff.get("/api/v1/rota").json()
    assert rota["settings"]["strategy"] == "round_robin"
    assert {m["member"]["handle"] for m in rota["members"]} == {"zhang_min", "chen_jie"}
    problem(lead.put("/api/v1/rota/members/li_wei", json={"on_rota": True}), 422)  # fans are not staff
    problem(lead.put("/api/v1/rota/members/ghost_x", json={"on_rota": True}), 404)


def test_macros_through_the_api(desk_api):
    _, staff, lead, post_id = desk_api
    problem(lead.post("/api/v1/macros", json={"name": "Bad", "body": "{order}"}), 422)
    made = lead.post(
        "/api/v1/macros", json={"name": "Log", "body": "{fan_name}, please send a log. {staff_name}"}
    )
    assert made.status_code == 201
    macro_id = made.json()["id"]
    assert [m["name"] for m in staff.get("/api/v1/macros").json()] == ["Log"]
    rendered = staff.post(f"/api/v1/macros/{macro_id}/render", json={"post_id": post_id}).json()
    assert rendered == {"body": "Li Wei, please send a log. Zhang Min"}
    problem(staff.put(f"/api/v1/macros/{macro_id}", json={"name": "Log", "body": "x"}), 403)
    assert lead.put(f"/api/v1/macros/{macro_id}", json={"name": "Log", "body": "Hi"}).json()["body"] == "Hi"
    problem(staff.post("/api/v1/macros/99999/render", json={"post_id": post_id}), 404)
    assert lead.delete(f"/api/v1/macros/{macro_id}").status_code == 204
    problem(lead.delete(f"/api/v1/macros/{macro_id}"), 404)


def assert_sane(response) -> None:
    assert response.status_code < 500, f"{response.status_code}: {response.text}"
    if response.status_code >= 400:
        assert response.headers["content-type"] == "application/problem+json"
        assert response.json()["detail"].strip()


def send(client, method: str, path: str, body) -> None:
    content = json.dumps(body)
    assert_sane(client.request(method, path, content=content, headers={"content-type": "application/json"}))


def test_fuzzed_policies_calendars_rota_and_macros_never_break(desk_api):
    _, _, lead, post_id = desk_api
    policy = st.fixed_dictionaries(
        {"name": text},
        optional={
            "first_reply_minutes": values,
            "next_reply_minutes": values,
            "warning_share": values,
            "calendar_id": values,
            "conditions": st.fixed_dictionaries(
                {},
                optional={
                    k: values for k in ("boards", "kinds", "tags", "priorities", "min_level", "channels")
                },
            )
            | values,
        },
    )
    calendar = st.fixed_dictionaries(
        {"name": text},
        optional={
            "timezone": text,
            "hours": st.dictionaries(text, st.lists(st.lists(text, max_size=3), max_size=3), max_size=3)
            | values,
            "holidays": st.lists(text, max_size=3) | values,
        },
    )
    rota = st.fixed_dictionaries(
        {},
        optional={
            k: values for k in ("on_rota", "availability", "capacity", "team", "boards", "tags", "languages")
        },
    )
    shifts = st.fixed_dictionaries(
        {
            "shifts": st.lists(
                st.fixed_dictionaries({"weekday": values, "start": text, "end": text, "timezone": text}),
                max_size=2,
            )
        }
    )

    @FUZZ
    @given(
        st.sampled_from(["policy", "calendar", "rota", "shifts", "macro", "order", "inbox"]),
        policy,
        calendar,
        rota,
        shifts,
        values,
    )
    def check(kind, policy_body, calendar_body, rota_body, shift_body, anything):
        if kind == "policy":
            send(lead, "POST", "/api/v1/sla/policies", policy_body)
            send(lead, "PUT", "/api/v1/sla/policies/1", policy_body)
        elif kind == "calendar":
            send(lead, "POST", "/api/v1/sla/calendars", calendar_body)
        elif kind == "rota":
            send(lead, "PUT", "/api/v1/rota/members/me", rota_body)
        elif kind == "shifts":
            send(lead, "PUT", "/api/v1/rota/members/me/shifts", shift_body)
        elif kind == "macro":
            send(lead, "POST", "/api/v1/macros", {"name": anything, "body": anything})
        elif kind == "order":
            send(lead, "PUT", "/api/v1/sla/policies/order", {"policy_ids": anything})
        else:
            params = {
                "view": anything,
                "board": anything,
                "kind": anything,
                "breached": anything,
                "limit": anything,
            }
            params = {k: v if isinstance(v, str) else json.dumps(v) for k, v in params.items()}
            params = {k: v.encode("utf-8", "replace").decode("utf-8") for k, v in params.items()}
            assert_sane(lead.get("/api/v1/inbox", params=params))
        send(lead, "POST", f"/api/v1/macros/{post_id}/render", anything)

    check()
