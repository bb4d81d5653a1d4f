"""The KPI board at /staff/kpis: who sees which rows, the chart's data, periods and CSV links."""

from __future__ import annotations

import json
import re

import pytest
from babel.messages.extract import extract_from_file

from fanloop.community.members.models import Member
from fanloop.community.posts import service as posts
from fanloop.service.rota.models import RotaMember
from fanloop.web import i18n
from fanloop.web.i18n import use_language
from fanloop.web.kpis import kpi_duration, kpi_share
from fanloop.web.templating import TEMPLATES_DIR

LAST_7_DAYS = "start=2026-03-04&amp;end=2026-03-10&amp;tz=UTC"  # up to the clock fixture's day


@pytest.fixture
def answered(world, seed, database, settings, clock, make_post):
    """Zhang Min (camera team, on the rota) answers in 2 min 30 s and 4 min, Li Lei in 6 min."""
    li_lei = seed.member("staff", "li_lei")
    with database.unit_of_work() as session:
        session.add(RotaMember(member_id=world["staff"].id, team="camera", boards=[], tags=[], languages=[]))
    for engineer, seconds in ((world["staff"], 150), (world["staff"], 240), (li_lei, 360)):
        post_id = make_post(world["fan"])
        clock.advance(seconds=seconds)
        with database.unit_of_work() as session:
            posts.add_reply(
                session,
                author=session.get(Member, engineer.id),
                post_id=post_id,
                body="Send a log?",
                settings=settings,
            )
    return world


def people_rows(html: str) -> dict[str, str]:
    table = re.search(r'<table class="table kpi-table" id="kpi-people">.*?</table>', html, re.S)
    assert table, html
    return dict(re.findall(r'<tr data-handle="([^"]+)".*?data-kpi="replies">(\d+)<', table[0], re.S))


def chart_data(html: str) -> dict:
    match = re.search(r'<script type="application/json" id="kpi-chart-data">(.*?)</script>', html, re.S)
    assert match, html
    return json.loads(match[1])


def test_a_lead_sees_everyone_the_chart_and_csv_links(web_client, answered, log_in):
    lead = web_client()
    log_in(lead, "chen_jie")
    response = lead.get("/staff/kpis")
    assert response.status_code == 200
    page = response.text
    assert people_rows(page) == {"zhang_min": "2", "li_lei": "1"}
    assert 'href="/staff/kpis"' in page and ">KPIs<" in page  # the nav link
    assert "uPlot.iife.min.js" in page and "uPlot.min.css" in page
    data = chart_data(page)
    assert len(data["x"]) == 7 and data["x"][-1] - data["x"][0] == 6 * 86400
    assert data["median"][-1] == 4.0 and data["p90"][-1] == 6.0 and data["within"][-1] == 100.0
    assert data["median"][0] is None and data["volume"][-1] == 3
    zhang = re.search(r'<tr data-handle="zhang_min".*?</tr>', page, re.S)[0]
    assert 'data-kpi="median">3 min 15 s<' in zhang and 'data-kpi="p90">4 min<' in zhang
    assert 'data-kpi="within_target">' in zhang and "100%" in zhang
    assert re.search(r'<tr data-team="camera">', page) and "Everyone" in page
    assert re.search(r'<tr data-board="battery">', page)

    csv_link = f"/api/v1/kpis/people.csv?{LAST_7_DAYS}&amp;bucket=period"
    assert csv_link in page
    download = lead.get(csv_link.replace("&amp;", "&"))
    assert download.status_code == 200 and download.headers["content-type"].startswith("text/csv")
    assert download.text.removeprefix("\ufeff").startswith("member_id,handle,display_name,team,")
    assert "zhang_min" in download.text and "li_lei" in download.text


def test_staff_see_their_own_row_and_the_team_totals(web_client, answered, log_in):
    staff = web_client()
    log_in(staff, "zhang_min")
    page = staff.get("/staff/kpis").text
    assert people_rows(page) == {"zhang_min": "2"}
    assert "leads see everyone" in page
    assert "Your first replies per day" in page and chart_data(page)["volume"][-1] == 2
    assert re.search(r'<tr data-team="camera">', page)
    everyone = re.search(r"<tfoot>.*?</tfoot>", page, re.S)[0]
    assert 'data-kpi="replies">3<' in everyone


@pytest.fixture
def two_unanswered(answered, make_post, clock):
    """Two more posts, both Zhang Min's (the only one on the rota), that nobody answers in time:
    she has 2 of 4 due within target, everyone 3 of 5."""
    for _ in range(2):
        make_post(answered["fan"])
    clock.advance(minutes=20)
    return answered


def stat(html: str, kpi: str) -> str:
    summary = re.search(r'<div class="kpi-stats" id="kpi-summary">.*?\n</div>', html, re.S)
    assert summary, html
    found = re.search(rf'<div class="stat[^"]*" data-kpi="{kpi}">(.*?)</div>', summary[0], re.S)
    assert found, kpi
    return re.sub(r"<[^>]+>", " ", found[1])


def cell(row: str, kpi: str) -> str:
    found = re.search(rf'data-kpi="{kpi}">(.*?)</td>', row, re.S)
    assert found, (kpi, row)
    return re.sub(r"<[^>]+>", "", found[1]).strip()


def test_posts_nobody_answered_count_against_the_share_within_target(web_client, two_unanswered, log_in):
    lead = web_client()
    log_in(lead, "chen_jie")
    page = lead.get("/staff/kpis").text
    assert stat(page, "within_target").split() == [
        "60%",
        "within",
        "target",
        "3",
        "of",
        "5",
        "due,",
        "answered",
        "or",
        "not",
    ]
    assert stat(page, "unanswered").split()[0] == "2"
    assert stat(page, "answered_within_target").split()[:2] == ["100%", "within"]
    assert "of answered posts" in stat(page, "median")

    zhang = re.search(r'<tr data-handle="zhang_min".*?</tr>', page, re.S)[0]
    assert [cell(zhang, k) for k in ("due", "within_target", "unanswered", "answered_within_target")] == [
        "4",
        "50%",
        "2",
        "100%",
    ]
    camera = re.search(r'<tr data-team="camera">.*?</tr>', page, re.S)[0]
    assert cell(camera, "within_target") == "50%"
    everyone = re.search(r"<tfoot>.*?</tfoot>", page, re.S)[0]
    assert (cell(everyone, "within_target"), cell(everyone, "unanswered")) == ("60%", "2")
    battery = re.search(r'<tr data-board="battery">.*?</tr>', page, re.S)[0]
    assert (cell(battery, "within_target"), cell(battery, "answered_within_target")) == ("60%", "100%")
    today = re.search(r'<tr data-day="2026-03-10">.*?</tr>', page, re.S)[0]
    assert (cell(today, "due"), cell(today, "within_target")) == ("5", "60%")
    assert chart_data(page)["within"][-1] == 60.0
    assert "Median (answered)" in page and "Within target (answered)" in page

    lead.cookies.set("lang", "zh_CN")
    chinese = lead.get("/staff/kpis").text
    assert "已到期 5 条中 3 条达标（含未回复）" in chinese and "超时未回复" in chinese
    assert "达标率（仅已回复帖子）" in chinese and "中位数（已回复）" in chinese


def test_every_string_of_the_page_has_a_chinese_translation():
    catalog = i18n.load_catalog("zh_CN")
    options = {"extensions": "jinja2.ext.i18n", "trim_blocks": "True", "lstrip_blocks": "True"}
    found = list(extract_from_file("jinja2", str(TEMPLATES_DIR / "staff" / "kpis.html"), options=options))
    assert len(found) > 40
    for entry in found:
        msgid = entry[1] if isinstance(entry[1], str) else entry[1][0]
        message = catalog.get(msgid)
        assert message is not None and message.string, f"missing zh_CN translation for {msgid!r}"


def test_fans_get_403_and_visitors_are_sent_to_log_in(web_client, answered, log_in):
    fan = web_client()
    log_in(fan, "li_wei")
    assert fan.get("/staff/kpis").status_code == 403
    assert 'href="/staff/kpis"' not in fan.get("/").text
    visitor = web_client()
    response = visitor.get("/staff/kpis", follow_redirects=False)
    assert response.headers["location"] == "/login?next=/staff/kpis"


def test_periods_and_a_bad_custom_period(web_client, answered, log_in):
    lead = web_client()
    log_in(lead, "chen_jie")
    this_week = lead.get("/staff/kpis?period=this_week").text
    assert len(chart_data(this_week)["x"]) == 2  # Monday and Tuesday
    assert 'aria-current="page">This week<' in this_week
    custom = lead.get("/staff/kpis?period=custom&start=2026-03-01&end=2026-03-10").text
    assert len(chart_data(custom)["x"]) == 10 and 'value="2026-03-01"' in custom
    backwards = lead.get("/staff/kpis?period=custom&start=2026-03-10&end=2026-03-01")
    assert backwards.status_code == 200 and "The start date is after the end date." in backwards.text
    assert len(chart_data(backwards.text)["x"]) == 7  # shows the last 7 days instead
    garbage = lead.get("/staff/kpis?period=custom&start=soon&end=2026-03-01").text
    assert "Enter the start date as year-month-day" in garbage


def test_days_follow_the_viewers_time_zone_and_language(web_client, answered, log_in):
    lead = web_client()
    log_in(lead, "chen_jie")
    lead.cookies.set("tz", "Asia/Shanghai")
    lead.cookies.set("lang", "zh_CN")
    page = lead.get("/staff/kpis").text
    assert "Asia/Shanghai" in page and "tz=Asia%2FShanghai" in page
    assert "3分15秒" in page and "4分钟" in page and "全员" in page


def test_durations_and_shares_read_naturally():
    assert kpi_duration(372) == "6 min 12 s"
    assert kpi_duration(360) == "6 min"
    assert kpi_duration(45.4) == "45 s"
    assert kpi_duration(3900) == "1 h 5 min"
    assert kpi_duration(90000) == "1 d 1 h"
    assert kpi_duration(None) == "–"
    assert kpi_share(0.8) == "80%" and kpi_share(0.9642) == "96.4%" and kpi_share(None) == "–"
    with use_language("zh_CN"):
        assert kpi_duration(372) == "6分12秒"
        assert kpi_duration(360) == "6分钟"
