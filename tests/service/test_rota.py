"""The everyone-answers rota: who gets a new post (round robin, least loaded, capacity, skills, shifts,
away), and keeping one's own rota entry (leads keep anyone's)."""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import select

from fanloop.community.members.models import Member
from fanloop.core.errors import Forbidden, Invalid
from fanloop.service.desk.models import Assignment, Ticket
from fanloop.service.notify.models import Notification
from fanloop.service.rota import roster
from fanloop.service.rota import service as rota
from fanloop.service.rota.models import RotaMember
from fanloop.service.rota.roster import RotaUpdate, ShiftInput

SHANGHAI = ZoneInfo("Asia/Shanghai")


def assignee(database, post_id: int) -> int | None:
    with database.unit_of_work() as session:
        return session.get(Ticket, post_id).assignee_id


def configure(database, **settings) -> None:
    with database.unit_of_work(write=True) as session:
        current = rota.rota_settings(session)
        for name, value in settings.items():
            setattr(current, name, value)


def act(database, fn, member):
    with database.unit_of_work(write=True) as session:
        return fn(session, session.get(Member, member.id))


def test_round_robin_takes_turns(desk, database, clock):
    configure(database, strategy="round_robin", use_skills=False)
    fan = desk.seed.member("fan")
    a, b, c = desk.staff("rr_a"), desk.staff("rr_b"), desk.staff("rr_c")
    order = []
    for _ in range(6):
        clock.advance(minutes=1)
        order.append(assignee(database, desk.post(fan)))
    assert order == [a.id, b.id, c.id, a.id, b.id, c.id]


def test_least_loaded_prefers_the_fewest_open_posts(desk, database, clock):
    configure(database, strategy="least_loaded", use_skills=False)
    fan = desk.seed.member("fan")
    a = desk.staff("ll_a")
    first, second = desk.post(fan), desk.post(fan)
    assert assignee(database, first) == assignee(database, second) == a.id
    b = desk.staff("ll_b")
    assert assignee(database, desk.post(fan)) == b.id  # a has two open, b none
    clock.advance(minutes=2)
    desk.reply(a, first)
    desk.reply(a, second)  # answered posts no longer count
    assert assignee(database, desk.post(fan)) == a.id  # a has none open now, b still has one


def test_capacity_is_respected_and_a_waiting_post_goes_out_when_capacity_frees(desk, database, clock):
    configure(database, use_skills=False, overflow="wait")
    fan = desk.seed.member("fan")
    a, b = desk.staff("cap_a", capacity=1), desk.staff("cap_b", capacity=1)
    first, second = desk.post(fan), desk.post(fan)
    assert {assignee(database, first), assignee(database, second)} == {a.id, b.id}
    waiting = desk.post(fan)
    assert assignee(database, waiting) is None  # everyone is full: it waits unassigned
    clock.advance(minutes=1)
    answerer = assignee(database, first)
    desk.reply(a if answerer == a.id else b, first)
    # The reply freed a place: the waiting post is handed out in the same transaction.
    assert assignee(database, waiting) == answerer
    with database.unit_of_work() as session:
        reasons = session.scalars(select(Assignment.reason).where(Assignment.post_id == waiting))
        assert list(reasons) == ["handout"]


def test_overflow_goes_to_the_least_loaded_on_shift_or_to_a_lead(desk, database):
    configure(database, use_skills=False, overflow="least_loaded")
    fan = desk.seed.member("fan")
    a, b = desk.staff("over_a", capacity=1), desk.staff("over_b", capacity=2)
    picks = [assignee(database, desk.post(fan)) for _ in range(3)]
    assert sorted(picks) == sorted([a.id, b.id, b.id])  # everyone is full now
    # Over capacity, the one least over it takes the next: a is at 1/1 and b at 2/2, both 0 over.
    over = [assignee(database, desk.post(fan)) for _ in range(2)]
    assert sorted(over) == sorted([a.id, b.id])
    lead = desk.staff("over_lead", role="lead", capacity=0)
    configure(database, overflow="lead")
    assert assignee(database, desk.post(fan)) == lead.id


def test_capacity_counts_only_live_clocks(desk, database, clock):
    from fanloop.service.desk import service as desk_service

    configure(database, use_skills=False)
    fan = desk.seed.member("fan")
    a = desk.staff("live_a", capacity=1)
    old = desk.post(fan)
    assert assignee(database, old) == a.id
    clock.advance(days=2)  # weeks or days overdue: backlog, no longer live
    desk.staff("live_b", capacity=0)
    with database.unit_of_work() as session:
        assert rota.loads(session) == {}
    waiting_on_fan = desk.post(fan)
    assert assignee(database, waiting_on_fan) == a.id
    with database.unit_of_work(write=True) as session:
        desk_service.set_waiting_on_fan(
            session, actor=session.get(Member, a.id), post_id=waiting_on_fan, waiting=True
        )
    assert assignee(database, desk.post(fan)) == a.id  # a paused clock does not count either


def test_a_post_whose_assignee_goes_off_duty_is_handed_over(desk, database, clock):
    from fanloop.service.desk import service as desk_service

    configure(database, use_skills=False)
    fan = desk.seed.member("fan")
    a = desk.staff("hand_a")
    post_id = desk.post(fan)
    assert assignee(database, post_id) == a.id
    b = desk.staff("hand_b")
    act(database, lambda s, m: roster.set_availability(s, actor=m, member=m, availability="away"), a)
    assert assignee(database, post_id) == b.id
    # A post someone claimed stays theirs, even off the rota.
    claimer = desk.staff("hand_claimer", on_rota=False)
    with database.unit_of_work(write=True) as session:
        desk_service.claim(session, actor=session.get(Member, claimer.id), post_id=post_id)
    with database.unit_of_work(write=True) as session:
        assert desk_service.hand_out_waiting(session) == 0
    assert assignee(database, post_id) == claimer.id


def test_skills_pick_the_best_match(desk, database):
    configure(database, use_skills=True)
    fan = desk.seed.member("fan")
    camera_zh = desk.staff("zhang_min", boards=["camera"], languages=["zh_CN"])
    camera = desk.staff("camera_en", boards=["camera"], languages=["en"])
    battery = desk.staff("battery_any", boards=["battery"], tags=["update"])
    assert assignee(database, desk.post(fan, board="camera", title="对焦很慢")) == camera_zh.id
    assert assignee(database, desk.post(fan, board="camera", title="Focus is slow")) == camera.id
    assert assignee(database, desk.post(fan, board="battery", tags=["update"])) == battery.id


def test_shifts_and_away(desk, database, clock):
    configure(database, use_skills=False)
    fan = desk.seed.member("fan")
    wednesday = desk.staff("wed_shift")
    anytime = desk.staff("any_time")
    act(
        database,
        lambda s, m: roster.set_shifts(
            s,
            actor=m,
            member=m,
            shifts=[ShiftInput(weekday=2, start="14:00", end="15:00", timezone="Asia/Shanghai")],
        ),
        wednesday,
    )
    clock.set(datetime(2026, 3, 10, 21, 40, tzinfo=SHANGHAI))  # Tuesday evening
    assert assignee(database, desk.post(fan)) == anytime.id
    clock.set(datetime(2026, 3, 11, 14, 30, tzinfo=SHANGHAI))  # Wednesday, in her hour
    act(database, lambda s, m: roster.set_availability(s, actor=m, member=m, availability="away"), anytime)
    assert assignee(database, desk.post(fan)) == wednesday.id
    clock.set(datetime(2026, 3, 11, 15, 0, tzinfo=SHANGHAI))  # the shift ends at 15:00
    lead = desk.seed.member("lead", "shift_lead")
    waiting = [desk.post(fan), desk.post(fan)]
    assert [assignee(database, p) for p in waiting] == [None, None]
    with database.unit_of_work() as session:
        told = session.scalars(select(Notification).where(Notification.member_id == lead.id)).all()
        assert [n.kind for n in told] == ["rota_uncovered"]  # once for the spell, not per post
    # Someone comes back: the waiting posts go out at once, and the next spell is told again.
    act(database, lambda s, m: roster.set_availability(s, actor=m, member=m, availability="on_duty"), anytime)
    assert [assignee(database, p) for p in waiting] == [anytime.id, anytime.id]
    act(database, lambda s, m: roster.set_availability(s, actor=m, member=m, availability="away"), anytime)
    clock.advance(minutes=5)
    desk.post(fan)
    with database.unit_of_work() as session:
        told = session.scalars(select(Notification).where(Notification.member_id == lead.id)).all()
        assert [n.kind for n in told] == ["rota_uncovered", "rota_uncovered"]


def test_shifts_may_cross_midnight_and_end_at_24(desk, database, clock):
    from fanloop.service.rota.models import RotaShift

    night = [RotaShift(weekday=0, start="22:00", end="06:00", timezone="UTC")]
    late = [RotaShift(weekday=0, start="18:00", end="24:00", timezone="UTC")]
    monday = datetime(2026, 3, 9, tzinfo=ZoneInfo("UTC"))
    at = lambda day, h, m=0: monday.replace(day=9 + day, hour=h, minute=m)  # noqa: E731
    assert rota.in_shift(night, at(0, 22)) and rota.in_shift(night, at(0, 23, 59))
    assert rota.in_shift(night, at(1, 0)) and rota.in_shift(night, at(1, 5, 59))
    assert not rota.in_shift(night, at(1, 6)) and not rota.in_shift(night, at(0, 21, 59))
    assert not rota.in_shift(night, at(0, 3))  # Monday early morning belongs to Sunday's night
    assert rota.in_shift(late, at(0, 23, 59).replace(second=30)) and not rota.in_shift(late, at(1, 0))
    staff = desk.staff("nights")
    shifts = [
        ShiftInput(weekday=0, start="22:00", end="06:00"),
        ShiftInput(weekday=1, start="18:00", end="24:00"),
    ]
    saved = act(database, lambda s, m: roster.set_shifts(s, actor=m, member=m, shifts=shifts), staff)
    assert [(x.start, x.end) for x in saved] == [("22:00", "06:00"), ("18:00", "24:00")]


def test_leaving_the_rota_and_auto_assign_off(desk, database):
    configure(database, use_skills=False)
    fan = desk.seed.member("fan")
    staff = desk.staff("leaver")
    act(database, lambda s, m: roster.leave(s, actor=m, member=m), staff)
    assert assignee(database, desk.post(fan)) is None
    act(database, lambda s, m: roster.join(s, actor=m, member=m), staff)
    configure(database, auto_assign=False)
    assert assignee(database, desk.post(fan)) is None


def test_claim_is_recorded_in_the_history(desk, database):
    from fanloop.service.desk import service as desk_service

    fan = desk.seed.member("fan")
    first, other = desk.staff("first_x"), desk.staff("other_y", on_rota=False)
    post_id = desk.post(fan)
    with database.unit_of_work(write=True) as session:
        desk_service.claim(session, actor=session.get(Member, other.id), post_id=post_id)
    with database.unit_of_work() as session:
        history = session.scalars(
            select(Assignment).where(Assignment.post_id == post_id).order_by(Assignment.id)
        )
        assert [(a.assignee_id, a.reason) for a in history] == [(first.id, "auto"), (other.id, "claim")]


def test_staff_keep_their_own_entry_and_leads_anyones(desk, database):
    zhang, wang = desk.staff("zhang_own", on_rota=False), desk.staff("wang_own", on_rota=False)
    lead = desk.seed.member("lead", "lead_own")
    fan = desk.seed.member("fan", "fan_own")
    entry = act(
        database,
        lambda s, m: roster.update_entry(
            s,
            actor=m,
            member=m,
            data=RotaUpdate(
                capacity=3, team="Camera", boards=["camera"], tags=["Update"], languages=["zh-CN"]
            ),
        ),
        zhang,
    )
    assert (entry.on_rota, entry.capacity, entry.boards, entry.tags, entry.languages) == (
        True,
        3,
        ["camera"],
        ["update"],
        ["zh_CN"],
    )
    with pytest.raises(Forbidden):
        act(
            database,
            lambda s, m: roster.set_availability(
                s, actor=m, member=s.get(Member, wang.id), availability="away"
            ),
            zhang,
        )
    act(
        database,
        lambda s, m: roster.set_availability(s, actor=m, member=s.get(Member, wang.id), availability="away"),
        lead,
    )
    with database.unit_of_work() as session:
        assert session.get(RotaMember, wang.id).availability == "away"
    with pytest.raises(Invalid, match="Only staff"):
        act(database, lambda s, m: roster.join(s, actor=m, member=s.get(Member, fan.id)), lead)
    with pytest.raises(Forbidden):
        act(database, lambda s, m: roster.join(s, actor=m, member=m), fan)


@pytest.mark.parametrize(
    ("update", "message"),
    [
        (RotaUpdate(availability="asleep"), "on_duty or away"),
        (RotaUpdate(capacity=-1), "Capacity"),
        (RotaUpdate(capacity=10_000), "Capacity"),
        (RotaUpdate(boards=["nope"]), "Unknown boards: nope"),
        (RotaUpdate(tags=["nope"]), "Unknown tags: nope"),
        (RotaUpdate(languages=["klingon"]), "Unknown language"),
        (RotaUpdate(team="x" * 41), "team name"),
        (RotaUpdate(boards="camera"), "list of names"),
    ],
)
def test_bad_rota_entries_are_refused(desk, database, update, message):
    staff = desk.staff("picky", on_rota=False)
    with pytest.raises(Invalid, match=message):
        act(database, lambda s, m: roster.update_entry(s, actor=m, member=m, data=update), staff)


@pytest.mark.parametrize(
    ("shift", "message"),
    [
        (ShiftInput(weekday=7, start="09:00", end="10:00"), "weekday"),
        (ShiftInput(weekday=1, start="9:00", end="10:00"), "start is a time"),
        (ShiftInput(weekday=1, start="24:00", end="10:00"), "start is a time"),
        (ShiftInput(weekday=1, start="09:00", end="24:01"), "end is a time"),
        (ShiftInput(weekday=1, start="22:00", end="22:00"), "another time"),
        (ShiftInput(weekday=1, start="09:00", end="10:00", timezone="Mars/Olympus"), "Unknown time zone"),
    ],
)
def test_bad_shifts_are_refused(desk, database, shift, message):
    staff = desk.staff("shifty")
    with pytest.raises(Invalid, match=message):
        act(database, lambda s, m: roster.set_shifts(s, actor=m, member=m, shifts=[shift]), staff)


def test_roster_shows_who_answers_now(desk, database, clock):
    fan = desk.seed.member("fan")
    desk.staff("busy_one", capacity=1)
    desk.staff("spare_one")
    desk.seed.member("staff", "not_on_rota")
    desk.post(fan)
    lead = desk.seed.member("lead", "lead_roster")
    rows = act(database, lambda s, m: roster.roster(s, viewer=m), lead)
    by_handle = {row.member.handle: row for row in rows}
    assert by_handle["busy_one"].load == 1 and not by_handle["busy_one"].answering_now
    assert by_handle["spare_one"].answering_now
    assert by_handle["not_on_rota"].entry is None and not by_handle["not_on_rota"].answering_now
    assert [row.member.handle for row in rows][-2:] == sorted(["lead_roster", "not_on_rota"])


def test_settings_are_for_leads(desk, database):
    staff, lead = desk.staff("settings_staff"), desk.seed.member("lead", "settings_lead")
    with pytest.raises(Forbidden):
        act(
            database,
            lambda s, m: roster.update_settings(
                s, actor=m, strategy="round_robin", use_skills=False, auto_assign=True
            ),
            staff,
        )
    updated = act(
        database,
        lambda s, m: roster.update_settings(
            s, actor=m, strategy="round_robin", use_skills=False, auto_assign=True
        ),
        lead,
    )
    assert (updated.strategy, updated.use_skills) == ("round_robin", False)
    with pytest.raises(Invalid, match="round_robin or least_loaded"):
        act(
            database,
            lambda s, m: roster.update_settings(s, actor=m, strategy="random", use_skills=1, auto_assign=1),
            lead,
        )


def test_the_worker_hands_out_posts_when_a_shift_begins(desk, database, clock):
    from fanloop.jobs.worker import default_jobs, run_once

    configure(database, use_skills=False)
    fan = desk.seed.member("fan")
    morning = desk.staff("morning_shift")
    act(
        database,
        lambda s, m: roster.set_shifts(
            s, actor=m, member=m, shifts=[ShiftInput(weekday=2, start="09:00", end="17:00")]
        ),
        morning,
    )
    clock.set(datetime(2026, 3, 11, 8, 50, tzinfo=ZoneInfo("UTC")))  # Wednesday, before the shift
    waiting = desk.post(fan)
    assert assignee(database, waiting) is None
    clock.set(datetime(2026, 3, 11, 9, 0, tzinfo=ZoneInfo("UTC")))
    run_once(database, [job for job in default_jobs() if job[0] == "rota_hand_out"])
    assert assignee(database, waiting) == morning.id
