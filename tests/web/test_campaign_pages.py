"""The campaign pages: the list, the form (leads, with the CSRF token), the report with its tiles,
chart data and table, referral links, the member's own link on their profile, and Chinese for every
string of these pages."""

from __future__ import annotations

import json
import re
from datetime import UTC, datetime

import pytest
from babel.messages.extract import extract_from_file
from sqlalchemy import select

from fanloop.growth.models import Campaign, CampaignPost, ReferralLink
from fanloop.web import i18n
from fanloop.web.templating import TEMPLATES_DIR

FORM = {
    "slug": "spring",
    "name": "Spring with fanloop",
    "description": "Tell us about your spring.",
    "hashtags": "#fanloop春日#, SpringWithFanloop",
    "keywords": "fanloop，春日",
    "starts_at": "2026-03-01T00:00",
    "ends_at": "2026-03-15T00:00",
    "goal_metric": "participants",
    "goal_value": "4",
    "cost": "1,200.50",
    "currency": "cny",
}


@pytest.fixture
def lead(world, seed):
    return seed.member("lead", "lu_lead")


@pytest.fixture
def lead_browser(web_client, log_in, lead):
    browser = web_client()
    log_in(browser, lead.handle)
    return browser


def set_up(browser, csrf, **changes):
    return browser.post(
        "/staff/campaigns", data={"csrf_token": csrf(browser)} | FORM | changes, follow_redirects=False
    )


def test_a_lead_sets_up_a_campaign_through_the_form(lead_browser, csrf, database, world, make_post):
    assert lead_browser.get("/staff/campaigns/new").status_code == 200
    make_post(world["fan"], title="春日 in the park", body="fine")
    response = set_up(lead_browser, csrf)
    assert response.status_code == 303, response.text
    assert response.headers["location"] == "/staff/campaigns/spring"
    with database.unit_of_work() as session:
        campaign = session.scalar(select(Campaign))
        assert campaign.hashtags == ["fanloop春日", "SpringWithFanloop"] and campaign.keywords == [
            "fanloop",
            "春日",
        ]
        assert campaign.cost_cents == 120050 and campaign.currency == "CNY"
        assert campaign.starts_at == datetime(2026, 3, 1, tzinfo=UTC)  # no tz cookie: UTC
        assert session.scalar(select(CampaignPost.post_id)) is not None  # the post in its window counts


def test_the_form_uses_the_viewers_time_zone(lead_browser, csrf, database):
    lead_browser.cookies.set("tz", "Asia/Shanghai")
    assert set_up(lead_browser, csrf).status_code == 303
    with database.unit_of_work() as session:
        assert session.scalar(select(Campaign.starts_at)) == datetime(2026, 2, 28, 16, tzinfo=UTC)


def test_a_refused_form_comes_back_with_the_reason(lead_browser, csrf):
    response = set_up(lead_browser, csrf, ends_at="2026-02-01T00:00", hashtags="", keywords="")
    assert response.status_code == 422
    assert "Give at least one hashtag or keyword." in response.text
    assert 'value="Spring with fanloop"' in response.text  # what was typed stays


def test_the_form_needs_the_csrf_token(lead_browser):
    response = lead_browser.post("/staff/campaigns", data=FORM, follow_redirects=False)
    assert response.status_code == 403


def test_the_list_and_the_report(lead_browser, csrf, web_client, log_in, world, make_post, database):
    set_up(lead_browser, csrf)
    make_post(world["fan"], title="Loving #fanloop春日#", body="so much")
    staff = web_client()
    log_in(staff, world["staff"].handle)

    listing = staff.get("/staff/campaigns")
    assert listing.status_code == 200
    assert 'data-campaign="spring" data-status="running"' in listing.text
    assert 'data-progress="25.0"' in listing.text  # 1 participant of 4
    assert "New campaign" not in listing.text  # staff read, leads run

    page = staff.get("/staff/campaigns/spring")
    assert page.status_code == 200
    tiles = dict(re.findall(r'data-total="(\w+)"><span class="stat-value">([^<]*)<', page.text))
    assert tiles["participants"] == "1" and tiles["posts"] == "1" and tiles["cost_per_new_member"] == "–"
    chart = json.loads(re.search(r'id="campaign-chart-data">(.*?)</script>', page.text).group(1))
    assert sum(chart["posts"]) == 1 and len(chart["x"]) == len(chart["members"]) == 10
    assert 'id="campaign-days"' in page.text and 'data-handle="li_wei"' in page.text
    assert "new-link-form" not in page.text  # staff may not make links


def test_a_lead_makes_a_referral_link_on_the_report(lead_browser, csrf, database):
    set_up(lead_browser, csrf)
    response = lead_browser.post(
        "/staff/campaigns/spring/links", data={"csrf_token": csrf(lead_browser), "label": "Weibo bio"},
        follow_redirects=False,
    )  # fmt: skip
    assert response.status_code == 303
    with database.unit_of_work() as session:
        code = session.scalar(select(ReferralLink.code))
    page = lead_browser.get("/staff/campaigns/spring")
    assert f'data-code="{code}"' in page.text and "Weibo bio" in page.text


def test_a_lead_edits_and_deletes(lead_browser, csrf, database):
    set_up(lead_browser, csrf)
    form = lead_browser.get("/staff/campaigns/spring/edit")
    assert form.status_code == 200 and 'value="2026-03-01T00:00"' in form.text
    response = lead_browser.post(
        "/staff/campaigns/spring/edit",
        data={"csrf_token": csrf(lead_browser)} | FORM | {"name": "Renamed", "slug": "spring-26"},
        follow_redirects=False,
    )
    assert response.status_code == 303 and response.headers["location"] == "/staff/campaigns/spring-26"
    deleted = lead_browser.post(
        "/staff/campaigns/spring-26/delete", data={"csrf_token": csrf(lead_browser)}, follow_redirects=False
    )
    assert deleted.status_code == 303
    with database.unit_of_work() as session:
        assert session.scalar(select(Campaign)) is None


def test_fans_and_strangers_are_kept_out(web_client, log_in, world):
    stranger = web_client()
    assert stranger.get("/staff/campaigns", follow_redirects=False).status_code == 303  # to log in
    fan = web_client()
    log_in(fan, world["fan"].handle)
    assert fan.get("/staff/campaigns").status_code == 403
    staff = web_client()
    log_in(staff, world["staff"].handle)
    assert staff.get("/staff/campaigns/new").status_code == 403


def test_a_member_sees_their_own_referral_link(web_client, log_in, world, database):
    browser = web_client()
    log_in(browser, world["fan"].handle)
    profile = browser.get(f"/u/{world['fan'].handle}")
    assert 'hx-get="/me/referral-link"' in profile.text
    fragment = browser.get("/me/referral-link", headers={"HX-Request": "true"})
    with database.unit_of_work() as session:
        link = session.scalar(select(ReferralLink).where(ReferralLink.member_id == world["fan"].id))
    assert f"/r/{link.code}" in fragment.text and "<html" not in fragment.text
    other = web_client()
    assert 'hx-get="/me/referral-link"' not in other.get(f"/u/{world['fan'].handle}").text


def test_pages_in_chinese(lead_browser, csrf):
    set_up(lead_browser, csrf)
    lead_browser.cookies.set("lang", "zh_CN")
    assert "新建活动" in lead_browser.get("/staff/campaigns").text
    assert "每位新粉丝成本" in lead_browser.get("/staff/campaigns/spring").text


# --------------------------------------------------------------------------- translations

TEMPLATES = sorted(
    p
    for p in (TEMPLATES_DIR / "growth").glob("*.html")
    if p.name.startswith(("campaign", "_campaign", "referral", "_referral"))
)
OPTIONS = {"extensions": "jinja2.ext.i18n", "trim_blocks": "True", "lstrip_blocks": "True"}


def _messages():
    for template in TEMPLATES:
        for entry in extract_from_file("jinja2", str(template), options=OPTIONS):
            yield template.name, entry[1]
    source = TEMPLATES_DIR.parent / "campaigns.py"
    for entry in extract_from_file(
        "python", str(source), keywords={"_": None, "gettext": None, "N_": None, "ngettext": (1, 2)}
    ):
        yield source.name, entry[1]


def test_every_campaign_page_string_has_a_chinese_translation():
    catalog = i18n.load_catalog("zh_CN")
    assert TEMPLATES, "no campaign templates found"
    for where, msgid in _messages():
        key = msgid if isinstance(msgid, str) else msgid[0]
        message = catalog.get(key)
        assert message is not None and message.string, f"{where}: no Chinese for {key!r}"
