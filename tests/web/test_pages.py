"""The HTML pages: each renders, forms need the CSRF token, and the fan's journey works through forms."""

from __future__ import annotations

import json
import re

import pytest
from fastapi.testclient import TestClient

from fanloop.web.deps import safe_next

PASSWORD = "correct horse 1"


def vote_count(html: str, post_id: int) -> int:
    match = re.search(rf'id="vote-{post_id}".*?<span class="vote-count"[^>]*>(\d+)</span>', html, re.S)
    assert match, html
    return int(match[1])


# --------------------------------------------------------------------------- every page renders


def test_pages_render_for_a_visitor(web_client, world, make_post):
    post_id = make_post(world["fan"], device_model="Phone 14", os_version="2.4.1")
    client = web_client()
    expectations = {
        "/": ["Battery drains overnight", "Hot", "Boards", "Camera", 'class="vote-box'],
        "/?sort=new&kind=bug&board=battery&tag=&status=open": ["Battery drains overnight", "Clear filters"],
        "/?sort=top&status=shipped": ["No posts match these filters yet."],
        f"/posts/{post_id}": [
            "Battery drains overnight",
            "Phone 14",
            "2.4.1",
            "Confirmed by 0 fans",
            "Log in to reply",
        ],
        f"/posts/{post_id}/history": ["Edit history", "This post has not been edited."],
        "/search?q=battery": ["Battery drains overnight"],
        "/search": ["Search in Chinese or English"],
        "/u/li_wei": ["Li Wei", "@li_wei", "Newcomer", "Recent posts", "Shipped because of them"],
        "/leaderboard": ["Leaderboard", "Li Wei"],
        "/signup": ['action="/signup"', 'name="handle"'],
        "/login?next=/posts/1": ['name="next" value="/posts/1"'],
        "/reset": ['action="/reset"'],
        "/reset?token=abc": ['action="/reset/confirm"', 'value="abc"'],
    }
    for path, texts in expectations.items():
        response = client.get(path)
        assert response.status_code == 200, path
        assert response.headers["content-type"].startswith("text/html")
        for text in texts:
            assert text in response.text, (path, text)
    assert "API tokens" not in client.get("/u/li_wei").text  # only on your own profile


def test_unknown_pages_are_friendly_404s(web_client, world):
    client = web_client()
    for path in ("/posts/999", "/u/nobody", "/no-such-page"):
        response = client.get(path)
        assert response.status_code == 404
        assert "Back to the community" in response.text


def test_first_visit_sets_the_csrf_cookie_and_meta_tag(web_client, world):
    client = web_client()
    response = client.get("/")
    token = response.cookies.get("fanloop_csrf")
    assert token and f'<meta name="csrf-token" content="{token}">' in response.text
    assert "httponly" in response.headers["set-cookie"].lower()
    assert "samesite=lax" in response.headers["set-cookie"].lower()
    # the cookie is kept: the next page neither replaces it nor sets it again
    again = client.get("/leaderboard")
    assert "fanloop_csrf" not in again.headers.get("set-cookie", "")
    assert f'content="{token}"' in again.text


def test_pages_that_need_a_member_send_visitors_to_log_in(web_client, world):
    client = web_client()
    response = client.get("/posts/new", follow_redirects=False)
    assert response.status_code == 303
    assert response.headers["location"] == "/login?next=/posts/new"


@pytest.mark.parametrize(
    "path",
    [
        "/posts/new",
        "/posts/1/replies",
        "/posts/1/vote",
        "/posts/1/follow",
        "/posts/1/status",
        "/posts/1/moderation",
        "/posts/1/merge",
        "/posts/1/edit",
        "/login",
        "/signup",
        "/logout",
        "/lang",
        "/reset",
        "/me/tokens",
        "/staff/members/li_wei/role",
    ],
)
def test_forms_without_the_csrf_token_are_refused(web_client, world, path, log_in):
    client = web_client()
    log_in(client, "li_wei")
    response = client.post(path, data={"lang": "zh_CN", "body": "x"}, follow_redirects=False)
    assert response.status_code == 403
    wrong = client.post(path, data={"csrf_token": "not-the-cookie"}, follow_redirects=False)
    assert wrong.status_code == 403


# --------------------------------------------------------------------------- the fan's journey


def test_sign_up_log_in_post_a_bug_and_vote(web_client, world, csrf):
    client = web_client()
    response = client.post(
        "/signup",
        data={
            "csrf_token": csrf(client),
            "handle": "wang_hao",
            "email": "wang@example.test",
            "display_name": "王浩",
            "password": "long enough 1",
        },
        follow_redirects=False,
    )
    assert response.status_code == 303 and response.headers["location"] == "/"
    assert "fanloop_session" in response.cookies
    assert "Welcome to the community!" in client.get("/").text  # flash shown once...
    assert "Welcome to the community!" not in client.get("/").text  # ...and then gone

    client.post("/logout", data={"csrf_token": csrf(client)})
    assert 'href="/login"' in client.get("/").text
    response = client.post(
        "/login",
        data={
            "csrf_token": csrf(client),
            "login": "wang_hao",
            "password": "long enough 1",
            "next": "/posts/new",
        },
        follow_redirects=False,
    )
    assert response.headers["location"] == "/posts/new"

    form = client.get("/posts/new")
    assert 'name="device_model"' in form.text and 'name="tags"' in form.text
    response = client.post(
        "/posts/new",
        data={
            "csrf_token": csrf(client),
            "board": "battery",
            "kind": "bug",
            "title": "更新后待机掉电严重",
            "body": "升级后一晚上掉电 30%。",
            "tags": ["night", "update"],
            "device_model": "Phone 14 Pro",
            "os_version": "OS 2.4.1",
            "steps_to_reproduce": "1. Charge to 100%\n2. Leave overnight",
        },
        follow_redirects=False,
    )
    assert response.status_code == 303
    post_url = response.headers["location"]
    post_id = int(post_url.rsplit("/", 1)[1])

    home = client.get("/?sort=new").text
    assert "更新后待机掉电严重" in home and f'href="/posts/{post_id}"' in home
    assert "Your post is live" in home  # the flash shows on the next page
    page = client.get(post_url).text
    for text in ("更新后待机掉电严重", "Phone 14 Pro", "OS 2.4.1", "Leave overnight", "Me too", "王浩"):
        assert text in page

    # vote through the htmx endpoint: the answer is the updated vote box
    response = client.post(
        f"/posts/{post_id}/vote", headers={"HX-Request": "true", "X-CSRF-Token": csrf(client)}
    )
    assert response.status_code == 200
    assert response.text.lstrip().startswith(f'<div class="vote-box is-voted" id="vote-{post_id}">')
    assert vote_count(response.text, post_id) == 1
    assert vote_count(client.get("/?sort=new").text, post_id) == 1
    # the post page variant says who confirmed it
    response = client.post(
        f"/posts/{post_id}/vote",
        data={"csrf_token": csrf(client), "view": "page"},
        headers={"HX-Request": "true"},
    )
    assert "Confirmed by 0 fans" in response.text and 'aria-pressed="false"' in response.text
    # without htmx the form posts and comes back to the page it was on
    response = client.post(
        f"/posts/{post_id}/vote",
        data={"csrf_token": csrf(client)},
        headers={"Referer": f"http://testserver/posts/{post_id}"},
        follow_redirects=False,
    )
    assert response.headers["location"] == f"/posts/{post_id}"
    assert "Confirmed by 1 fan<" in client.get(post_url).text


def test_bug_fields_are_ignored_for_other_kinds(web_client, world, csrf, log_in):
    client = web_client()
    log_in(client, "li_wei")
    response = client.post(
        "/posts/new",
        data={
            "csrf_token": csrf(client),
            "board": "camera",
            "kind": "suggestion",
            "title": "Night mode for the camera",
            "body": "Please.",
            "device_model": "Phone 14",
        },
    )
    assert response.status_code == 200
    assert "Night mode for the camera" in response.text and "Phone 14" not in response.text
    assert "Me too" not in response.text and "0 votes" in response.text


def test_form_errors_keep_the_input(web_client, world, csrf, log_in):
    client = web_client()
    log_in(client, "li_wei")
    response = client.post(
        "/posts/new",
        data={
            "csrf_token": csrf(client),
            "board": "battery",
            "kind": "bug",
            "title": "   ",
            "body": "My body text <kept>",
            "tags": ["night"],
        },
    )
    assert response.status_code == 422
    assert "The title is required." in response.text
    assert "My body text &lt;kept&gt;</textarea>" in response.text
    assert re.search(r'value="night" checked', response.text)
    assert 'value="bug" checked' in response.text


def test_visitor_vote_goes_to_log_in(web_client, world, csrf, make_post):
    post_id = make_post(world["fan"])
    client = web_client()
    response = client.post(
        f"/posts/{post_id}/vote",
        headers={
            "HX-Request": "true",
            "X-CSRF-Token": csrf(client),
            "Referer": f"http://testserver/posts/{post_id}",
        },
    )
    assert response.headers["hx-redirect"] == f"/login?next=/posts/{post_id}"


def test_follow_and_unfollow(web_client, world, csrf, log_in, make_post):
    post_id = make_post(world["staff"])
    client = web_client()
    log_in(client, "li_wei")
    response = client.post(
        f"/posts/{post_id}/follow",
        data={"follow": "1"},
        headers={"HX-Request": "true", "X-CSRF-Token": csrf(client)},
    )
    assert "Following" in response.text and 'value="0"' in response.text
    response = client.post(f"/posts/{post_id}/follow", data={"csrf_token": csrf(client), "follow": "0"})
    assert "You no longer follow this post." in response.text


def test_edit_keeps_history(web_client, world, csrf, log_in, make_post):
    post_id = make_post(world["fan"], title="First title")
    client = web_client()
    log_in(client, "li_wei")
    assert 'value="First title"' in client.get(f"/posts/{post_id}/edit").text
    response = client.post(
        f"/posts/{post_id}/edit",
        data={
            "csrf_token": csrf(client),
            "board": "battery",
            "kind": "bug",
            "title": "Better title",
            "body": "More.",
        },
    )
    assert "Better title" in response.text and "Edited — see history" in response.text
    history = client.get(f"/posts/{post_id}/history").text
    assert "First title" in history and "Better title" in history
    other = web_client()
    log_in(other, "zhang_min")
    assert other.get(f"/posts/{post_id}/edit").status_code == 403  # staff below lead edit only their own


# --------------------------------------------------------------------------- language, safety, accounts


def test_language_switch_renders_chinese(web_client, world, csrf, make_post):
    make_post(world["fan"])
    client = web_client()
    response = client.post(
        "/lang",
        data={"csrf_token": csrf(client), "lang": "zh_CN", "next": "/?sort=new"},
        follow_redirects=False,
    )
    assert response.status_code == 303 and response.headers["location"] == "/?sort=new"
    assert "lang=zh_CN" in response.headers["set-cookie"]
    html = client.get("/?sort=new").text
    assert '<html lang="zh-CN">' in html
    for text in ("首页", "社区", "最新", "全部板块", "电池续航", "缺陷", "待处理"):
        assert text in html, text
    assert ">Battery<" not in html  # the Chinese board name replaces it
    assert ">Camera<" in html  # no Chinese name: the English one stays
    # off-site "next" values are refused
    for bad in ("https://evil.example/", "//evil.example", "/\\evil.example"):
        response = client.post(
            "/lang", data={"csrf_token": csrf(client), "lang": "en", "next": bad}, follow_redirects=False
        )
        assert response.headers["location"] == "/"


def test_accept_language_picks_chinese(web_client, world):
    html = web_client().get("/login", headers={"Accept-Language": "zh-CN,zh;q=0.9"}).text
    assert "欢迎回来" in html


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("/posts/1?x=1", "/posts/1?x=1"),
        ("", "/"),
        ("posts", "/"),
        ("//evil.example/x", "/"),
        ("https://evil.example", "/"),
        ("/\\evil.example", "/"),
        ("/ok\r\nSet-Cookie: x", "/"),
    ],
)
def test_safe_next(value, expected):
    assert safe_next(value) == expected


def test_html_in_titles_and_bodies_is_escaped(web_client, world, make_post):
    post_id = make_post(
        world["fan"],
        title='<img src=x onerror="alert(1)">',
        body='<script>alert("body")</script> [link](javascript:alert(1)) **bold**',
        device_model="<b>Phone</b>",
    )
    client = web_client()
    for path in ("/", f"/posts/{post_id}", "/search?q=alert"):
        html = client.get(path).text
        assert "<img src=x" not in html and "<script>alert" not in html, path
        assert "javascript:alert" not in html.replace("[link](javascript:alert(1))", "")
    page = client.get(f"/posts/{post_id}").text
    assert "&lt;img src=x onerror=&#34;alert(1)&#34;&gt;" in page
    assert "<strong>bold</strong>" in page  # Markdown still works
    assert "&lt;b&gt;Phone&lt;/b&gt;" in page


def test_load_more_returns_rows_and_a_new_button(web_client, world, clock, make_post):
    for number in range(25):
        clock.advance(minutes=1)
        make_post(world["fan"], title=f"Post number {number}")
    client = web_client()
    first = client.get("/?sort=new").text
    assert first.count('class="post-row"') == 20
    cursor_url = re.search(r'hx-get="(/\?[^"]*cursor=[^"]+)"', first)[1].replace("&amp;", "&")
    more = client.get(cursor_url, headers={"HX-Request": "true"})
    assert more.text.count('class="post-row"') == 5
    assert "<html" not in more.text and 'hx-swap-oob="true"' in more.text
    assert "Post number 0" in more.text and "cursor=" not in more.text  # the last page has no button
    # without htmx the same link is a full page
    assert "<html" in client.get(cursor_url).text


def test_search_in_chinese_and_english(web_client, world, make_post):
    make_post(world["fan"], title="更新后待机掉电严重", body="夜间耗电很快")
    make_post(world["fan"], title="Camera focus is slow", body="In low light.", board="camera")
    client = web_client()
    assert "更新后待机掉电严重" in client.get("/search?q=耗电").text
    english = client.get("/search?q=focus").text
    assert "Camera focus is slow" in english and "更新后待机掉电严重" not in english
    assert "No posts match" in client.get("/search?q=nothingmatches").text


def test_profile_levels_and_api_tokens(web_client, world, csrf, log_in, make_post):
    make_post(world["fan"], title="My first post")
    client = web_client()
    log_in(client, "li_wei")
    page = client.get("/u/li_wei").text
    assert "API tokens" in page and "My first post" in page
    assert "5 XP" in page and "15 XP to Rookie fan (Lv2)" in page
    created = client.post("/me/tokens", data={"csrf_token": csrf(client), "name": "release script"}).text
    raw = re.search(r'<code class="token-value">(flt_[^<]+)</code>', created)[1]
    api = TestClient(client.app, headers={"Authorization": f"Bearer {raw}"})
    assert api.get("/api/v1/me").json()["handle"] == "li_wei"
    token_id = re.search(r'action="/me/tokens/(\d+)/revoke"', created)[1]
    client.post(f"/me/tokens/{token_id}/revoke", data={"csrf_token": csrf(client)})
    assert api.get("/api/v1/me").status_code == 401
    assert raw not in client.get("/u/li_wei").text  # shown once only


def test_wrong_password_and_rate_limit(web_client, world, settings, csrf):
    settings.login_rate_limit = 2
    client = web_client()
    for _ in range(2):
        response = client.post(
            "/login", data={"csrf_token": csrf(client), "login": "li_wei", "password": "nope"}
        )
        assert response.status_code == 401 and "Wrong handle, e-mail or password." in response.text
        assert 'value="li_wei"' in response.text
    response = client.post(
        "/login", data={"csrf_token": csrf(client), "login": "li_wei", "password": PASSWORD}
    )
    assert response.status_code == 429
    assert "You are doing that too often" in response.text


def test_password_reset_through_the_pages(web_client, world, settings, csrf):
    client = web_client()
    response = client.post("/reset", data={"csrf_token": csrf(client), "email": "li_wei@example.test"})
    assert "a reset link is on its way" in response.text
    mail = json.loads(next((settings.data_dir / "outbox").glob("*.json")).read_text())
    token = re.search(r"token=(\S+)", mail["body"])[1]
    assert f'value="{token}"' in client.get(f"/reset?token={token}").text
    short = client.post(
        "/reset/confirm", data={"csrf_token": csrf(client), "token": token, "password": "short"}
    )
    assert short.status_code == 422 and "at least 8 characters" in short.text
    done = client.post(
        "/reset/confirm", data={"csrf_token": csrf(client), "token": token, "password": "a new password"}
    )
    assert "Your password is changed" in done.text
    response = client.post(
        "/login",
        data={"csrf_token": csrf(client), "login": "li_wei", "password": "a new password"},
        follow_redirects=False,
    )
    assert response.status_code == 303


def test_every_page_string_has_a_chinese_translation():
    from babel.messages.extract import extract_from_file

    from fanloop.web.i18n import load_catalog
    from fanloop.web.templating import TEMPLATES_DIR, WEB_DIR

    catalog = load_catalog("zh_CN")
    options = {"extensions": "jinja2.ext.i18n", "trim_blocks": "True", "lstrip_blocks": "True"}
    sources = [("jinja2", path, options) for path in TEMPLATES_DIR.rglob("*.html")]
    sources += [("python", path, {}) for path in WEB_DIR.rglob("*.py")]
    missing = []
    for method, path, method_options in sources:
        for entry in extract_from_file(method, str(path), options=method_options):
            msgid = entry[1] if isinstance(entry[1], str) else entry[1][0]
            message = catalog.get(msgid, context=entry[5] if len(entry) > 5 else None)
            if message is None or not message.string or message.fuzzy:
                missing.append(f"{path.name}: {msgid}")
    assert not missing, "run the catalogue update described in fanloop/web/i18n.py:\n" + "\n".join(missing)
