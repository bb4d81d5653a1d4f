"""Background work: the SLA sweep and outbox dispatch, in a loop. In embedded mode a thread of the
web process runs it; at scale, any number of `fanloop worker` processes do, coordinating through
the database, so each event fires once."""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass

from sqlalchemy.orm import Session

from fanloop.core.db import Database
from fanloop.service.sla.scheduled import sweep

log = logging.getLogger("fanloop.worker")
Job = Callable[[Session], object]


@dataclass(frozen=True)
class OwnTransactions:
    """A job that waits on the network (webhooks, mail): it is given the Database and opens its own
    short transactions, so none stays open (holding SQLite's write lock) while it waits."""

    run: Callable[[Database], object]
    # Jobs of one lane run one after another in a thread of their own: "io" waits on the network,
    # "text" is CPU-bound text-model work that must not delay an SLA sweep either.
    lane: str = "io"


def default_jobs() -> list[tuple[str, Job | OwnTransactions]]:
    from fanloop.community.posts.imported import index_backlog_job as index_backlog
    from fanloop.growth.channels.delivery import deliver_pending
    from fanloop.insights.painpoints.scheduled import run_pending as remine_pending
    from fanloop.insights.vectors.service import encode_pending
    from fanloop.releases.scheduled import run_train
    from fanloop.service.notify.digest import send_daily_digests
    from fanloop.service.notify.dispatch import dispatch_pending
    from fanloop.service.notify.mail import mail_pending

    jobs: list[tuple[str, Job | OwnTransactions]] = [("sla_sweep", lambda session: sweep(session))]
    # Live posts nobody on shift holds (a shift began or ended, someone came back) go out here;
    # capacity freed by a reply hands out at once, in the reply's own transaction.
    jobs.append(("rota_hand_out", OwnTransactions(_every(HAND_OUT_SECONDS, _hand_out), lane="rota")))
    jobs.append(("outbox_dispatch", OwnTransactions(dispatch_pending)))
    jobs.append(("notification_mail", OwnTransactions(mail_pending)))
    # Once a day per member who chose it (a unique row per member and day), in the mail's lane.
    jobs.append(("notification_digest", OwnTransactions(send_daily_digests)))
    jobs.append(("channel_deliveries", OwnTransactions(deliver_pending, lane="io")))
    jobs.append(("post_vectors", OwnTransactions(encode_pending, lane="text")))
    # Imported posts get their search terms here, not during the import (segmentation is slow).
    jobs.append(("search_backlog", OwnTransactions(index_backlog, lane="search")))
    # A re-mine takes minutes at scale: a lane of its own, so new posts keep getting vectors meanwhile.
    jobs.append(("pain_point_remine", OwnTransactions(remine_pending, lane="mining")))
    # Publishing tells up to hundreds of thousands of members: its own lane too.
    jobs.append(("release_train", OwnTransactions(run_train, lane="releases")))
    return jobs


HAND_OUT_SECONDS = 5.0


def _hand_out(database: Database) -> None:
    from fanloop.service.desk.service import hand_out_waiting

    with database.unit_of_work(write=True) as session:
        hand_out_waiting(session)


def _every(seconds: float, job: Callable[[Database], object]) -> Callable[[Database], object]:
    """`job`, run at most once every `seconds` (a lane loops twice a second): cheap, but not worth
    a write transaction each pass."""
    last = [float("-inf")]

    def run(database: Database) -> object:
        if time.monotonic() - last[0] < seconds:
            return None
        last[0] = time.monotonic()
        return job(database)

    return run


def run_once(database: Database, jobs: list[tuple[str, Job | OwnTransactions]] | None = None) -> None:
    """One pass of every job, each in its own transaction."""
    for name, job in default_jobs() if jobs is None else jobs:
        try:
            if isinstance(job, OwnTransactions):
                job.run(database)
                continue
            with database.unit_of_work(write=True) as session:
                job(session)
        except Exception:  # one failing job must not stop the others
            log.exception("job %s failed", name)


class Worker:
    """Runs the jobs every `interval` seconds until stopped. Jobs that wait on the network run in a
    lane (thread) of their own, so a slow webhook endpoint never delays an SLA sweep."""

    def __init__(self, database: Database, *, interval: float = 0.5) -> None:
        self.database = database
        self.interval = interval
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        jobs = default_jobs()
        side: dict[str, list[tuple[str, Job | OwnTransactions]]] = {}
        for job in jobs:
            if isinstance(job[1], OwnTransactions):
                side.setdefault(job[1].lane, []).append(job)
        self.lanes = [[job for job in jobs if not isinstance(job[1], OwnTransactions)], *side.values()]

    def _loop(self, jobs: list[tuple[str, Job | OwnTransactions]]) -> None:
        while not self._stop.is_set():
            started = time.monotonic()
            run_once(self.database, jobs)
            self._stop.wait(max(0.0, self.interval - (time.monotonic() - started)))

    def run_forever(self) -> None:
        side_lanes = [
            threading.Thread(target=self._loop, args=(lane,), name=f"fanloop-worker-{i}", daemon=True)
            for i, lane in enumerate(self.lanes[1:], start=1)
            if lane
        ]
        for thread in side_lanes:
            thread.start()
        try:
            self._loop(self.lanes[0])
        finally:
            self._stop.set()
            for thread in side_lanes:
                thread.join(timeout=10)

    def start_thread(self) -> None:
        self._thread = threading.Thread(target=self.run_forever, name="fanloop-worker", daemon=True)
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=15)
