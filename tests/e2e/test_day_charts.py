"""The charts of figures per day (js/day-chart.js) draw in a real browser on every page that has
one: the KPI page, the growth dashboard and a campaign's report, without a script error."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from playwright.sync_api import Page, expect

from fanloop.community.members.models import Member
from fanloop.growth.campaigns import service as campaigns

pytestmark = pytest.mark.e2e
PASSWORD = "wang hao password"


@pytest.fixture
def lead(seed, database):
    lead = seed.member("lead", "wang_hao", password=PASSWORD)
    now = datetime.now(UTC)
    with database.unit_of_work() as session:
        campaigns.create_campaign(
            session,
            actor=session.get(Member, lead.id),
            slug="first-phone",
            name="My first phone",
            starts_at=now - timedelta(days=5),
            ends_at=now + timedelta(days=5),
            hashtags=["MyFirstPhone"],
        )
    return lead


@pytest.mark.parametrize(
    ("path", "holders"),
    [
        ("/staff/kpis", ["#kpi-chart"]),
        ("/staff/growth", ["#growth-members-chart", "#growth-active-chart"]),
        ("/staff/campaigns/first-phone", ["#campaign-chart"]),
    ],
)
def test_the_chart_draws(page: Page, live_server, lead, path, holders):
    errors: list[str] = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    page.goto(f"{live_server}/login?next={path}")
    page.fill("#login", "wang_hao")
    page.fill("#password", PASSWORD)
    page.get_by_role("button", name="Log in").click()
    page.wait_for_url(f"**{path}")
    for holder in holders:
        expect(page.locator(f"{holder} .uplot canvas")).to_have_count(1)
        expect(page.locator(f"{holder} .u-legend")).to_contain_text("Day")
    assert errors == []
