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


def default_jobs() -> list[tuple[str, Job | OwnTransactions]]:
    from fanloop.service.notify.dispatch import dispatch_pending
    from fanloop.service.notify.mail import mail_pending

    jobs: list[tuple[str, Job | OwnTransactions]] = [("sla_sweep", lambda session: sweep(session))]
    jobs.append(("outbox_dispatch", OwnTransactions(dispatch_pending)))
    jobs.append(("notification_mail", OwnTransactions(mail_pending)))
    return jobs


def run_once(database: Database, jobs: list[tuple[str, Job | OwnTransactions]] | None = None) -> None:
    """One pass of every job, each in its own transaction."""
    for name, job in jobs or default_jobs():
        try:
            if isinstance(job, OwnTransactions):
                job.run(database)
                continue
            with database.unit_of_work(write=True) as session:
                job(session)
        except Exception:  # one failing job must not stop the others
            log.exception("job %s failed", name)


class Worker:
    """Runs the jobs every `interval` seconds until stopped."""

    def __init__(self, database: Database, *, interval: float = 0.5) -> None:
        self.database = database
        self.interval = interval
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def run_forever(self) -> None:
        while not self._stop.is_set():
            started = time.monotonic()
            run_once(self.database)
            self._stop.wait(max(0.0, self.interval - (time.monotonic() - started)))

    def start_thread(self) -> None:
        self._thread = threading.Thread(target=self.run_forever, name="fanloop-worker", daemon=True)
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=10)
