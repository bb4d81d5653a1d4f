"""GET /api/v1/posts writes its JSON directly from plain rows; these tests hold it to the document
the ORM objects and the PostPage/PostRead models give for the same page, byte for byte."""

from __future__ import annotations

import json

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import update

from fanloop.community.members.models import Member
from fanloop.community.posts import service as posts
from fanloop.community.posts.repository import PostFilters
from fanloop.community.posts.schemas import PostPage, PostRead, ViewerState


@pytest.fixture
def forum(api, seed, clock, database):
    """A small forum with every kind of post a listing can show: bugs with their fields, tags in
    several orders, Chinese and awkward text, votes, a status change, a merge, hidden and deleted
    posts, authors at different levels, and times with and without fractions of a second."""
    seed.board("battery", "Battery")
    seed.board("camera", "Camera")
    for slug in ("update", "battery", "audio"):
        seed.tag(slug)
    fan, veteran, staff = api("fan"), api("fan"), api("staff")
    with database.unit_of_work() as session:
        session.execute(update(Member).where(Member.id == veteran.member.id).values(xp=420))
    bodies = [
        {
            "kind": "bug",
            "title": "更新后待机掉电严重",
            "body": "**每晚** 掉电 20%",
            "tags": ["update", "battery"],
            "device_model": "Lumen X3",
            "os_version": "LumenOS 5.1.2",
            "steps_to_reproduce": "1. 充满电\n2. 待机",
        },
        {
            "kind": "suggestion",
            "title": 'Quotes " and \\ back\tslash',
            "body": "Line\nbreak </script> 🔋 \u2028 \x7f ok",
            "tags": ["audio"],
        },
        {
            "kind": "question",
            "board": "camera",
            "title": "Focus is slow",
            "body": "- a\n- b\n\n| x |\n|---|\n| 1 |",
        },
        {
            "kind": "complaint",
            "title": "Ads everywhere",
            "body": "Please remove them",
            "tags": ["audio", "update"],
        },
        {"kind": "praise", "board": "camera", "title": "Great night mode", "body": "夜景很好"},
        {"kind": "bug", "title": "Crash on start", "body": "It crashes", "device_model": "Lumen S"},
        {"kind": "question", "title": "Where is the log?", "body": "Looking for it"},
        {"kind": "bug", "title": "Hidden one", "body": "spam spam"},
        {"kind": "bug", "title": "Deleted one", "body": "abuse"},
    ]
    ids = []
    for i, body in enumerate(bodies):
        clock.advance(seconds=37, microseconds=0 if i % 3 == 0 else 123_457 * i)
        author = veteran if i % 2 else fan
        response = author.post("/api/v1/posts", json={"board": "battery", "tags": [], **body})
        assert response.status_code == 201, response.text
        ids.append(response.json()["id"])
    fan.put(f"/api/v1/posts/{ids[1]}/vote")
    veteran.put(f"/api/v1/posts/{ids[0]}/vote")
    fan.put(f"/api/v1/posts/{ids[3]}/follow")
    staff.post(f"/api/v1/posts/{ids[0]}/status", json={"status": "planned", "note": "next release"})
    staff.post(f"/api/v1/posts/{ids[5]}/merge", json={"into_post_id": ids[0]})
    staff.post(f"/api/v1/posts/{ids[6]}/moderation", json={"action": "lock"})
    staff.post(f"/api/v1/posts/{ids[7]}/moderation", json={"action": "hide"})
    staff.post(f"/api/v1/posts/{ids[8]}/moderation", json={"action": "delete"})
    return {"fan": fan, "veteran": veteran, "staff": staff}


def expected_page(database, viewer_id: int | None, params: dict) -> bytes:
    """The page as the ORM objects and PostPage/PostRead give it."""
    with database.unit_of_work() as session:
        viewer = session.get(Member, viewer_id) if viewer_id else None
        filters = PostFilters(**{k: params[k] for k in ("board", "kind", "status", "tag") if k in params})
        page = posts.list_posts(
            session,
            viewer=viewer,
            sort=params.get("sort", "hot"),
            filters=filters,
            cursor=params.get("cursor"),
            limit=params.get("limit", 20),
        )
        voted, followed = posts.member_relations(session, member=viewer, post_ids=[p.id for p in page.items])
        items = [
            PostRead.of(p, ViewerState(voted=p.id in voted, following=p.id in followed) if viewer else None)
            for p in page.items
        ]
        return PostPage(items=items, next_cursor=page.next_cursor).model_dump_json().encode()


QUERIES = [
    {},
    {"sort": "new"},
    {"sort": "top"},
    {"sort": "hot", "limit": 100},
    {"sort": "new", "board": "camera"},
    {"sort": "hot", "board": "nope"},
    {"sort": "new", "tag": "update"},
    {"sort": "top", "tag": "nope"},
    {"sort": "new", "kind": "bug"},
    {"sort": "new", "status": "planned"},
    {"sort": "hot", "kind": "bug", "board": "battery", "tag": "battery"},
]


@pytest.mark.parametrize("who", [None, "fan", "staff"])
def test_listing_matches_the_models_page_by_page(forum, client, database, who):
    http = forum[who] if who else client
    viewer_id = forum[who].member.id if who else None
    for query in QUERIES:
        for limit in (query.get("limit", 20), 2):
            params, pages = {**query, "limit": limit}, 0
            while True:
                response = http.get("/api/v1/posts", params=params)
                assert response.status_code == 200, response.text
                assert response.headers["content-type"] == "application/json"
                want = expected_page(database, viewer_id, params)
                assert json.loads(response.content) == json.loads(want), params
                assert response.content == want, params
                pages += 1
                cursor = response.json()["next_cursor"]
                if not cursor:
                    break
                params = {**params, "cursor": cursor}
            assert pages <= 8


def test_listing_shows_what_the_viewer_did(forum):
    items = {p["id"]: p for p in forum["fan"].get("/api/v1/posts", params={"limit": 100}).json()["items"]}
    assert any(p["viewer"] == {"voted": True, "following": True} for p in items.values())
    assert all(p["created_at"].endswith("Z") for p in items.values())
    assert len({p["author"]["level_name"] for p in items.values()}) == 2
    tagged = [p["tags"] for p in items.values() if len(p["tags"]) > 1]
    assert tagged and all(tags == sorted(tags) for tags in tagged)


def test_listing_errors_are_unchanged(forum, client):
    for params, field in (
        ({"sort": "sideways"}, "sort"),
        ({"limit": 0}, "limit"),
        ({"limit": 101}, "limit"),
        ({"kind": "rant"}, "kind"),
        ({"cursor": "garbage"}, "cursor"),
        ({"sort": "top", "cursor": "WyJuZXciLCIyMDI2LTAxLTAxVDAwOjAwOjAwIiwxXQ"}, "cursor"),
    ):
        response = client.get("/api/v1/posts", params=params)
        assert response.status_code == 422, (params, response.text)
        assert response.headers["content-type"] == "application/problem+json"
        assert field in response.text
    with TestClient(client.app, headers={"Authorization": "Bearer not-a-token"}) as unknown:
        assert unknown.get("/api/v1/posts").status_code == 401


def test_openapi_still_describes_the_page(app):
    operation = app.openapi()["paths"]["/api/v1/posts"]["get"]
    schema = operation["responses"]["200"]["content"]["application/json"]["schema"]
    assert schema == {"$ref": "#/components/schemas/PostPage"}
    created = app.openapi()["paths"]["/api/v1/posts"]["post"]["responses"]["201"]
    assert created["content"]["application/json"]["schema"] == {"$ref": "#/components/schemas/PostRead"}


def test_created_post_is_the_post_as_read_back(forum):
    fan = forum["fan"]
    created = fan.post(
        "/api/v1/posts",
        json={
            "board": "camera",
            "kind": "bug",
            "title": "Lens fog",
            "body": "*foggy*",
            "tags": ["audio"],
            "device_model": "Lumen X3",
        },
    )
    assert created.status_code == 201
    assert created.headers["content-type"] == "application/json"
    read_back = fan.get(f"/api/v1/posts/{created.json()['id']}")
    assert created.content == read_back.content
