"""What the text model made of each post: its vector, and its negativity."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Float, ForeignKey, Index, Integer, LargeBinary, String
from sqlalchemy.orm import Mapped, mapped_column

from fanloop.core.db import Base, UTCDateTime


class PostVector(Base):
    """A post's text as a vector: float16 bytes (half the space of float32; cosine rankings do not
    change in any way that matters), tagged with the model's fingerprint so vectors of different
    models are never compared. `id` grows with each insert, so an in-process index fetches only the
    rows that are new since it last looked."""

    __tablename__ = "post_vectors"
    __table_args__ = (Index("ix_post_vectors_model_id", "model", "id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    post_id: Mapped[int] = mapped_column(ForeignKey("posts.id", ondelete="CASCADE"), unique=True)
    model: Mapped[str] = mapped_column(String(120))
    dim: Mapped[int] = mapped_column(Integer)
    vector: Mapped[bytes] = mapped_column(LargeBinary)
    negativity: Mapped[float | None] = mapped_column(Float, nullable=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
