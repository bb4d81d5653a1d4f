"""Leads manage SLA policies and calendars; every change brings the open clocks along."""

from __future__ import annotations

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import select

from fanloop.community.members.models import Member
from fanloop.core.errors import Conflict, Forbidden, Invalid
from fanloop.service.desk import service as desk_service
from fanloop.service.sla import policies
from fanloop.service.sla import service as sla
from fanloop.service.sla.models import SlaCalendar, SlaClock, SlaPolicy
from fanloop.service.sla.policies import CalendarInput, PolicyInput
from fanloop.service.sla.scheduled import sweep

SHANGHAI = ZoneInfo("Asia/Shanghai")
OFFICE = {d: [["09:00", "12:00"], ["13:00", "18:00"]] for d in ("mon", "tue", "wed", "thu", "fri")}


@pytest.fixture
def lead(desk):
    return desk.seed.member("lead", "chen_jie")


def first_clock(session, post_id) -> SlaClock:
    return session.scalar(select(SlaClock).where(SlaClock.post_id == post_id, SlaClock.kind == "first_reply"))


def act(database, fn, member):
    with database.unit_of_work(write=True) as session:
        return fn(session, session.get(Member, member.id))


def test_a_new_policy_applies_to_new_posts_and_moves_matching_open_clocks(desk, database, clock, lead):
    fan = desk.seed.member("fan")
    start = clock.now()
    camera_post = desk.post(fan, board="camera")
    battery_post = desk.post(fan, board="battery")
    clock.advance(minutes=2)
    policy_id = act(
        database,
        lambda s, m: (
            policies.create_policy(
                s,
                actor=m,
                data=PolicyInput(name="Camera", first_reply_minutes=5, conditions={"boards": ["camera"]}),
            ).id
        ),
        lead,
    )
    with database.unit_of_work() as session:
        moved = first_clock(session, camera_post)
        assert moved.policy_id == policy_id and moved.due_at == start + timedelta(minutes=5)
        assert first_clock(session, battery_post).policy.is_default
    new_post = desk.post(fan, board="camera")
    with database.unit_of_work() as session:
        assert first_clock(session, new_post).due_at == clock.now() + timedelta(minutes=5)


def test_changing_targets_recomputes_the_open_clocks_and_spares_answered_ones(desk, database, clock, lead):
    fan, staff = desk.seed.member("fan"), desk.staff("helper_a")
    start = clock.now()
    open_post, answered_post = desk.post(fan), desk.post(fan)
    clock.advance(minutes=3)
    desk.reply(staff, answered_post)
    clock.advance(minutes=2)

    def change(session, member):
        default = sla.default_policy(session)
        data = PolicyInput(
            name="Default", first_reply_minutes=60, next_reply_minutes=30, resolution_minutes=None
        )
        return policies.update_policy(session, actor=member, policy_id=default.id, data=data)

    act(database, change, lead)
    with database.unit_of_work() as session:
        recomputed = first_clock(session, open_post)
        assert recomputed.target_seconds == 3600 and recomputed.due_at == start + timedelta(minutes=60)
        assert recomputed.warn_at == start + timedelta(minutes=48)
        answered = first_clock(session, answered_post)
        assert (
            answered.state == "stopped" and answered.target_seconds == 900 and answered.elapsed_seconds == 180
        )


def test_order_decides_which_policy_matches(desk, database, clock, lead):
    fan = desk.seed.member("fan")

    def setup(session, member):
        bugs = policies.create_policy(
            session,
            actor=member,
            data=PolicyInput(name="Bugs", first_reply_minutes=10, conditions={"kinds": ["bug"]}),
        )
        camera = policies.create_policy(
            session,
            actor=member,
            data=PolicyInput(name="Camera", first_reply_minutes=5, conditions={"boards": ["camera"]}),
        )
        return bugs.id, camera.id

    bugs_id, camera_id = act(database, setup, lead)
    post_id = desk.post(fan, board="camera", kind="bug")
    with database.unit_of_work() as session:
        assert first_clock(session, post_id).policy_id == bugs_id
    listed = act(
        database, lambda s, m: policies.reorder_policies(s, actor=m, policy_ids=[camera_id, bugs_id]), lead
    )
    assert [p.name for p in listed] == ["Camera", "Bugs", "Default"]
    with database.unit_of_work() as session:
        assert first_clock(session, post_id).policy_id == camera_id  # the open clock followed the new order
    act(database, lambda s, m: policies.move_policy(s, actor=m, policy_id=bugs_id, offset=-1), lead)
    with database.unit_of_work() as session:
        assert first_clock(session, post_id).policy_id == bugs_id
    with pytest.raises(Invalid, match="exactly once"):
        act(database, lambda s, m: policies.reorder_policies(s, actor=m, policy_ids=[camera_id]), lead)


def test_condition_on_priority_and_fan_level(desk, database, clock, lead):
    fan, staff = desk.seed.member("fan"), desk.staff("helper_b")
    act(
        database,
        lambda s, m: policies.create_policy(
            s,
            actor=m,
            data=PolicyInput(name="Urgent", first_reply_minutes=3, conditions={"priorities": ["urgent"]}),
        ),
        lead,
    )
    post_id = desk.post(fan)
    with database.unit_of_work(write=True) as session:
        desk_service.set_priority(
            session, actor=session.get(Member, staff.id), post_id=post_id, priority="urgent"
        )
    with database.unit_of_work() as session:
        assert first_clock(session, post_id).policy.name == "Urgent"
    with pytest.raises(Invalid, match="lowest fan level"):
        act(
            database,
            lambda s, m: policies.create_policy(
                s, actor=m, data=PolicyInput(name="Core", conditions={"min_level": 5, "max_level": 2})
            ),
            lead,
        )


def test_deleting_a_policy_moves_its_clocks(desk, database, clock, lead):
    fan, staff = desk.seed.member("fan"), desk.staff("helper_c")
    policy_id = act(
        database,
        lambda s, m: (
            policies.create_policy(s, actor=m, data=PolicyInput(name="All bugs", first_reply_minutes=5)).id
        ),
        lead,
    )
    answered, waiting = desk.post(fan), desk.post(fan)
    clock.advance(minutes=1)
    desk.reply(staff, answered)
    act(database, lambda s, m: policies.delete_policy(s, actor=m, policy_id=policy_id), lead)
    with database.unit_of_work() as session:
        assert session.get(SlaPolicy, policy_id) is None
        moved = first_clock(session, waiting)
        assert moved.policy.is_default and moved.target_seconds == 900
        kept = first_clock(session, answered)
        assert kept.policy.is_default and kept.target_seconds == 300 and kept.elapsed_seconds == 60
    with pytest.raises(Conflict, match="default policy cannot be deleted"):
        act(
            database,
            lambda s, m: policies.delete_policy(s, actor=m, policy_id=sla.default_policy(s).id),
            lead,
        )


@pytest.mark.parametrize(
    ("data", "field", "message"),
    [
        (PolicyInput(name=""), "name", "A name is"),
        (PolicyInput(name="x" * 81), "name", "A name is"),
        (PolicyInput(name="Zero", first_reply_minutes=0), "first_reply_minutes", "whole number"),
        (PolicyInput(name="Huge", first_reply_minutes=10**9), "first_reply_minutes", "whole number"),
        (PolicyInput(name="Neg", next_reply_minutes=-5), "next_reply_minutes", "whole number"),
        (PolicyInput(name="Share", warning_share=1.5), "warning_share", "share of the target"),
        (PolicyInput(name="Cal", calendar_id=999), "calendar_id", "No calendar 999"),
        (PolicyInput(name="Key", conditions={"colour": ["red"]}), "conditions", "Unknown condition"),
        (PolicyInput(name="Board", conditions={"boards": ["nope"]}), "boards", "Unknown boards: nope"),
        (PolicyInput(name="Kind", conditions={"kinds": ["rant"]}), "kinds", "Unknown kinds: rant"),
        (PolicyInput(name="Tag", conditions={"tags": ["x\x00"]}), "tags", "up to 40 characters"),
        (PolicyInput(name="Prio", conditions={"priorities": "high"}), "priorities", "list of names"),
        (PolicyInput(name="Lvl", conditions={"min_level": 99}), "min_level", "Fan levels go from 1"),
    ],
)
def test_bad_policies_are_refused_with_a_reason(desk, database, lead, data, field, message):
    with pytest.raises(Invalid, match=message) as refused:
        act(database, lambda s, m: policies.create_policy(s, actor=m, data=data), lead)
    assert refused.value.field == field


def test_the_default_policy_has_no_conditions_and_names_are_unique(desk, database, lead):
    def edit_default(session, member):
        default = sla.default_policy(session)
        data = PolicyInput(name="Default", conditions={"kinds": ["bug"]})
        return policies.update_policy(session, actor=member, policy_id=default.id, data=data)

    with pytest.raises(Invalid, match="no conditions"):
        act(database, edit_default, lead)
    act(database, lambda s, m: policies.create_policy(s, actor=m, data=PolicyInput(name="Same")), lead)
    with pytest.raises(Conflict, match="already one named"):
        act(database, lambda s, m: policies.create_policy(s, actor=m, data=PolicyInput(name="Same")), lead)


def test_only_leads_change_policies_and_calendars(desk, database):
    staff = desk.staff("plain_staff")
    with pytest.raises(Forbidden):
        act(database, lambda s, m: policies.create_policy(s, actor=m, data=PolicyInput(name="Mine")), staff)
    with pytest.raises(Forbidden):
        act(
            database,
            lambda s, m: policies.create_calendar(s, actor=m, data=CalendarInput(name="Mine")),
            staff,
        )
    listed = act(database, lambda s, m: policies.list_policies(s, viewer=m), staff)
    assert [p.name for p in listed] == ["Default"]  # staff may look


def test_calendar_change_recomputes_clocks_of_the_policies_using_it(desk, database, clock, lead):
    def make(session, member):
        calendar = policies.create_calendar(
            session, actor=member, data=CalendarInput(name="Office", timezone="Asia/Shanghai", hours=OFFICE)
        )
        default = sla.default_policy(session)
        policies.update_policy(
            session,
            actor=member,
            policy_id=default.id,
            data=PolicyInput(name="Default", first_reply_minutes=15, calendar_id=calendar.id),
        )
        return calendar.id

    clock.set(datetime(2026, 3, 13, 17, 55, tzinfo=SHANGHAI))  # a Friday, five minutes before closing
    calendar_id = act(database, make, lead)
    post_id = desk.post(desk.seed.member("fan"))
    with database.unit_of_work() as session:
        assert first_clock(session, post_id).due_at == datetime(2026, 3, 16, 9, 10, tzinfo=SHANGHAI)
    weekend = {**OFFICE, "sat": [["10:00", "16:00"]]}
    act(
        database,
        lambda s, m: policies.update_calendar(
            s,
            actor=m,
            calendar_id=calendar_id,
            data=CalendarInput(name="Office", timezone="Asia/Shanghai", hours=weekend, holidays=[]),
        ),
        lead,
    )
    with database.unit_of_work() as session:
        assert first_clock(session, post_id).due_at == datetime(2026, 3, 14, 10, 10, tzinfo=SHANGHAI)
        assert session.get(SlaCalendar, calendar_id).hours["sat"] == [["10:00", "16:00"]]
    with pytest.raises(Conflict, match="used by Default"):
        act(database, lambda s, m: policies.delete_calendar(s, actor=m, calendar_id=calendar_id), lead)


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (CalendarInput(name="Mars", timezone="Mars/Olympus"), "Unknown time zone 'Mars/Olympus'"),
        (CalendarInput(name="Bad day", hours={"someday": [["09:00", "10:00"]]}), "Unknown weekday 'someday'"),
        (CalendarInput(name="Bad time", hours={"mon": [["9am", "5pm"]]}), "Times are HH:MM"),
        (CalendarInput(name="Empty", hours={"mon": [["09:00", "09:00"]]}), "is empty"),
        (CalendarInput(name="Three", hours={"mon": [["09:00", "10:00", "11:00"]]}), "is \\[start, end\\]"),
        (CalendarInput(name="Overlap", hours={"mon": [["09:00", "12:00"], ["11:00", "13:00"]]}), "overlap"),
        (CalendarInput(name="Holiday", holidays=["2026-13-45"]), "Holidays are dates"),
        (CalendarInput(name="Shape", hours={"mon": "09:00-10:00"}), "Working hours look like"),
    ],
)
def test_bad_calendars_are_refused_with_a_clear_message(desk, database, lead, data, message):
    with pytest.raises(Invalid, match=message):
        act(database, lambda s, m: policies.create_calendar(s, actor=m, data=data), lead)


def test_a_calendar_of_nothing_but_holidays_is_refused(desk, database, lead, clock):
    every_day = [(clock.now().date() + timedelta(days=i)).isoformat() for i in range(0, 810)]
    data = CalendarInput(name="Never", hours={"mon": [["09:00", "10:00"]]}, holidays=every_day[:1000])
    with pytest.raises(Invalid, match="no working time"):
        act(database, lambda s, m: policies.create_calendar(s, actor=m, data=data), lead)


def test_a_shorter_target_makes_a_clock_breach_at_the_next_sweep(desk, database, clock, lead):
    fan = desk.seed.member("fan")
    post_id = desk.post(fan)
    clock.advance(minutes=10)

    def shorten(session, member):
        default = sla.default_policy(session)
        return policies.update_policy(
            session,
            actor=member,
            policy_id=default.id,
            data=PolicyInput(name="Default", first_reply_minutes=5),
        )

    act(database, shorten, lead)
    with database.unit_of_work(write=True) as session:
        fired = [(e.kind, e.post_id) for e in sweep(session)]
    assert ("breach", post_id) in fired and ("warning", post_id) in fired
