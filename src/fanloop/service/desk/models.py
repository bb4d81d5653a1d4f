"""The service-desk side of a post: its ticket state, priority, assignee and assignment history,
who is looking at it right now, and canned responses."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from fanloop.core.db import Base, UTCDateTime

TICKET_STATES = ("open", "waiting_on_fan", "answered", "resolved")
PRIORITIES = ("low", "normal", "high", "urgent")


class Ticket(Base):
    __tablename__ = "tickets"
    __table_args__ = (Index("ix_tickets_assignee_state", "assignee_id", "state"),)

    post_id: Mapped[int] = mapped_column(ForeignKey("posts.id", ondelete="CASCADE"), primary_key=True)
    state: Mapped[str] = mapped_column(String(16), default="open", index=True)
    priority: Mapped[str] = mapped_column(String(8), default="normal")
    assignee_id: Mapped[int | None] = mapped_column(ForeignKey("members.id"), nullable=True)
    assigned_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    # Who answered first: credited with the first reply, whoever the assignee was.
    first_replied_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    first_replied_by_id: Mapped[int | None] = mapped_column(ForeignKey("members.id"), nullable=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime)

    assignee = relationship("Member", foreign_keys=[assignee_id], lazy="joined")
    first_replied_by = relationship("Member", foreign_keys=[first_replied_by_id], lazy="joined")


class Assignment(Base):
    """Every time a post changed hands, and why (auto, claim, manual, breach reassignment)."""

    __tablename__ = "assignments"

    id: Mapped[int] = mapped_column(primary_key=True)
    post_id: Mapped[int] = mapped_column(ForeignKey("posts.id", ondelete="CASCADE"), index=True)
    assignee_id: Mapped[int | None] = mapped_column(ForeignKey("members.id"), nullable=True)
    assigned_by_id: Mapped[int | None] = mapped_column(ForeignKey("members.id"), nullable=True)
    reason: Mapped[str] = mapped_column(String(20))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)

    assignee = relationship("Member", foreign_keys=[assignee_id], lazy="joined")


class PostPresence(Base):
    """Staff who have a post open, refreshed while the page is open."""

    __tablename__ = "post_presence"

    post_id: Mapped[int] = mapped_column(ForeignKey("posts.id", ondelete="CASCADE"), primary_key=True)
    member_id: Mapped[int] = mapped_column(ForeignKey("members.id", ondelete="CASCADE"), primary_key=True)
    last_seen_at: Mapped[datetime] = mapped_column(UTCDateTime)

    member = relationship("Member", lazy="joined")


class Macro(Base):
    """A canned response; {fan_name}, {staff_name}, {post_title}, {post_url} are filled in."""

    __tablename__ = "macros"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(80), unique=True)
    body: Mapped[str] = mapped_column(Text)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("members.id"), nullable=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
