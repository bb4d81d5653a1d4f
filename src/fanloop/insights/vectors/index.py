"""An in-process nearest-neighbour index over the stored post vectors.

Exact search: one matrix-vector product over every stored vector (100,000 posts x 512 dims is about
20 ms on one core), so there is no approximate structure to tune or rebuild. The index keeps the
matrix in memory and, on each search, reads only the rows added since it last looked (rows are
numbered in insert order). Rows committed out of order by concurrent writers are caught by re-reading
a small window behind the last row seen, and by a full reload every few minutes."""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass

import numpy as np
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from fanloop.insights.vectors.models import PostVector
from fanloop.insights.vectors.service import from_bytes, text_model

REREAD_WINDOW = 1000
FULL_RELOAD_SECONDS = 300.0


@dataclass(frozen=True)
class Neighbour:
    post_id: int
    similarity: float


class VectorIndex:
    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._reset("")

    def _reset(self, fingerprint: str) -> None:
        self.fingerprint = fingerprint
        self.post_ids = np.empty(0, dtype=np.int64)
        self.matrix = np.empty((0, 0), dtype=np.float32)
        self.row_of: dict[int, int] = {}
        self.last_id = 0
        self.loaded_at = time.monotonic()

    def refresh(self, session: Session) -> None:
        fingerprint = text_model().fingerprint
        with self._lock:
            newest = session.scalar(
                select(func.max(PostVector.id)).where(PostVector.model == fingerprint)
            )
            if (
                fingerprint != self.fingerprint
                or time.monotonic() - self.loaded_at > FULL_RELOAD_SECONDS
                or (newest or 0) < self.last_id  # the table was emptied or rebuilt
            ):
                self._reset(fingerprint)
            rows = session.execute(
                select(PostVector.id, PostVector.post_id, PostVector.vector)
                .where(PostVector.model == fingerprint, PostVector.id > self.last_id - REREAD_WINDOW)
                .order_by(PostVector.id)
            ).all()
            new_ids, new_vectors = [], []
            for row_id, post_id, data in rows:
                self.last_id = max(self.last_id, row_id)
                if post_id in self.row_of:
                    continue
                self.row_of[post_id] = len(self.post_ids) + len(new_ids)
                new_ids.append(post_id)
                new_vectors.append(from_bytes(data))
            if new_ids:
                block = np.vstack(new_vectors)
                self.matrix = block if self.matrix.size == 0 else np.vstack([self.matrix, block])
                self.post_ids = np.concatenate([self.post_ids, np.asarray(new_ids, dtype=np.int64)])

    def search(self, vector: np.ndarray, *, limit: int, exclude: set[int] | None = None) -> list[Neighbour]:
        """The `limit` most similar posts to `vector`, most similar first."""
        with self._lock:
            matrix, post_ids = self.matrix, self.post_ids
        if len(post_ids) == 0 or limit <= 0:
            return []
        scores = matrix @ np.asarray(vector, dtype=np.float32)
        want = min(len(scores), limit + len(exclude or ()))
        top = np.argpartition(-scores, want - 1)[:want]
        top = top[np.argsort(-scores[top], kind="stable")]
        found = [
            Neighbour(int(post_ids[i]), float(scores[i]))
            for i in top
            if not exclude or int(post_ids[i]) not in exclude
        ]
        return found[:limit]


_indexes: dict[str, VectorIndex] = {}
_indexes_lock = threading.Lock()


def index_for(session: Session) -> VectorIndex:
    """The process's index for the session's database, brought up to date."""
    key = str(session.get_bind().engine.url)
    with _indexes_lock:
        index = _indexes.setdefault(key, VectorIndex())
    index.refresh(session)
    return index


def forget_indexes() -> None:
    """Drop every in-process index (tests empty the tables between cases)."""
    with _indexes_lock:
        _indexes.clear()
