"""The staff inbox: posts waiting for a reply, soonest due first, with filters and counts; and the
canned responses used to answer them."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import text

from fanloop.community.members.models import Member
from fanloop.core.errors import Conflict, Forbidden, Invalid
from fanloop.service.desk import macros
from fanloop.service.desk import service as desk_service
from fanloop.service.desk.inbox import InboxFilters, inbox
from fanloop.service.desk.overview import post_service
from fanloop.service.sla.models import SlaPolicy


def waiting(database, viewer, **filters):
    with database.unit_of_work() as session:
        result = inbox(session, viewer=session.get(Member, viewer.id), filters=InboxFilters(**filters))
        return [item.post.id for item in result.items], result.counts


def test_posts_are_ordered_by_time_left(desk, database, clock):
    fan, staff = desk.seed.member("fan"), desk.staff("sorter", on_rota=False)
    with database.unit_of_work() as session:
        session.add(
            SlaPolicy(
                name="Camera",
                position=1,
                conditions={"boards": ["camera"]},
                first_reply_minutes=5,
                warning_share=0.8,
            )
        )
    slow = desk.post(fan)  # due in 15 minutes
    clock.advance(minutes=3)
    fast = desk.post(fan, board="camera")  # due in 5 minutes, so before the older one
    ids, counts = waiting(database, staff)
    assert ids == [fast, slow]
    assert (counts.total, counts.unassigned, counts.breached) == (2, 2, 0)
    with database.unit_of_work() as session:
        item = inbox(session, viewer=session.get(Member, staff.id), filters=InboxFilters()).items[0]
        assert item.clock_kind == "first_reply" and item.seconds_left == 300 and item.warn_in == 240


def test_answered_waiting_and_deleted_posts_leave_the_inbox(desk, database, clock):
    from fanloop.community.posts import service as posts

    fan, staff = desk.seed.member("fan"), desk.staff("answerer", on_rota=False)
    answered, paused, deleted, open_post = (desk.post(fan, title=f"Post {i}") for i in range(4))
    desk.reply(staff, answered)
    desk.reply(staff, paused)
    with database.unit_of_work(write=True) as session:
        member = session.get(Member, staff.id)
        desk_service.set_waiting_on_fan(session, actor=member, post_id=paused, waiting=True)
        posts.moderate_post(session, actor=member, post_id=deleted, action="delete")
    desk.reply(staff, open_post, "internal", internal=True)  # a note does not answer
    assert waiting(database, staff)[0] == [open_post]
    clock.advance(hours=1)
    desk.reply(fan, answered, "Still broken")  # the fan writes again: the next-reply clock runs
    ids, _ = waiting(database, staff)
    assert ids == [open_post, answered]
    with database.unit_of_work() as session:
        items = inbox(session, viewer=session.get(Member, staff.id), filters=InboxFilters()).items
        assert [i.clock_kind for i in items] == ["first_reply", "next_reply"]


def test_lanes_and_filters_mine_unassigned_board_kind_breached(desk, database, clock):
    fan = desk.seed.member("fan")
    zhang = desk.staff("zhang_f", boards=["camera"])
    mine = desk.post(fan, board="camera", kind="question")
    with database.unit_of_work(write=True) as session:  # nobody else is on duty now
        from fanloop.service.rota.models import RotaMember

        session.get(RotaMember, zhang.id).availability = "away"
    clock.advance(minutes=10)
    nobodys = desk.post(fan, board="battery", kind="bug")
    assert waiting(database, zhang, lane="mine")[0] == [mine]
    assert waiting(database, zhang, lane="unassigned")[0] == [nobodys]
    assert waiting(database, zhang, lane="live", board="battery")[0] == [nobodys]
    assert waiting(database, zhang, lane="live", board="nope")[0] == []
    assert waiting(database, zhang, lane="live", kind="question")[0] == [mine]
    clock.advance(minutes=6)  # the first post is 16 minutes old
    ids, counts = waiting(database, zhang, breached=True)
    assert ids == [mine]
    assert (counts.total, counts.mine, counts.unassigned, counts.breached) == (2, 1, 1, 1)
    with database.unit_of_work() as session:
        item = inbox(session, viewer=session.get(Member, zhang.id), filters=InboxFilters()).items[0]
        assert item.breached and item.seconds_left == -60


@pytest.mark.parametrize(
    ("filters", "message"),
    [
        (InboxFilters(lane="everyone"), "The lane is one of"),
        (InboxFilters(kind="rant"), "Unknown kind"),
        (InboxFilters(board="x\x00"), "Unknown board"),
    ],
)
def test_bad_filters_are_refused(desk, database, filters, message):
    staff = desk.staff("filterer", on_rota=False)
    with database.unit_of_work() as session, pytest.raises(Invalid, match=message):
        inbox(session, viewer=session.get(Member, staff.id), filters=filters)


def test_fans_have_no_inbox(desk, database):
    fan = desk.seed.member("fan")
    with database.unit_of_work() as session, pytest.raises(Forbidden):
        inbox(session, viewer=session.get(Member, fan.id), filters=InboxFilters())


def test_post_service_tells_who_answered_and_how_fast(desk, database, clock):
    fan, staff = desk.seed.member("fan"), desk.staff("answering", on_rota=True)
    post_id = desk.post(fan)
    clock.advance(minutes=6, seconds=20)
    desk.reply(staff, post_id)
    with database.unit_of_work() as session:
        public = post_service(session, viewer=session.get(Member, fan.id), post_id=post_id)
        assert public.first_answer.by.id == staff.id and public.first_answer.elapsed_seconds == 380
        assert public.ticket is None and public.clocks == [] and not public.is_staff_view
        inside = post_service(session, viewer=session.get(Member, staff.id), post_id=post_id)
        assert inside.ticket.state == "answered"
        assert [(c.kind, c.state, c.stopped_by_id) for c in inside.clocks] == [
            ("first_reply", "stopped", staff.id)
        ]
        assert [a.reason for a in inside.assignments] == ["auto"]


# --------------------------------------------------------------------------- canned responses


def test_macros_fill_their_placeholders(desk, database, settings):
    lead = desk.seed.member("lead", "macro_lead")
    staff = desk.staff("zhang_macro", on_rota=False)
    fan = desk.seed.member("fan", "li_wei")
    post_id = desk.post(fan, title="更新后待机掉电严重")
    with database.unit_of_work(write=True) as session:
        macro = macros.create_macro(
            session,
            actor=session.get(Member, lead.id),
            name="Ask for a log",
            body="{fan_name}，你好！关于“{post_title}”，请上传日志：{post_url} —— {staff_name} {not_a_placeholder",
        )
        macro_id = macro.id
    with database.unit_of_work() as session:
        from fanloop.community.posts import service as posts

        member = session.get(Member, staff.id)
        post = posts.get_post(session, viewer=member, post_id=post_id)
        text = macros.render_macro(
            session, viewer=member, macro_id=macro_id, post=post, base_url="https://fans.example/"
        )
    assert text == (
        f"Li Wei，你好！关于“更新后待机掉电严重”，请上传日志：https://fans.example/posts/{post_id} —— Zhang Macro "
        "{not_a_placeholder"
    )


def test_macro_rules(desk, database):
    lead, staff = desk.seed.member("lead", "rules_lead"), desk.staff("rules_staff", on_rota=False)

    def as_lead(fn):
        with database.unit_of_work(write=True) as session:
            return fn(session, session.get(Member, lead.id))

    with pytest.raises(Invalid, match=r"Unknown placeholder\(s\): \{order_id\}"):
        as_lead(lambda s, m: macros.create_macro(s, actor=m, name="Bad", body="Your order {order_id}"))
    with pytest.raises(Invalid, match="needs a text"):
        as_lead(lambda s, m: macros.create_macro(s, actor=m, name="Empty", body="  \x00 "))
    first = as_lead(
        lambda s, m: macros.create_macro(s, actor=m, name="Thanks", body="Thanks, {fan_name}!")
    ).id
    with pytest.raises(Conflict):
        as_lead(lambda s, m: macros.create_macro(s, actor=m, name="Thanks", body="Again"))
    as_lead(lambda s, m: macros.update_macro(s, actor=m, macro_id=first, name="Thank you", body="Thank you!"))
    with database.unit_of_work(write=True) as session, pytest.raises(Forbidden):
        macros.create_macro(session, actor=session.get(Member, staff.id), name="Mine", body="Hi")
    with database.unit_of_work() as session:
        listed = macros.list_macros(session, viewer=session.get(Member, staff.id))
        assert [(m.name, m.body) for m in listed] == [("Thank you", "Thank you!")]
    as_lead(lambda s, m: macros.delete_macro(s, actor=m, macro_id=first))
    with database.unit_of_work() as session:
        assert macros.list_macros(session, viewer=session.get(Member, staff.id)) == []


def test_reply_clock_due_time_moves_with_a_pause(desk, database, clock):
    fan, staff = desk.seed.member("fan"), desk.staff("pauser", on_rota=False)
    post_id = desk.post(fan)
    clock.advance(minutes=5)
    desk.reply(staff, post_id)
    clock.advance(minutes=1)
    desk.reply(fan, post_id, "more details")
    ids, _ = waiting(database, staff)
    assert ids == [post_id]
    with database.unit_of_work() as session:
        item = inbox(session, viewer=session.get(Member, staff.id), filters=InboxFilters()).items[0]
        assert item.due_at == clock.now() + timedelta(minutes=15)


# --------------------------------------------------------------------------- lanes


def make_posts(desk, author, count: int, *, board: str = "battery", kind: str = "bug") -> list[int]:
    """Many posts in one unit of work (all made at the same instant, so their clocks tie on due_at)."""
    from fanloop.community.posts import service as posts

    with desk.database.unit_of_work(write=True) as session:
        member = session.get(Member, author.id)
        return [
            posts.create_post(
                session,
                author=member,
                data=posts.PostInput(board=board, kind=kind, title=f"Old mention {i}", body="旧的提及"),
                settings=desk.settings,
            ).id
            for i in range(count)
        ]


def lane_page(database, viewer, lane=None, cursor=None, limit=50, **filters):
    with database.unit_of_work() as session:
        result = inbox(
            session,
            viewer=session.get(Member, viewer.id),
            filters=InboxFilters(lane=lane, **filters),
            cursor=cursor,
            limit=limit,
        )
        return result.lane, [item.post.id for item in result.items], result.counts, result.next_cursor


def whole_lane(database, viewer, lane, limit, **filters) -> list[int]:
    ids, cursor, pages = [], None, 0
    while True:
        _, page, _, cursor = lane_page(database, viewer, lane, cursor, limit, **filters)
        ids += page
        pages += 1
        assert pages < 100
        if cursor is None:
            return ids


def test_imported_history_never_buries_a_new_post(desk, database, clock):
    fan, staff = desk.seed.member("fan"), desk.staff("triage", on_rota=False)
    imported = make_posts(desk, fan, 200)  # weeks-old mentions, never answered
    clock.advance(days=21)
    new_post = desk.post(fan, title="App crashes on start")

    lane, ids, counts, next_cursor = lane_page(database, staff)  # the page opens on due soon
    assert (lane, ids, next_cursor) == ("unassigned", [new_post], None)
    assert (counts.mine, counts.unassigned, counts.overdue, counts.backlog) == (0, 1, 0, 200)
    assert (counts.live, counts.total, counts.breached) == (1, 201, 200)
    assert lane_page(database, staff, "overdue")[1] == []
    _, backlog, _, cursor = lane_page(database, staff, "backlog")
    assert new_post not in backlog and backlog == imported[:50] and cursor
    assert new_post not in whole_lane(database, staff, "backlog", 50)

    with database.unit_of_work(write=True) as session:  # claimed: it moves to her lane
        desk_service.claim(session, actor=session.get(Member, staff.id), post_id=new_post)
    lane, ids, counts, _ = lane_page(database, staff)
    assert (lane, ids) == ("mine", [new_post])
    assert (counts.mine, counts.unassigned, counts.backlog) == (1, 0, 200)


def test_paging_returns_every_item_once_in_due_order(desk, database, clock):
    fan, staff = desk.seed.member("fan"), desk.staff("pager", on_rota=False)
    first = make_posts(desk, fan, 40)  # 40 clocks due at the same instant: only the id breaks ties
    clock.advance(minutes=1)
    later = make_posts(desk, fan, 25)
    clock.advance(days=3)
    backlog = whole_lane(database, staff, "backlog", 7)
    assert backlog == first + later and len(set(backlog)) == 65
    assert whole_lane(database, staff, "backlog", 200) == backlog
    # a post made while someone pages does not shift the pages already read
    _, page_one, _, cursor = lane_page(database, staff, "backlog", limit=30)
    desk.post(fan)
    rest = whole_lane_from(database, staff, "backlog", cursor, 30)
    assert page_one + rest == backlog


def whole_lane_from(database, viewer, lane, cursor, limit) -> list[int]:
    ids = []
    while cursor:
        _, page, _, cursor = lane_page(database, viewer, lane, cursor, limit)
        ids += page
    return ids


def test_an_hour_late_is_overdue_two_days_late_is_backlog(desk, database, clock):
    fan, staff = desk.seed.member("fan"), desk.staff("timer", on_rota=False)
    two_days = desk.post(fan, title="Two days late")
    clock.advance(days=2)
    one_hour = desk.post(fan, title="One hour late")
    clock.advance(hours=1, minutes=15)  # the policy's 15 minutes, then an hour more
    assert lane_page(database, staff, "overdue")[1] == [one_hour]
    assert lane_page(database, staff, "unassigned")[1] == [one_hour]  # still live, and nobody's
    assert lane_page(database, staff, "backlog")[1] == [two_days]
    assert lane_page(database, staff, "live")[1] == [one_hour]
    counts = lane_page(database, staff)[2]
    assert (counts.unassigned, counts.overdue, counts.backlog, counts.total) == (1, 1, 1, 2)
    # exactly a day past due is still live; a second more and it is backlog
    clock.advance(hours=23)
    assert lane_page(database, staff, "overdue")[1] == [one_hour]
    clock.advance(seconds=1)
    assert lane_page(database, staff, "overdue")[1] == []
    assert lane_page(database, staff, "backlog")[1] == [two_days, one_hour]


def test_lanes_filter_by_board_and_kind_and_their_counts_follow(desk, database, clock):
    fan, staff = desk.seed.member("fan"), desk.staff("filtering", on_rota=False)
    old_camera = make_posts(desk, fan, 3, board="camera", kind="question")
    old_battery = make_posts(desk, fan, 2, board="battery", kind="bug")
    clock.advance(days=10)
    camera_bug = desk.post(fan, board="camera", kind="bug")
    battery_question = desk.post(fan, board="battery", kind="question")
    assert lane_page(database, staff, "backlog", board="camera")[1] == old_camera
    assert lane_page(database, staff, "backlog", kind="bug")[1] == old_battery
    assert lane_page(database, staff, "backlog", board="camera", kind="bug")[1] == []
    assert lane_page(database, staff, "unassigned", kind="question")[1] == [battery_question]
    assert lane_page(database, staff, "unassigned", board="nope")[1] == []
    counts = lane_page(database, staff, "unassigned", board="camera")[2]
    assert (counts.unassigned, counts.backlog, counts.total) == (1, 3, 4)
    assert lane_page(database, staff, "unassigned", board="camera")[1] == [camera_bug]
    # breached keeps its meaning inside a lane: only the posts past their due time
    assert lane_page(database, staff, "unassigned", breached=True)[1] == []
    clock.advance(minutes=20)
    assert lane_page(database, staff, "unassigned", breached=True)[1] == [camera_bug, battery_question]
    # paging keeps the filters
    assert whole_lane(database, staff, "backlog", 1, board="camera") == old_camera


@pytest.mark.parametrize(
    "cursor",
    [
        "not a cursor",
        "W10",  # []
        '["unassigned", "2026-03-10T13:40:00+00:00", 1]',  # another lane's
        '["backlog", "2026-03-10T13:40:00", 1]',  # a naive time
        '["backlog", "0001-01-01T00:00:00+01:00", 1]',
        '["backlog", "2026-03-10T13:40:00+00:00", 0]',
        '["backlog", "2026-03-10T13:40:00+00:00", true]',
        '["backlog", "2026-03-10T13:40:00+00:00", 4294967296]',
        '["backlog", 12, 1]',
        '["backlog", "2026-03-10T13:40:00+00:00", 1, "extra"]',
    ],
)
def test_forged_cursors_are_refused(desk, database, cursor):
    import base64

    staff = desk.staff("forger", on_rota=False)
    if cursor.startswith("["):
        cursor = base64.urlsafe_b64encode(cursor.encode()).decode().rstrip("=")
    with database.unit_of_work() as session, pytest.raises(Invalid, match="cursor") as refused:
        inbox(
            session, viewer=session.get(Member, staff.id), filters=InboxFilters(lane="backlog"), cursor=cursor
        )
    assert refused.value.field == "cursor"


def test_old_views_map_onto_lanes():
    from fanloop.service.desk.inbox import lane_of_view

    assert [lane_of_view(v) for v in ("all", "mine", "unassigned")] == ["live", "mine", "unassigned"]
    with pytest.raises(Invalid, match="The view is one of"):
        lane_of_view("everyone")


def test_each_lane_page_walks_the_state_and_due_index(desk, database, clock):
    """Every lane, first page and later ones, is a range of the (state, due_at) index in due order."""
    from sqlalchemy.dialects import sqlite

    fan, staff = desk.seed.member("fan"), desk.staff("indexer", on_rota=False)
    make_posts(desk, fan, 3)
    clock.advance(days=2)
    captured = []
    with database.unit_of_work() as session:
        real_execute = session.execute

        def spy(statement, *args, **kwargs):
            if "sla_clocks" in str(statement) and "ORDER BY" in str(statement):
                captured.append(statement)
            return real_execute(statement, *args, **kwargs)

        session.execute = spy
        viewer = session.get(Member, staff.id)
        for lane in ("mine", "unassigned", "overdue", "backlog"):
            first = inbox(session, viewer=viewer, filters=InboxFilters(lane=lane), limit=1)
            if first.next_cursor:
                inbox(
                    session, viewer=viewer, filters=InboxFilters(lane=lane), cursor=first.next_cursor, limit=1
                )
        session.execute = real_execute
        assert len(captured) == 5  # the first page of each lane, and the backlog's second
        for statement in captured:
            sql = str(statement.compile(dialect=sqlite.dialect(), compile_kwargs={"literal_binds": True}))
            assert "sla_clocks.state = 'running'" in sql
            assert "ORDER BY sla_clocks.due_at, sla_clocks.id" in sql and "LIMIT" in sql
            if database.is_sqlite:
                plan = " ".join(str(row) for row in real_execute(text("EXPLAIN QUERY PLAN " + sql)))
                assert "ix_sla_clocks_state_due" in plan, plan
