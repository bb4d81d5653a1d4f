"""The campaigns API: create, list, report, update, delete and referral links, with clear 4xx answers."""

from __future__ import annotations

import pytest
from campaign_support import Forum, make_forum

BODY = {
    "slug": "spring",
    "name": "Spring with fanloop",
    "hashtags": ["#fanloop春日"],
    "keywords": ["fanloop"],
    "starts_at": "2026-03-01T00:00:00+08:00",
    "ends_at": "2026-03-15T00:00:00+08:00",
    "goal_metric": "new_members",
    "goal_value": 10,
    "cost": "1200.50",
    "currency": "cny",
}


@pytest.fixture
def forum(seed, database, settings, clock) -> Forum:
    return make_forum(seed, database, settings, clock)


@pytest.fixture
def lead(api, forum):
    return api("lead")


def test_create_list_report_update_delete(lead, api, forum):
    created = lead.post("/api/v1/campaigns", json=BODY)
    assert created.status_code == 201, created.text
    campaign = created.json()
    assert campaign["hashtags"] == ["fanloop春日"] and campaign["cost"] == "1200.50"
    assert campaign["currency"] == "CNY" and campaign["status"] == "running"
    forum.post(forum.fan(), "Hello #fanloop春日")

    staff = api("staff")
    listed = staff.get("/api/v1/campaigns").json()
    assert listed["total"] == 1 and listed["items"][0]["totals"]["posts"] == 1

    detail = staff.get(f"/api/v1/campaigns/{campaign['id']}", params={"timezone": "Asia/Shanghai"})
    assert detail.status_code == 200, detail.text
    report = detail.json()
    assert report["totals"]["participants"] == 1 and report["cost_per_new_member"] is None
    assert report["goal_progress"] == 0.0 and report["per_day"][0]["day"] == "2026-03-01"

    changed = lead.patch(
        f"/api/v1/campaigns/{campaign['id']}", json={"hashtags": [], "keywords": ["absentword"]}
    )
    assert changed.status_code == 200, changed.text
    assert staff.get(f"/api/v1/campaigns/{campaign['id']}").json()["totals"]["posts"] == 0

    link = lead.post(f"/api/v1/campaigns/{campaign['id']}/referral-links", json={"label": "Weibo"})
    assert link.status_code == 201 and link.json()["url"].startswith("/r/")
    assert staff.get(f"/api/v1/campaigns/{campaign['id']}").json()["referral_links"][0]["label"] == "Weibo"

    assert lead.delete(f"/api/v1/campaigns/{campaign['id']}").status_code == 204
    assert staff.get(f"/api/v1/campaigns/{campaign['id']}").status_code == 404


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"slug": "Bad Slug"}, "slug"),
        ({"hashtags": [], "keywords": []}, "hashtags"),
        ({"ends_at": "2026-02-01T00:00:00+08:00"}, "ends_at"),
        ({"goal_value": -3}, "goal_value"),
        ({"goal_metric": "likes"}, "goal_metric"),
        ({"cost": "-1"}, "cost"),
        ({"cost": "12.345"}, "cost"),
        ({"currency": "yuan"}, "currency"),
        ({"starts_at": "2026-03-01T00:00:00"}, ""),
    ],
)
def test_bad_input_is_a_clear_problem(lead, change, field):
    response = lead.post("/api/v1/campaigns", json=BODY | change)
    assert response.status_code == 422, response.text
    assert response.headers["content-type"] == "application/problem+json"
    problem = response.json()
    assert problem["detail"]
    if field:
        assert field in (problem.get("field") or problem["detail"])


def test_a_taken_slug_is_a_conflict(lead):
    assert lead.post("/api/v1/campaigns", json=BODY).status_code == 201
    response = lead.post("/api/v1/campaigns", json=BODY)
    assert response.status_code == 409 and response.json()["field"] == "slug"


def test_who_may_do_what(lead, api, client):
    campaign_id = lead.post("/api/v1/campaigns", json=BODY).json()["id"]
    staff, fan = api("staff"), api("fan")
    assert client.get("/api/v1/campaigns").status_code == 401
    assert fan.get("/api/v1/campaigns").status_code == 403
    assert staff.post("/api/v1/campaigns", json=BODY | {"slug": "other"}).status_code == 403
    assert staff.patch(f"/api/v1/campaigns/{campaign_id}", json={"name": "x"}).status_code == 403
    assert staff.delete(f"/api/v1/campaigns/{campaign_id}").status_code == 403
    assert staff.post(f"/api/v1/campaigns/{campaign_id}/referral-links", json={}).status_code == 403
    assert staff.get(f"/api/v1/campaigns/{campaign_id}").status_code == 200
