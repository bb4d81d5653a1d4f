"""The notifications page and the bell, and the admin page for webhook endpoints and deliveries."""

from __future__ import annotations

import re

from fanloop.community.members.models import Member
from fanloop.community.posts import service as posts
from fanloop.service.notify.models import WebhookEndpoint


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
