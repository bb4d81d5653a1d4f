"""Experience points: every award is one row, so it can be explained and taken back."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from fanloop.core.db import Base, UTCDateTime


class XpEvent(Base):
    __tablename__ = "xp_events"

    id: Mapped[int] = mapped_column(primary_key=True)
    member_id: Mapped[int] = mapped_column(ForeignKey("members.id", ondelete="CASCADE"), index=True)
    reason: Mapped[str] = mapped_column(String(30))
    points: Mapped[int] = mapped_column(Integer)
    post_id: Mapped[int | None] = mapped_column(Integer, nullable=True)
    # One award per (member, reason, subject): re-running an action never pays twice.
    dedupe_key: Mapped[str] = mapped_column(String(120), unique=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
