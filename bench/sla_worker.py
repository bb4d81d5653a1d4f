"""One fanloop background worker for the SLA benchmark: the real `Worker` loop with the real jobs,
in its own process, with its own `Database`, after `wire()`.

Each job of each pass is timed - its whole unit of work: waiting for its turn (SQLite's write
lock; on PostgreSQL the sweep's advisory lock), the sweep, its subscribers and the commit - and
written as one JSON line to the record file once the pass has returned: the start (wall clock),
the duration, the part of it spent waiting for the turn, the due times of the events it
committed, each event's kind, due time and clock (`events`), and `committed`, the wall-clock time at
which the sweep's COMMIT returned (SQLAlchemy's `after_commit`): from then on the events are
visible to fans and staff, so the benchmark measures breach delays to it. A pass that failed
(logged by the worker and rolled back) is recorded with `failed` and no events.

SIGTERM stops the loop after the current pass. SIGUSR1 arms a stall: the next sweep that fires
events prints `swept` on stdout and then waits, inside its open transaction, for the benchmark to
SIGKILL the process there.
"""

from __future__ import annotations

import argparse
import json
import logging
import signal
import sys
import threading
import time

from sqlalchemy import event as orm_event
from sqlalchemy import func, select

from fanloop.core.db import Database
from fanloop.jobs import worker as worker_module
from fanloop.service.sla import scheduled
from fanloop.wiring import wire


class FailureCounter(logging.Handler):
    """Counts the worker's "job <name> failed" log records, per job, and passes them to stderr."""

    def __init__(self) -> None:
        super().__init__(level=logging.ERROR)
        self.counts: dict[str, int] = {}

    def emit(self, record: logging.LogRecord) -> None:
        name = str(record.args[0]) if isinstance(record.args, tuple) and record.args else "?"
        self.counts[name] = self.counts.get(name, 0) + 1
        sys.stderr.write(self.format(record) + "\n")


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--database-url", required=True)
    parser.add_argument("--interval", type=float, default=0.5)
    parser.add_argument("--record", required=True)
    args = parser.parse_args()

    wire()
    database = Database(args.database_url)
    failures = FailureCounter()
    logging.getLogger("fanloop.worker").addHandler(failures)

    armed = False
    # The worker may run its jobs in several threads (lanes): what one job's pass saw is kept per
    # thread.
    seen = threading.local()
    lock_key = getattr(scheduled, "SWEEP_LOCK_KEY", None)

    def stamp_commit(_session) -> None:  # noqa: ANN001
        seen.committed = time.time()

    def instrument(job):  # noqa: ANN001, ANN202
        def instrumented(session):  # noqa: ANN001, ANN202
            # Take the sweep's turn here, as the sweep itself does first (beginning the transaction
            # waits for SQLite's write lock; on PostgreSQL the advisory lock, which is re-entrant,
            # waits for the sweep before), to time the waiting apart from the work.
            started = time.perf_counter()
            session.connection()
            if lock_key is not None and session.get_bind().dialect.name == "postgresql":
                session.execute(select(func.pg_advisory_xact_lock(lock_key)))
            seen.wait_ms += (time.perf_counter() - started) * 1000
            result = job(session)
            if result:
                seen.due.extend(event.due_at.timestamp() for event in result)
                seen.events.extend([event.kind, event.due_at.timestamp(), event.clock_id] for event in result)
                # Stamped when the COMMIT has returned: the moment the events become visible.
                orm_event.listen(session, "after_commit", stamp_commit, once=True)
                if armed:
                    print("swept", flush=True)
                    time.sleep(3600)
            return result

        return instrumented

    # The worker's own jobs, as `default_jobs` gives them to it; only the sweep is wrapped (to learn
    # what it fired), the others run as they are.
    real_default_jobs = worker_module.default_jobs

    def instrumented_jobs():  # noqa: ANN202
        return [(name, instrument(job) if name == "sla_sweep" else job) for name, job in real_default_jobs()]

    real_run_once = worker_module.run_once
    record = open(args.record, "a", buffering=1)  # noqa: SIM115 (open for the life of the process)
    record_lock = threading.Lock()

    def timed_run_once(db: Database, jobs=None) -> None:  # noqa: ANN001
        seen.passes = getattr(seen, "passes", 0) + 1
        for name, job in instrumented_jobs() if jobs is None else jobs:
            seen.due, seen.events, seen.wait_ms, seen.committed = [], [], 0.0, None
            failed_before = failures.counts.get(name, 0)
            started = time.time()
            clock_start = time.perf_counter()
            real_run_once(db, [(name, job)])
            ended = time.time()
            failed = failures.counts.get(name, 0) != failed_before
            line = {
                "job": name,
                "lane": threading.current_thread().name,
                "pass": seen.passes,
                "start": started,
                "end": ended,
                "ms": (time.perf_counter() - clock_start) * 1000,
                "failed": failed,
                "wait_ms": seen.wait_ms,
                "due": [] if failed else seen.due,
                "events": [] if failed else seen.events,
                "committed": None if failed else seen.committed,
            }
            with record_lock:
                record.write(json.dumps(line) + "\n")

    worker_module.default_jobs = instrumented_jobs
    worker_module.run_once = timed_run_once
    worker = worker_module.Worker(database, interval=args.interval)

    def arm(*_):  # noqa: ANN002, ANN202
        nonlocal armed
        armed = True

    signal.signal(signal.SIGTERM, lambda *_: worker.stop())
    signal.signal(signal.SIGUSR1, arm)
    print("ready", flush=True)
    worker.run_forever()
    record.close()
    database.dispose()


if __name__ == "__main__":
    main()
