"""Each warning and breach fires exactly once with several sweepers at once, and after a sweeper dies."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap
import threading
import time

import pytest
from sqlalchemy import func, select

from fanloop.service.sla.models import SlaEvent
from fanloop.service.sla.scheduled import sweep


def count_events(database) -> int:
    with database.unit_of_work() as session:
        return session.scalar(select(func.count()).select_from(SlaEvent))


def make_due_posts(desk, clock, n: int) -> None:
    fan = desk.seed.member("fan")
    for i in range(n):
        desk.post(fan, title=f"问题 {i}")
    clock.advance(hours=1)


def test_two_sweepers_at_once_fire_each_event_once(desk, database, clock):
    make_due_posts(desk, clock, 30)
    fired: list[int] = []
    errors: list[BaseException] = []
    barrier = threading.Barrier(2)

    def sweeper():
        try:
            barrier.wait()
            for _ in range(5):
                with database.unit_of_work(write=True) as session:
                    fired.extend(e.clock_id for e in sweep(session, limit=7))
        except BaseException as error:  # surfaced below
            errors.append(error)

    threads = [threading.Thread(target=sweeper) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    assert len(fired) == 60  # a warning and a breach for each of the 30 first-reply clocks
    assert count_events(database) == 60


def test_sweep_that_fails_midway_leaves_nothing_and_the_next_fires_all(desk, database, clock, monkeypatch):
    from fanloop.core import events

    make_due_posts(desk, clock, 5)
    calls = {"n": 0}

    def die_after_first(session, **payload):
        calls["n"] += 1
        if calls["n"] == 3:
            raise RuntimeError("worker killed")

    events.subscribe("sla.breach", die_after_first)
    try:
        with pytest.raises(RuntimeError), database.unit_of_work(write=True) as session:
            sweep(session)
        assert count_events(database) == 0
    finally:
        events._subscribers["sla.breach"].remove(die_after_first)
    with database.unit_of_work(write=True) as session:
        assert len(sweep(session)) == 10
    assert count_events(database) == 10


@pytest.mark.skipif(sys.platform == "win32", reason="needs SIGKILL")
def test_killed_worker_process_mid_sweep(desk, database, database_url, clock):
    """A real process is SIGKILLed while its sweep transaction is open; the events fire once later."""
    make_due_posts(desk, clock, 8)
    script = textwrap.dedent(f"""
        import sys, time
        from datetime import datetime
        from fanloop.core import clock, events
        from fanloop.core.db import Database
        from fanloop.service.sla.scheduled import sweep
        from fanloop.wiring import wire
        wire()
        clock.set_clock(clock.FrozenClock(datetime.fromisoformat({clock.now().isoformat()!r})))
        def stall(session, **payload):
            print("swept", flush=True)
            time.sleep(60)
        events.subscribe("sla.breach", stall)
        database = Database({database_url!r})
        with database.unit_of_work(write=True) as session:
            sweep(session)
    """)
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(sys.path)}
    process = subprocess.Popen([sys.executable, "-c", script], stdout=subprocess.PIPE, env=env)
    assert process.stdout.readline().strip() == b"swept"  # inside the sweep, before commit
    process.send_signal(signal.SIGKILL)
    process.wait(timeout=10)
    time.sleep(0.2)
    assert count_events(database) == 0
    with database.unit_of_work(write=True) as session:
        assert len(sweep(session)) == 16
    with database.unit_of_work(write=True) as session:
        assert sweep(session) == []
    assert count_events(database) == 16


def test_sweep_and_replies_at_once_never_deadlock(desk, database, clock):
    """Breaches reassign posts (ticket, clocks, rota) while staff reply to the same posts (post,
    ticket, clocks) and claim them: every path takes the ticket before its clocks, so neither waits
    on the other in a circle. On PostgreSQL a circle is a DeadlockDetected error; on SQLite the
    writers queue."""
    from fanloop.community.members.models import Member
    from fanloop.service.desk import service as desk_service

    staff = [desk.staff(f"sweep_staff_{i}", capacity=100) for i in range(3)]
    fan = desk.seed.member("fan")
    errors: list[BaseException] = []
    for round_number in range(3):
        post_ids = [desk.post(fan, title=f"问题 {round_number}-{i}") for i in range(40)]
        clock.advance(minutes=20)  # every first-reply clock is past due: a breach each, with a hand-over
        barrier = threading.Barrier(4)

        def sweeper(barrier):
            try:
                barrier.wait()
                for _ in range(20):
                    with database.unit_of_work(write=True) as session:
                        sweep(session, limit=4)
            except BaseException as error:  # surfaced below
                errors.append(error)

        def replier(barrier, member, ids):
            try:
                barrier.wait()
                for post_id in ids:
                    desk.reply(member, post_id)
                    with database.unit_of_work(write=True) as session:
                        desk_service.claim(session, actor=session.get(Member, member.id), post_id=post_id)
            except BaseException as error:
                errors.append(error)

        threads = [threading.Thread(target=sweeper, args=(barrier,))]
        threads += [
            threading.Thread(target=replier, args=(barrier, member, post_ids[i::3][:: 1 if i % 2 else -1]))
            for i, member in enumerate(staff)
        ]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        assert errors == []
        with database.unit_of_work(write=True) as session:
            sweep(session, limit=1000)
    with database.unit_of_work() as session:
        kinds = session.execute(select(SlaEvent.clock_id, SlaEvent.kind)).all()
        assert len(kinds) == len(set(kinds))  # and each fired once
