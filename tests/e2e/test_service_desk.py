"""An engineer on the rota, in the browser: a fan posts, the post appears in the inbox with a ticking
countdown, she answers it with a canned response and a line of her own, the clock stops, the fan
sees who answered and how fast, and the KPI board counts the reply. The inbox also fits a phone."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import Browser, Page, expect

from fanloop.community.members.models import Member
from fanloop.service.desk import macros
from fanloop.service.rota.models import RotaMember

pytestmark = pytest.mark.e2e
STAFF_PASSWORD = "zhang min password"
FAN_PASSWORD = "li wei password"
LEAD_PASSWORD = "chen jie password"


@pytest.fixture
def rota(seed, database):
    """Boards, a fan, Zhang Min on the rota for camera posts in Chinese, and a canned response."""
    seed.board("battery", "Battery")
    seed.board("camera", "Camera")
    seed.member("fan", "li_wei", password=FAN_PASSWORD)
    zhang = seed.member("staff", "zhang_min", password=STAFF_PASSWORD)
    lead = seed.member("lead", "chen_jie", password=LEAD_PASSWORD)
    with database.unit_of_work() as session:
        session.add(
            RotaMember(
                member_id=zhang.id,
                on_rota=True,
                availability="on_duty",
                capacity=5,
                team="Camera",
                boards=["camera"],
                tags=[],
                languages=["zh_CN"],
            )
        )
        macros.create_macro(
            session,
            actor=session.get(Member, lead.id),
            name="请提供日志",
            body="{fan_name}，你好！感谢反馈，请在设置 > 反馈中上传日志。",
        )


def log_in(page: Page, live_server: str, handle: str, password: str, next_path: str = "/") -> None:
    page.goto(f"{live_server}/login?next={next_path}")
    page.fill("#login", handle)
    page.fill("#password", password)
    page.get_by_role("button", name="Log in").click()


def test_a_fan_post_is_answered_from_the_inbox(
    page: Page, browser: Browser, live_server: str, rota, tmp_path
):
    # Li Wei posts a camera bug.
    log_in(page, live_server, "li_wei", FAN_PASSWORD, "/posts/new")
    page.select_option("#post-board", "camera")
    page.fill("#post-title", "更新后相机对焦很慢")
    page.fill("#post-body", "升级到 2.4.1 后，拍照对焦要两三秒。")
    page.get_by_role("button", name="Publish").click()
    expect(page.locator("h1.post-heading")).to_have_text("更新后相机对焦很慢")
    post_id = int(re.search(r"/posts/(\d+)", page.url)[1])
    expect(page.locator(".answered-by")).to_have_count(0)  # nobody has answered yet

    staff_context = browser.new_context(viewport={"width": 1366, "height": 900})
    try:
        staff = staff_context.new_page()
        log_in(staff, live_server, "zhang_min", STAFF_PASSWORD, "/inbox")
        expect(staff.get_by_role("heading", name="Inbox", exact=True)).to_be_visible()
        row = staff.locator(f"#inbox-post-{post_id}")
        expect(row).to_contain_text("更新后相机对焦很慢")
        expect(row).to_contain_text("Assigned to you")
        countdown = row.locator(".countdown-value")
        expect(countdown).to_have_text(re.compile(r"^1[45]:\d\d$"))
        first = countdown.inner_text()
        expect(countdown).not_to_have_text(first, timeout=3000)  # it ticks in the browser
        expect(row.locator(".countdown-label")).to_have_text("left")

        # She answers from the inbox: the canned response, then a line of her own (keyboard: j, r).
        staff.keyboard.press("j")
        expect(row).to_have_class(re.compile("is-selected"))
        staff.keyboard.press("r")
        panel = staff.locator(f"#panel-post-{post_id}")
        expect(panel).to_be_visible()
        expect(staff.locator("#inbox-reply-body")).to_be_focused()
        staff.select_option("#inbox-macro", label="请提供日志")
        box = staff.locator("#inbox-reply-body")
        expect(box).to_have_value(re.compile(r"^Li Wei，你好！感谢反馈"))
        box.press("End")
        box.type("我们正在排查对焦问题。")
        staff.get_by_role("button", name="Send").click()
        expect(panel.locator(".flash-ok")).to_have_text("Your reply is posted.")
        expect(staff.locator(f"#inbox-post-{post_id}")).to_have_count(0)  # the clock stopped

        # The post's desk panel shows the stopped clock and who answered.
        staff.goto(f"{live_server}/posts/{post_id}")
        desk = staff.locator("#post-service")
        expect(desk).to_contain_text("Met")
        expect(desk).to_contain_text(re.compile(r"Answered by Zhang Min in (under a minute|\d+ min)"))

        # The KPI board counts her reply.
        staff.goto(f"{live_server}/staff/kpis")
        person = staff.locator('#kpi-people tr[data-handle="zhang_min"]')
        expect(person).to_contain_text("@zhang_min")
        expect(person.locator('[data-kpi="replies"]')).to_have_text("1")
        expect(person.locator('[data-kpi="first_replies"]')).to_have_text("1")
        staff.screenshot(path=str(tmp_path / "kpis.png"), full_page=True)
    finally:
        staff_context.close()

    # Li Wei sees the answer with its author and how fast it came.
    page.reload()
    reply = page.locator("article.reply.is-staff")
    expect(reply).to_contain_text("Li Wei，你好！感谢反馈，请在设置 > 反馈中上传日志。")
    expect(reply).to_contain_text("我们正在排查对焦问题。")
    expect(page.locator(".answered-by")).to_contain_text("Answered by Zhang Min in")
    expect(page.locator(".service-card")).to_have_count(0)  # the desk itself is for staff


def test_two_staff_on_the_same_post_and_the_inbox_on_a_phone(
    browser: Browser, live_server: str, rota, seed, settings, database
):
    from fanloop.community.posts import service as posts

    seed.member("staff", "wang_hao", password="wang hao password")
    with database.unit_of_work() as session:
        post = posts.create_post(
            session,
            author=session.get(Member, session.query(Member).filter_by(handle="li_wei").one().id),
            data=posts.PostInput(
                board="camera", kind="bug", title="Night mode photos are blurry", body="Since 2.4.1"
            ),
            settings=settings,
        )
        post_id = post.id
    zhang_context = browser.new_context(
        viewport={"width": 375, "height": 740}, is_mobile=True, has_touch=True
    )
    wang_context = browser.new_context()
    try:
        zhang = zhang_context.new_page()
        log_in(zhang, live_server, "zhang_min", STAFF_PASSWORD, "/inbox")
        expect(zhang.locator(f"#inbox-post-{post_id}")).to_be_visible()
        assert zhang.evaluate("document.documentElement.scrollWidth - window.innerWidth") <= 0
        zhang.locator(f"#inbox-post-{post_id} [data-action='reply']").click()
        expect(zhang.locator(f"#panel-post-{post_id}")).to_be_in_viewport()
        zhang.goto(f"{live_server}/posts/{post_id}")
        expect(zhang.locator(".service-card")).to_contain_text("Assigned to Zhang Min")

        wang = wang_context.new_page()
        log_in(wang, live_server, "wang_hao", "wang hao password", f"/posts/{post_id}")
        expect(wang.locator(".presence-notice")).to_have_text("Zhang Min is also viewing this post.")
        wang.locator(".service-card").get_by_role("button", name="Claim").click()
        expect(wang.locator(".service-card")).to_contain_text("Assigned to Wang Hao")
        wang.locator(".handled-by summary").click()
        expect(wang.locator(".assignment-list li")).to_have_count(2)
        expect(wang.locator(".assignment-list")).to_contain_text("claimed")
    finally:
        zhang_context.close()
        wang_context.close()


def test_on_a_phone_the_reply_box_opens_by_the_post_and_new_posts_arrive_in_their_lane(
    browser: Browser, live_server: str, rota, settings, database
):
    """A long list on a phone: tapping Reply on a post far down opens the reply box over the bottom
    of the screen, by the post, instead of jumping past the whole list; the list's refresh brings in
    a post made meanwhile, in its lane, with the lane's count."""
    from fanloop.community.posts import service as posts

    def new_post(title: str) -> int:
        with database.unit_of_work() as session:
            fan = session.query(Member).filter_by(handle="li_wei").one()
            return posts.create_post(
                session,
                author=fan,
                data=posts.PostInput(board="battery", kind="bug", title=title, body="每晚掉电 20%"),
                settings=settings,
            ).id

    with database.unit_of_work() as session:  # nobody on duty: every post waits unassigned
        session.query(RotaMember).update({"availability": "away"})
    ids = [new_post(f"待机掉电严重 {i}") for i in range(18)]
    context = browser.new_context(viewport={"width": 375, "height": 740}, is_mobile=True, has_touch=True)
    try:
        phone = context.new_page()
        log_in(phone, live_server, "zhang_min", STAFF_PASSWORD, "/inbox")
        lane = phone.locator('.inbox-lane[data-lane="unassigned"]')
        expect(lane).to_have_attribute("aria-current", "page")
        expect(lane.locator(".chip-count")).to_have_text("18")
        expect(phone.locator(".inbox-row")).to_have_count(18)
        assert phone.evaluate("document.documentElement.scrollWidth - window.innerWidth") <= 0

        # the list runs for screens below the post she taps
        assert phone.locator("#inbox-list").bounding_box()["height"] > 3 * 740
        row = phone.locator(f"#inbox-post-{ids[2]}")
        row.scroll_into_view_if_needed()
        before = phone.evaluate("window.scrollY")
        row.locator("[data-action='reply']").tap()
        panel = phone.locator(f"#panel-post-{ids[2]}")
        expect(panel).to_be_visible()
        box = phone.locator("#inbox-reply-body")
        expect(box).to_be_in_viewport()
        moved = abs(phone.evaluate("window.scrollY") - before)
        assert moved <= phone.evaluate("window.innerHeight"), moved
        sheet_top = phone.locator("#inbox-panel").bounding_box()["y"]
        assert row.bounding_box()["y"] < sheet_top  # the tapped post shows above the sheet
        assert phone.evaluate("document.documentElement.scrollWidth - window.innerWidth") <= 0
        box.fill("请问是哪个版本？")
        expect(box).to_have_value("请问是哪个版本？")

        # a fan posts meanwhile: within one refresh (12 s) it is in the lane, and the lane counts it
        fresh = new_post("刚刚发的：相机打不开")
        expect(phone.locator(f"#inbox-post-{fresh}")).to_be_attached(timeout=16_000)
        expect(lane.locator(".chip-count")).to_have_text("19")
        expect(phone.locator('.inbox-lane[data-lane="unassigned"] .chip-count')).to_have_text("19")
        expect(box).to_have_value("请问是哪个版本？")  # the refresh leaves the reply box alone

        phone.locator("#inbox-panel [data-action='close-panel']").tap()
        expect(panel).to_have_count(0)
    finally:
        context.close()
