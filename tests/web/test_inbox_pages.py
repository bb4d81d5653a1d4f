"""The service-desk pages: the inbox with its countdowns, filters, claiming and replies; the desk panel
and presence notice on a post; the rota, SLA and canned-response pages."""

from __future__ import annotations

import html
import re

import pytest

from fanloop.community.members.models import Member
from fanloop.service.desk.models import Ticket
from fanloop.service.rota.models import RotaMember, RotaShift
from fanloop.service.sla.models import SlaCalendar, SlaClock, SlaPolicy

HTMX = {"HX-Request": "true"}


@pytest.fixture
def lead(seed):
    return seed.member("lead", "chen_lead")


def htmx(client, csrf, target: str | None = None) -> dict:
    headers = {**HTMX, "X-CSRF-Token": csrf(client)}
    if target:
        headers["HX-Target"] = target
    return headers


def rows(page: str) -> list[int]:
    return [int(i) for i in re.findall(r'class="inbox-row[^"]*" id="inbox-post-(\d+)"', page)]


def test_inbox_lists_waiting_posts_soonest_due_first_with_countdowns(
    web_client, world, log_in, make_post, clock
):
    older = make_post(world["fan"], title="Older post")
    clock.advance(minutes=4)
    newer = make_post(world["fan"], title="Newer post", board="camera", kind="question")
    staff = web_client()
    log_in(staff, "zhang_min")
    page = staff.get("/inbox")
    assert page.status_code == 200
    assert rows(page.text) == [older, newer]
    # the countdown starts from the seconds left (11 min for the older post) and says when it is due
    assert re.search(r'data-seconds-left="660"', page.text)
    assert "11:00" in page.text and "15:00" in page.text
    assert 'hx-get="/inbox/list?lane=unassigned"' in page.text and "every 12s" in page.text
    assert "desk.js" in page.text and 'href="/inbox"' in page.text
    # filters
    assert rows(staff.get("/inbox", params={"board": "camera"}).text) == [newer]
    assert rows(staff.get("/inbox", params={"kind": "bug"}).text) == [older]
    assert rows(staff.get("/inbox/list", params={"view": "unassigned"}).text) == [older, newer]
    assert rows(staff.get("/inbox/list", params={"view": "mine"}).text) == []
    clock.advance(minutes=12)
    overdue = staff.get("/inbox", params={"breached": "1"}).text
    assert rows(overdue) == [older] and "is-breached" in overdue and "overdue" in overdue


def test_claim_and_reply_with_a_canned_response_from_the_inbox(
    web_client, world, log_in, csrf, make_post, database, seed
):
    lead = seed.member("lead", "chen_lead")
    post_id = make_post(world["fan"], title="Camera focus slow")
    admin = web_client()
    log_in(admin, "chen_lead")
    made = admin.post(
        "/staff/macros",
        data={
            "csrf_token": csrf(admin),
            "name": "Ask for a log",
            "body": "Hi {fan_name}, please send a log. — {staff_name}",
        },
        follow_redirects=False,
    )
    assert made.status_code == 303, made.text
    assert lead

    staff = web_client()
    log_in(staff, "zhang_min")
    claimed = staff.post(f"/posts/{post_id}/claim", headers=htmx(staff, csrf))
    assert claimed.status_code == 204 and claimed.headers["HX-Trigger"] == "inbox-changed"
    assert rows(staff.get("/inbox", params={"view": "mine"}).text) == [post_id]

    panel = staff.get(f"/inbox/posts/{post_id}", headers=HTMX).text
    assert "Camera focus slow" in panel and "Ask for a log" in panel
    assert "Hi Li Wei, please send a log. — Zhang Min" in panel  # placeholders filled for this post
    with database.unit_of_work() as session:
        from fanloop.service.desk.models import Macro

        macro_id = session.query(Macro).one().id
    sent = staff.post(
        f"/inbox/posts/{post_id}/reply",
        data={"macro_id": str(macro_id), "body": "It helps us find the cause."},
        headers=htmx(staff, csrf, "inbox-panel"),
    )
    assert sent.status_code == 200 and "Your reply is posted." in sent.text
    assert sent.headers["HX-Trigger"] == "inbox-changed"
    assert rows(staff.get("/inbox").text) == []  # answered: the clock stopped
    post_page = staff.get(f"/posts/{post_id}").text
    assert "Hi Li Wei, please send a log. — Zhang Min" in post_page
    assert "It helps us find the cause." in post_page


def test_internal_note_and_waiting_on_the_fan(web_client, world, log_in, csrf, make_post, database):
    post_id = make_post(world["fan"])
    staff = web_client()
    log_in(staff, "zhang_min")
    note = staff.post(
        f"/inbox/posts/{post_id}/reply",
        data={"body": "Looks like the modem driver.", "internal": "1"},
        headers=htmx(staff, csrf, "inbox-panel"),
    )
    assert "Your note is saved." in note.text and "Internal note" in note.text
    assert rows(staff.get("/inbox").text) == [post_id]  # a note is not an answer
    staff.post(
        f"/inbox/posts/{post_id}/reply",
        data={"body": "Which firmware are you on?", "wait": "1"},
        headers=htmx(staff, csrf, "inbox-panel"),
    )
    with database.unit_of_work() as session:
        assert session.get(Ticket, post_id).state == "waiting_on_fan"
    fan = web_client()
    log_in(fan, "li_wei")
    assert "Looks like the modem driver." not in fan.get(f"/posts/{post_id}").text
    # the toggle on the post's desk panel resumes the clocks
    resumed = staff.post(
        f"/posts/{post_id}/waiting", data={"waiting": "0"}, headers=htmx(staff, csrf, "post-service")
    )
    assert resumed.status_code == 200 and "Wait on the fan" in resumed.text
    with database.unit_of_work() as session:
        assert session.get(Ticket, post_id).state == "answered"


def test_an_empty_reply_is_refused_in_the_panel(web_client, world, log_in, csrf, make_post):
    post_id = make_post(world["fan"])
    staff = web_client()
    log_in(staff, "zhang_min")
    refused = staff.post(
        f"/inbox/posts/{post_id}/reply", data={"body": "  "}, headers=htmx(staff, csrf, "inbox-panel")
    )
    assert (
        refused.status_code == 200
        and "flash-error" in refused.text
        and "The body is required." in refused.text
    )
    plain = staff.post(
        f"/inbox/posts/{post_id}/reply", data={"csrf_token": csrf(staff), "body": ""}, follow_redirects=False
    )
    assert plain.status_code == 303 and plain.headers["location"] == f"/inbox?open={post_id}"
    opened = staff.get(f"/inbox?open={post_id}").text
    assert staff.get("/inbox?open=999999").status_code == 200  # a stale link still shows the inbox
    assert f'id="panel-post-{post_id}"' in opened and "The body is required." in opened


def test_post_page_shows_the_desk_to_staff_and_the_answer_time_to_fans(
    web_client, world, log_in, csrf, make_post, clock
):
    post_id = make_post(world["fan"])
    staff = web_client()
    log_in(staff, "zhang_min")
    page = staff.get(f"/posts/{post_id}").text
    assert f'hx-get="/posts/{post_id}/service"' in page
    assert f'hx-post="/posts/{post_id}/presence"' in page and "every 15s" in page
    panel = staff.get(f"/posts/{post_id}/service").text
    assert "Service desk" in panel and "First reply" in panel and "Running" in panel and "Claim" in panel
    clock.advance(minutes=6)
    staff.post(f"/posts/{post_id}/replies", data={"csrf_token": csrf(staff), "body": "Please send a log."})
    panel = staff.get(f"/posts/{post_id}/service").text
    assert "Answered by Zhang Min in 6 min" in panel and "Met" in panel

    fan = web_client()
    log_in(fan, "li_wei")
    page = fan.get(f"/posts/{post_id}").text
    assert "/presence" not in page
    public = fan.get(f"/posts/{post_id}/service").text
    assert "Answered by Zhang Min in 6 min" in public and "Service desk" not in public
    visitor = web_client()
    assert "Answered by Zhang Min in 6 min" in visitor.get(f"/posts/{post_id}/service").text
    refused = fan.post(f"/posts/{post_id}/presence", headers=htmx(fan, csrf))
    assert refused.status_code == 403


def test_presence_names_the_colleague_who_has_the_post_open(
    web_client, world, seed, log_in, csrf, make_post, clock
):
    seed.member("staff", "wang_hao")
    post_id = make_post(world["fan"])
    zhang, wang = web_client(), web_client()
    log_in(zhang, "zhang_min")
    log_in(wang, "wang_hao")
    assert "also viewing" not in zhang.post(f"/posts/{post_id}/presence", headers=htmx(zhang, csrf)).text
    clock.advance(seconds=5)
    notice = wang.post(f"/posts/{post_id}/presence", headers=htmx(wang, csrf)).text
    assert "Zhang Min is also viewing this post." in notice
    clock.advance(minutes=2)  # Zhang Min closed the page long ago
    assert "also viewing" not in wang.post(f"/posts/{post_id}/presence", headers=htmx(wang, csrf)).text
    chinese = web_client()
    chinese.cookies.set("lang", "zh_CN")
    log_in(chinese, "zhang_min")
    assert (
        "Wang Hao 也在查看这个帖子。"
        in chinese.post(f"/posts/{post_id}/presence", headers=htmx(chinese, csrf)).text
    )


def lane_counts(page: str) -> dict[str, int]:
    found = re.findall(r'data-lane="(\w+)"[^>]*>[^<]*<span class="chip-count">(\d+)</span>', page)
    return {lane: int(count) for lane, count in found}


def current_lane(page: str) -> str:
    return re.search(r'data-lane="(\w+)" aria-current="page"', page)[1]


def page_link(page: str, which: str) -> str | None:
    found = re.search(rf'href="([^"]+)" data-page="{which}"', page)
    return html.unescape(found[1]) if found else None


def test_lanes_keep_imported_history_from_burying_a_new_post(
    web_client, world, log_in, make_post, clock, csrf
):
    old = [make_post(world["fan"], title=f"Imported mention {i}") for i in range(55)]
    make_post(world["fan"], title="Old camera mention", board="camera")
    clock.advance(days=14)
    staff = web_client()
    log_in(staff, "zhang_min")
    page = staff.get("/inbox").text
    assert lane_counts(page) == {"mine": 0, "unassigned": 0, "overdue": 0, "backlog": 56}
    assert current_lane(page) == "unassigned" and rows(page) == []
    assert 'hx-get="/inbox/list?lane=unassigned"' in page

    # a fan posts: the next refresh of the list shows it, first in its lane, with the counts
    new = make_post(world["fan"], title="App crashes on start")
    refreshed = staff.get("/inbox/list", params={"lane": "unassigned"}).text
    assert rows(refreshed) == [new]
    assert lane_counts(refreshed) == {"mine": 0, "unassigned": 1, "overdue": 0, "backlog": 56}
    assert new not in rows(staff.get("/inbox", params={"lane": "backlog"}).text)

    # the backlog is paged and the pages keep the filters
    first = staff.get("/inbox", params={"lane": "backlog", "board": "battery"}).text
    assert rows(first) == old[:50] and lane_counts(first)["backlog"] == 55
    assert page_link(first, "first") is None
    next_url = page_link(first, "next")
    assert next_url.startswith("/inbox?lane=backlog&board=battery&cursor=")
    second = staff.get(next_url).text
    assert rows(second) == old[50:] and page_link(second, "next") is None
    assert page_link(second, "first") == "/inbox?lane=backlog&board=battery"
    assert 'name="lane" value="backlog"' in second  # the filter form stays in the lane
    listed = staff.get(next_url.replace("/inbox?", "/inbox/list?")).text  # the refresh keeps the page
    assert rows(listed) == old[50:]
    assert rows(staff.get("/inbox?lane=backlog&cursor=forged").text) == old[:50]  # a bad cursor: page 1

    # once she claims it, the inbox opens on her own lane
    staff.post(f"/posts/{new}/claim", headers=htmx(staff, csrf))
    mine = staff.get("/inbox").text
    assert current_lane(mine) == "mine" and rows(mine) == [new]
    assert lane_counts(mine)["unassigned"] == 0


def test_late_posts_move_from_overdue_to_backlog_and_old_links_still_work(
    web_client, world, log_in, make_post, clock
):
    late = make_post(world["fan"], title="Late post")
    clock.advance(hours=1, minutes=15)
    staff = web_client()
    log_in(staff, "zhang_min")
    overdue = staff.get("/inbox", params={"lane": "overdue"}).text
    assert rows(overdue) == [late] and "is-breached" in overdue
    assert rows(staff.get("/inbox", params={"breached": "1"}).text) == [late]  # a link from before lanes
    assert rows(staff.get("/inbox", params={"view": "unassigned"}).text) == [late]
    assert rows(staff.get("/inbox", params={"lane": "sideways"}).text) == [late]  # unknown: the default
    clock.advance(days=1)
    assert rows(staff.get("/inbox", params={"lane": "overdue"}).text) == []
    backlog = staff.get("/inbox", params={"lane": "backlog"}).text
    assert rows(backlog) == [late] and "imported history" in backlog


def test_every_inbox_string_has_chinese():
    from babel.messages.extract import extract_from_file

    from fanloop.web import i18n
    from fanloop.web.templating import TEMPLATES_DIR

    catalog = i18n.load_catalog("zh_CN")
    options = {"extensions": "jinja2.ext.i18n", "trim_blocks": "True", "lstrip_blocks": "True"}
    for template in ("inbox.html", "_inbox_list.html", "_inbox_panel.html"):
        for entry in extract_from_file("jinja2", str(TEMPLATES_DIR / "desk" / template), options=options):
            msgid = entry[1] if isinstance(entry[1], str) else entry[1][0]
            message = catalog.get(msgid)
            assert message is not None and message.string, f"{template}: no Chinese for {msgid!r}"


def test_fans_and_visitors_cannot_use_the_desk_pages(web_client, world, log_in, csrf, make_post):
    post_id = make_post(world["fan"])
    fan = web_client()
    log_in(fan, "li_wei")
    for path in ("/inbox", "/inbox/list", "/staff/rota", "/staff/sla", "/staff/macros"):
        assert fan.get(path).status_code == 403, path
    assert fan.post(f"/posts/{post_id}/claim", data={"csrf_token": csrf(fan)}).status_code == 403
    visitor = web_client()
    assert visitor.get("/inbox", follow_redirects=False).headers["location"] == "/login?next=/inbox"
    assert "/inbox" not in re.findall(r'href="(/inbox)"', fan.get("/").text)


def test_lead_manages_policies_and_calendars_on_the_sla_page(
    web_client, world, lead, log_in, csrf, make_post, database
):
    post_id = make_post(world["fan"], board="camera")
    page = web_client()
    log_in(page, "chen_lead")
    assert "Default" in page.get("/staff/sla").text
    bad = page.post(
        "/staff/sla/calendars",
        data={
            "csrf_token": csrf(page),
            "name": "Office",
            "timezone": "Mars/Olympus",
            "hours": "mon-fri 09:00-18:00",
        },
    )
    assert bad.status_code == 422 and "Unknown time zone" in bad.text and "Mars/Olympus" in bad.text
    bad = page.post(
        "/staff/sla/calendars",
        data={
            "csrf_token": csrf(page),
            "name": "Office",
            "timezone": "Asia/Shanghai",
            "hours": "weekdays 9-6",
        },
    )
    assert bad.status_code == 422 and "Line 1" in bad.text and "weekdays 9-6" in bad.text  # kept as typed
    made = page.post(
        "/staff/sla/calendars",
        data={
            "csrf_token": csrf(page),
            "name": "Office",
            "timezone": "Asia/Shanghai",
            "hours": "mon-fri 09:00-12:00, 13:00-18:00",
            "holidays": "2026-10-01 2026-10-02",
        },
    )
    assert made.status_code == 200 and "The calendar is added." in made.text
    assert "mon-fri 09:00-12:00, 13:00-18:00" in made.text
    with database.unit_of_work() as session:
        calendar = session.query(SlaCalendar).one()
        assert calendar.hours["wed"] == [["09:00", "12:00"], ["13:00", "18:00"]]
        assert calendar.holidays == ["2026-10-01", "2026-10-02"]
    made = page.post(
        "/staff/sla/policies",
        data={
            "csrf_token": csrf(page),
            "name": "Camera",
            "first_reply_minutes": "5",
            "next_reply_minutes": "",
            "warning_percent": "50",
            "boards": ["camera"],
        },
    )
    assert made.status_code == 200 and "The policy is added." in made.text
    with database.unit_of_work() as session:
        policy = session.query(SlaPolicy).filter_by(name="Camera").one()
        clock_row = session.query(SlaClock).filter_by(post_id=post_id, kind="first_reply").one()
        assert clock_row.policy_id == policy.id and clock_row.target_seconds == 300  # the open clock follows
    second = page.post(
        "/staff/sla/policies",
        data={"csrf_token": csrf(page), "name": "Bugs", "first_reply_minutes": "10", "kinds": ["bug"]},
    )
    assert second.status_code == 200
    with database.unit_of_work() as session:
        bugs_id = session.query(SlaPolicy).filter_by(name="Bugs").one().id
    page.post(f"/staff/sla/policies/{bugs_id}/move", data={"csrf_token": csrf(page), "direction": "up"})
    with database.unit_of_work() as session:
        assert (
            session.query(SlaClock).filter_by(post_id=post_id, kind="first_reply").one().policy_id == bugs_id
        )
    refused = page.post(
        "/staff/sla/policies", data={"csrf_token": csrf(page), "name": "Zero", "first_reply_minutes": "0"}
    )
    assert refused.status_code == 422 and "first reply minutes" in refused.text


def test_staff_see_the_sla_page_but_cannot_change_it(web_client, world, log_in, csrf):
    staff = web_client()
    log_in(staff, "zhang_min")
    page = staff.get("/staff/sla").text
    assert "SLA policies" in page and 'action="/staff/sla/policies"' not in page
    refused = staff.post("/staff/sla/policies", data={"csrf_token": csrf(staff), "name": "Mine"})
    assert refused.status_code == 403


def test_rota_page_join_availability_skills_and_shifts(web_client, world, log_in, csrf, database):
    staff = web_client()
    log_in(staff, "zhang_min")
    page = staff.get("/staff/rota").text
    assert "Join the rota" in page
    staff.post("/staff/rota/members/zhang_min", data={"csrf_token": csrf(staff), "on_rota": "1"})
    staff.post(
        "/staff/rota/members/zhang_min",
        data={
            "csrf_token": csrf(staff),
            "full": "1",
            "capacity": "3",
            "team": "Camera",
            "boards": ["camera"],
            "tags": "night",
            "languages": ["zh_CN"],
        },
    )
    done = staff.post(
        "/staff/rota/members/zhang_min/shifts",
        data={
            "csrf_token": csrf(staff),
            "shifts": "wed 14:00-15:00\nfri 10:00-11:00",
            "timezone": "Asia/Shanghai",
        },
    )
    assert "The shifts are saved." in done.text
    away = staff.post(
        "/staff/rota/members/zhang_min", data={"csrf_token": csrf(staff), "availability": "away"}
    )
    assert "Away" in away.text
    with database.unit_of_work() as session:
        entry = session.get(RotaMember, world["staff"].id)
        assert (entry.on_rota, entry.availability, entry.capacity, entry.team) == (True, "away", 3, "Camera")
        assert (entry.boards, entry.tags, entry.languages) == (["camera"], ["night"], ["zh_CN"])
        shifts = session.query(RotaShift).order_by(RotaShift.weekday).all()
        assert [(s.weekday, s.start, s.end, s.timezone) for s in shifts] == [
            (2, "14:00", "15:00", "Asia/Shanghai"),
            (4, "10:00", "11:00", "Asia/Shanghai"),
        ]
    bad = staff.post(
        "/staff/rota/members/zhang_min/shifts", data={"csrf_token": csrf(staff), "shifts": "wed 15:00-15:00"}
    )
    assert "A shift ends at another time than it starts" in bad.text
    # someone else's entry is for leads
    other = staff.post("/staff/rota/members/chen_jie", data={"csrf_token": csrf(staff), "on_rota": "1"})
    assert "flash-error" in other.text
    with database.unit_of_work() as session:
        assert session.get(RotaMember, world["admin"].id) is None


def test_pages_are_in_chinese(web_client, world, log_in, make_post):
    make_post(world["fan"])
    staff = web_client()
    staff.cookies.set("lang", "zh_CN")
    log_in(staff, "zhang_min")
    inbox = staff.get("/inbox").text
    assert "收件箱" in inbox and "剩余" in inbox and "认领" in inbox
    assert "我的" in inbox and "未分配·即将到期" in inbox and "已超时" in inbox and "积压" in inbox
    assert "值班" in staff.get("/staff/rota").text
    assert "服务等级" in staff.get("/staff/sla").text


def test_every_member_row_keeps_its_assignee(database, world, make_post, web_client, log_in):
    with database.unit_of_work() as session:
        session.add(
            RotaMember(
                member_id=world["staff"].id,
                on_rota=True,
                availability="on_duty",
                capacity=5,
                team="",
                boards=[],
                tags=[],
                languages=[],
            )
        )
    post_id = make_post(world["fan"])
    staff = web_client()
    log_in(staff, "zhang_min")
    row = re.search(rf'id="inbox-post-{post_id}".*?</li>', staff.get("/inbox").text, re.S)[0]
    assert "Assigned to you" in row and "is-mine" in staff.get("/inbox").text
    with database.unit_of_work() as session:
        assert session.get(Ticket, post_id).assignee_id == session.get(Member, world["staff"].id).id
