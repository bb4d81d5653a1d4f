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


def test_filters_mine_unassigned_board_kind_breached(desk, database, clock):
    fan = desk.seed.member("fan")
    zhang = desk.staff("zhang_f", boards=["camera"])
    mine = desk.post(fan, board="camera", kind="question")
    with database.unit_of_work(write=True) as session:  # nobody else is on duty now
        from fanloop.service.rota.models import RotaMember

        session.get(RotaMember, zhang.id).availability = "away"
    clock.advance(minutes=10)
    nobodys = desk.post(fan, board="battery", kind="bug")
    assert waiting(database, zhang, view="mine")[0] == [mine]
    assert waiting(database, zhang, view="unassigned")[0] == [nobodys]
    assert waiting(database, zhang, board="battery")[0] == [nobodys]
    assert waiting(database, zhang, board="nope")[0] == []
    assert waiting(database, zhang, kind="question")[0] == [mine]
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
        (InboxFilters(view="everyone"), "The view is one of"),
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


def test_the_query_walks_the_state_and_due_index(desk, database):
    """Running clocks in due order, with a limit: the (state, due_at) index serves the order."""
    from sqlalchemy.dialects import sqlite

    captured = []
    staff = desk.staff("planner", on_rota=False)
    with database.unit_of_work() as session:
        real_execute = session.execute

        def spy(statement, *args, **kwargs):
            if "sla_clocks" in str(statement) and "ORDER BY" in str(statement):
                captured.append(statement)
            return real_execute(statement, *args, **kwargs)

        session.execute = spy
        inbox(session, viewer=session.get(Member, staff.id), filters=InboxFilters(view="mine"))
        session.execute = real_execute
        sql = str(captured[0].compile(dialect=sqlite.dialect(), compile_kwargs={"literal_binds": True}))
        assert "sla_clocks.state = 'running'" in sql
        assert "ORDER BY sla_clocks.due_at, sla_clocks.id" in sql and "LIMIT" in sql
        if database.is_sqlite:
            plan = " ".join(str(row) for row in real_execute(text("EXPLAIN QUERY PLAN " + sql)))
            assert "ix_sla_clocks_state_due" in plan


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
