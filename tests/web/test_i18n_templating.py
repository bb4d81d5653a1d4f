"""Tests for UI translations (fanloop.web.i18n) and the template layer (fanloop.web.templating)."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path
from types import SimpleNamespace

import pytest
from babel.messages.extract import extract_from_file
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.routing import Route
from starlette.testclient import TestClient

from fanloop.web import i18n
from fanloop.web.i18n import (
    SUPPORTED_LANGUAGES,
    current_language,
    get_translations,
    gettext,
    negotiate_language,
    ngettext,
    use_language,
)
from fanloop.web.templating import (
    TEMPLATES_DIR,
    current_timezone,
    env,
    filter_isodate,
    filter_localtime,
    filter_timeago,
    get_zone,
    render,
    static_url,
    use_timezone,
)

NOON_UTC = datetime(2024, 1, 2, 10, 0, tzinfo=UTC)


# --------------------------------------------------------------------------- negotiate_language


@pytest.mark.parametrize(
    ("cookie", "accept", "expected"),
    [
        (None, None, "en"),
        ("", "", "en"),
        ("zh_CN", "en-US,en;q=0.9", "zh_CN"),  # cookie wins over header
        ("en", "zh-CN,zh;q=0.9", "en"),  # cookie wins over header
        ("zh-CN", None, "zh_CN"),
        ("klingon", "zh-CN,zh;q=0.9", "zh_CN"),  # unsupported cookie ignored
        ("<script>", "en", "en"),
        (None, "zh-CN,zh;q=0.9,en;q=0.8", "zh_CN"),
        (None, "zh-TW", "zh_CN"),
        (None, "zh", "zh_CN"),
        (None, "zh-Hans-CN", "zh_CN"),
        (None, "en-GB,en;q=0.9", "en"),
        (None, "fr-FR,fr;q=0.9", "en"),  # nothing supported -> default
        (None, "fr-FR,fr;q=0.9,zh;q=0.5", "zh_CN"),  # first supported entry
        (None, "en;q=0.3, zh-CN;q=0.8", "zh_CN"),  # q-values respected
        (None, "zh;q=0, en", "en"),  # q=0 means "not acceptable"
        (None, "garbage;;;,,", "en"),
    ],
)
def test_negotiate_language(cookie, accept, expected):
    assert negotiate_language(cookie, accept) == expected


def test_supported_languages():
    assert SUPPORTED_LANGUAGES == {"en": "English", "zh_CN": "简体中文"}


# --------------------------------------------------------------------------- translations


def test_chinese_translation_of_known_strings():
    zh = get_translations("zh_CN")
    assert zh.gettext("Home") == "首页"
    assert zh.gettext("Leaderboard") == "排行榜"
    assert zh.gettext("Bug") == "缺陷"
    assert zh.gettext("Declined") == "不采纳"
    assert zh.pgettext("badge", "Staff") == "官方"


def test_english_is_source_language():
    assert get_translations("en").gettext("Home") == "Home"
    assert get_translations("en").ngettext("reply", "replies", 1) == "reply"
    assert get_translations("en").ngettext("reply", "replies", 2) == "replies"


def test_translations_are_cached():
    assert get_translations("zh_CN") is get_translations("zh_CN")


def test_contextvar_gettext_follows_current_language():
    assert current_language.get() == "en"
    assert gettext("Search") == "Search"
    with use_language("zh_CN"):
        assert current_language.get() == "zh_CN"
        assert gettext("Search") == "搜索"
        assert gettext("A string nobody translated") == "A string nobody translated"
        # Untranslated plurals fall back to the English msgids.
        assert ngettext("apple", "apples", 1) == "apple"
        assert ngettext("apple", "apples", 5) == "apples"
    assert current_language.get() == "en"
    assert gettext("Search") == "Search"


def _zh_catalog():
    return i18n.load_catalog("zh_CN")


def test_zh_catalogue_is_complete_and_not_fuzzy():
    catalog = _zh_catalog()
    assert len(catalog) > 0
    for message in catalog:
        if not message.id:
            continue
        assert message.string, f"untranslated: {message.id!r}"
        assert not message.fuzzy, f"fuzzy: {message.id!r}"


@pytest.mark.parametrize("template", ["base.html", "macros.html"])
def test_layout_strings_have_chinese_translations(template):
    catalog = _zh_catalog()
    options = {"extensions": "jinja2.ext.i18n", "trim_blocks": "True", "lstrip_blocks": "True"}
    found = list(extract_from_file("jinja2", str(TEMPLATES_DIR / template), options=options))
    assert found, "no translatable strings found"
    for entry in found:
        msgid = entry[1] if isinstance(entry[1], str) else entry[1][0]
        context = entry[5] if len(entry) > 5 else None
        message = catalog.get(msgid, context=context)
        assert message is not None and message.string, f"missing zh_CN translation for {msgid!r}"


# --------------------------------------------------------------------------- filters


def test_localtime_converts_utc_to_shanghai():
    with use_timezone("Asia/Shanghai"):
        assert "6:00:00\u202fPM" in filter_localtime(NOON_UTC) or "6:00:00 PM" in filter_localtime(NOON_UTC)
        assert filter_localtime(NOON_UTC, "yyyy-MM-dd HH:mm") == "2024-01-02 18:00"
        # Naive datetimes are taken to be UTC.
        assert filter_localtime(NOON_UTC.replace(tzinfo=None), "yyyy-MM-dd HH:mm") == "2024-01-02 18:00"
        # Aware datetimes in another zone are converted correctly.
        other = NOON_UTC.astimezone(timezone(timedelta(hours=-5)))
        assert filter_localtime(other, "yyyy-MM-dd HH:mm") == "2024-01-02 18:00"
        # Crossing midnight moves the date.
        late = datetime(2024, 1, 2, 20, 30, tzinfo=UTC)
        assert filter_localtime(late, "yyyy-MM-dd HH:mm") == "2024-01-03 04:30"
        with use_language("zh_CN"):
            assert filter_localtime(NOON_UTC) == "2024年1月2日 18:00:00"


def test_localtime_default_zone_is_utc():
    assert current_timezone.get() == "UTC"
    assert filter_localtime(NOON_UTC, "yyyy-MM-dd HH:mm") == "2024-01-02 10:00"


@pytest.mark.parametrize("bad", ["Not/AZone", "../../etc/passwd", "", "Asia/Shanghai; drop", "x" * 200])
def test_invalid_timezone_falls_back_to_utc(bad):
    assert get_zone(bad) is UTC
    with use_timezone(bad):
        assert filter_localtime(NOON_UTC, "yyyy-MM-dd HH:mm") == "2024-01-02 10:00"


def test_localtime_handles_none():
    assert filter_localtime(None) == ""


def test_timeago_english_and_chinese():
    now = NOON_UTC
    three_minutes_ago = now - timedelta(minutes=3)
    assert filter_timeago(three_minutes_ago, now) == "3 minutes ago"
    assert filter_timeago(now - timedelta(days=2), now) == "2 days ago"
    assert filter_timeago(now + timedelta(hours=5), now) == "in 5 hours"
    assert filter_timeago(now - timedelta(seconds=10), now) == "just now"
    with use_language("zh_CN"):
        assert filter_timeago(three_minutes_ago, now) == "3分钟前"
        assert filter_timeago(now - timedelta(seconds=10), now) == "刚刚"
    # Naive values are UTC; default "now" is the real clock.
    assert filter_timeago(three_minutes_ago.replace(tzinfo=None), now) == "3 minutes ago"
    assert filter_timeago(datetime.now(UTC) - timedelta(hours=3)) == "3 hours ago"


def test_isodate():
    assert filter_isodate(NOON_UTC) == "2024-01-02T10:00:00Z"
    assert filter_isodate(NOON_UTC.replace(tzinfo=None, microsecond=123456)) == "2024-01-02T10:00:00Z"
    shanghai = NOON_UTC.astimezone(timezone(timedelta(hours=8)))
    assert filter_isodate(shanghai) == "2024-01-02T10:00:00Z"
    assert filter_isodate(None) == ""


def test_static_url_is_versioned():
    url = static_url("css/app.css")
    assert re.fullmatch(r"/static/css/app\.css\?v=[0-9a-f]{10}", url)
    assert static_url("/css/app.css") == url
    assert static_url("vendor/htmx.min.js").startswith("/static/vendor/htmx.min.js?v=")
    assert re.fullmatch(r"/static/missing\.js\?v=.+", static_url("missing.js"))


def test_vendored_assets_present():
    static = TEMPLATES_DIR.parent / "static"
    for name in ("htmx.min.js", "htmx.LICENSE", "uPlot.iife.min.js", "uPlot.min.css", "uPlot.LICENSE"):
        assert (static / "vendor" / name).stat().st_size > 0, name
    assert "2." in re.search(r'version:"([^"]+)"', (static / "vendor" / "htmx.min.js").read_text())[1][:2]


# --------------------------------------------------------------------------- macros


def _render_string(source: str, **context) -> str:
    return env.from_string(source).render(**context)


def test_macros_badges_are_translated():
    source = '{% import "macros.html" as m %}{{ m.kind_badge(k) }}|{{ m.status_badge(s) }}'
    html = _render_string(source, k="bug", s="in_progress")
    assert html == (
        '<span class="badge badge-kind badge-kind-bug">Bug</span>|'
        '<span class="badge badge-status badge-status-in_progress">In progress</span>'
    )
    with use_language("zh_CN"):
        html = _render_string(source, k="complaint", s="shipped")
    assert ">吐槽</span>" in html
    assert ">已发布</span>" in html


def test_local_time_macro():
    with use_timezone("Asia/Shanghai"):
        html = _render_string('{% import "macros.html" as m %}{{ m.local_time(dt) }}', dt=NOON_UTC)
    assert html.startswith('<time datetime="2024-01-02T10:00:00Z" data-local')
    assert "6:00:00" in html
    assert html.endswith("</time>")


def test_csrf_field_and_field_errors_escape_values():
    html = _render_string('{% import "macros.html" as m %}{{ m.csrf_field(t) }}', t='a"b<c')
    assert html == '<input type="hidden" name="csrf_token" value="a&#34;b&lt;c">'
    source = '{% import "macros.html" as m %}{{ m.field_errors(errors, "title") }}'
    html = _render_string(source, errors={"title": ["Too short", "<b>bad</b>"]})
    assert '<li class="field-error">Too short</li>' in html
    assert "&lt;b&gt;bad&lt;/b&gt;" in html
    assert _render_string(source, errors={}).strip() == ""
    assert _render_string(source, errors=None).strip() == ""


# --------------------------------------------------------------------------- render() via Starlette


def _app() -> Starlette:
    async def page(request: Request):
        params = request.query_params
        request.state.lang = params.get("lang", "en")
        if "tz" in params:
            request.state.tz = params["tz"]
        request.state.csrf_token = "tok-123"
        role = params.get("role")
        request.state.member = (
            SimpleNamespace(handle="ada", display_name="Ada <L>", role=role) if role else None
        )
        if "flash" in params:
            request.state.flashes = [("ok", params["flash"])]
        return render(request, "base.html", status_code=int(params.get("status", 200)))

    return Starlette(routes=[Route("/page", page)])


@pytest.fixture()
def client() -> TestClient:
    return TestClient(_app())


def test_render_base_shows_csrf_meta_and_language_switch(client):
    response = client.get("/page?x=1")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/html")
    html = response.text
    assert html.startswith("<!doctype html>")
    assert '<html lang="en">' in html
    assert '<meta name="csrf-token" content="tok-123">' in html
    assert '<meta name="viewport"' in html
    # language switch: POST /lang with csrf_token, next and one button per language
    form = re.search(r'<form class="lang-switch" method="post" action="/lang".*?</form>', html, re.S)
    assert form, html
    assert 'name="csrf_token" value="tok-123"' in form[0]
    assert 'name="next" value="/page?x=1"' in form[0]
    assert 'name="lang" value="en"' in form[0]
    assert 'name="lang" value="zh_CN"' in form[0]
    assert "简体中文" in form[0] and "English" in form[0]
    # assets are local and versioned
    assert re.search(r'href="/static/css/app\.css\?v=\w+"', html)
    assert re.search(r'src="/static/vendor/htmx\.min\.js\?v=\w+" defer', html)
    assert re.search(r'src="/static/js/app\.js\?v=\w+" defer', html)
    # anonymous visitor
    assert 'href="/login"' in html and 'href="/signup"' in html
    assert 'action="/logout"' not in html
    assert 'href="/staff"' not in html
    for href in ("/", "/search", "/leaderboard", "/posts/new"):
        assert f'href="{href}"' in html


def test_render_in_chinese(client):
    response = client.get("/page?lang=zh_CN")
    html = response.text
    assert '<html lang="zh-CN">' in html
    assert response.headers["content-language"] == "zh-CN"
    for text in ("首页", "搜索", "排行榜", "发帖", "登录", "注册"):
        assert text in html
    assert 'value="zh_CN"' in html and 'aria-pressed="true"' in html
    assert ">Home<" not in html


def test_render_member_and_staff_link(client):
    html = client.get("/page?role=member").text
    assert 'href="/u/ada"' in html
    assert "Ada &lt;L&gt;" in html  # autoescaped
    assert re.search(r'action="/logout".*?name="csrf_token" value="tok-123"', html, re.S)
    assert 'href="/login"' not in html
    assert 'href="/staff"' not in html
    for role in ("staff", "lead", "admin"):
        assert 'href="/staff"' in client.get(f"/page?role={role}").text


def test_render_flashes_status_and_context_reset(client):
    response = client.get("/page?flash=Saved%20%3Cok%3E&status=422")
    assert response.status_code == 422
    assert '<div class="flash flash-ok" role="status">Saved &lt;ok&gt;</div>' in response.text
    # render() must not leak the request's language/zone into the caller's context
    client.get("/page?lang=zh_CN&tz=Asia/Shanghai")
    assert current_language.get() == "en"
    assert current_timezone.get() == "UTC"


def test_render_headers_and_context_override():
    scope = {"type": "http", "method": "GET", "path": "/x", "query_string": b"", "headers": []}
    request = Request(scope)
    request.state.lang = "zh_CN"
    response = render(request, "base.html", {"flashes": [("error", "坏了")]}, headers={"X-Test": "1"})
    body = response.body.decode()
    assert response.headers["x-test"] == "1"
    assert '<div class="flash flash-error" role="alert">坏了</div>' in body
    assert '<meta name="csrf-token" content="">' in body


def test_template_dir_exists():
    assert Path(TEMPLATES_DIR, "base.html").is_file()
