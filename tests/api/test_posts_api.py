"""The JSON API for posts: create, list, filter, paginate, reply, vote, follow, status, merge."""

from __future__ import annotations

import pytest


@pytest.fixture
def board(seed):
    seed.board("battery", "Battery")
    seed.board("camera", "Camera")
    seed.tag("battery")
    seed.tag("update")


def new_post(client, **overrides):
    body = {
        "board": "battery",
        "kind": "bug",
        "title": "更新后待机掉电严重",
        "body": "**每晚** 掉电 20%",
        "tags": ["battery"],
        "device_model": "Lumen X3",
        "os_version": "LumenOS 5.1.2",
        "steps_to_reproduce": "1. 充满电\n2. 待机一夜",
    }
    body.update(overrides)
    response = client.post("/api/v1/posts", json=body)
    assert response.status_code == 201, response.text
    return response.json()


def test_create_bug_renders_markdown_and_keeps_bug_fields(api, board):
    fan = api("fan")
    post = new_post(fan, body="**bold** <script>alert(1)</script>")
    assert post["kind"] == "bug" and post["status"] == "open"
    assert "<strong>bold</strong>" in post["body_html"]
    assert "<script>" not in post["body_html"]
    assert post["device_model"] == "Lumen X3" and post["os_version"] == "LumenOS 5.1.2"
    assert post["tags"] == ["battery"]
    assert post["viewer"] == {"voted": False, "following": True}
    assert post["follower_count"] == 1
    assert post["language"] == "zh_CN"


def test_bug_fields_dropped_for_other_kinds(api, board):
    post = new_post(api("fan"), kind="suggestion", title="Add a battery saver schedule")
    assert post["device_model"] is None and post["steps_to_reproduce"] is None


def test_list_sorts_filters_and_paginates(api, board, clock):
    fan = api("fan")
    created = []
    for i in range(7):
        clock.advance(minutes=1)
        created.append(
            new_post(
                fan,
                title=f"Post {i}",
                kind="bug" if i % 2 else "question",
                board="battery" if i < 5 else "camera",
            )["id"]
        )
    seen, cursor = [], None
    while True:
        params = {"sort": "new", "limit": 3, **({"cursor": cursor} if cursor else {})}
        page = fan.get("/api/v1/posts", params=params).json()
        seen += [p["id"] for p in page["items"]]
        cursor = page["next_cursor"]
        if not cursor:
            break
    assert seen == list(reversed(created))
    bugs = fan.get("/api/v1/posts", params={"kind": "bug"}).json()["items"]
    assert {p["kind"] for p in bugs} == {"bug"} and len(bugs) == 3
    camera = fan.get("/api/v1/posts", params={"board": "camera"}).json()["items"]
    assert [p["id"] for p in camera] == sorted(created[5:], reverse=True)
    tagged = fan.get("/api/v1/posts", params={"tag": "battery"}).json()["items"]
    assert len(tagged) == 7


def test_vote_is_one_per_member_and_follows(api, board):
    author, fan = api("fan"), api("fan")
    post = new_post(author)
    for _ in range(2):
        response = fan.put(f"/api/v1/posts/{post['id']}/vote")
        assert response.json() == {"post_id": post["id"], "voted": True, "vote_count": 1}
    seen = fan.get(f"/api/v1/posts/{post['id']}").json()
    assert seen["viewer"] == {"voted": True, "following": True}
    assert seen["vote_count"] == 1 and seen["follower_count"] == 2
    assert fan.delete(f"/api/v1/posts/{post['id']}/vote").json()["vote_count"] == 0
    assert fan.delete(f"/api/v1/posts/{post['id']}/follow").json() == {
        "post_id": post["id"],
        "following": False,
        "follower_count": 1,
    }


def test_staff_reply_is_marked_with_name(api, board):
    fan, staff = api("fan"), api("staff", "zhang_min")
    post = new_post(fan)
    fan.post(f"/api/v1/posts/{post['id']}/replies", json={"body": "me too"})
    staff.post(f"/api/v1/posts/{post['id']}/replies", json={"body": "Please send a log."})
    replies = fan.get(f"/api/v1/posts/{post['id']}/replies").json()
    assert [(r["is_staff"], r["author"]["handle"]) for r in replies] == [
        (False, fan.member.handle),
        (True, "zhang_min"),
    ]
    assert replies[1]["author"]["display_name"] == "Zhang Min"


def test_status_change_recorded_with_who_when_why(api, board, clock):
    fan, staff = api("fan"), api("staff")
    post = new_post(fan)
    response = staff.post(f"/api/v1/posts/{post['id']}/status", json={"status": "planned", "note": "In 5.2"})
    assert response.status_code == 201
    history = fan.get(f"/api/v1/posts/{post['id']}/status").json()
    assert history == [
        {
            "from_status": "open",
            "to_status": "planned",
            "note": "In 5.2",
            "actor": history[0]["actor"],
            "created_at": "2026-03-10T13:40:00Z",
        }
    ]
    assert history[0]["actor"]["handle"] == staff.member.handle
    assert fan.get(f"/api/v1/posts/{post['id']}").json()["status"] == "planned"
    denied = fan.post(f"/api/v1/posts/{post['id']}/status", json={"status": "shipped"})
    assert denied.status_code == 403
    assert denied.headers["content-type"] == "application/problem+json"


def test_merge_moves_votes_followers_and_replies(api, board):
    a, b, c, staff = api("fan"), api("fan"), api("fan"), api("staff")
    original, duplicate = new_post(a), new_post(b, title="晚上掉电快")
    a.put(f"/api/v1/posts/{original['id']}/vote")
    c.put(f"/api/v1/posts/{original['id']}/vote")
    c.put(f"/api/v1/posts/{duplicate['id']}/vote")  # voted on both: counted once
    a.put(f"/api/v1/posts/{duplicate['id']}/vote")
    b.post(f"/api/v1/posts/{duplicate['id']}/replies", json={"body": "log attached"})
    merged = staff.post(f"/api/v1/posts/{duplicate['id']}/merge", json={"into_post_id": original["id"]})
    assert merged.status_code == 200, merged.text
    target = merged.json()
    assert target["vote_count"] == 2  # a and c; b authored the duplicate but never voted
    assert target["follower_count"] == 3  # a, b, c
    assert target["reply_count"] == 1
    dup = a.get(f"/api/v1/posts/{duplicate['id']}").json()
    assert dup["status"] == "duplicate" and dup["merged_into_id"] == original["id"]
    assert dup["vote_count"] == 0


def test_edit_keeps_history(api, board):
    fan = api("fan")
    post = new_post(fan, kind="question", title="Old title", body="old body")
    payload = {"board": "battery", "kind": "question", "title": "New title", "body": "new body", "tags": []}
    assert fan.put(f"/api/v1/posts/{post['id']}", json=payload).json()["title"] == "New title"
    revisions = fan.get(f"/api/v1/posts/{post['id']}/revisions").json()
    assert [(r["title"], r["body"]) for r in revisions] == [("Old title", "old body")]
    other = api("fan")
    assert other.put(f"/api/v1/posts/{post['id']}", json=payload).status_code == 403


def test_moderation_hides_locks_deletes_with_audit(api, board):
    fan, staff, lead = api("fan"), api("staff"), api("lead")
    post = new_post(fan)
    staff.post(f"/api/v1/posts/{post['id']}/moderation", json={"action": "lock", "reason": "heated"})
    locked = fan.post(f"/api/v1/posts/{post['id']}/replies", json={"body": "hello"})
    assert locked.status_code == 403 and "locked" in locked.json()["detail"]
    assert staff.post(f"/api/v1/posts/{post['id']}/replies", json={"body": "ok"}).status_code == 201
    staff.post(f"/api/v1/posts/{post['id']}/moderation", json={"action": "hide", "reason": "spam"})
    assert fan.get(f"/api/v1/posts/{post['id']}").status_code == 404
    assert post["id"] not in [p["id"] for p in fan.get("/api/v1/posts").json()["items"]]
    assert staff.get(f"/api/v1/posts/{post['id']}").json()["is_hidden"] is True
    staff.post(f"/api/v1/posts/{post['id']}/moderation", json={"action": "delete", "reason": "abuse"})
    log = lead.get("/api/v1/moderation-log").json()
    assert [(e["action"], e["reason"]) for e in log] == [
        ("delete", "abuse"),
        ("hide", "spam"),
        ("lock", "heated"),
    ]
    assert fan.get("/api/v1/moderation-log").status_code == 403


def test_search_finds_chinese_words_inside_longer_text(api, board):
    fan = api("fan")
    hit = new_post(fan, title="电池续航太差", body="用了一天就没电")
    new_post(fan, title="相机对焦慢", body="拍照很糊", kind="complaint")
    english = new_post(fan, title="Battery drains overnight", body="Lost 30% while idle", kind="complaint")
    found = fan.get("/api/v1/search", params={"q": "电池"}).json()["items"]
    assert [p["id"] for p in found] == [hit["id"]]
    assert [p["id"] for p in fan.get("/api/v1/search", params={"q": "drain"}).json()["items"]] == [
        english["id"]
    ]
    assert fan.get("/api/v1/search", params={"q": "续航 相机"}).json()["items"] == []


@pytest.mark.parametrize(
    "payload, field",
    [
        ({"kind": "rant"}, "kind"),
        ({"board": "nope"}, "board"),
        ({"title": "   "}, "title"),
        ({"tags": ["unknown"]}, "tags"),
        ({"extra": 1}, "extra"),
        ({"title": "x" * 201}, "title"),
    ],
)
def test_bad_post_input_is_a_clear_4xx(api, board, payload, field):
    fan = api("fan")
    body = {"board": "battery", "kind": "bug", "title": "t", "body": "b", **payload}
    response = fan.post("/api/v1/posts", json=body)
    assert response.status_code == 422
    assert response.headers["content-type"] == "application/problem+json"
    assert field in response.text


def test_bad_cursor_and_missing_post(api, board):
    fan = api("fan")
    response = fan.get("/api/v1/posts", params={"cursor": "garbage"})
    assert response.status_code == 422 and "cursor" in response.json()["detail"]
    assert fan.get("/api/v1/posts/999999").status_code == 404
    assert (
        fan.post(
            "/api/v1/posts", content=b"{not json", headers={"content-type": "application/json"}
        ).status_code
        == 422
    )


def test_posting_is_rate_limited_with_retry_after(api, board, settings):
    settings.post_rate_limit = 2
    fan = api("fan")
    new_post(fan)
    new_post(fan)
    response = fan.post("/api/v1/posts", json={"board": "battery", "kind": "bug", "title": "t", "body": "b"})
    assert response.status_code == 429
    assert int(response.headers["Retry-After"]) >= 1
