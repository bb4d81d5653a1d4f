"""A lead's notifications on a 375 px phone, in Chinese and English: thirty escalations on five
posts read as five rows with their counts, the counts by kind filter the list, a row is marked read
with one tap, and the digest choice is saved; nothing makes the page scroll sideways."""

from __future__ import annotations

import pytest
from playwright.sync_api import Page, expect

from fanloop.service.notify import preferences
from notification_support import escalate, warn

pytestmark = pytest.mark.e2e
PASSWORD = "wang fang password"


@pytest.fixture
def escalated_lead(seed, database, clock):
    lead = seed.member("lead", "wang_fang", password=PASSWORD)
    escalate(database, lead, (11, 12, 13, 14, 15), times=6, clock=clock)
    warn(database, lead, 16)
    return lead


def no_sideways_scroll(page: Page) -> bool:
    return page.evaluate("document.documentElement.scrollWidth") <= 375


@pytest.mark.parametrize(
    "language, counted, escalated, unread_only, digest, saved",
    [
        ("en", "6 escalations on post #15", "Escalated", "Unread only", "Daily digest", "once a day"),
        ("zh_CN", "帖子 #15 上有 6 条升级", "已升级", "只看未读", "每日汇总", "每天汇总"),
    ],
)
def test_a_lead_handles_escalations_on_a_phone(
    page: Page,
    live_server: str,
    escalated_lead,
    database,
    language,
    counted,
    escalated,
    unread_only,
    digest,
    saved,
):
    page.set_viewport_size({"width": 375, "height": 740})
    page.context.add_cookies([{"name": "lang", "value": language, "url": live_server}])
    page.goto(f"{live_server}/login?next=/notifications")
    page.fill("#login", "wang_fang")
    page.fill("#password", PASSWORD)
    page.locator("form button[type=submit]").last.click()
    page.wait_for_url("**/notifications")

    rows = page.locator(".notification-group")
    expect(rows).to_have_count(6)
    expect(rows.nth(1)).to_contain_text(counted)
    expect(page.locator(".nav-bell .badge-count")).to_have_text("6")
    assert no_sideways_scroll(page)

    page.locator(".notification-filters .chip", has_text=escalated).click()
    expect(rows).to_have_count(5)
    rows.first.get_by_role("button").click()  # mark the newest group read
    expect(page.locator(".nav-bell .badge-count")).to_have_text("5")
    page.locator(".notification-filters .chip", has_text=unread_only).click()
    expect(rows).to_have_count(4)
    assert no_sideways_scroll(page)

    page.get_by_label(digest).check()
    page.locator("#email button[type=submit]").click()
    expect(page.locator(".flash").first).to_contain_text(saved)
    assert no_sideways_scroll(page)
    with database.unit_of_work() as session:
        chosen = preferences.get_preferences(session, member_id=escalated_lead.id)
    assert chosen == {"escalations": "daily_digest"}
