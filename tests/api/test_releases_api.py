"""The releases API: compose, publish, read the changelog and the roadmap."""

from __future__ import annotations

import pytest


@pytest.fixture
def people(api, seed, clock):
    seed.board("general", "General")
    return {
        "fan": api("fan", "li_na"),
        "voter": api("fan", "wang_lei"),
        "staff": api("staff"),
        "lead": api("lead"),
    }


def _post(client, title: str, kind: str = "suggestion") -> int:
    response = client.post(
        "/api/v1/posts", json={"board": "general", "kind": kind, "title": title, "body": "Please."}
    )
    assert response.status_code == 201, response.text
    return response.json()["id"]


def test_compose_publish_and_read_the_changelog(people):
    fan, voter, staff = people["fan"], people["voter"], people["staff"]
    post_id = _post(fan, "Dark mode for the gallery")
    assert voter.put(f"/api/v1/posts/{post_id}/vote").status_code == 200
    assert staff.post(f"/api/v1/posts/{post_id}/status", json={"status": "planned"}).status_code == 201

    created = staff.post("/api/v1/releases", json={"title": "Night owls", "notes": "**Dark** at last"})
    assert created.status_code == 201, created.text
    release = created.json()
    assert release["version"] == "2026.03.13" and release["state"] == "draft"
    assert "<strong>Dark</strong>" in release["notes_html"]

    found = staff.get(f"/api/v1/releases/{release['id']}/candidates").json()
    assert [c["id"] for c in found["planned"]] == [post_id]
    added = staff.post(f"/api/v1/releases/{release['id']}/items", json={"post_id": post_id})
    assert added.status_code == 201, added.text
    assert added.json()["items"][0]["summary"] == "Dark mode for the gallery"
    assert staff.get(f"/api/v1/releases/{release['id']}/candidates").json()["planned"] == []

    # A fan cannot see the draft, nor publish it.
    assert fan.get(f"/api/v1/releases/{release['id']}").status_code == 404
    assert fan.post(f"/api/v1/releases/{release['id']}/publish").status_code == 403

    published = staff.post(f"/api/v1/releases/{release['id']}/publish")
    assert published.status_code == 200, published.text
    assert published.json() | {"release": None} == {
        "release": None,
        "posts_shipped": 1,
        "credited": 2,
        "notified": 2,
    }
    again = staff.post(f"/api/v1/releases/{release['id']}/publish")
    assert again.status_code == 409 and "published already" in again.json()["detail"]

    changelog = fan.get("/api/v1/changelog/2026.03.13").json()
    [item] = changelog["items"]
    assert item["posts"][0]["status"] == "shipped"
    assert item["credits"]["reporter"][0]["handle"] == "li_na"
    assert item["credits"]["voter"][0]["level_name"]
    assert item["credit_counts"] == {"reporter": 1, "voter": 1}
    assert [member["handle"] for member in changelog["honour_roll"]] == ["li_na", "wang_lei"]
    listing = fan.get("/api/v1/releases").json()
    assert [r["version"] for r in listing["items"]] == ["2026.03.13"]
    shipped = fan.get("/api/v1/members/wang_lei/shipped").json()
    assert shipped == [
        {
            "version": "2026.03.13",
            "published_at": shipped[0]["published_at"],
            "summary": "Dark mode for the gallery",
            "post_id": post_id,
            "roles": ["voter"],
        }
    ]
    notifications = voter.get("/api/v1/me/notifications").json()
    assert [n["kind"] for n in notifications["items"] if n["kind"] == "release_shipped"] == [
        "release_shipped"
    ]


def test_bad_requests_get_clear_answers(people):
    staff, fan = people["staff"], people["fan"]
    release_id = staff.post("/api/v1/releases", json={}).json()["id"]
    both = staff.post(f"/api/v1/releases/{release_id}/items", json={"post_id": 1, "pain_point_id": 1})
    assert both.status_code == 422 and "either a post or a pain point" in both.json()["detail"]
    missing = staff.post(f"/api/v1/releases/{release_id}/items", json={"post_id": 999})
    assert missing.status_code == 404
    naive = staff.patch(f"/api/v1/releases/{release_id}", json={"planned_for": "2026-12-04T17:00:00"})
    assert naive.status_code == 422 and "time zone" in naive.text
    empty = staff.post(f"/api/v1/releases/{release_id}/schedule")
    assert empty.status_code == 422 and "at least one item" in empty.json()["detail"]
    taken = staff.post(
        "/api/v1/releases", json={"version": staff.get(f"/api/v1/releases/{release_id}").json()["version"]}
    )
    assert taken.status_code == 409
    post_id = _post(fan, "Dark mode")
    staff.post(f"/api/v1/releases/{release_id}/items", json={"post_id": post_id})
    twice = staff.post(f"/api/v1/releases/{release_id}/items", json={"post_id": post_id})
    assert twice.status_code == 409
    bad_zone = people["lead"].patch("/api/v1/release-train", json={"timezone": "Mars/Olympus"})
    assert bad_zone.status_code == 422 and "time zone" in bad_zone.json()["detail"]


def test_items_reorder_and_schedule(people):
    staff, fan = people["staff"], people["fan"]
    release_id = staff.post("/api/v1/releases", json={}).json()["id"]
    ids = [_post(fan, title) for title in ("First", "Second", "Third")]
    items = [
        staff.post(f"/api/v1/releases/{release_id}/items", json={"post_id": i}).json()["items"][-1]["id"]
        for i in ids
    ]
    reordered = staff.put(
        f"/api/v1/releases/{release_id}/items/order", json={"item_ids": [items[2], items[0]]}
    )
    assert [item["summary"] for item in reordered.json()["items"]] == ["Third", "First", "Second"]
    assert staff.delete(f"/api/v1/releases/{release_id}/items/{items[1]}").status_code == 204
    scheduled = staff.post(f"/api/v1/releases/{release_id}/schedule").json()
    assert scheduled["state"] == "scheduled"
    assert staff.post(f"/api/v1/releases/{release_id}/unschedule").json()["state"] == "draft"


def test_the_cadence_is_public_and_leads_change_it(people):
    train = people["fan"].get("/api/v1/release-train").json()
    assert (train["weekday"], train["time_of_day"], train["timezone"]) == (4, "17:00", "Asia/Shanghai")
    assert train["next_release_at"] == "2026-03-13T09:00:00Z"
    changed = people["lead"].patch(
        "/api/v1/release-train", json={"weekday": 0, "time_of_day": "9:30", "timezone": "UTC"}
    )
    assert changed.json()["next_release_at"] == "2026-03-16T09:30:00Z"


def test_the_roadmap_columns_moves_and_order(people):
    fan, staff = people["fan"], people["staff"]
    first, second = _post(fan, "Dark mode"), _post(fan, "Bigger icons")
    for post_id in (first, second):
        staff.post(f"/api/v1/posts/{post_id}/status", json={"status": "planned"})
    people["voter"].put(f"/api/v1/posts/{first}/vote")
    columns = fan.get("/api/v1/roadmap").json()
    assert [card["id"] for card in columns["planned"]] == [first, second]  # most voted first
    ordered = staff.put("/api/v1/roadmap/order", json={"cards": [{"subject": "post", "id": second}]}).json()
    assert [card["id"] for card in ordered["planned"]] == [second, first]
    moved = staff.post(f"/api/v1/roadmap/cards/post/{first}/move", json={"status": "in_progress"}).json()
    assert [card["id"] for card in moved["in_progress"]] == [first]
    assert fan.put("/api/v1/roadmap/order", json={"cards": []}).status_code == 403
    assert (
        staff.post(f"/api/v1/roadmap/cards/post/{first}/move", json={"status": "shipped"}).status_code == 422
    )


def _published_release(people) -> tuple[int, list[int]]:
    fan, staff = people["fan"], people["staff"]
    release_id = staff.post("/api/v1/releases", json={}).json()["id"]
    item_ids = []
    for title in ("Dark mode", "Sleep timer"):
        added = staff.post(f"/api/v1/releases/{release_id}/items", json={"post_id": _post(fan, title)})
        item_ids.append(added.json()["items"][-1]["id"])
    assert staff.post(f"/api/v1/releases/{release_id}/publish").status_code == 200
    return release_id, item_ids


def test_four_box_reports_and_their_summary(people):
    release_id, items = _published_release(people)
    voter, staff = people["voter"], people["staff"]
    filed = voter.post(
        f"/api/v1/releases/{release_id}/reports",
        json={
            "liked_most_item_id": items[0],
            "broke": "Music stops when the screen locks",
            "want_next": "A sleep timer",
        },
    )
    assert filed.status_code == 201, filed.text
    bug = voter.get(f"/api/v1/posts/{filed.json()['bug_post_id']}").json()
    assert bug["kind"] == "bug" and bug["title"].endswith("Music stops when the screen locks")
    again = voter.post(f"/api/v1/releases/{release_id}/reports", json={"liked_most": "x"})
    assert again.status_code == 409
    empty = people["fan"].post(f"/api/v1/releases/{release_id}/reports", json={})
    assert empty.status_code == 422 and "at least one" in empty.json()["detail"]
    summary = staff.get(f"/api/v1/releases/{release_id}/reports/summary").json()
    assert summary["reports"] == 1 and summary["items"][0]["liked_most"] == 1 and summary["bug_posts"] == 1
    assert voter.get(f"/api/v1/releases/{release_id}/reports/summary").status_code == 403


def test_the_award_vote_is_one_per_fan(people):
    release_id, items = _published_release(people)
    voter = people["voter"]
    assert (
        voter.put(f"/api/v1/releases/{release_id}/award/vote", json={"item_id": items[0]}).status_code == 200
    )
    moved = voter.put(f"/api/v1/releases/{release_id}/award/vote", json={"item_id": items[1]}).json()
    assert moved["my_vote"] == items[1] and [s["votes"] for s in moved["standings"]] == [1, 0]
    assert moved["open"] and moved["winner"] is None
    wrong = voter.put(f"/api/v1/releases/{release_id}/award/vote", json={"item_id": 99999})
    assert wrong.status_code == 422


def test_the_beta_group_through_the_api(people):
    lead, fan = people["lead"], people["fan"]
    assert fan.get("/api/v1/beta").json()["state"] == "none"
    assert lead.patch("/api/v1/beta/settings", json={"seats": 1}).status_code == 200
    assert lead.post("/api/v1/beta/invitations", json={"handle": "li_na"}).status_code == 201
    assert lead.post("/api/v1/beta/invitations", json={"handle": "wang_lei"}).status_code == 409  # full
    assert lead.post("/api/v1/beta/invitations", json={"handle": "nobody_here"}).status_code == 404
    assert fan.post("/api/v1/beta/accept").json()["state"] == "member"
    assert [seat["handle"] for seat in lead.get("/api/v1/beta/seats").json()] == ["li_na"]
    assert fan.get("/api/v1/beta/seats").status_code == 403
    assert fan.delete("/api/v1/beta/membership").json()["state"] == "none"
    join = people["voter"].post("/api/v1/beta/join")
    assert join.status_code == 409 and "invitation only" in join.json()["detail"]
