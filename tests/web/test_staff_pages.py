"""The staff pages and tools: status changes, replies, moderation, merging, the staff area."""

from __future__ import annotations

import re

# --------------------------------------------------------------------------- staff


def test_staff_reply_and_status_change_show_on_the_post(web_client, world, csrf, log_in, make_post):
    post_id = make_post(world["fan"])
    staff = web_client()
    log_in(staff, "zhang_min")
    page = staff.get(f"/posts/{post_id}").text
    assert "Staff tools" in page and f'action="/posts/{post_id}/status"' in page
    response = staff.post(
        f"/posts/{post_id}/replies", data={"csrf_token": csrf(staff), "body": "Could you send a log?"}
    )
    assert response.status_code == 200
    response = staff.post(
        f"/posts/{post_id}/status",
        data={"csrf_token": csrf(staff), "status": "planned", "note": "Fix planned for Friday's release."},
    )
    assert "The status is updated." in response.text
    # the same status twice is refused with a message, not an error page
    again = staff.post(f"/posts/{post_id}/status", data={"csrf_token": csrf(staff), "status": "planned"})
    assert again.status_code == 200 and "already planned" in again.text

    fan = web_client()
    log_in(fan, "li_wei")
    page = fan.get(f"/posts/{post_id}").text
    assert "Staff tools" not in page
    reply = re.search(r'<article class="reply is-staff" id="reply-\d+">.*?</article>', page, re.S)
    assert (
        reply
        and "Zhang Min" in reply[0]
        and "badge-staff" in reply[0]
        and "Could you send a log?" in reply[0]
    )
    timeline = re.search(r'<ol class="timeline">.*?</ol>', page, re.S)[0]
    assert (
        "Planned" in timeline
        and "Zhang Min" in timeline
        and "Fix planned for Friday&#39;s release." in timeline
    )
    assert 'badge-status-planned">Planned' in page


def test_fans_get_403_in_the_staff_area(web_client, world, csrf, log_in):
    fan = web_client()
    log_in(fan, "li_wei")
    response = fan.get("/staff")
    assert response.status_code == 403
    assert "You don&#39;t have access to this" in response.text
    assert "li_wei" in response.text  # still logged in on the error page
    visitor = web_client()
    assert visitor.get("/staff", follow_redirects=False).headers["location"] == "/login?next=/staff"
    refused = fan.post("/posts/1/status", data={"csrf_token": csrf(fan), "status": "planned"})
    assert refused.status_code in (403, 404)


def test_staff_area_tabs(web_client, world, csrf, log_in, make_post):
    open_id = make_post(world["fan"], title="Waiting for a status")
    hidden_id = make_post(world["fan"], title="Spam spam")
    staff = web_client()
    log_in(staff, "zhang_min")
    staff.post(
        f"/posts/{hidden_id}/moderation", data={"csrf_token": csrf(staff), "action": "hide", "reason": "spam"}
    )
    staff.post(
        f"/posts/{open_id}/status", data={"csrf_token": csrf(staff), "status": "acknowledged", "note": "Seen"}
    )

    assert "Spam spam" in staff.get("/staff").text  # still open
    moderated = staff.get("/staff?tab=moderated").text
    assert "Spam spam" in moderated and "Hidden" in moderated
    assert "Seen" in staff.get("/staff?tab=statuses").text
    assert 'href="/staff?tab=log"' not in staff.get("/staff").text  # leads only
    assert "Find a member" not in staff.get("/staff?tab=members").text  # admins only

    # a hidden post: staff see it with a banner, fans do not see it at all
    assert "This post is hidden from fans" in staff.get(f"/posts/{hidden_id}").text
    fan = web_client()
    assert fan.get(f"/posts/{hidden_id}").status_code == 404
    assert "Spam spam" not in fan.get("/").text

    admin = web_client()
    log_in(admin, "chen_jie")
    log = admin.get("/staff?tab=log").text
    assert "hide" in log and "spam" in log
    found = admin.get("/staff?tab=members&q=li").text
    assert "li_wei@example.test" in found
    admin.post("/staff/members/li_wei/role", data={"csrf_token": csrf(admin), "role": "staff"})
    assert 'value="staff" selected' in admin.get("/staff?tab=members&q=li_wei").text
    link = admin.post("/staff/members/li_wei/reset-link", data={"csrf_token": csrf(admin)}).text
    assert "/reset?token=" in link


def test_merge_points_the_duplicate_to_the_original(web_client, world, csrf, log_in, make_post):
    original = make_post(world["fan"], title="Original report")
    duplicate = make_post(world["admin"], title="Same problem again")
    staff = web_client()
    log_in(staff, "zhang_min")
    response = staff.post(
        f"/posts/{duplicate}/merge", data={"csrf_token": csrf(staff), "into_post_id": f"#{original}"}
    )
    assert "The posts are merged." in response.text and "Original report" in response.text
    page = web_client().get(f"/posts/{duplicate}").text
    assert f'href="/posts/{original}">#{original} Original report' in page
    assert 'badge-status-duplicate">Duplicate' in page


def test_locked_post_hides_the_reply_form_from_fans(web_client, world, csrf, log_in, make_post):
    post_id = make_post(world["fan"])
    staff = web_client()
    log_in(staff, "zhang_min")
    staff.post(f"/posts/{post_id}/moderation", data={"csrf_token": csrf(staff), "action": "lock"})
    assert 'id="reply-form"' in staff.get(f"/posts/{post_id}").text
    fan = web_client()
    log_in(fan, "li_wei")
    page = fan.get(f"/posts/{post_id}").text
    assert 'id="reply-form"' not in page and "This post is locked; only staff can reply." in page
