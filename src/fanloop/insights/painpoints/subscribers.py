"""A new complaint, bug or suggestion joins its pain point the moment its vector is stored."""

from __future__ import annotations

import numpy as np
from sqlalchemy import select
from sqlalchemy.orm import Session

from fanloop.community.posts.models import Post
from fanloop.core import clock, events
from fanloop.insights.painpoints import centroids, repository
from fanloop.insights.painpoints.models import PainPointPost


def assign_post(session: Session, *, post_id: int, vector: np.ndarray) -> int | None:
    """Put a post in the pain point with the nearest centroid, if within its radius; returns its id.

    Left unassigned (None) when the post is of another kind, already placed, or near no pain point:
    the next re-mine looks at it again."""
    row = session.execute(
        select(Post.kind, Post.deleted_at, Post.merged_into_id).where(Post.id == post_id)
    ).one_or_none()
    if row is None or row.kind not in repository.MINED_KINDS or row.deleted_at or row.merged_into_id:
        return None
    if (
        session.scalar(select(PainPointPost.pain_point_id).where(PainPointPost.post_id == post_id))
        is not None
    ):
        return None
    nearest = centroids.centroids(session).nearest(vector)
    if nearest is None:
        return None
    point_id, similarity = nearest
    session.add(
        PainPointPost(
            post_id=post_id,
            pain_point_id=point_id,
            similarity=similarity,
            source="arrival",
            assigned_at=clock.now(),
        )
    )
    return point_id


def _on_post_vectorized(session: Session, *, post_id: int, vector: np.ndarray, **_) -> None:
    assign_post(session, post_id=post_id, vector=vector)


def register() -> None:
    events.subscribe("post.vectorized", _on_post_vectorized)
