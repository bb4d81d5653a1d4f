"""Similar posts on the pages: suggestions under the new-post form as a fan types, and for staff on a
post and in the inbox the answered posts and possible duplicates with a one-click merge."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from babel.messages.extract import extract_from_file

from fanloop.community.members.models import Member
from fanloop.community.posts import service as posts
from fanloop.community.posts.models import Post
from fanloop.insights.vectors.service import encode_pending
from fanloop.web import i18n

HTMX = {"HX-Request": "true"}
TEMPLATES = Path(__file__).parents[2] / "src/fanloop/web/templates"


@pytest.fixture
def reports(world, make_post, database) -> dict[str, int]:
    """Three earlier posts, encoded as the worker would."""
    ids = {
        "drain": make_post(
            world["fan"], title="更新后待机掉电严重", body="升级到 2.4.1 后，一晚上待机掉电百分之三十。"
        ),
        "earbuds": make_post(
            world["fan"],
            title="Bluetooth headphones disconnect every few minutes",
            body="My earbuds drop the connection every 5 minutes since the last update.",
        ),
        "gallery": make_post(
            world["fan"],
            board="camera",
            title="App crashes when I open the gallery",
            body="The gallery app closes immediately when I tap an album.",
        ),
    }
    assert encode_pending(database) == 3
    return ids


def _logged_in(web_client, log_in, handle: str):
    client = web_client()
    log_in(client, handle)
    return client


# --------------------------------------------------------------------------- the new-post form


def test_new_post_form_asks_for_similar_posts_as_the_fan_types(web_client, world, log_in, reports):
    fan = _logged_in(web_client, log_in, "li_wei")
    form = fan.get("/posts/new").text
    slot = re.search(r'<div id="similar-drafts"[^>]*>', form, re.S)[0]
    assert 'hx-get="/posts/similar"' in slot and "delay:500ms from:#post-title" in slot
    assert 'hx-include="#post-title, #post-body, #post-board"' in slot and "data-similar-draft" in slot
    assert "js/similar.js" in form
    # Editing a post is not writing a new one: no suggestions there.
    assert "similar-drafts" not in fan.get(f"/posts/{reports['drain']}/edit").text


def test_draft_suggestions_link_to_the_earlier_posts(web_client, world, log_in, reports):
    fan = _logged_in(web_client, log_in, "li_wei")
    fragment = fan.get(
        "/posts/similar",
        params={"title": "Earbuds keep disconnecting", "body": "", "board": ""},
        headers=HTMX,
    )
    assert fragment.status_code == 200
    assert "Similar posts already exist" in fragment.text and "vote there instead" in fragment.text
    items = re.findall(r'<li class="similar-item" data-post-id="(\d+)">', fragment.text)
    assert items[0] == str(reports["earbuds"])
    assert f'href="/posts/{reports["earbuds"]}"' in fragment.text and "0 votes" in fragment.text
    assert "badge-status-open" in fragment.text
    # Nothing similar: nothing shown.
    nothing = fan.get("/posts/similar", params={"title": "推荐一家好吃的火锅店"}, headers=HTMX)
    assert nothing.status_code == 200 and "similar-item" not in nothing.text
    # The board narrows the suggestions.
    on_camera = fan.get("/posts/similar", params={"title": "Earbuds keep disconnecting", "board": "camera"})
    assert "similar-item" not in on_camera.text


def test_draft_suggestions_in_chinese(web_client, world, log_in, reports):
    fan = _logged_in(web_client, log_in, "li_wei")
    fan.cookies.set("lang", "zh_CN")
    fragment = fan.get(
        "/posts/similar", params={"title": "升级后掉电快", "body": "晚上待机一夜掉了很多电"}
    ).text
    assert "已有类似的帖子" in fragment and f'data-post-id="{reports["drain"]}"' in fragment


def test_draft_suggestions_never_get_in_the_way(web_client, world, log_in, reports, monkeypatch):
    from fanloop.insights.similar import service as similar

    visitor = web_client()
    assert visitor.get("/posts/similar", params={"title": "Earbuds keep disconnecting"}).status_code == 204
    fan = _logged_in(web_client, log_in, "li_wei")
    # A very long draft is cut, not refused.
    long = fan.get("/posts/similar", params={"title": "Earbuds", "body": "Earbuds disconnect. " * 900})
    assert long.status_code == 200 and "similar-item" in long.text
    monkeypatch.setattr(similar, "draft_limiter", similar.DraftLimiter(per_minute=1))
    assert fan.get("/posts/similar", params={"title": "Earbuds keep disconnecting"}).status_code == 200
    assert fan.get("/posts/similar", params={"title": "Earbuds keep disconnecting"}).status_code == 204


# --------------------------------------------------------------------------- staff


def test_staff_see_answered_posts_and_duplicates_on_a_post(
    web_client, world, log_in, reports, make_post, database, settings
):
    with database.unit_of_work() as session:
        staff_row = session.get(Member, world["staff"].id)
        posts.add_reply(
            session,
            author=staff_row,
            post_id=reports["drain"],
            body="请升级到 **2.4.2**。",
            settings=settings,
        )
    new = make_post(world["fan"], title="手机待机耗电太快", body="更新以后晚上待机掉电很多")
    staff = _logged_in(web_client, log_in, "zhang_min")
    page = staff.get(f"/posts/{new}").text
    assert f'hx-get="/posts/{new}/similar"' in page
    panel = staff.get(f"/posts/{new}/similar", headers=HTMX).text
    answered = re.search(r'<section class="card" id="similar-answered".*?</section>', panel, re.S)[0]
    assert f'data-post-id="{reports["drain"]}"' in answered
    assert "<strong>2.4.2</strong>" in answered and "Zhang Min" in answered
    duplicates = re.search(r'<section class="card" id="similar-duplicates".*?</section>', panel, re.S)[0]
    assert f'action="/posts/{new}/merge"' in duplicates and f'value="{reports["drain"]}"' in duplicates
    assert f'action="/posts/{reports["drain"]}/merge"' in duplicates and "Merge here" in duplicates
    assert f'data-post-id="{reports["gallery"]}"' not in panel  # not similar


def test_fans_see_no_staff_panel(web_client, world, log_in, reports):
    fan = _logged_in(web_client, log_in, "li_wei")
    assert "/similar" not in fan.get(f"/posts/{reports['drain']}").text
    assert fan.get(f"/posts/{reports['drain']}/similar", headers=HTMX).status_code == 403


def test_one_click_merge_from_the_panel(web_client, world, log_in, csrf, reports, make_post, database):
    new = make_post(
        world["fan"], title="Earbuds keep disconnecting", body="Every few minutes the sound drops."
    )
    staff = _logged_in(web_client, log_in, "zhang_min")
    panel = staff.get(f"/posts/{new}/similar", headers=HTMX).text
    form = re.search(
        rf'<form class="inline-form" method="post" action="/posts/{new}/merge">.*?</form>', panel, re.S
    )[0]
    into = re.search(r'name="into_post_id" value="(\d+)"', form)[1]
    assert into == str(reports["earbuds"])
    token = re.search(r'name="csrf_token" value="([^"]+)"', form)[1]

    fan = _logged_in(web_client, log_in, "li_wei")
    refused = fan.post(f"/posts/{new}/merge", data={"csrf_token": csrf(fan), "into_post_id": into})
    assert refused.status_code == 403
    no_token = staff.post(f"/posts/{new}/merge", data={"into_post_id": into}, follow_redirects=False)
    assert no_token.status_code == 403

    done = staff.post(
        f"/posts/{new}/merge", data={"csrf_token": token, "into_post_id": into}, follow_redirects=False
    )
    assert done.status_code == 303 and done.headers["location"] == f"/posts/{into}"
    with database.unit_of_work() as session:
        assert session.get(Post, new).merged_into_id == int(into)
        assert session.get(Post, new).status == "duplicate"
    # The merged post is no longer offered anywhere.
    again = staff.get(f"/posts/{into}/similar", headers=HTMX).text
    assert f'data-post-id="{new}"' not in again


def test_the_inbox_panel_loads_the_similar_posts(web_client, world, log_in, reports):
    staff = _logged_in(web_client, log_in, "zhang_min")
    panel = staff.get(f"/inbox/posts/{reports['drain']}", headers=HTMX).text
    assert f'hx-get="/posts/{reports["drain"]}/similar"' in panel and 'hx-trigger="load"' in panel


@pytest.mark.parametrize(
    "template",
    [
        "insights/_draft_duplicates.html",
        "insights/_similar_panel.html",
        "insights/_similar_macros.html",
        "insights/_similar_slot.html",
    ],
)
def test_similar_post_strings_have_chinese_translations(template):
    catalog = i18n.load_catalog("zh_CN")
    options = {"extensions": "jinja2.ext.i18n", "trim_blocks": "True", "lstrip_blocks": "True"}
    found = list(extract_from_file("jinja2", str(TEMPLATES / template), options=options))
    assert found
    for entry in found:
        msgid = entry[1] if isinstance(entry[1], str) else entry[1][0]
        message = catalog.get(msgid)
        assert message is not None and message.string, f"missing zh_CN translation for {msgid!r}"
