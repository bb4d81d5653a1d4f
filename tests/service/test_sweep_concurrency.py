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
