"""Replies back on the post page and in the API: staff see each reply's delivery and can retry a failed
one; fans see nothing of it."""

from __future__ import annotations

from collections.abc import Callable, Iterator

import pytest
from babel.messages.extract import extract_from_file
from delivery_support import Growth, Receiver
from fastapi.testclient import TestClient

from fanloop.growth.channels.delivery import deliver_pending
from fanloop.web import i18n
from fanloop.web.templating import TEMPLATES_DIR


@pytest.fixture
def growth(database, seed, settings, clock) -> Growth:
    return Growth(database, seed, settings)


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    server = Receiver()
    yield server
    server.close()


@pytest.fixture
def browser(app) -> Iterator[Callable[[str], TestClient]]:
    """browser(handle) -> a client that asks for HTML, logged in through the form."""
    clients: list[TestClient] = []

    def open_as(handle: str) -> TestClient:
        client = TestClient(app, headers={"Accept": "text/html"})
        clients.append(client)
        client.get("/login")
        response = client.post(
            "/login",
            data={
                "csrf_token": client.cookies["fanloop_csrf"],
                "login": handle,
                "password": "correct horse 1",
            },
            follow_redirects=False,
        )
        assert response.status_code == 303, response.text
        return client

    yield open_as
    for client in clients:
        client.close()


@pytest.fixture
def failed_post(growth, database, receiver) -> tuple[int, int]:
    """An imported post with two staff replies: one delivered, one refused by the channel (dead)."""
    post_id = growth.imported_post(
        growth.channel(connector="webhook", config={"url": receiver.url, "secret": "s3cret-value"})
    )
    growth.reply(growth.staff, post_id, "First answer")
    deliver_pending(database)
    growth.reply(growth.staff, post_id, "Second answer")
    receiver.fail(422)
    deliver_pending(database)
    return post_id, growth.deliveries()[1].id


def test_staff_see_the_deliveries_on_the_post_and_fans_do_not(growth, browser, failed_post):
    post_id, dead_id = failed_post
    staff, fan = browser("zhang_min"), browser("li_wei")

    page = staff.get(f"/posts/{post_id}").text
    assert f'hx-get="/posts/{post_id}/deliveries"' in page
    panel = staff.get(f"/posts/{post_id}/deliveries", headers={"HX-Request": "true"})
    assert panel.status_code == 200
    html = panel.text
    assert "Sent to Weibo" in html and "via webhook" in html
    assert 'data-state="delivered"' in html and "Channel reference: s1" in html
    assert 'data-state="dead"' in html and "Gave up" in html and "1 attempt" in html
    assert "HTTP 422: nope" in html
    assert f'action="/deliveries/{dead_id}/retry"' in html and html.count("Retry now") == 1
    assert 'name="csrf_token"' in html and "s3cret" not in html

    fan_page = fan.get(f"/posts/{post_id}").text
    assert "/deliveries" not in fan_page and "Sent to" not in fan_page
    refused = fan.get(f"/posts/{post_id}/deliveries")
    assert refused.status_code == 403 and "HTTP 422" not in refused.text


def test_a_post_without_deliveries_shows_no_panel(growth, browser):
    post_id = growth.post(growth.fan)
    panel = browser("zhang_min").get(f"/posts/{post_id}/deliveries", headers={"HX-Request": "true"})
    assert panel.status_code == 200 and "Sent to" not in panel.text


def test_staff_retry_from_the_page_and_fans_may_not(growth, database, browser, failed_post):
    post_id, dead_id = failed_post
    staff, fan = browser("zhang_min"), browser("li_wei")

    refused = fan.post(f"/deliveries/{dead_id}/retry", data={"csrf_token": fan.cookies["fanloop_csrf"]})
    assert refused.status_code == 403 and growth.deliveries()[1].state == "dead"
    no_token = staff.post(f"/deliveries/{dead_id}/retry", data={})
    assert no_token.status_code == 403 and growth.deliveries()[1].state == "dead"

    done = staff.post(
        f"/deliveries/{dead_id}/retry",
        data={"csrf_token": staff.cookies["fanloop_csrf"]},
        follow_redirects=False,
    )
    assert done.status_code == 303 and done.headers["location"] == f"/posts/{post_id}#deliveries"
    assert growth.deliveries()[1].state == "queued"

    deliver_pending(database)
    assert growth.deliveries()[1].state == "delivered"


def test_an_htmx_retry_answers_with_the_refreshed_panel(growth, browser, failed_post):
    post_id, dead_id = failed_post
    staff = browser("zhang_min")
    panel = staff.post(
        f"/deliveries/{dead_id}/retry",
        headers={"HX-Request": "true", "X-CSRF-Token": staff.cookies["fanloop_csrf"]},
    )
    assert panel.status_code == 200
    assert 'data-state="queued"' in panel.text and "Retry now" not in panel.text


def test_the_panel_speaks_chinese(growth, browser, failed_post):
    post_id, _ = failed_post
    staff = browser("zhang_min")
    staff.cookies.set("lang", "zh_CN")
    html = staff.get(f"/posts/{post_id}/deliveries", headers={"HX-Request": "true"}).text
    assert "发回 Weibo" in html and "已放弃" in html and "立即重试" in html and "已尝试 1 次" in html


@pytest.mark.parametrize("template", ["growth/_deliveries.html", "growth/_deliveries_slot.html"])
def test_delivery_strings_have_chinese_translations(template):
    catalog = i18n.load_catalog("zh_CN")
    options = {"extensions": "jinja2.ext.i18n", "trim_blocks": "True", "lstrip_blocks": "True"}
    found = list(extract_from_file("jinja2", str(TEMPLATES_DIR / template), options=options))
    assert found
    for entry in found:
        msgid = entry[1] if isinstance(entry[1], str) else entry[1][0]
        message = catalog.get(msgid)
        assert message is not None and message.string, f"missing zh_CN translation for {msgid!r}"


# --------------------------------------------------------------------------- the API


def test_the_api_lists_a_posts_deliveries_for_staff(api, growth, failed_post):
    post_id, dead_id = failed_post
    staff, fan = api("staff"), api("fan")

    response = staff.get(f"/api/v1/posts/{post_id}/deliveries")
    assert response.status_code == 200
    delivered, dead = response.json()
    assert (delivered["state"], delivered["external_id"], delivered["channel"]) == (
        "delivered",
        "s1",
        "weibo",
    )
    assert (dead["id"], dead["state"], dead["attempts"], dead["last_error"]) == (
        dead_id,
        "dead",
        1,
        "HTTP 422: nope",
    )
    assert dead["next_attempt_at"] is None and dead["connector"] == "webhook"

    forbidden = fan.get(f"/api/v1/posts/{post_id}/deliveries")
    assert forbidden.status_code == 403
    assert forbidden.headers["content-type"].startswith("application/problem+json")
    missing = staff.get("/api/v1/posts/999999/deliveries")
    assert missing.status_code == 404
    assert missing.headers["content-type"].startswith("application/problem+json")


def test_the_api_retries_a_dead_delivery(api, growth, failed_post, clock):
    post_id, dead_id = failed_post
    staff, fan = api("staff"), api("fan")

    assert fan.post(f"/api/v1/deliveries/{dead_id}/retry").status_code == 403
    response = staff.post(f"/api/v1/deliveries/{dead_id}/retry")
    assert response.status_code == 200
    assert response.json()["state"] == "queued"
    assert response.json()["next_attempt_at"] == clock.now().isoformat().replace("+00:00", "Z")
    again = staff.post(f"/api/v1/deliveries/{dead_id}/retry")
    assert again.status_code == 409 and "queued" in again.json()["detail"]
    for bad_id in (0, 2**31, 10**30):
        assert staff.post(f"/api/v1/deliveries/{bad_id}/retry").status_code == 404
