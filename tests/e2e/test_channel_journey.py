"""The growth team's launch week, in the browser: a lead imports a file of Weibo mentions with a
broken row and reads the report (the row's line and why); the mentions wait in the inbox with their
reply clocks counting from when they were written; a staff member answers one, and the post shows
the answer queued for delivery back to Weibo."""

from __future__ import annotations

import json
import re
from datetime import UTC, datetime, timedelta

import pytest
from playwright.sync_api import Browser, Page, expect

from fanloop.community.members.models import Member
from fanloop.growth.channels import service as channels
from fanloop.growth.channels.service import ChannelInput
from fanloop.service.rota.models import RotaMember

pytestmark = pytest.mark.e2e
LEAD_PASSWORD = "wang hao password"
STAFF_PASSWORD = "zhang min password"


@pytest.fixture
def weibo(seed, database, tmp_path):
    """A social board, Wang Hao (lead), Zhang Min on the rota, and a Weibo channel whose replies
    are written to a file."""
    seed.board("social", "Social")
    lead = seed.member("lead", "wang_hao", password=LEAD_PASSWORD)
    zhang = seed.member("staff", "zhang_min", password=STAFF_PASSWORD)
    with database.unit_of_work() as session:
        session.add(
            RotaMember(member_id=zhang.id, on_rota=True, availability="on_duty", capacity=10, team="Social")
        )
        channels.create_channel(
            session,
            actor=session.get(Member, lead.id),
            data=ChannelInput(
                slug="weibo", name="Weibo", board="social", connector="file",
                connector_config={"path": str(tmp_path / "weibo-replies.jsonl")},
            ),
        )  # fmt: skip


def log_in(page: Page, live_server: str, handle: str, password: str, next_path: str) -> None:
    page.goto(f"{live_server}/login?next={next_path}")
    page.fill("#login", handle)
    page.fill("#password", password)
    page.get_by_role("button", name="Log in").click()


def mentions_file(tmp_path):  # noqa: ANN001, ANN201
    now = datetime.now(UTC)
    rows = [
        {"id": "w1", "author": {"id": "1934", "handle": "chen_xi", "name": "陈曦"},
         "text": "升级到5.2以后电池掉电太快了 #晒出你的第一台手机#", "created_at": (now - timedelta(minutes=2)).isoformat(),
         "reposts": 12, "likes": 40},
        {"id": "w2", "text": "no author and no date"},
        {"id": "w3", "author": {"id": "2201", "handle": "li_na", "name": "Li Na"},
         "text": "Camera freezes in night mode since 5.2", "created_at": (now - timedelta(minutes=1)).isoformat()},
    ]  # fmt: skip
    path = tmp_path / "weibo-mentions.jsonl"
    path.write_text("\n".join(json.dumps(r, ensure_ascii=False) for r in rows) + "\n", encoding="utf-8")
    return path


def test_import_answer_and_queue_a_reply_back(
    page: Page, browser: Browser, live_server: str, weibo, tmp_path
):
    log_in(page, live_server, "wang_hao", LEAD_PASSWORD, "/staff/channels/weibo")
    expect(page.get_by_role("heading", name="Import a file")).to_be_visible()
    page.set_input_files("#import-file", str(mentions_file(tmp_path)))
    page.get_by_role("button", name="Import", exact=True).click()

    # The report: two in, one refused, with its line and the reason.
    expect(page.get_by_role("heading", name="Import report")).to_be_visible()
    expect(page.locator('[data-figure="imported"]')).to_have_text("2")
    expect(page.locator('[data-figure="rejected"]')).to_have_text("1")
    problem = page.locator("#problems-table tbody tr")
    expect(problem).to_have_count(1)
    expect(problem).to_contain_text("2")
    expect(problem).to_contain_text("missing author")

    staff_context = browser.new_context(viewport={"width": 1366, "height": 900})
    try:
        staff = staff_context.new_page()
        log_in(staff, live_server, "zhang_min", STAFF_PASSWORD, "/inbox")
        rows = staff.locator(".inbox-row")
        expect(rows).to_have_count(2)
        row = rows.filter(has_text="电池掉电太快了")
        expect(row.locator(".badge-channel")).to_have_text("weibo")
        expect(row).to_contain_text("Assigned to you")
        # The clock counts from when the mention was written, two minutes before the import.
        expect(row.locator(".countdown-value")).to_have_text(re.compile(r"^1[23]:\d\d$"))

        row.get_by_role("link", name="Reply").click()
        post_id = int(row.get_attribute("data-post-id"))
        staff.locator("#inbox-reply-body").fill("陈曦你好，我们已经在排查 5.2 的耗电问题。")
        staff.get_by_role("button", name="Send").click()
        expect(staff.locator(f"#panel-post-{post_id} .flash-ok")).to_have_text("Your reply is posted.")
        expect(staff.locator(f"#inbox-post-{post_id}")).to_have_count(0)  # its clock stopped

        # On the post, the answer waits to go back to Weibo.
        staff.goto(f"{live_server}/posts/{post_id}")
        delivery = staff.locator("#deliveries .delivery")
        expect(delivery).to_have_count(1)
        expect(delivery).to_have_attribute("data-state", "queued")
        expect(delivery).to_contain_text("Queued")
        expect(delivery).to_contain_text("file")
        staff.screenshot(path=str(tmp_path / "delivery.png"), full_page=True)
    finally:
        staff_context.close()
