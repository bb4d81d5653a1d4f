"""The similar-posts API: draft duplicates for members, a post's duplicates and answered suggestions
for staff, and clear 4xx answers to bad input."""

from __future__ import annotations

import pytest
from similar_corpus import write_and_encode

from fanloop.community.members.models import Member
from fanloop.community.posts import service as posts
from fanloop.core.config import get_settings
from fanloop.insights.similar import service as similar
from fanloop.insights.vectors.index import forget_indexes


@pytest.fixture
def corpus(seed, database, settings, clock) -> dict[str, int]:
    seed.board("battery", "Battery")
    seed.board("camera", "Camera")
    return write_and_encode(database, settings, seed.member("fan", "chen_jie"))


def test_draft_duplicates(api, corpus):
    fan = api("fan")
    response = fan.get(
        "/api/v1/posts/similar", params={"title": "升级后掉电快", "body": "晚上待机一夜掉了很多电"}
    )
    assert response.status_code == 200, response.text
    [first, *_] = response.json()
    assert first["id"] == corpus["drain_zh"] and first["url"] == f"/posts/{corpus['drain_zh']}"
    assert (first["title"], first["status"], first["board"]) == ("更新后待机掉电严重", "open", "battery")
    assert first["similarity"] >= similar.SIMILARITY_FLOOR and first["vote_count"] == 0
    on_camera = fan.get("/api/v1/posts/similar", params={"title": "升级后掉电快", "board": "camera"})
    assert on_camera.status_code == 200 and on_camera.json() == []
    unrelated = fan.get("/api/v1/posts/similar", params={"title": "推荐一家好吃的火锅店"})
    assert unrelated.json() == []
    # A long body is accepted and only its start compared.
    long_body = "The battery drains overnight. " * 600
    assert len(long_body) > similar.MAX_DRAFT_BODY
    long = fan.get("/api/v1/posts/similar", params={"title": "Battery", "body": long_body})
    assert long.status_code == 200 and long.json()[0]["id"] == corpus["drain_en"]


@pytest.mark.parametrize(
    "params",
    [
        {},
        {"title": "  ", "body": ""},
        {"title": "x" * 201},
        {"title": "battery", "body": "x" * 20_001},
        {"title": "battery", "limit": 0},
        {"title": "battery", "limit": 21},
        {"title": "battery", "limit": "many"},
        {"title": "battery", "board": "no-such-board"},
    ],
)
def test_draft_duplicates_refuse_bad_input(api, corpus, params):
    response = api("fan").get("/api/v1/posts/similar", params=params)
    assert response.status_code == 422, response.text
    assert response.headers["content-type"] == "application/problem+json"


def test_draft_duplicates_need_a_member_and_are_capped(client, api, corpus, monkeypatch):
    assert client.get("/api/v1/posts/similar", params={"title": "battery"}).status_code == 401
    monkeypatch.setattr(similar, "draft_limiter", similar.DraftLimiter(per_minute=2))
    fan = api("fan")
    for _ in range(2):
        assert fan.get("/api/v1/posts/similar", params={"title": "battery"}).status_code == 200
    refused = fan.get("/api/v1/posts/similar", params={"title": "battery"})
    assert refused.status_code == 429 and int(refused.headers["retry-after"]) >= 1


def _answered(database, settings, staff, post_id: int) -> None:
    with database.unit_of_work(write=True) as session:
        posts.add_reply(
            session,
            author=session.get(Member, staff.member.id),
            post_id=post_id,
            body="Please update to **2.4.2**.",
            settings=settings,
        )


def test_post_duplicates_and_answered_suggestions_are_for_staff(api, settings, database, corpus, seed):
    staff, fan = api("staff"), api("fan")
    again = write_and_encode(database, settings, seed.member("fan", "li_na"), ["drain_en_again"])["drain_en_again"]
    _answered(database, settings, staff, again)
    post_id = corpus["drain_en"]
    duplicates = staff.get(f"/api/v1/posts/{post_id}/similar")
    assert duplicates.status_code == 200
    assert again in [p["id"] for p in duplicates.json()] and post_id not in [p["id"] for p in duplicates.json()]
    answered = staff.get(f"/api/v1/posts/{post_id}/answered-suggestions")
    assert answered.status_code == 200
    [suggestion] = answered.json()
    assert suggestion["post"]["id"] == again
    [reply] = suggestion["answers"]
    assert reply["author"] == staff.member.handle and "<strong>2.4.2</strong>" in reply["body_html"]

    assert fan.get(f"/api/v1/posts/{post_id}/similar").status_code == 403
    assert fan.get(f"/api/v1/posts/{post_id}/answered-suggestions").status_code == 403
    assert staff.get("/api/v1/posts/999999/similar").status_code == 404
    assert staff.get("/api/v1/posts/0/answered-suggestions").status_code == 422
    assert staff.get(f"/api/v1/posts/{post_id}/similar", params={"limit": 50}).status_code == 422
    assert staff.get("/api/v1/posts/abc/similar").status_code == 422


@pytest.fixture
def multilingual_model(monkeypatch):
    """FANLOOP_TEXT_MODEL=use: one space for every language."""
    monkeypatch.setenv("FANLOOP_TEXT_MODEL", "use")
    get_settings.cache_clear()
    forget_indexes()
    yield
    get_settings.cache_clear()
    forget_indexes()


def test_the_default_model_keeps_languages_apart_and_use_finds_answers_across_them(
    api, settings, database, seed, multilingual_model
):
    """The default `bilingual` model gives English and Chinese posts unrelated spaces (similarity 0);
    with `use` an English post finds the answered Chinese one."""
    seed.board("battery", "Battery")
    ids = write_and_encode(database, settings, seed.member("fan", "chen_jie"), ["drain_zh", "drain_en"])
    staff = api("staff")
    _answered(database, settings, staff, ids["drain_zh"])
    [suggestion] = staff.get(f"/api/v1/posts/{ids['drain_en']}/answered-suggestions").json()
    assert suggestion["post"]["id"] == ids["drain_zh"]


def test_the_default_model_does_not_suggest_across_languages(api, settings, database, corpus):
    staff = api("staff")
    _answered(database, settings, staff, corpus["drain_zh"])
    assert staff.get(f"/api/v1/posts/{corpus['drain_en']}/answered-suggestions").json() == []
    found = staff.get(f"/api/v1/posts/{corpus['drain_en']}/similar").json()
    assert corpus["drain_zh"] not in [p["id"] for p in found]


def test_post_routes_still_reach_posts(api, corpus):
    """/posts/similar is taken by the draft look-up, but every numbered post is still a post."""
    fan = api("fan")
    assert (
        fan.get(f"/api/v1/posts/{corpus['gallery']}").json()["title"] == "App crashes when I open the gallery"
    )
    assert "/api/v1/posts/similar" in fan.get("/api/v1/openapi.json").json()["paths"]
