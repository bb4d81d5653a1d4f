"""The worker: network jobs run in their own lane, so a slow endpoint never holds up the SLA sweep."""

from __future__ import annotations

import threading
import time

from fanloop.jobs.worker import OwnTransactions, Worker


def test_slow_network_job_does_not_delay_the_sweep(database):
    sweeps: list[float] = []
    worker = Worker(database, interval=0.05)
    worker.lanes = [
        [("sweep", lambda session: sweeps.append(time.monotonic()))],
        [("slow_webhooks", OwnTransactions(lambda db: time.sleep(1.0)))],
    ]
    thread = threading.Thread(target=worker.run_forever)
    thread.start()
    time.sleep(0.6)
    worker.stop()
    thread.join(timeout=5)
    assert not thread.is_alive()
    assert len(sweeps) >= 5  # a shared lane would have swept once, then waited a second
