"""The notifications API: the grouped list (paged, filtered, with counts by kind), marking groups read,
the e-mail preference for escalations; and the flat list as existing clients know it."""

from __future__ import annotations

import base64
import json

import pytest

from notification_support import escalate, warn

GROUPS = "/api/v1/me/notifications/groups"
READ = "/api/v1/me/notifications/read"
PREFERENCES = "/api/v1/me/notifications/preferences"


@pytest.fixture
def lead(api, database, clock):
    client = api("lead")
    escalate(database, client.member, [11, 12, 13, 14, 15], times=6)
    warn(database, client.member, 12)
    return client


def test_thirty_escalations_on_five_posts_are_five_groups(lead):
    answer = lead.get(GROUPS, params={"kind": "sla_escalation"})
    assert answer.status_code == 200, answer.text
    body = answer.json()
    assert [(g["post_id"], g["count"], g["unread"]) for g in body["items"]] == [
        (post_id, 6, 6) for post_id in (15, 14, 13, 12, 11)
    ]
    first = body["items"][0]
    assert first["key"] == "sla_escalation:15" and first["url"] == "/posts/15"
    assert first["count_summary"] == "6 escalations on post #15"
    assert first["summary"] == "Escalated: post #15 missed its reply target"
    assert (body["unread"], body["unread_groups"], body["next_cursor"]) == (31, 6, None)
    assert [(k["kind"], k["label"], k["count"]) for k in body["kinds"]] == [
        ("sla_escalation", "Escalated", 30),
        ("sla_warning", "Warnings", 1),
    ]


def test_pages_hold_every_group_once(lead):
    seen, cursor = [], None
    for _ in range(10):
        page = lead.get(GROUPS, params={"limit": 2, **({"cursor": cursor} if cursor else {})}).json()
        assert len(page["items"]) <= 2
        seen += [g["key"] for g in page["items"]]
        cursor = page["next_cursor"]
        if cursor is None:
            break
    assert len(seen) == 6 == len(set(seen))
    assert seen[0] == "sla_warning:12"


def test_filters_by_post_and_unread(lead):
    on_twelve = lead.get(GROUPS, params={"post_id": 12}).json()["items"]
    assert [g["kind"] for g in on_twelve] == ["sla_warning", "sla_escalation"]
    answer = lead.post(READ, json={"groups": ["sla_escalation:12", "sla_escalation:13"]})
    assert answer.json() == {"unread": 19, "unread_groups": 4}
    unread = lead.get(GROUPS, params={"unread": "true", "kind": "sla_escalation"}).json()
    assert [g["post_id"] for g in unread["items"]] == [15, 14, 11]
    everything = lead.get(GROUPS).json()["items"]
    assert {g["key"]: g["unread"] for g in everything}["sla_escalation:12"] == 0


def test_the_flat_list_and_marking_all_read_work_as_before(lead):
    flat = lead.get("/api/v1/me/notifications", params={"limit": 3}).json()
    assert flat["unread"] == 31 and len(flat["items"]) == 3
    assert set(flat["items"][0]) == {
        "id",
        "kind",
        "summary",
        "title",
        "body",
        "url",
        "post_id",
        "created_at",
        "read_at",
    }
    assert lead.post(READ, json={"ids": [flat["items"][0]["id"]]}).json()["unread"] == 30
    assert lead.post(READ, json={"all": True}).json() == {"unread": 0, "unread_groups": 0}
    assert lead.post(READ, json={"ids": []}).status_code == 422


def test_summaries_follow_accept_language(lead):
    body = lead.get(
        GROUPS, params={"kind": "sla_escalation", "limit": 1}, headers={"Accept-Language": "zh-CN"}
    ).json()
    assert body["items"][0]["count_summary"] == "帖子 #15 上有 6 条升级"
    assert body["kinds"][0]["label"] == "已升级"


def test_the_escalation_mail_preference(api):
    lead = api("lead")
    assert lead.get(PREFERENCES).json() == {"escalations": "immediately"}
    assert lead.put(PREFERENCES, json={"escalations": "daily_digest"}).json() == {
        "escalations": "daily_digest"
    }
    assert lead.get(PREFERENCES).json() == {"escalations": "daily_digest"}
    for refused in ({"escalations": "weekly"}, {"escalations": None}, {"everything": "daily_digest"}, []):
        answer = lead.put(PREFERENCES, json=refused)
        assert answer.status_code == 422 and answer.headers["content-type"] == "application/problem+json"
    assert lead.get(PREFERENCES).json() == {"escalations": "daily_digest"}


def test_only_members_have_notifications(client):
    for method, path, body in (
        ("GET", GROUPS, None),
        ("GET", PREFERENCES, None),
        ("PUT", PREFERENCES, {"escalations": "daily_digest"}),
        ("POST", READ, {"groups": ["sla_escalation:1"]}),
    ):
        assert client.request(method, path, json=body).status_code == 401


def _cursor(parts) -> str:
    return base64.urlsafe_b64encode(json.dumps(parts).encode()).decode().rstrip("=")


@pytest.mark.parametrize(
    "params, field",
    [
        ({"cursor": "not a cursor"}, "cursor"),
        ({"cursor": _cursor(["groups", 0])}, "cursor"),
        ({"cursor": _cursor(["groups", True])}, "cursor"),
        ({"cursor": _cursor(["groups", 2**40])}, "cursor"),
        ({"cursor": _cursor(["hot", 1.5, 1])}, "cursor"),
        ({"cursor": _cursor(["groups", 1, "extra"])}, "cursor"),
        ({"kind": "SLA escalation"}, "kind"),
        ({"kind": "sla\x00"}, "kind"),
        ({"post_id": 0}, "post_id"),
        ({"post_id": 2**31}, "post_id"),
        ({"limit": 101}, "limit"),
        ({"unread": "perhaps"}, "unread"),
    ],
)
def test_bad_list_parameters_are_problems(api, params, field):
    answer = api("lead").get(GROUPS, params=params)
    assert answer.status_code == 422, answer.text
    assert answer.headers["content-type"] == "application/problem+json"
    assert answer.json().get("field") == field or field in answer.text


@pytest.mark.parametrize(
    "groups",
    [["nope"], ["sla_escalation:0"], ["sla_escalation:99999999999"], ["x:\x00"], [1], "sla:1", ["a" * 5000]],
)
def test_bad_group_keys_are_problems(api, groups):
    answer = api("lead").post(READ, json={"groups": groups})
    assert answer.status_code == 422, answer.text
    assert answer.headers["content-type"] == "application/problem+json"
