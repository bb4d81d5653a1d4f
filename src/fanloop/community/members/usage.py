"""When each API token was last used, written without making a read request write.

A read request must stay a read: writing the stamp inside it made a GET upgrade its SQLite
transaction to a write, which fails at once when another writer committed since it began, and a
transaction of its own (a background thread) did the same to any other unit of work that had read
and was about to write. So a request only notes the token, and the stamp goes into the next unit of
work of the process that writes anyway (a post, a vote, the worker's SLA sweep twice a second),
just before it commits (Database.defer_write). A stamp changes at most once per LAST_USE_EVERY; the
UPDATE's condition holds that across processes too."""

from __future__ import annotations

import threading

from sqlalchemy.orm import Session

from fanloop.community.members import service as members
from fanloop.core.db import Database


class TokenUseRecorder:
    """Collects the ids of tokens whose stamp is due; the next writing unit of work stamps them."""

    def __init__(self, database: Database) -> None:
        self.database = database
        self._pending: set[int] = set()
        self._lock = threading.Lock()

    def note(self, token_id: int) -> None:
        with self._lock:
            self._pending.add(token_id)
        self.database.defer_write(TokenUseRecorder, self.flush)

    def flush(self, session: Session) -> int:
        """Stamp the pending tokens in `session`; returns how many were pending."""
        with self._lock:
            token_ids, self._pending = sorted(self._pending), set()
        if token_ids:
            members.record_token_use(session, token_ids=token_ids)
        return len(token_ids)
