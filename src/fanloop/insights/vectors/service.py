"""Each post's vector and negativity, computed once by the configured text model, stored, and searched.

Encoding runs in the background (`encode_pending`, a worker job): it reads a batch of posts without a
current vector in one short transaction, encodes them with no transaction open (the model is CPU-bound
and SQLite has one writer), and stores them in a second. Storing is idempotent, so two workers racing
on the same posts store each vector once. Every stored vector is published as `post.vectorized`, which
is how a new post reaches its pain point the moment its vector exists."""

from __future__ import annotations

import threading
import time
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
from sqlalchemy import delete, func, select
from sqlalchemy.orm import Session

from fanloop.community.posts.models import Post
from fanloop.core import clock, events
from fanloop.core.config import get_settings
from fanloop.core.db import Database, insert_ignoring
from fanloop.insights import textmodels
from fanloop.insights.vectors.models import PostVector

ENCODE_BATCH = 64
# A pass of `encode_pending` starts this many post ids behind where the last one finished (posts
# committed out of id order by concurrent writers), and every FULL_PASS_SECONDS it starts from the
# first post (a post missed for any other reason), so an idle pass reads a short id range instead
# of anti-joining every post (about 70 ms at 100,000 posts on SQLite, twice a second).
CURSOR_SLACK = 1000
FULL_PASS_SECONDS = 300.0
# A text model reads the start of a post; beyond this many characters it only costs time.
MAX_TEXT_CHARS = 2000

_models: dict[str, textmodels.TextModel] = {}
_models_lock = threading.Lock()


def text_model() -> textmodels.TextModel:
    """The configured text model (FANLOOP_TEXT_MODEL, else the default), loaded once per process."""
    name = get_settings().text_model.strip() or textmodels.DEFAULT_TEXT_MODEL
    with _models_lock:
        if name not in _models:
            model = textmodels.create(name)
            if model.needs_fit:
                raise ValueError(
                    f"text model {name!r} must be fitted to a corpus, so it cannot give posts lasting "
                    "vectors; choose a pretrained one for FANLOOP_TEXT_MODEL"
                )
            _models[name] = model
        return _models[name]


def post_text(title: str, body: str) -> str:
    return f"{title}\n{body}"[:MAX_TEXT_CHARS]


def encode_texts(texts: Sequence[str]) -> np.ndarray:
    """Vectors for arbitrary texts (a draft being written, a search) in the stored posts' space."""
    return text_model().encode([text[:MAX_TEXT_CHARS] for text in texts])


def to_bytes(vector: np.ndarray) -> bytes:
    return np.asarray(vector, dtype=np.float16).tobytes()


def from_bytes(data: bytes) -> np.ndarray:
    return np.frombuffer(data, dtype=np.float16).astype(np.float32)


@dataclass(frozen=True)
class PendingPost:
    post_id: int
    text: str


def pending_posts(
    session: Session, *, fingerprint: str, limit: int = ENCODE_BATCH, after_id: int = 0
) -> list[PendingPost]:
    """Posts (oldest first, ids above `after_id`) with no vector from the model named by `fingerprint`."""
    rows = session.execute(
        select(Post.id, Post.title, Post.body)
        .outerjoin(PostVector, PostVector.post_id == Post.id)
        .where(
            Post.id > after_id,
            Post.deleted_at.is_(None),
            (PostVector.id.is_(None)) | (PostVector.model != fingerprint),
        )
        .order_by(Post.id)
        .limit(limit)
    ).all()
    return [PendingPost(post_id, post_text(title, body)) for post_id, title, body in rows]


def store_vectors(
    session: Session,
    *,
    fingerprint: str,
    post_ids: Sequence[int],
    vectors: np.ndarray,
    negativity: Sequence[float],
) -> list[int]:
    """Store vectors for posts that still lack a current one; returns the post ids stored here."""
    if not post_ids:
        return []
    session.execute(
        delete(PostVector).where(PostVector.post_id.in_(post_ids), PostVector.model != fingerprint)
    )
    live = set(session.scalars(select(Post.id).where(Post.id.in_(post_ids))))
    at = clock.now()
    rows = [
        {
            "post_id": post_id,
            "model": fingerprint,
            "dim": int(vector.shape[0]),
            "vector": to_bytes(vector),
            "negativity": float(score),
            "created_at": at,
        }
        for post_id, vector, score in zip(post_ids, vectors, negativity, strict=True)
        if post_id in live
    ]
    if not rows:
        return []
    stored = list(
        session.scalars(
            insert_ignoring(session, PostVector, conflict=["post_id"]).values(rows).returning(PostVector.post_id)
        )
    )
    position = {post_id: i for i, post_id in enumerate(post_ids)}
    for post_id in stored:
        i = position[post_id]
        events.publish(
            session, "post.vectorized", post_id=post_id, vector=vectors[i], negativity=float(negativity[i])
        )
    return stored


@dataclass
class _Cursor:
    """How far this process's passes have encoded posts, for one database and model."""

    position: int = 0
    full_pass_at: float = float("-inf")

    def start(self) -> int:
        if time.monotonic() - self.full_pass_at >= FULL_PASS_SECONDS:
            self.full_pass_at = time.monotonic()
            return 0
        return max(0, self.position - CURSOR_SLACK)


_cursors: dict[tuple[str, str], _Cursor] = {}
_cursors_lock = threading.Lock()


def forget_cursors() -> None:
    """Start every database's next pass from the first post (tests empty the tables between cases)."""
    with _cursors_lock:
        _cursors.clear()


def encode_pending(database: Database, *, batch: int = ENCODE_BATCH, max_batches: int = 8) -> int:
    """Encode and store up to `max_batches` batches of posts without a vector; returns how many."""
    from fanloop.insights.sentiment import negativity

    model = text_model()
    with _cursors_lock:
        cursor = _cursors.setdefault((database.url, model.fingerprint), _Cursor())
    after = cursor.start()
    with database.unit_of_work() as session:
        newest = session.scalar(select(func.max(Post.id))) or 0
    done = 0
    finished = False
    for _ in range(max_batches):
        with database.unit_of_work() as session:
            pending = pending_posts(session, fingerprint=model.fingerprint, limit=batch, after_id=after)
        if not pending:
            finished = True
            break
        texts = [item.text for item in pending]
        vectors = model.encode(texts)
        scores = negativity(texts)
        with database.unit_of_work(write=True) as session:
            done += len(
                store_vectors(
                    session,
                    fingerprint=model.fingerprint,
                    post_ids=[item.post_id for item in pending],
                    vectors=vectors,
                    negativity=scores,
                )
            )
        after = pending[-1].post_id
        if len(pending) < batch:
            finished = True
            break
    # A finished pass covered every post up to the newest one there was when it began.
    cursor.position = max(after, newest) if finished else after
    return done


def vectors_for(session: Session, post_ids: Sequence[int]) -> dict[int, np.ndarray]:
    """Stored vectors (current model) of the given posts; posts without one are left out."""
    fingerprint = text_model().fingerprint
    rows = session.execute(
        select(PostVector.post_id, PostVector.vector).where(
            PostVector.post_id.in_(post_ids), PostVector.model == fingerprint
        )
    ).all()
    return {post_id: from_bytes(data) for post_id, data in rows}


def negativity_of(session: Session, post_ids: Sequence[int]) -> dict[int, float]:
    rows = session.execute(
        select(PostVector.post_id, PostVector.negativity).where(PostVector.post_id.in_(post_ids))
    ).all()
    return {post_id: score for post_id, score in rows if score is not None}
