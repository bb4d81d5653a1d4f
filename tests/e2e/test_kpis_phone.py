"""The KPI board on a 375 px phone, in Chinese: the honest share within target and the figures
beside it can be read whole, and the tables scroll sideways with whose row it is still in view."""

from __future__ import annotations

import pytest
from playwright.sync_api import Page, expect

from fanloop.community.members.models import Member
from fanloop.community.posts import service as posts
from fanloop.service.rota.models import RotaMember

pytestmark = pytest.mark.e2e
PASSWORD = "chen jie password"


@pytest.fixture
def half_unanswered(seed, database, settings, clock) -> None:
    """Zhang Min has four posts: two answered in 4 min 30 s, two nobody answers."""
    seed.board("battery", "Battery")
    seed.member("lead", "chen_jie", password=PASSWORD)
    fan, zhang = seed.member("fan", "li_wei"), seed.member("staff", "zhang_min")
    with database.unit_of_work() as session:
        session.add(RotaMember(member_id=zhang.id, team="相机与影像", boards=[], tags=[], languages=[]))
    post_ids = []
    for _ in range(4):
        with database.unit_of_work() as session:
            data = posts.PostInput(board="battery", kind="bug", title="待机掉电严重", body="每晚掉电 20%")
            post = posts.create_post(
                session, author=session.get(Member, fan.id), data=data, settings=settings
            )
            post_ids.append(post.id)
    clock.advance(seconds=270)
    for post_id in post_ids[:2]:
        with database.unit_of_work() as session:
            author = session.get(Member, zhang.id)
            posts.add_reply(session, author=author, post_id=post_id, body="请上传日志。", settings=settings)
    clock.advance(minutes=30)


def fits(page: Page, selector: str) -> bool:
    """Every element matching `selector` shows its whole text inside the 375 px viewport."""
    return page.eval_on_selector_all(
        selector,
        """els => els.length > 0 && els.every(el => {
            const box = el.getBoundingClientRect();
            return el.scrollWidth <= el.clientWidth + 1 && box.left >= 0 && box.right <= 375;
        })""",
    )


def test_the_honest_figures_read_whole_on_a_phone(page: Page, live_server: str, half_unanswered: None):
    page.set_viewport_size({"width": 375, "height": 740})
    page.context.add_cookies([{"name": "lang", "value": "zh_CN", "url": live_server}])
    page.goto(f"{live_server}/login?next=/staff/kpis")
    page.fill("#login", "chen_jie")
    page.fill("#password", PASSWORD)
    page.locator("form button[type=submit]").last.click()
    page.wait_for_url("**/staff/kpis")

    summary = page.locator("#kpi-summary")
    expect(summary.locator('[data-kpi="within_target"] .stat-value')).to_have_text("50%")
    expect(summary.locator('[data-kpi="within_target"] .stat-note')).to_have_text(
        "已到期 4 条中 2 条达标（含未回复）"
    )
    expect(summary.locator('[data-kpi="unanswered"] .stat-value')).to_have_text("2")
    expect(summary.locator('[data-kpi="answered_within_target"] .stat-value')).to_have_text("100%")
    expect(summary.locator('[data-kpi="median"] .stat-value')).to_have_text("4分30秒")
    assert fits(page, "#kpi-summary .stat-value")
    assert fits(page, "#kpi-summary .stat-label")
    assert fits(page, "#kpi-summary .stat-note")
    assert (
        page.evaluate("document.documentElement.scrollWidth") <= 375
    )  # the page itself never scrolls sideways

    # The people table scrolls inside its frame; at its far right the handle is still in view.
    wrap = page.locator("#kpi-people").locator("xpath=..")
    wrap.evaluate("el => { el.scrollLeft = el.scrollWidth; }")
    row = page.locator('#kpi-people tr[data-handle="zhang_min"]')
    expect(row.locator('[data-kpi="within_target"]')).to_contain_text("50%")
    expect(row.locator('[data-kpi="unanswered"]')).to_have_text("2")
    frame, who = wrap.bounding_box(), row.locator("td.who").bounding_box()
    assert (
        frame
        and who
        and frame["x"] - 1 <= who["x"]
        and who["x"] + who["width"] <= frame["x"] + frame["width"]
    )
    last = row.locator('[data-kpi="posts_handled"]').bounding_box()
    assert last and last["x"] >= who["x"] + who["width"] - 1  # the last figure is not under the handle
    assert last["x"] + last["width"] <= frame["x"] + frame["width"] + 1
    # The widest figure fits beside the handle, so scrolling brings each one whole into view.
    widest = row.locator("td.num").evaluate_all("cells => Math.max(...cells.map(c => c.offsetWidth))")
    assert widest <= frame["width"] - who["width"]
