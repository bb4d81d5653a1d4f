"""Staff open the pain-point board, drill into one, rename it and find the new name on the board."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest
from playwright.sync_api import Page, expect

sys.path.insert(0, str(Path(__file__).parents[1] / "insights"))
from painpoints_support import CAMERA_EN, WIFI_EN, encode_all, make_groups  # noqa: E402

from fanloop.insights.painpoints import centroids  # noqa: E402
from fanloop.insights.painpoints import remine as remining  # noqa: E402

pytestmark = pytest.mark.e2e
PASSWORD = "zhang min password"


@pytest.fixture
def mined(seed, database, settings) -> None:
    centroids.forget()
    seed.board("battery", "Battery")
    seed.member("staff", "zhang_min", password=PASSWORD)
    make_groups(database, settings, seed.member("fan", "li_wei"), {"camera": CAMERA_EN, "wifi": WIFI_EN})
    encode_all(database)
    remining.remine(database)
    yield
    centroids.forget()


def test_staff_rename_a_pain_point_from_its_page(page: Page, live_server: str, mined: None):
    page.set_viewport_size({"width": 375, "height": 800})
    page.goto(f"{live_server}/login?next=/staff/pain-points")
    page.fill("#login", "zhang_min")
    page.fill("#password", PASSWORD)
    page.get_by_role("button", name="Log in").click()

    rows = page.locator("#pp-board tbody tr")
    expect(rows).to_have_count(2)
    expect(rows.first.locator("svg.sparkline")).to_be_visible()
    rows.first.locator("td.pp-name a").click()

    expect(page.locator("#pp-factors tbody tr")).to_have_count(5)
    page.fill("#pp-name", "Night mode crash")
    page.get_by_role("button", name="Rename").click()
    expect(page.locator("#pp-title")).to_have_text("Night mode crash")
    expect(page.get_by_role("status").filter(has_text="The pain point is renamed.")).to_be_visible()

    page.get_by_role("link", name="All pain points").first.click()
    expect(page.locator("#pp-board")).to_contain_text("Night mode crash")
    # At 375 px wide the page does not scroll sideways (the table scrolls inside its wrapper).
    assert page.evaluate("document.documentElement.scrollWidth") <= 375
