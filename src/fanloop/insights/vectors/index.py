"""An in-process nearest-neighbour index over the stored post vectors.

Exact search: one matrix-vector product over the stored vectors of the query's block (100,000 posts
x 512 dims is about 20 ms on one core), so there is no approximate structure to tune or rebuild. The index keeps the
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


class _Part:
    """The rows whose vectors live in one block of columns, and those columns only."""

    def __init__(self, columns: tuple[int, int]) -> None:
        self.columns = columns
        self.post_ids = np.empty(0, dtype=np.int64)
        self.matrix = np.empty((0, columns[1] - columns[0]), dtype=np.float32)

    def add(self, post_ids: np.ndarray, vectors: np.ndarray) -> None:
        start, stop = self.columns
        block = vectors[:, start:stop]
        self.matrix = block if len(self.post_ids) == 0 else np.vstack([self.matrix, block])
        self.post_ids = np.concatenate([self.post_ids, post_ids])


class VectorIndex:
    """The stored vectors of one text model, one matrix per block of the model's columns.

    A model whose vectors are non-zero in one block only (`bilingual`: a block per language model)
    declares `blocks`; each vector is kept in its block's matrix with that block's columns, and a
    search reads only the query's block. Other models have one block, every column."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._reset("", ())

    def _reset(self, fingerprint: str, blocks: tuple[tuple[int, int], ...]) -> None:
        self.fingerprint = fingerprint
        self.parts = [_Part(columns) for columns in blocks]
        self.indexed: set[int] = set()
        self.last_id = 0
        self.loaded_at = time.monotonic()

    def __len__(self) -> int:
        return sum(len(part.post_ids) for part in self.parts)

    def refresh(self, session: Session) -> None:
        model = text_model()
        fingerprint = model.fingerprint
        with self._lock:
            newest = session.scalar(
                select(func.max(PostVector.id)).where(PostVector.model == fingerprint)
            )
            if (
                fingerprint != self.fingerprint
                or time.monotonic() - self.loaded_at > FULL_RELOAD_SECONDS
                or (newest or 0) < self.last_id  # the table was emptied or rebuilt
            ):
                self._reset(fingerprint, tuple(getattr(model, "blocks", None) or ((0, model.dim),)))
            rows = session.execute(
                select(PostVector.id, PostVector.post_id, PostVector.vector)
                .where(PostVector.model == fingerprint, PostVector.id > self.last_id - REREAD_WINDOW)
                .order_by(PostVector.id)
            ).all()
            new_ids, new_vectors = [], []
            for row_id, post_id, data in rows:
                self.last_id = max(self.last_id, row_id)
                if post_id in self.indexed:
                    continue
                self.indexed.add(post_id)
                new_ids.append(post_id)
                new_vectors.append(from_bytes(data))
            if new_ids:
                ids, vectors = np.asarray(new_ids, dtype=np.int64), np.vstack(new_vectors)
                blocks = self._blocks_of(vectors)
                for number, part in enumerate(self.parts):
                    mine = blocks == number
                    if mine.any():
                        part.add(ids[mine], vectors[mine])

    def _blocks_of(self, vectors: np.ndarray) -> np.ndarray:
        """For each row, the part whose block holds its weight (the block it is non-zero in)."""
        if len(self.parts) == 1:
            return np.zeros(len(vectors), dtype=np.int64)
        weights = np.abs(vectors)
        return np.argmax(
            np.column_stack([weights[:, start:stop].sum(axis=1) for start, stop in (p.columns for p in self.parts)]),
            axis=1,
        )

    def search(self, vector: np.ndarray, *, limit: int, exclude: set[int] | None = None) -> list[Neighbour]:
        """The `limit` most similar posts to `vector`, most similar first."""
        vector = np.asarray(vector, dtype=np.float32)
        with self._lock:
            if not self.parts:
                return []
            part = self.parts[int(self._blocks_of(vector[None, :])[0])]
            matrix, post_ids = part.matrix, part.post_ids
        if len(post_ids) == 0 or limit <= 0:
            return []
        start, stop = part.columns
        scores = matrix @ vector[start:stop]
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
