"""The notifications page and the bell, and the admin page for webhook endpoints and deliveries."""

from __future__ import annotations

import re

from fanloop.community.members.models import Member
from fanloop.community.posts import service as posts
from fanloop.service.notify.models import WebhookEndpoint
from notification_support import escalate, warn


def staff_reply(database, settings, staff: Member, post_id: int, body: str = "Could you send a log?") -> None:
    with database.unit_of_work(write=True) as session:
        posts.add_reply(
            session, author=session.get(Member, staff.id), post_id=post_id, body=body, settings=settings
        )


def test_the_bell_counts_unread_and_the_page_lists_and_marks_read(
    web_client, world, csrf, log_in, make_post, database, settings
):
    post_id = make_post(world["fan"], title="Battery drains overnight")
    staff_reply(database, settings, world["staff"], post_id)
    fan = web_client()
    log_in(fan, "li_wei")

    home = fan.get("/").text
    assert re.search(r'class="nav-link nav-bell" href="/notifications"[^>]*>.*?badge-count">1<', home)

    page = fan.get("/notifications").text
    assert "The team replied to “Battery drains overnight”" in page
    assert f'href="/posts/{post_id}#reply-' in page and "Could you send a log?" in page
    response = fan.post("/notifications/read", data={"csrf_token": csrf(fan)}, follow_redirects=True)
    assert "All notifications are marked as read." in response.text
    assert "badge-count" not in fan.get("/").text.split("nav-bell", 1)[1].split("</a>", 1)[0]


def test_the_page_in_chinese_and_for_visitors(web_client, world, log_in, make_post, database, settings):
    post_id = make_post(world["fan"], title="待机掉电")
    staff_reply(database, settings, world["staff"], post_id)
    fan = web_client()
    log_in(fan, "li_wei")
    fan.cookies.set("lang", "zh_CN")
    page = fan.get("/notifications").text
    assert "团队回复了“待机掉电”" in page and "全部标为已读" in page
    visitor = web_client()
    assert (
        visitor.get("/notifications", follow_redirects=False).headers["location"]
        == "/login?next=/notifications"
    )


def test_marking_read_needs_the_csrf_token(web_client, world, log_in):
    fan = web_client()
    log_in(fan, "li_wei")
    assert fan.post("/notifications/read", data={}).status_code == 403


def test_admin_manages_endpoints_and_sees_deliveries(web_client, world, csrf, log_in, database):
    admin = web_client()
    log_in(admin, "chen_jie")
    assert "No endpoints yet." in admin.get("/staff/webhooks").text

    refused = admin.post("/staff/webhooks", data={"csrf_token": csrf(admin), "url": "ftp://files.example"})
    assert refused.status_code == 422 and "Use an http:// or https:// URL." in refused.text

    created = admin.post(
        "/staff/webhooks",
        data={"csrf_token": csrf(admin), "url": "https://hooks.example/in", "topics": ["post.created"]},
    )
    assert created.status_code == 200
    secret = re.search(r'<code class="token-value">(whsec_[^<]+)</code>', created.text)[1]
    with database.unit_of_work() as session:
        endpoint = session.query(WebhookEndpoint).one()
        assert endpoint.secret == secret and endpoint.topics == ["post.created"]
    assert secret not in admin.get("/staff/webhooks").text  # shown once

    pinged = admin.post(
        f"/staff/webhooks/{endpoint.id}/test", data={"csrf_token": csrf(admin)}, follow_redirects=True
    )
    assert "A test event is queued" in pinged.text and "<code>ping</code>" in pinged.text
    paused = admin.post(
        f"/staff/webhooks/{endpoint.id}/active", data={"csrf_token": csrf(admin)}, follow_redirects=True
    )
    assert "The endpoint is paused." in paused.text
    deleted = admin.post(
        f"/staff/webhooks/{endpoint.id}/delete", data={"csrf_token": csrf(admin)}, follow_redirects=True
    )
    assert "The endpoint and its delivery log are deleted." in deleted.text
    assert "No endpoints yet." in deleted.text and "Nothing sent yet." in deleted.text


def test_only_admins_see_the_webhooks_page(web_client, world, csrf, log_in):
    staff = web_client()
    log_in(staff, "zhang_min")
    assert staff.get("/staff/webhooks").status_code == 403
    refused = staff.post("/staff/webhooks", data={"csrf_token": csrf(staff), "url": "https://x.example"})
    assert refused.status_code == 403
    admin = web_client()
    log_in(admin, "chen_jie")
    assert admin.post("/staff/webhooks", data={"url": "https://x.example"}).status_code == 403  # no CSRF
    visitor = web_client()
    assert visitor.get("/staff/webhooks", follow_redirects=False).headers["location"].startswith("/login")


# --------------------------------------------------------------------------- grouped, paged, filtered


def bell(page: str) -> str:
    return page.split("nav-bell", 1)[1].split("</a>", 1)[0]


def group_rows(page: str) -> list[str]:
    return re.findall(r'<article class="card notification-group[^"]*" id="group-([^"]+)"', page)


def test_a_leads_escalations_are_grouped_by_post_with_counts(web_client, world, log_in, database, seed):
    lead = seed.member("lead", "wang_fang")
    escalate(database, lead, [11, 12, 13, 14, 15], times=6)
    browser = web_client()
    log_in(browser, "wang_fang")
    page = browser.get("/notifications").text
    assert group_rows(page) == [f"sla_escalation-{post_id}" for post_id in (15, 14, 13, 12, 11)]
    assert "6 escalations on post #12" in page and "6 unread" in page
    assert re.search(
        r'href="/notifications\?kind=sla_escalation"[^>]*>Escalated <span class="chip-count">30<', page
    )
    assert 'badge-count">5<' in bell(page)  # the bell counts groups, not the 30 notifications


def test_marking_a_group_read_from_the_page(web_client, world, csrf, log_in, database, seed):
    lead = seed.member("lead", "wang_fang")
    escalate(database, lead, [11, 12], times=3)
    browser = web_client()
    log_in(browser, "wang_fang")
    answer = browser.post(
        "/notifications/read",
        data={"csrf_token": csrf(browser), "group": "sla_escalation:12"},
        headers={"Referer": "http://testserver/notifications?kind=sla_escalation"},
        follow_redirects=False,
    )
    assert answer.status_code == 303 and answer.headers["location"] == "/notifications?kind=sla_escalation"
    page = browser.get("/notifications?unread=1").text
    assert group_rows(page) == ["sla_escalation-11"] and 'badge-count">1<' in bell(page)
    refused = browser.post(
        "/notifications/read", data={"csrf_token": csrf(browser), "group": "nope"}, follow_redirects=True
    )
    assert "Not a notification group." in refused.text


def test_the_page_is_paged_and_filtered_by_kind_and_post(web_client, world, log_in, database, seed):
    lead = seed.member("lead", "wang_fang")
    escalate(database, lead, range(1, 31))
    warn(database, lead, 7)
    browser = web_client()
    log_in(browser, "wang_fang")
    first = browser.get("/notifications").text
    assert len(group_rows(first)) == 25
    older = re.search(r'href="(/notifications\?cursor=[^"]+)" rel="next"', first)[1]
    second = browser.get(older.replace("&amp;", "&")).text
    assert len(group_rows(second)) == 6 and 'rel="next"' not in second
    assert set(group_rows(first)).isdisjoint(group_rows(second))

    warnings = browser.get("/notifications?kind=sla_warning").text
    assert group_rows(warnings) == ["sla_warning-7"]
    on_seven = browser.get("/notifications?post=7").text
    assert group_rows(on_seven) == ["sla_warning-7", "sla_escalation-7"] and "Post #7" in on_seven
    nothing = browser.get("/notifications?kind=staff_reply").text
    assert "Nothing matches these filters." in nothing
    forged = browser.get("/notifications?cursor=forged", follow_redirects=True).text
    assert "The cursor is not valid" in forged
    assert browser.get("/notifications?post=0").status_code == 422


def test_a_lead_chooses_the_daily_digest_on_the_page(web_client, world, csrf, log_in, database, seed):
    from fanloop.service.notify import preferences

    lead = seed.member("lead", "wang_fang")
    browser = web_client()
    log_in(browser, "wang_fang")
    assert 'value="immediately" checked' in browser.get("/notifications").text
    saved = browser.post(
        "/notifications/preferences",
        data={"csrf_token": csrf(browser), "escalations": "daily_digest"},
        follow_redirects=True,
    )
    assert "Escalations are e-mailed once a day, in a digest." in saved.text
    assert 'value="daily_digest" checked' in saved.text
    with database.unit_of_work() as session:
        assert preferences.get_preferences(session, member_id=lead.id) == {"escalations": "daily_digest"}
    refused = browser.post(
        "/notifications/preferences",
        data={"csrf_token": csrf(browser), "escalations": "hourly"},
        follow_redirects=True,
    )
    assert "Choose how escalations are e-mailed." in refused.text
    assert browser.post("/notifications/preferences", data={"escalations": "immediately"}).status_code == 403

    fan = web_client()
    log_in(fan, "li_wei")
    assert "E-mail about escalations" not in fan.get("/notifications").text  # fans are not escalated to


def test_the_grouped_page_in_chinese(web_client, world, csrf, log_in, database, seed):
    lead = seed.member("lead", "wang_fang")
    escalate(database, lead, [12], times=3)
    browser = web_client()
    log_in(browser, "wang_fang")
    browser.cookies.set("lang", "zh_CN")
    page = browser.get("/notifications").text
    assert "帖子 #12 上有 3 条升级" in page and "3 条未读" in page
    assert "已升级" in page and "只看未读" in page and "每日汇总：每天一封，按帖子分组" in page
    saved = browser.post(
        "/notifications/preferences",
        data={"csrf_token": csrf(browser), "escalations": "daily_digest"},
        follow_redirects=True,
    )
    assert "升级通知将每天汇总成一封邮件发送。" in saved.text  # the flash too, not only the page
