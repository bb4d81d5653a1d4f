"""Pain points, the posts in each, and the mining runs that made them."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import JSON, Boolean, Float, ForeignKey, Integer, LargeBinary, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from fanloop.core.db import Base, UTCDateTime


class PainPoint(Base):
    """One pain point. Its id, staff name, pin and linked status survive re-mining as long as a new
    cluster overlaps its posts; one that no cluster continues is retired (kept, so links resolve)."""

    __tablename__ = "pain_points"

    id: Mapped[int] = mapped_column(primary_key=True)
    # Set by staff; empty means "show the generated key phrases".
    name: Mapped[str] = mapped_column(String(120), default="")
    phrases: Mapped[list[str]] = mapped_column(JSON, default=list)
    language: Mapped[str] = mapped_column(String(10), default="en")
    # The mean of its posts' vectors (float32 bytes, L2-normalised) in the space named by `model`.
    centroid: Mapped[bytes] = mapped_column(LargeBinary)
    model: Mapped[str] = mapped_column(String(120))
    # A new post joins when its similarity to the centroid reaches this (the 10th percentile of
    # the similarities of the posts mined into it less a little slack, never below a global floor).
    radius: Mapped[float] = mapped_column(Float, default=0.5)
    # The posts nearest the centroid, most representative first (post ids).
    example_post_ids: Mapped[list[int]] = mapped_column(JSON, default=list)
    pinned: Mapped[bool] = mapped_column(Boolean, default=False)
    hidden: Mapped[bool] = mapped_column(Boolean, default=False)
    status: Mapped[str | None] = mapped_column(String(12), nullable=True)
    merged_into_id: Mapped[int | None] = mapped_column(ForeignKey("pain_points.id"), nullable=True)
    split_from_id: Mapped[int | None] = mapped_column(ForeignKey("pain_points.id"), nullable=True)
    # Bumped whenever the centroid or radius changes, so every process sees its cache is stale.
    revision: Mapped[int] = mapped_column(Integer, default=1)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime)
    retired_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True, index=True)


class PainPointPost(Base):
    """A post's pain point (at most one). `source` says who put it there: "mined" (a re-mine),
    "arrival" (nearest centroid when its vector was stored) or "staff" (a merge or split), which a
    re-mine leaves where staff put it."""

    __tablename__ = "pain_point_posts"

    post_id: Mapped[int] = mapped_column(ForeignKey("posts.id", ondelete="CASCADE"), primary_key=True)
    pain_point_id: Mapped[int] = mapped_column(ForeignKey("pain_points.id", ondelete="CASCADE"), index=True)
    similarity: Mapped[float] = mapped_column(Float, default=0.0)
    source: Mapped[str] = mapped_column(String(10))
    assigned_at: Mapped[datetime] = mapped_column(UTCDateTime)


class MiningRun(Base):
    """One re-mine: requested (queued), claimed by one worker (running), then done or failed.

    `claim` is 1 while running and NULL otherwise; being unique, it lets only one run hold it at a
    time on SQLite and PostgreSQL alike. `nightly_date` is unique too, so two workers that both see
    the nightly hour queue one run between them."""

    __tablename__ = "pain_point_runs"

    id: Mapped[int] = mapped_column(primary_key=True)
    state: Mapped[str] = mapped_column(String(10), default="queued", index=True)
    trigger: Mapped[str] = mapped_column(String(10))  # nightly | request | command
    requested_by_id: Mapped[int | None] = mapped_column(
        ForeignKey("members.id", ondelete="SET NULL"), nullable=True
    )
    nightly_date: Mapped[str | None] = mapped_column(String(10), nullable=True, unique=True)
    claim: Mapped[int | None] = mapped_column(Integer, nullable=True, unique=True)
    requested_at: Mapped[datetime] = mapped_column(UTCDateTime)
    started_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    heartbeat_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    finished_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    stage: Mapped[str] = mapped_column(String(40), default="")
    progress: Mapped[float] = mapped_column(Float, default=0.0)
    posts: Mapped[int] = mapped_column(Integer, default=0)
    k: Mapped[int | None] = mapped_column(Integer, nullable=True)
    created: Mapped[int] = mapped_column(Integer, default=0)
    kept: Mapped[int] = mapped_column(Integer, default=0)
    retired: Mapped[int] = mapped_column(Integer, default=0)
    error: Mapped[str] = mapped_column(Text, default="")
