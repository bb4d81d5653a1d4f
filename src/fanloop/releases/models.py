"""Release trains, releases and their items, the credits a published release gives, and the
roadmap's order."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Boolean, ForeignKey, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from fanloop.core.db import Base, UTCDateTime

RELEASE_STATES = ("draft", "scheduled", "published")
CREDIT_ROLES = ("reporter", "confirmer", "voter", "tester")


class ReleaseTrain(Base):
    """The release cadence (one row): when the next release is due. MIUI shipped every Friday at
    17:00 Beijing time, the default here."""

    __tablename__ = "release_trains"

    id: Mapped[int] = mapped_column(primary_key=True)
    weekday: Mapped[int] = mapped_column(Integer, default=4)  # Monday 0 .. Sunday 6
    time_of_day: Mapped[str] = mapped_column(String(5), default="17:00")  # HH:MM in `timezone`
    timezone: Mapped[str] = mapped_column(String(50), default="Asia/Shanghai")
    every_weeks: Mapped[int] = mapped_column(Integer, default=1)
    # strftime pattern of the release date (in `timezone`) that names a new release.
    version_format: Mapped[str] = mapped_column(String(40), default="%Y.%m.%d")
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime)


class Release(Base):
    """One release: drafted (opened by the cadence or by staff), scheduled for its cadence time, then
    published once. `state` moves to published in a single guarded UPDATE, so two workers (or a
    retried request) never publish it twice."""

    __tablename__ = "releases"
    __table_args__ = (Index("ix_releases_state_planned", "state", "planned_for"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    version: Mapped[str] = mapped_column(String(40), unique=True)
    title: Mapped[str] = mapped_column(String(200), default="")
    notes: Mapped[str] = mapped_column(Text, default="")
    notes_html: Mapped[str] = mapped_column(Text, default="")
    state: Mapped[str] = mapped_column(String(12), default="draft")
    planned_for: Mapped[datetime] = mapped_column(UTCDateTime)
    published_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True, index=True)
    created_by_id: Mapped[int | None] = mapped_column(
        ForeignKey("members.id", ondelete="SET NULL"), nullable=True
    )
    published_by_id: Mapped[int | None] = mapped_column(
        ForeignKey("members.id", ondelete="SET NULL"), nullable=True
    )
    # Filled in by the publish: how many members were told and credited.
    notified: Mapped[int] = mapped_column(Integer, default=0)
    credited: Mapped[int] = mapped_column(Integer, default=0)
    # The weekly award: voting closes when the next release is published; the winning item then.
    award_closed_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    award_item_id: Mapped[int | None] = mapped_column(Integer, nullable=True)  # no FK: items point here
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime)


class ReleaseItem(Base):
    """A post or a pain point shipped in a release, with its line in the changelog."""

    __tablename__ = "release_items"
    __table_args__ = (
        UniqueConstraint("release_id", "post_id"),
        UniqueConstraint("release_id", "pain_point_id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    release_id: Mapped[int] = mapped_column(ForeignKey("releases.id", ondelete="CASCADE"), index=True)
    post_id: Mapped[int | None] = mapped_column(ForeignKey("posts.id", ondelete="CASCADE"), nullable=True)
    pain_point_id: Mapped[int | None] = mapped_column(
        ForeignKey("pain_points.id", ondelete="CASCADE"), nullable=True
    )
    summary: Mapped[str] = mapped_column(String(200), default="")
    position: Mapped[int] = mapped_column(Integer, default=0)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)


class ReleaseItemPost(Base):
    """The posts an item shipped, fixed when the release is published: the item's post and the
    duplicates merged into it, or a pain point's posts at that moment."""

    __tablename__ = "release_item_posts"

    item_id: Mapped[int] = mapped_column(ForeignKey("release_items.id", ondelete="CASCADE"), primary_key=True)
    post_id: Mapped[int] = mapped_column(
        ForeignKey("posts.id", ondelete="CASCADE"), primary_key=True, index=True
    )


class ReleaseCredit(Base):
    """A member credited on an item of a published release, in one role. Written once at publish:
    a vote withdrawn later does not rewrite the changelog."""

    __tablename__ = "release_credits"
    __table_args__ = (Index("ix_release_credits_member_release", "member_id", "release_id"),)

    item_id: Mapped[int] = mapped_column(ForeignKey("release_items.id", ondelete="CASCADE"), primary_key=True)
    member_id: Mapped[int] = mapped_column(ForeignKey("members.id", ondelete="CASCADE"), primary_key=True)
    role: Mapped[str] = mapped_column(String(10), primary_key=True)
    release_id: Mapped[int] = mapped_column(ForeignKey("releases.id", ondelete="CASCADE"), index=True)


class RoadmapPosition(Base):
    """Where staff placed a card within its roadmap column (lower first); cards without one follow,
    most voted first."""

    __tablename__ = "roadmap_positions"

    subject: Mapped[str] = mapped_column(String(12), primary_key=True)  # post | pain_point
    subject_id: Mapped[int] = mapped_column(Integer, primary_key=True)
    position: Mapped[int] = mapped_column(Integer)


class ExperienceReport(Base):
    """A fan's four-box report on a published release: what they liked most and least, what broke,
    what they want next. "What broke" and "what next" become a bug and a suggestion post, which
    the pain-point mining then reads like any other post."""

    __tablename__ = "experience_reports"
    __table_args__ = (UniqueConstraint("release_id", "member_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    release_id: Mapped[int] = mapped_column(ForeignKey("releases.id", ondelete="CASCADE"), index=True)
    member_id: Mapped[int] = mapped_column(ForeignKey("members.id", ondelete="CASCADE"), index=True)
    liked_most_item_id: Mapped[int | None] = mapped_column(
        ForeignKey("release_items.id", ondelete="SET NULL"), nullable=True
    )
    liked_most: Mapped[str] = mapped_column(Text, default="")
    liked_least_item_id: Mapped[int | None] = mapped_column(
        ForeignKey("release_items.id", ondelete="SET NULL"), nullable=True
    )
    liked_least: Mapped[str] = mapped_column(Text, default="")
    broke: Mapped[str] = mapped_column(Text, default="")
    want_next: Mapped[str] = mapped_column(Text, default="")
    bug_post_id: Mapped[int | None] = mapped_column(ForeignKey("posts.id", ondelete="SET NULL"), nullable=True)
    wish_post_id: Mapped[int | None] = mapped_column(ForeignKey("posts.id", ondelete="SET NULL"), nullable=True)
    # Filed by a member of the beta group: staff see these marked.
    from_beta: Mapped[bool] = mapped_column(Boolean, default=False)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)


class AwardVote(Base):
    """A fan's vote for the best update of a release: one per fan and release."""

    __tablename__ = "award_votes"

    release_id: Mapped[int] = mapped_column(ForeignKey("releases.id", ondelete="CASCADE"), primary_key=True)
    member_id: Mapped[int] = mapped_column(ForeignKey("members.id", ondelete="CASCADE"), primary_key=True)
    item_id: Mapped[int] = mapped_column(ForeignKey("release_items.id", ondelete="CASCADE"), index=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)


class BetaSettings(Base):
    """The beta group's rules (one row): how many seats, and the contribution score (experience
    points) from which a fan may join without an invitation (none: invitation only)."""

    __tablename__ = "beta_settings"

    id: Mapped[int] = mapped_column(primary_key=True)
    seats: Mapped[int] = mapped_column(Integer, default=100)
    score_threshold: Mapped[int | None] = mapped_column(Integer, nullable=True)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime)


class BetaMember(Base):
    """A member of the beta group: sees pre-release notes; their reports are marked. `accepted_at`
    is empty while an invitation waits for its answer (an invitation holds a seat)."""

    __tablename__ = "beta_members"

    member_id: Mapped[int] = mapped_column(ForeignKey("members.id", ondelete="CASCADE"), primary_key=True)
    via: Mapped[str] = mapped_column(String(12))  # invitation | score
    invited_by_id: Mapped[int | None] = mapped_column(ForeignKey("members.id", ondelete="SET NULL"), nullable=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    accepted_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
