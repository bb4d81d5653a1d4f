"""When each API token was last used, written off the request path.

A read request must stay a read: writing the stamp inside it made a GET upgrade its SQLite
transaction to a write, which fails at once when another writer committed since it began. So
requests only note which tokens were used; one thread per process writes the notes every few
seconds in a transaction of its own, and a stamp changes at most once per LAST_USE_EVERY (the
UPDATE's condition holds that across processes too)."""

from __future__ import annotations

import logging
import threading

from fanloop.community.members import service as members
from fanloop.core.db import Database

log = logging.getLogger("fanloop.auth")

FLUSH_SECONDS = 2.0


class TokenUseRecorder:
    """Collects the ids of tokens whose stamp is due and writes them in batches."""

    def __init__(self, database: Database, *, interval: float = FLUSH_SECONDS) -> None:
        self.database, self.interval = database, interval
        self._pending: set[int] = set()
        self._lock = threading.Lock()
        self._wake = threading.Event()
        self._thread: threading.Thread | None = None

    def note(self, token_id: int) -> None:
        with self._lock:
            self._pending.add(token_id)
            if self._thread is None:
                self._thread = threading.Thread(target=self._run, name="fanloop-token-use", daemon=True)
                self._thread.start()

    def flush(self) -> int:
        """Write the pending stamps now; returns how many tokens were stamped (or found fresh)."""
        with self._lock:
            token_ids, self._pending = sorted(self._pending), set()
        if token_ids:
            with self.database.unit_of_work(write=True) as session:
                members.record_token_use(session, token_ids=token_ids)
        return len(token_ids)

    def _run(self) -> None:
        while True:
            self._wake.wait(self.interval)
            try:
                self.flush()
            except Exception:  # a missed stamp is harmless: the token's next use notes it again
                log.warning("could not record API token use", exc_info=True)
