"""The everyone-answers rota: who is on it, when, how much they can take, and what they know."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import JSON, Boolean, ForeignKey, Integer, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from fanloop.core.db import Base, UTCDateTime


class RotaMember(Base):
    __tablename__ = "rota_members"

    member_id: Mapped[int] = mapped_column(ForeignKey("members.id", ondelete="CASCADE"), primary_key=True)
    on_rota: Mapped[bool] = mapped_column(Boolean, default=True)
    availability: Mapped[str] = mapped_column(String(10), default="on_duty")  # on_duty | away
    capacity: Mapped[int] = mapped_column(Integer, default=5)
    team: Mapped[str] = mapped_column(String(40), default="")
    boards: Mapped[list] = mapped_column(JSON, default=list)
    tags: Mapped[list] = mapped_column(JSON, default=list)
    languages: Mapped[list] = mapped_column(JSON, default=list)
    last_assigned_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)

    member = relationship("Member", lazy="joined")


class RotaShift(Base):
    """A weekly slot on the rota in the member's time zone, e.g. Wednesday 14:00-15:00."""

    __tablename__ = "rota_shifts"

    id: Mapped[int] = mapped_column(primary_key=True)
    member_id: Mapped[int] = mapped_column(ForeignKey("members.id", ondelete="CASCADE"), index=True)
    weekday: Mapped[int] = mapped_column(Integer)  # 0 = Monday
    start: Mapped[str] = mapped_column(String(5))  # HH:MM
    end: Mapped[str] = mapped_column(String(5))
    timezone: Mapped[str] = mapped_column(String(64), default="UTC")


class RotaSettings(Base):
    """One row: how posts are assigned."""

    __tablename__ = "rota_settings"

    id: Mapped[int] = mapped_column(primary_key=True)
    strategy: Mapped[str] = mapped_column(String(16), default="least_loaded")  # round_robin | least_loaded
    use_skills: Mapped[bool] = mapped_column(Boolean, default=True)
    auto_assign: Mapped[bool] = mapped_column(Boolean, default=True)
    # Who takes a live post when everyone on shift is at capacity: the least-loaded person on
    # shift (above their capacity), a lead, or nobody (it waits for capacity to free up).
    overflow: Mapped[str] = mapped_column(String(16), default="least_loaded", server_default="least_loaded")
    # Since when a live post has found nobody on shift (null while someone is): the leads are
    # told once when a spell begins, not once per post.
    uncovered_since: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
