"""SLA calendars, policies, the clocks they start, and the warning/breach events the sweeper fires."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import JSON, Boolean, Float, ForeignKey, Index, Integer, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from fanloop.core.db import Base, UTCDateTime

CLOCK_KINDS = ("first_reply", "next_reply", "resolution")
CLOCK_STATES = ("running", "paused", "stopped", "cancelled")


class SlaCalendar(Base):
    """Working hours per weekday in a named time zone, with holidays. No hours means 24x7."""

    __tablename__ = "sla_calendars"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(80), unique=True)
    timezone: Mapped[str] = mapped_column(String(64), default="UTC")
    # {"mon": [["09:00", "12:00"], ["13:00", "18:00"]], ...}
    hours: Mapped[dict] = mapped_column(JSON, default=dict)
    holidays: Mapped[list] = mapped_column(JSON, default=list)


class SlaPolicy(Base):
    """Targets and the conditions a post must meet for them; the lowest position that matches wins."""

    __tablename__ = "sla_policies"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(80), unique=True)
    position: Mapped[int] = mapped_column(Integer, default=0)
    is_default: Mapped[bool] = mapped_column(Boolean, default=False)
    # Conditions: {"channels": [...], "boards": [...], "kinds": [...], "tags": [...],
    # "priorities": [...], "min_level": n, "max_level": n}; an absent key matches everything.
    conditions: Mapped[dict] = mapped_column(JSON, default=dict)
    first_reply_minutes: Mapped[int] = mapped_column(Integer, default=15)
    next_reply_minutes: Mapped[int | None] = mapped_column(Integer, nullable=True)
    resolution_minutes: Mapped[int | None] = mapped_column(Integer, nullable=True)
    warning_share: Mapped[float] = mapped_column(Float, default=0.8)
    calendar_id: Mapped[int | None] = mapped_column(ForeignKey("sla_calendars.id"), nullable=True)

    calendar: Mapped[SlaCalendar | None] = relationship(lazy="joined")


class SlaClock(Base):
    """One target on one post. `next_event_at` is the next warning or breach still to fire; it is null
    when nothing is pending, so a sweep reads only the clocks that are due (indexed)."""

    __tablename__ = "sla_clocks"
    __table_args__ = (
        Index("ix_sla_clocks_next_event_at", "next_event_at"),
        Index("ix_sla_clocks_post_kind", "post_id", "kind"),
        Index("ix_sla_clocks_state_due", "state", "due_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    post_id: Mapped[int] = mapped_column(ForeignKey("posts.id", ondelete="CASCADE"))
    policy_id: Mapped[int] = mapped_column(ForeignKey("sla_policies.id"))
    kind: Mapped[str] = mapped_column(String(12))
    state: Mapped[str] = mapped_column(String(10), default="running")
    started_at: Mapped[datetime] = mapped_column(UTCDateTime)
    target_seconds: Mapped[int] = mapped_column(Integer)
    warn_at: Mapped[datetime] = mapped_column(UTCDateTime)
    due_at: Mapped[datetime] = mapped_column(UTCDateTime)
    next_event_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    warned: Mapped[bool] = mapped_column(Boolean, default=False)
    breached: Mapped[bool] = mapped_column(Boolean, default=False)
    # Working time is counted in running segments: `used_seconds` holds the segments before a pause,
    # `running_since` the start of the current one (null while paused, waiting on the fan).
    running_since: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    used_seconds: Mapped[float] = mapped_column(Float, default=0.0)
    paused_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    stopped_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    stopped_by_id: Mapped[int | None] = mapped_column(ForeignKey("members.id"), nullable=True, index=True)
    elapsed_seconds: Mapped[float | None] = mapped_column(Float, nullable=True)
    assignee_id: Mapped[int | None] = mapped_column(ForeignKey("members.id"), nullable=True)

    policy: Mapped[SlaPolicy] = relationship(lazy="joined")


class SlaEvent(Base):
    """A warning or breach of one clock. Unique per (clock, kind): the database refuses a second one."""

    __tablename__ = "sla_events"
    __table_args__ = (UniqueConstraint("clock_id", "kind"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    clock_id: Mapped[int] = mapped_column(ForeignKey("sla_clocks.id", ondelete="CASCADE"))
    post_id: Mapped[int] = mapped_column(ForeignKey("posts.id", ondelete="CASCADE"), index=True)
    kind: Mapped[str] = mapped_column(String(10))  # warning | breach
    due_at: Mapped[datetime] = mapped_column(UTCDateTime)
    fired_at: Mapped[datetime] = mapped_column(UTCDateTime, index=True)
    assignee_id: Mapped[int | None] = mapped_column(ForeignKey("members.id"), nullable=True, index=True)
