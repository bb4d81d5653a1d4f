"""A fan starts writing a post that already exists and is shown the earlier one while typing."""

from __future__ import annotations

from urllib.parse import parse_qs, urlsplit

import pytest
from playwright.sync_api import Page, expect

from fanloop.community.members.models import Member
from fanloop.community.posts import service as posts
from fanloop.insights.vectors.service import encode_pending

pytestmark = pytest.mark.e2e
PASSWORD = "li wei password"


@pytest.fixture
def earlier_post(seed, database, settings) -> int:
    seed.board("battery", "Battery")
    seed.member("fan", "li_wei", password=PASSWORD)
    other = seed.member("fan", "chen_jie")
    with database.unit_of_work() as session:
        post_id = posts.create_post(
            session,
            author=session.get(Member, other.id),
            data=posts.PostInput(
                board="battery",
                kind="bug",
                title="Battery drains overnight after the update",
                body="Since 2.4.1 my phone loses 30% overnight while idle.",
            ),
            settings=settings,
        ).id
    assert encode_pending(database) == 1
    return post_id


def test_a_fan_typing_a_duplicate_title_sees_the_earlier_post(
    page: Page, live_server: str, earlier_post: int
):
    page.goto(f"{live_server}/login?next=/posts/new")
    page.fill("#login", "li_wei")
    page.fill("#password", PASSWORD)
    page.get_by_role("button", name="Log in").click()
    expect(page.locator("#post-title")).to_be_visible()

    page.locator("#post-title").press_sequentially("Phone battery dies overnight", delay=20)
    suggestions = page.locator("#similar-drafts")
    expect(suggestions).to_contain_text("Similar posts already exist")
    link = suggestions.get_by_role("link", name="Battery drains overnight after the update")
    expect(link).to_have_attribute("href", f"/posts/{earlier_post}")

    # A long body goes along cut to its start, so the look-up's URL stays short.
    with page.expect_request(lambda request: "/posts/similar?" in request.url) as asked:
        page.fill("#post-body", "Mine too, about a third of the battery every night. " * 100)
    sent = parse_qs(urlsplit(asked.value.url).query)
    assert len(sent["body"][0]) == 1000 and sent["title"] == ["Phone battery dies overnight"]

    # The suggestion never stands in the way: the fan can still publish.
    page.select_option("#post-board", "battery")
    page.get_by_role("button", name="Publish").click()
    expect(page.locator("h1.post-heading")).to_have_text("Phone battery dies overnight")
