"""Tables owned by the core: rate-limit counters."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Index, String
from sqlalchemy.orm import Mapped, mapped_column

from fanloop.core.db import Base, UTCDateTime


class RateEvent(Base):
    """One counted action for rate limiting; kept in the database so every process agrees."""

    __tablename__ = "rate_events"
    __table_args__ = (Index("ix_rate_events_bucket_key_at", "bucket", "key", "created_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    bucket: Mapped[str] = mapped_column(String(20))
    key: Mapped[str] = mapped_column(String(100))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
