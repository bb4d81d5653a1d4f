"""A fan reports a bug in the browser and a staff member answers it; and the pages fit a phone."""

from __future__ import annotations

import pytest
from playwright.sync_api import Browser, Page, expect

from fanloop.community.members.models import Member
from fanloop.community.posts import service as posts
from fanloop.community.posts.models import Board

pytestmark = pytest.mark.e2e
STAFF_PASSWORD = "staff password 1"


@pytest.fixture
def community(seed, database, settings):
    """A board, a tag, a staff member who logs in with a password, and another fan's post."""
    seed.board("battery", "Battery")
    seed.board("camera", "Camera")
    with database.unit_of_work() as session:
        session.query(Board).filter_by(slug="battery").update({"name_zh": "电池续航"})
    seed.tag("night")
    seed.member("staff", "zhang_min", password=STAFF_PASSWORD)
    other = seed.member("fan", "chen_jie")
    with database.unit_of_work() as session:
        post = posts.create_post(
            session,
            author=session.get(Member, other.id),
            data=posts.PostInput(
                board="battery", kind="bug", title="Phone gets warm while charging", body="Since the update."
            ),
            settings=settings,
        )
        return {"other_post_id": post.id}


def test_fan_reports_a_bug_and_staff_answer_it(
    page: Page, browser: Browser, live_server: str, community: dict, tmp_path
):
    # Li Wei signs up.
    page.goto(f"{live_server}/signup")
    page.fill("#handle", "li_wei")
    page.fill("#display_name", "李伟")
    page.fill("#email", "li.wei@example.test")
    page.fill("#password", "li wei password")
    page.get_by_role("button", name="Create account").click()
    expect(page.locator(".flash-ok")).to_contain_text("Welcome to the community!")
    expect(page.locator(".user-name")).to_have_text("李伟")

    # She posts a bug with her model and firmware version.
    page.get_by_role("link", name="New post", exact=True).first.click()
    expect(page.locator("#post-device")).to_be_visible()  # bug is the default kind
    page.locator("label.kind-option", has_text="Suggestion").click()
    expect(page.locator("#post-device")).to_be_hidden()
    page.locator("label.kind-option", has_text="Bug").click()
    page.select_option("#post-board", "battery")
    page.fill("#post-title", "更新后待机掉电严重")
    page.fill("#post-body", "升级到 2.4.1 后，一晚上待机掉电 **30%**。")
    page.fill("#post-device", "Phone 14 Pro")
    page.fill("#post-version", "OS 2.4.1")
    page.fill("#post-steps", "1. 充满电\n2. 放置一夜")
    page.get_by_label("Night").check()
    page.get_by_role("button", name="Publish").click()
    expect(page.locator("h1.post-heading")).to_have_text("更新后待机掉电严重")
    expect(page.locator(".bug-details")).to_contain_text("Phone 14 Pro")
    expect(page.locator(".bug-details")).to_contain_text("OS 2.4.1")
    post_url = page.url

    # On the home page she finds another fan's post with the same problem and votes for it.
    page.goto(f"{live_server}/?sort=new")
    row = page.locator(f"#post-{community['other_post_id']}")
    expect(row.locator(".vote-count")).to_have_text("0")
    row.locator(".vote-btn").click()
    expect(row.locator(".vote-count")).to_have_text("1")
    expect(row.locator(".vote-box")).to_have_class("vote-box is-voted")
    # ... and "me too" on the post page updates the count in place.
    page.goto(f"{live_server}/posts/{community['other_post_id']}")
    expect(page.locator(".vote-summary")).to_have_text("Confirmed by 1 fan")
    page.locator(".vote-toggle").click()
    expect(page.locator(".vote-summary")).to_have_text("Confirmed by 0 fans")
    page.locator(".vote-toggle").click()
    expect(page.locator(".vote-summary")).to_have_text("Confirmed by 1 fan")

    # A staff member logs in (another browser), replies and sets the status with a note.
    staff_context = browser.new_context()
    try:
        staff = staff_context.new_page()
        staff.goto(f"{live_server}/login?next=/staff")
        staff.fill("#login", "zhang_min")
        staff.fill("#password", STAFF_PASSWORD)
        staff.get_by_role("button", name="Log in").click()
        expect(staff.get_by_role("heading", name="Staff area")).to_be_visible()
        staff.get_by_role("link", name="更新后待机掉电严重").click()
        staff.fill("#reply-body", "感谢反馈，能否提供一份耗电日志？")
        staff.get_by_role("button", name="Post reply").click()
        expect(staff.locator(".flash-ok")).to_contain_text("Your reply is posted.")
        staff.select_option("#status-select", "planned")
        staff.fill("#status-note", "Fix planned for Friday's release.")
        staff.get_by_role("button", name="Update status").click()
        expect(staff.locator(".flash-ok")).to_contain_text("The status is updated.")
    finally:
        staff_context.close()

    # Li Wei reloads her post and sees the staff reply with his name and the new status.
    page.goto(post_url)
    page.reload()
    reply = page.locator("article.reply.is-staff")
    expect(reply).to_contain_text("Zhang Min")
    expect(reply.locator(".badge-staff")).to_be_visible()
    expect(reply).to_contain_text("感谢反馈，能否提供一份耗电日志？")
    expect(page.locator(".post-card .badge-status")).to_have_text("Planned")
    expect(page.locator(".timeline")).to_contain_text("Fix planned for Friday's release.")
    page.screenshot(path=str(tmp_path / "journey.png"), full_page=True)
    assert (tmp_path / "journey.png").stat().st_size > 10_000


def test_pages_fit_a_phone(browser: Browser, live_server: str, community: dict, seed):
    seed.member("fan", "wang_hao", password="wang hao password")
    context = browser.new_context(viewport={"width": 375, "height": 740}, is_mobile=True, has_touch=True)
    try:
        phone = context.new_page()
        phone.goto(f"{live_server}/login")
        phone.fill("#login", "wang_hao")
        phone.fill("#password", "wang hao password")
        phone.get_by_role("button", name="Log in").click()
        for path in (
            "/",
            f"/posts/{community['other_post_id']}",
            "/posts/new",
            "/u/wang_hao",
            "/leaderboard",
        ):
            phone.goto(f"{live_server}{path}")
            overflow = phone.evaluate("document.documentElement.scrollWidth - window.innerWidth")
            assert overflow <= 0, f"{path} is {overflow}px wider than the phone"
        # the Chinese page too
        phone.goto(f"{live_server}/")
        phone.get_by_role("button", name="简体中文").click()
        expect(phone.locator("h1")).to_have_text("社区")
        assert phone.evaluate("document.documentElement.scrollWidth - window.innerWidth") <= 0
    finally:
        context.close()
