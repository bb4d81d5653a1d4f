"""The co-creation loop in the browser: a fan suggests a feature, staff plan it, compose a release
and publish it; the fan finds the credit on the changelog and the one notification."""

from __future__ import annotations

import pytest
from playwright.sync_api import Browser, Page, expect

pytestmark = pytest.mark.e2e
FAN_PASSWORD = "li wei password"
STAFF_PASSWORD = "staff password 1"


@pytest.fixture
def community(seed):
    seed.board("camera", "Camera")
    seed.member("staff", "zhang_min", password=STAFF_PASSWORD)
    seed.member("fan", "li_wei", password=FAN_PASSWORD)


def _log_in(page: Page, live_server: str, handle: str, password: str, next_path: str = "/") -> None:
    page.goto(f"{live_server}/login?next={next_path}")
    page.fill("#login", handle)
    page.fill("#password", password)
    page.get_by_role("button", name="Log in").click()


def test_a_suggestion_ships_and_its_fan_is_credited_and_told(
    page: Page, browser: Browser, live_server: str, community, tmp_path
):
    # Li Wei suggests a feature.
    _log_in(page, live_server, "li_wei", FAN_PASSWORD)
    page.get_by_role("link", name="New post", exact=True).first.click()
    page.locator("label.kind-option", has_text="Suggestion").click()
    page.select_option("#post-board", "camera")
    page.fill("#post-title", "A timer for night-mode photos")
    page.fill("#post-body", "Let me set a 3 s or 10 s timer in night mode.")
    page.get_by_role("button", name="Publish").click()
    expect(page.locator("h1.post-heading")).to_have_text("A timer for night-mode photos")
    post_path = page.url.removeprefix(live_server)

    # Tall enough that the candidates and the release's items are on screen together, for the drag.
    staff_context = browser.new_context(viewport={"width": 1280, "height": 1400})
    try:
        staff = staff_context.new_page()
        # Zhang Min plans it ...
        _log_in(staff, live_server, "zhang_min", STAFF_PASSWORD, post_path)
        staff.select_option("#status-select", "planned")
        staff.get_by_role("button", name="Update status").click()
        expect(staff.locator(".flash-ok")).to_contain_text("The status is updated.")
        # ... it is on the public roadmap ...
        staff.goto(f"{live_server}/roadmap")
        expect(staff.locator("#column-planned")).to_contain_text(
            "A timer for night-mode photos"
        )
        # ... opens this week's release, adds it from the planned candidates, and publishes.
        staff.goto(f"{live_server}/staff/releases")
        staff.fill("#new-title", "Night owls")
        staff.get_by_role("button", name="Open the release").click()
        candidate = staff.locator("#candidates-planned .candidate", has_text="A timer for night-mode photos")
        # Dragged into the release (its Add button does the same without JS); both fit the window.
        candidate.drag_to(staff.locator("#items"))
        expect(staff.locator(".compose-items")).to_contain_text("A timer for night-mode photos")
        staff.get_by_role("link", name="Publish now").click()
        staff.locator("#publish-confirm").click()
        expect(staff.locator(".flash-ok")).to_contain_text("1 post shipped")
    finally:
        staff_context.close()

    # Li Wei sees the one notification, follows it to the changelog and finds her name.
    page.goto(f"{live_server}/notifications")
    notice = page.locator("li, article").filter(has_text="What you asked for shipped in")
    expect(notice).to_have_count(1)
    expect(notice).to_contain_text("A timer for night-mode photos")
    page.goto(f"{live_server}/changelog")
    page.locator(".release-card h2 a").first.click()
    item = page.locator(".release-item", has_text="A timer for night-mode photos")
    expect(item.locator(".credit-reporter")).to_contain_text("@li_wei")
    expect(page.locator("#honour-roll")).to_contain_text("@li_wei")
    # Her post is shipped, and her profile says what shipped because of her.
    page.goto(f"{live_server}{post_path}")
    expect(page.locator(".post-card .badge-status")).to_have_text("Shipped")
    page.screenshot(path=str(tmp_path / "release.png"), full_page=True)
