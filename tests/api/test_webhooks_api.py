"""The JSON API for webhooks (admin only) and for a member's notifications."""

from __future__ import annotations

import socket

import pytest

from fanloop.service.notify.dispatch import dispatch_pending

PROBLEM = "application/problem+json"


def closed_port_url() -> str:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return f"http://127.0.0.1:{probe.getsockname()[1]}/hook"


def create(client, url="https://hooks.example.com/fanloop", topics=()):
    response = client.post("/api/v1/webhooks", json={"url": url, "topics": list(topics)})
    assert response.status_code == 201, response.text
    return response.json()


# --------------------------------------------------------------------------- webhooks


def test_admin_creates_an_endpoint_and_sees_the_secret_once(api):
    admin = api("admin")
    created = create(admin, topics=["post.created", "sla.breach"])
    assert created["secret"].startswith("whsec_") and len(created["secret"]) > 30
    assert created["topics"] == ["post.created", "sla.breach"] and created["active"] is True

    listed = admin.get("/api/v1/webhooks").json()
    assert [e["id"] for e in listed] == [created["id"]]
    assert "secret" not in listed[0]
    one = admin.get(f"/api/v1/webhooks/{created['id']}").json()
    assert "secret" not in one and one["url"] == "https://hooks.example.com/fanloop"


@pytest.mark.parametrize(
    "url",
    ["ftp://example.com/x", "javascript:alert(1)", "not a url", "", "http://", "https://exa mple.com/x"],
)
def test_bad_urls_are_refused_as_problems(api, url):
    response = api("admin").post("/api/v1/webhooks", json={"url": url})
    assert response.status_code == 422
    assert response.headers["content-type"] == PROBLEM
    assert response.json()["field"] == "url"


def test_unknown_topics_and_unknown_fields_are_refused(api):
    admin = api("admin")
    response = admin.post("/api/v1/webhooks", json={"url": "https://x.example", "topics": ["post.deleted"]})
    assert response.status_code == 422 and response.json()["field"] == "topics"
    response = admin.post("/api/v1/webhooks", json={"url": "https://x.example", "secret": "mine"})
    assert response.status_code == 422 and response.headers["content-type"] == PROBLEM


def test_update_pause_and_delete(api):
    admin = api("admin")
    endpoint = create(admin)
    path = f"/api/v1/webhooks/{endpoint['id']}"
    updated = admin.patch(path, json={"active": False, "topics": ["reply.created"]}).json()
    assert updated["active"] is False and updated["topics"] == ["reply.created"]
    assert admin.patch(path, json={"url": "gopher://x"}).status_code == 422
    assert admin.get(path).json()["url"] == "https://hooks.example.com/fanloop"
    # a paused endpoint gets no test event
    response = admin.post(f"{path}/test")
    assert response.status_code == 409 and response.headers["content-type"] == PROBLEM

    assert admin.delete(path).status_code == 204
    assert admin.get(path).status_code == 404
    assert admin.delete(path).status_code == 404


def test_a_test_event_shows_in_the_delivery_log(api, database):
    admin = api("admin")
    endpoint = create(admin, url=closed_port_url())
    other = create(admin, url="https://other.example/hook")
    queued = admin.post(f"/api/v1/webhooks/{endpoint['id']}/test")
    assert queued.status_code == 202
    assert queued.json()["topic"] == "ping" and queued.json()["status"] == "pending"

    dispatch_pending(database)

    [delivery] = admin.get(f"/api/v1/webhooks/{endpoint['id']}/deliveries").json()
    assert delivery["id"] == queued.json()["id"]
    assert delivery["attempts"] == 1 and delivery["status"] == "pending"
    assert delivery["last_status_code"] is None and "refused" in delivery["last_error"].lower()
    assert delivery["next_attempt_at"] is not None
    assert admin.get(f"/api/v1/webhooks/{other['id']}/deliveries").json() == []
    assert admin.get("/api/v1/webhooks/999999/deliveries").status_code == 404


@pytest.mark.parametrize("role, status", [("fan", 403), ("staff", 403), ("lead", 403)])
def test_only_admins_manage_webhooks(api, client, role, status):
    endpoint = create(api("admin"))
    path = f"/api/v1/webhooks/{endpoint['id']}"
    requests = [
        ("get", "/api/v1/webhooks", None),
        ("post", "/api/v1/webhooks", {"url": "https://evil.example/hook"}),
        ("get", path, None),
        ("patch", path, {"active": False}),
        ("delete", path, None),
        ("get", f"{path}/deliveries", None),
        ("post", f"{path}/test", None),
    ]
    member = api(role)
    for method, url, body in requests:
        for who, expected in ((member, status), (client, 401)):
            kwargs = {"json": body} if body is not None else {}
            response = getattr(who, method)(url, **kwargs)
            assert response.status_code == expected, (method, url, response.text)
            assert response.headers["content-type"] == PROBLEM
    admin_view = api("admin").get(path).json()
    assert admin_view["active"] is True  # nothing changed


def test_webhooks_are_in_the_openapi_document(client):
    paths = client.get("/api/v1/openapi.json").json()["paths"]
    assert {
        "/api/v1/webhooks",
        "/api/v1/webhooks/{endpoint_id}/deliveries",
        "/api/v1/me/notifications",
    } <= set(paths)


# --------------------------------------------------------------------------- notifications


@pytest.fixture
def told(api, seed):
    """A fan whose post got a staff reply and two status changes: three unread notifications."""
    seed.board("battery", "Battery")
    fan, staff = api("fan"), api("staff")
    post = fan.post(
        "/api/v1/posts", json={"board": "battery", "kind": "bug", "title": "待机掉电", "body": "每晚 20%"}
    ).json()
    assert staff.post(f"/api/v1/posts/{post['id']}/replies", json={"body": "Send a log?"}).status_code == 201
    for status in ("acknowledged", "planned"):
        response = staff.post(f"/api/v1/posts/{post['id']}/status", json={"status": status})
        assert response.status_code == 201
    return fan, staff, post


def test_my_notifications_unread_first_and_mark_read(told):
    fan, staff, post = told
    listing = fan.get("/api/v1/me/notifications").json()
    assert listing["unread"] == 3
    kinds = [(n["kind"], n["summary"]) for n in listing["items"]]
    assert kinds == [
        ("status_changed", "“待机掉电” is now Planned"),
        ("status_changed", "“待机掉电” is now Acknowledged"),
        ("staff_reply", "The team replied to “待机掉电”"),
    ]
    assert listing["items"][0]["url"] == f"/posts/{post['id']}"

    newest = listing["items"][0]["id"]
    response = fan.post("/api/v1/me/notifications/read", json={"ids": [newest]})
    assert response.json() == {"unread": 2, "unread_groups": 2}
    items = fan.get("/api/v1/me/notifications").json()["items"]
    assert items[-1]["id"] == newest and items[-1]["read_at"] is not None

    assert fan.post("/api/v1/me/notifications/read", json={"all": True}).json() == {
        "unread": 0,
        "unread_groups": 0,
    }
    assert staff.get("/api/v1/me/notifications").json() == {"unread": 0, "items": []}


def test_notifications_are_private_and_need_a_member(told, client, api):
    fan, staff, _ = told
    ids = [n["id"] for n in fan.get("/api/v1/me/notifications").json()["items"]]
    # someone else's ids change nothing
    assert staff.post("/api/v1/me/notifications/read", json={"ids": ids}).json() == {
        "unread": 0,
        "unread_groups": 0,
    }
    assert fan.get("/api/v1/me/notifications").json()["unread"] == 3
    assert client.get("/api/v1/me/notifications").status_code == 401
    assert client.post("/api/v1/me/notifications/read", json={"all": True}).status_code == 401
    empty = fan.post("/api/v1/me/notifications/read", json={})
    assert empty.status_code == 422 and empty.headers["content-type"] == PROBLEM


def test_summaries_follow_accept_language(told):
    fan, _, _ = told
    items = fan.get("/api/v1/me/notifications", headers={"Accept-Language": "zh-CN"}).json()["items"]
    assert items[0]["summary"] == "“待机掉电”的状态已变为：已计划"
    assert items[-1]["summary"] == "团队回复了“待机掉电”"
