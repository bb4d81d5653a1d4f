"""The growth dashboard at /staff/growth: tiles, chart data with table fallbacks, the cohort heat map,
the funnel bars, the period switcher, CSV links, the nav link and who may see it."""

from __future__ import annotations

import json
import re
from datetime import UTC, datetime

import pytest
from sqlalchemy import update

from fanloop.community.members.models import Member
from fanloop.growth.models import Campaign, CampaignPost, MemberOrigin
from fanloop.web.growth import growth_ratio, growth_share
from fanloop.web.i18n import use_language


@pytest.fixture
def grown(world, seed, database, make_post, clock):
    """li_wei (fan, 400 XP) joined on 2026-03-02 and posts today, 03-10; wang_fang joined on 03-09
    through li_wei's referral link for the Spring campaign and took part in it today."""
    wang, fan = seed.member("fan", "wang_fang"), world["fan"]
    joined = datetime(2026, 3, 9, 9, tzinfo=UTC)
    with database.unit_of_work() as session:
        campaign = Campaign(
            slug="spring",
            name="Spring",
            starts_at=datetime(2026, 3, 1, tzinfo=UTC),
            ends_at=datetime(2026, 3, 31, tzinfo=UTC),
            created_by_id=world["admin"].id,
            created_at=datetime(2026, 3, 1, tzinfo=UTC),
        )
        session.add(campaign)
        session.flush()
        campaign_id = campaign.id
        session.execute(
            update(Member)
            .where(Member.id == fan.id)
            .values(created_at=datetime(2026, 3, 2, 9, tzinfo=UTC), xp=400)
        )
        session.execute(update(Member).where(Member.id == wang.id).values(created_at=joined))
        session.merge(
            MemberOrigin(
                member_id=wang.id,
                source="referral",
                referrer_id=fan.id,
                campaign_id=campaign_id,
                created_at=joined,
            )
        )
    make_post(fan)
    campaign_post = make_post(wang)
    with database.unit_of_work() as session:
        session.add(
            CampaignPost(
                campaign_id=campaign_id, post_id=campaign_post, member_id=wang.id, created_at=clock.now()
            )
        )
    return world


def chart(html: str, name: str) -> dict:
    match = re.search(rf'<script type="application/json" id="growth-{name}-data">(.*?)</script>', html, re.S)
    assert match, html
    return json.loads(match[1])


def figure(html: str, name: str) -> str:
    match = re.search(rf'data-figure="{name}"><span class="stat-value">([^<]*)<', html)
    assert match, name
    return match[1]


def test_staff_see_the_dashboard(web_client, grown, log_in):
    staff = web_client()
    log_in(staff, "zhang_min")
    response = staff.get("/staff/growth?days=7")
    assert response.status_code == 200, response.text
    page = response.text
    # tiles: wang joined in the period (li_wei before it), both active; li_wei is core; both promote
    assert [
        figure(page, n) for n in ("new_members", "active_7", "active_30", "core", "promoters", "reach")
    ] == [
        "1",
        "2",
        "2",
        "1",
        "2",
        "2",
    ]
    members = chart(page, "members")
    assert len(members["x"]) == 7 and members["x"][0] == int(datetime(2026, 3, 4, tzinfo=UTC).timestamp())
    assert [(s["label"], s["values"]) for s in members["series"]] == [
        ("Direct", [0, 0, 0, 0, 0, 0, 0]),
        ("Referral", [0, 0, 0, 0, 0, 1, 0]),
    ]
    assert chart(page, "active")["values"] == [0, 0, 0, 0, 0, 0, 2]
    assert "uPlot.iife.min.js" in page
    # the table fallbacks
    assert re.search(r'<tr data-day="2026-03-09">.*?<td class="num">1</td>', page, re.S)
    assert '<tr data-campaign="spring"><td>Spring</td><td class="num">1</td>' in page
    # cohorts: li_wei's week (03-02) returned in week +1, fully
    row = re.search(r'<tr data-week="2026-03-02">(.*?)</tr>', page, re.S)[1]
    assert 'style="--share: 1.0"' in row and ">100%<" in row
    # the funnel: core 1, promoters 2 (×2), reach 2 (×1)
    stages = re.findall(
        r'data-stage="(\w+)">.*?width: ([\d.]+)%.*?<strong>(\d+)</strong>\s*(?:<span class="funnel-ratio"[^>]*>([^<]*))?',
        page,
        re.S,
    )
    assert stages == [
        ("core", "50.0", "1", ""),
        ("promoters", "100.0", "2", "×2"),
        ("reach", "100.0", "2", "×1"),
    ]
    for section in ("members", "active", "cohorts", "funnel"):
        assert f'href="/api/v1/growth.csv?days=7&amp;section={section}"' in page
    assert 'href="/staff/campaigns"' in page and 'href="/staff/channels"' in page
    assert re.search(r'class="nav-link is-active" href="/staff/growth" aria-current="page">Growth<', page)


def test_the_period_switcher_and_a_bad_period(web_client, grown, log_in):
    staff = web_client()
    log_in(staff, "zhang_min")
    page = staff.get("/staff/growth").text
    assert len(chart(page, "active")["x"]) == 30
    assert 'class="chip is-active" href="/staff/growth?days=30"' in page
    page = staff.get("/staff/growth?days=90").text
    assert len(chart(page, "active")["x"]) == 90
    for bad in ("3", "1000", "soon"):
        response = staff.get(f"/staff/growth?days={bad}")
        assert response.status_code == 200
        assert "A period is 7 to 365 days." in response.text
        assert len(chart(response.text, "active")["x"]) == 30


def test_in_chinese(web_client, grown, log_in, csrf):
    staff = web_client()
    log_in(staff, "zhang_min")
    staff.post("/lang", data={"csrf_token": csrf(staff), "lang": "zh_CN", "next": "/"})
    page = staff.get("/staff/growth?days=7").text
    assert "增长" in page and "核心粉丝" in page and "推荐" in page


def test_fans_are_refused_and_visitors_sent_to_log_in(web_client, grown, log_in):
    fan = web_client()
    log_in(fan, "li_wei")
    assert fan.get("/staff/growth").status_code == 403
    visitor = web_client()
    response = visitor.get("/staff/growth", follow_redirects=False)
    assert response.status_code in (303, 401)


def test_formatting():
    assert growth_share(1 / 3) == "33%" and growth_share(None) == "–"
    assert growth_ratio(23 / 3) == "×7.7" and growth_ratio(None) == "–"
    with use_language("zh_CN"):
        assert growth_ratio(1234.5) == "×1,234.5"
