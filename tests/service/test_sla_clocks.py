"""SLA clock semantics, driven through the community services with exact time travel."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import func, select

from fanloop.community.members.models import Member
from fanloop.service.desk import service as desk_service
from fanloop.service.desk.models import Ticket
from fanloop.service.notify.models import Notification
from fanloop.service.sla import service as sla
from fanloop.service.sla.models import SlaCalendar, SlaClock, SlaEvent, SlaPolicy
from fanloop.service.sla.scheduled import sweep


def clocks(session, post_id):
    return {c.kind: c for c in session.scalars(select(SlaClock).where(SlaClock.post_id == post_id))}


def run_sweep(database):
    with database.unit_of_work(write=True) as session:
        return [(e.kind, e.post_id) for e in sweep(session)]


def test_first_reply_clock_starts_at_post_time_and_stops_at_public_staff_reply(desk, database, clock):
    fan = desk.seed.member("fan")
    assignee = desk.staff("assignee_a")
    start = clock.now()
    post_id = desk.post(fan)
    with database.unit_of_work() as session:
        first = clocks(session, post_id)["first_reply"]
        assert first.state == "running" and first.started_at == start
        assert first.due_at == start + timedelta(minutes=15)
        assert first.warn_at == start + timedelta(minutes=12)
        assert session.get(Ticket, post_id).assignee_id == assignee.id
    clock.advance(minutes=3)
    desk.reply(fan, post_id, "any news?")  # the fan's own message does not stop it
    desk.reply(assignee, post_id, "internal: looks like the modem", internal=True)  # nor a note
    with database.unit_of_work() as session:
        assert clocks(session, post_id)["first_reply"].state == "running"
    clock.advance(minutes=4)
    other = desk.staff("engineer_b", on_rota=False)
    desk.reply(other, post_id)
    with database.unit_of_work() as session:
        first = clocks(session, post_id)["first_reply"]
        assert first.state == "stopped" and first.stopped_by_id == other.id  # the replier, not the assignee
        assert first.elapsed_seconds == 7 * 60
        ticket = session.get(Ticket, post_id)
        assert ticket.first_replied_by_id == other.id and ticket.state == "answered"


def test_fan_writing_again_starts_the_next_reply_clock(desk, database, clock):
    fan, staff = desk.seed.member("fan"), desk.staff("helper_c")
    post_id = desk.post(fan)
    clock.advance(minutes=5)
    desk.reply(staff, post_id)
    clock.advance(hours=2)
    desk.reply(fan, post_id, "still happening")
    with database.unit_of_work() as session:
        next_clock = clocks(session, post_id)["next_reply"]
        assert next_clock.state == "running" and next_clock.started_at == clock.now()
        assert session.get(Ticket, post_id).state == "open"
    clock.advance(minutes=2)
    desk.reply(staff, post_id)
    with database.unit_of_work() as session:
        assert clocks(session, post_id)["next_reply"].elapsed_seconds == 120


def test_warning_and_breach_fire_once_and_escalate(desk, database, clock):
    fan = desk.seed.member("fan")
    first, second = desk.staff("first_d"), desk.staff("second_e")
    lead = desk.seed.member("lead", "lead_f")
    post_id = desk.post(fan)
    clock.advance(minutes=11, seconds=59)
    assert run_sweep(database) == []
    clock.advance(seconds=1)
    assert run_sweep(database) == [("warning", post_id)]
    assert run_sweep(database) == []
    clock.advance(minutes=3)
    assert run_sweep(database) == [("breach", post_id)]
    clock.advance(minutes=30)
    assert run_sweep(database) == []
    with database.unit_of_work() as session:
        assert session.scalar(select(func.count()).select_from(SlaEvent)) == 2
        kinds = {(n.member_id, n.kind) for n in session.scalars(select(Notification))}
        assert (first.id, "sla_warning") in kinds and (first.id, "sla_breach") in kinds
        assert (lead.id, "sla_escalation") in kinds
        assert (second.id, "sla_reassigned") in kinds
        assert session.get(Ticket, post_id).assignee_id == second.id


def test_waiting_on_fan_pauses_for_days(desk, database, clock):
    fan, staff = desk.seed.member("fan"), desk.staff("pauser_g")
    with database.unit_of_work(write=True) as session:
        sla.default_policy(session).resolution_minutes = 60
    post_id = desk.post(fan)
    clock.advance(minutes=10)
    desk.reply(staff, post_id, "Which firmware?")
    with database.unit_of_work(write=True) as session:
        desk_service.set_waiting_on_fan(
            session, actor=session.get(Member, staff.id), post_id=post_id, waiting=True
        )
    clock.advance(days=3)
    assert run_sweep(database) == []  # nothing fires while paused
    desk.reply(fan, post_id, "4.1.3")  # the fan answers: the clock resumes
    with database.unit_of_work() as session:
        resolution = clocks(session, post_id)["resolution"]
        assert resolution.state == "running"
        assert resolution.due_at == clock.now() + timedelta(minutes=50)
        assert session.get(Ticket, post_id).state == "open"


def test_policies_match_in_the_leads_order_and_default_applies(desk, database, clock):
    fan = desk.seed.member("fan")
    desk.staff("anyone_h")
    with database.unit_of_work(write=True) as session:
        sla.default_policy(session)
        session.add_all(
            [
                SlaPolicy(
                    name="Camera bugs",
                    position=1,
                    conditions={"boards": ["camera"], "kinds": ["bug"]},
                    first_reply_minutes=5,
                    warning_share=0.8,
                ),
                SlaPolicy(
                    name="Camera",
                    position=2,
                    conditions={"boards": ["camera"]},
                    first_reply_minutes=30,
                    warning_share=0.8,
                ),
                SlaPolicy(
                    name="Updates",
                    position=3,
                    conditions={"tags": ["update"]},
                    first_reply_minutes=10,
                    warning_share=0.8,
                ),
            ]
        )
    cases = {
        desk.post(fan, board="camera", kind="bug"): ("Camera bugs", 5),
        desk.post(fan, board="camera", kind="question"): ("Camera", 30),
        desk.post(fan, board="battery", tags=["update"]): ("Updates", 10),
        desk.post(fan, board="battery"): ("Default", 15),
    }
    with database.unit_of_work() as session:
        for post_id, (name, minutes) in cases.items():
            first = clocks(session, post_id)["first_reply"]
            assert (first.policy.name, first.target_seconds) == (name, minutes * 60)


def test_changing_a_policy_recomputes_open_clocks(desk, database, clock):
    fan = desk.seed.member("fan")
    start = clock.now()
    post_id = desk.post(fan)
    clock.advance(minutes=5)
    with database.unit_of_work(write=True) as session:
        policy = sla.default_policy(session)
        policy.first_reply_minutes = 30
        assert sla.recompute_policy_clocks(session, policy=policy) >= 1
    with database.unit_of_work() as session:
        assert clocks(session, post_id)["first_reply"].due_at == start + timedelta(minutes=30)


def test_office_hours_policy_waits_for_monday(desk, database, clock):
    from datetime import datetime
    from zoneinfo import ZoneInfo

    shanghai = ZoneInfo("Asia/Shanghai")
    with database.unit_of_work(write=True) as session:
        calendar = SlaCalendar(
            name="Office",
            timezone="Asia/Shanghai",
            hours={d: [["09:00", "18:00"]] for d in ("mon", "tue", "wed", "thu", "fri")},
            holidays=[],
        )
        session.add(calendar)
        session.flush()
        policy = sla.default_policy(session)
        policy.calendar_id = calendar.id
    clock.set(datetime(2026, 3, 13, 17, 55, tzinfo=shanghai))  # a Friday
    post_id = desk.post(desk.seed.member("fan"))
    with database.unit_of_work() as session:
        assert clocks(session, post_id)["first_reply"].due_at == datetime(2026, 3, 16, 9, 10, tzinfo=shanghai)


def test_deleting_or_merging_cancels_clocks(desk, database, clock):
    from fanloop.community.posts import service as posts

    fan, staff = desk.seed.member("fan"), desk.staff("mod_i")
    a, b = desk.post(fan), desk.post(fan, title="同样的问题")
    with database.unit_of_work(write=True) as session:
        posts.merge_posts(session, actor=session.get(Member, staff.id), duplicate_id=b, into_id=a)
    with database.unit_of_work() as session:
        assert {c.state for c in clocks(session, b).values()} == {"cancelled"}
        assert clocks(session, a)["first_reply"].state == "running"
    clock.advance(hours=1)
    assert run_sweep(database) == [("warning", a), ("breach", a)]


def test_sweep_reads_only_due_clocks(desk, database, clock):
    """A sweep's query is a range on the indexed next_event_at, with a limit."""
    from sqlalchemy.dialects import sqlite

    from fanloop.service.sla import scheduled

    captured = []

    class Spy:
        def __init__(self, session):
            self.session = session

        def scalars(self, query):
            captured.append(str(query.compile(dialect=sqlite.dialect())))
            return self.session.scalars(query)

        def execute(self, query, *args, **kwargs):
            if "sla_clocks" in str(query):
                captured.append(str(query.compile(dialect=sqlite.dialect())))
            return self.session.execute(query, *args, **kwargs)

        def __getattr__(self, name):
            return getattr(self.session, name)

    with database.unit_of_work(write=True) as session:
        scheduled.sweep(Spy(session))
    assert "sla_clocks.next_event_at <=" in captured[0] and "LIMIT" in captured[0]
