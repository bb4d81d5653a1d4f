"""The live pain points' centroids as one matrix, kept in memory, and the nearest one to a new post.

Assigning a post is one matrix-vector product over the centroids (a few hundred rows), so it costs
well under a millisecond; what must stay cheap is knowing the matrix is current. Every change to a
centroid (a re-mine, a merge, a split, a retirement) bumps its pain point's `revision`, and a new
pain point has a new id, so the count, the sum of revisions and the highest id, read in one small
query, change whenever any process changes a centroid; only then is the matrix reloaded."""

from __future__ import annotations

import threading
from dataclasses import dataclass

import numpy as np
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from fanloop.insights.painpoints.models import PainPoint
from fanloop.insights.vectors.service import text_model

# Below this cosine similarity a post is never put in a pain point on arrival, whatever the radius.
SIMILARITY_FLOOR = 0.35


@dataclass(frozen=True)
class Centroids:
    key: tuple[int, int, int, str]
    ids: np.ndarray
    matrix: np.ndarray
    radius: np.ndarray

    def nearest(self, vector: np.ndarray) -> tuple[int, float] | None:
        """The pain point whose centroid is nearest `vector`, if the post is within its radius."""
        if len(self.ids) == 0 or self.matrix.shape[1] != vector.shape[0]:
            return None
        scores = self.matrix @ np.asarray(vector, dtype=np.float32)
        best = int(np.argmax(scores))
        similarity = float(scores[best])
        if similarity < max(float(self.radius[best]), SIMILARITY_FLOOR):
            return None
        return int(self.ids[best]), similarity


_cache: dict[str, Centroids] = {}
_lock = threading.Lock()
_fingerprints: dict[int, str] = {}


def current_fingerprint() -> str:
    """The configured text model's fingerprint (computed once per model object: it reads package
    metadata, which costs more than the assignment itself)."""
    model = text_model()
    if id(model) not in _fingerprints:
        _fingerprints[id(model)] = model.fingerprint
    return _fingerprints[id(model)]


def centroids(session: Session) -> Centroids:
    """The live pain points' centroids for the session's database, reloaded only when changed."""
    fingerprint = current_fingerprint()
    count, revisions, highest = session.execute(
        select(
            func.count(),
            func.coalesce(func.sum(PainPoint.revision), 0),
            func.coalesce(func.max(PainPoint.id), 0),
        )
    ).one()
    key = (int(count), int(revisions), int(highest), fingerprint)
    url = str(session.get_bind().engine.url)
    with _lock:
        cached = _cache.get(url)
    if cached is not None and cached.key == key:
        return cached
    rows = session.execute(
        select(PainPoint.id, PainPoint.centroid, PainPoint.radius)
        .where(
            PainPoint.retired_at.is_(None), PainPoint.merged_into_id.is_(None), PainPoint.model == fingerprint
        )
        .order_by(PainPoint.id)
    ).all()
    if rows:
        matrix = np.vstack([np.frombuffer(data, dtype=np.float32) for _, data, _ in rows])
    else:
        matrix = np.zeros((0, 0), dtype=np.float32)
    loaded = Centroids(
        key=key,
        ids=np.asarray([row[0] for row in rows], dtype=np.int64),
        matrix=matrix,
        radius=np.asarray([row[2] for row in rows], dtype=np.float32),
    )
    with _lock:
        _cache[url] = loaded
    return loaded


def forget() -> None:
    """Drop every cached matrix (after a change this process made, and between tests)."""
    with _lock:
        _cache.clear()


def to_bytes(vector: np.ndarray) -> bytes:
    return np.asarray(vector, dtype=np.float32).tobytes()


def from_bytes(data: bytes) -> np.ndarray:
    return np.frombuffer(data, dtype=np.float32)
