"""Channels, the identities and mentions they bring in, replies going back out, campaigns,
referral links and where each member came from."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import JSON, Boolean, ForeignKey, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from fanloop.core.db import Base, UTCDateTime

CHANNEL_KINDS = ("social", "app_store", "email")
DELIVERY_STATES = ("queued", "sending", "delivered", "failed", "dead")
CLAIM_STATES = ("pending", "verified", "approved", "rejected", "cancelled")
MEMBER_SOURCES = ("direct", "referral", "channel")


class Channel(Base):
    """An outside place fans talk about the product: a social account, an app store, a mailbox."""

    __tablename__ = "channels"

    id: Mapped[int] = mapped_column(primary_key=True)
    slug: Mapped[str] = mapped_column(String(30), unique=True)
    name: Mapped[str] = mapped_column(String(80))
    kind: Mapped[str] = mapped_column(String(12))
    # Imported mentions become posts of this board and kind (a row may name its own kind).
    board_id: Mapped[int] = mapped_column(ForeignKey("boards.id"))
    post_kind: Mapped[str] = mapped_column(String(12), default="question")
    # Signs inbound webhook calls (HMAC-SHA256); shown to leads, never logged.
    webhook_secret: Mapped[str] = mapped_column(String(80))
    # How staff replies go back out: "file", "webhook", "none" or an installed connector's name.
    connector: Mapped[str] = mapped_column(String(40), default="none")
    connector_config: Mapped[dict] = mapped_column(JSON, default=dict)
    # A mention older than this when it arrives is history: its clocks are recorded but cancelled,
    # so a backfill does not flood the rota with breaches nobody can prevent.
    live_window_hours: Mapped[int] = mapped_column(Integer, default=72)
    is_active: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)

    board = relationship("Board", lazy="joined", innerjoin=True)


class ChannelIdentity(Base):
    """An author on a channel, and the member who stands for them here."""

    __tablename__ = "channel_identities"
    __table_args__ = (UniqueConstraint("channel_id", "external_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    channel_id: Mapped[int] = mapped_column(ForeignKey("channels.id", ondelete="CASCADE"))
    external_id: Mapped[str] = mapped_column(String(120))
    handle: Mapped[str] = mapped_column(String(120), default="")
    display_name: Mapped[str] = mapped_column(String(120), default="")
    member_id: Mapped[int] = mapped_column(ForeignKey("members.id"), index=True)
    # Set when a person claimed this identity into their own account.
    claimed_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)


class Mention(Base):
    """The channel side of an imported post: where it came from and how far it travelled."""

    __tablename__ = "mentions"
    __table_args__ = (
        UniqueConstraint("channel_id", "external_id"),
        Index("ix_mentions_channel_posted", "channel_id", "posted_at"),
    )

    post_id: Mapped[int] = mapped_column(ForeignKey("posts.id", ondelete="CASCADE"), primary_key=True)
    channel_id: Mapped[int] = mapped_column(ForeignKey("channels.id", ondelete="CASCADE"))
    external_id: Mapped[str] = mapped_column(String(120))
    # Not indexed: nothing looks mentions up by identity (claims go by the stand-in's posts), and an
    # index on it is written all over by every import.
    identity_id: Mapped[int] = mapped_column(ForeignKey("channel_identities.id"))
    url: Mapped[str] = mapped_column(String(500), default="")
    reposts: Mapped[int] = mapped_column(Integer, default=0)
    likes: Mapped[int] = mapped_column(Integer, default=0)
    posted_at: Mapped[datetime] = mapped_column(UTCDateTime)
    imported_at: Mapped[datetime] = mapped_column(UTCDateTime)


class ImportRun(Base):
    """One import of a file or a webhook batch into a channel, and what became of its rows."""

    __tablename__ = "import_runs"
    __table_args__ = (Index("ix_import_runs_channel_started", "channel_id", "started_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    channel_id: Mapped[int] = mapped_column(ForeignKey("channels.id", ondelete="CASCADE"))
    source: Mapped[str] = mapped_column(String(200), default="")
    started_by_id: Mapped[int | None] = mapped_column(ForeignKey("members.id"), nullable=True)
    state: Mapped[str] = mapped_column(String(10), default="running")  # running | finished | failed
    rows_read: Mapped[int] = mapped_column(Integer, default=0)
    imported: Mapped[int] = mapped_column(Integer, default=0)
    duplicates: Mapped[int] = mapped_column(Integer, default=0)
    rejected: Mapped[int] = mapped_column(Integer, default=0)
    new_members: Mapped[int] = mapped_column(Integer, default=0)
    # The first rejected rows, [{"line": n, "reason": "..."}], so the report can show them.
    problems: Mapped[list] = mapped_column(JSON, default=list)
    started_at: Mapped[datetime] = mapped_column(UTCDateTime)
    finished_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)


class Delivery(Base):
    """A staff reply on its way back to the channel its post came from."""

    __tablename__ = "deliveries"
    __table_args__ = (Index("ix_deliveries_state_next", "state", "next_attempt_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    reply_id: Mapped[int] = mapped_column(ForeignKey("replies.id", ondelete="CASCADE"), unique=True)
    post_id: Mapped[int] = mapped_column(ForeignKey("posts.id", ondelete="CASCADE"), index=True)
    channel_id: Mapped[int] = mapped_column(ForeignKey("channels.id", ondelete="CASCADE"))
    connector: Mapped[str] = mapped_column(String(40))
    state: Mapped[str] = mapped_column(String(10), default="queued")
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    next_attempt_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    # A worker holds the delivery until then; another may take it over afterwards.
    lease_until: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    last_error: Mapped[str] = mapped_column(Text, default="")
    # What the channel calls the reply once it is out (a status id, a message id).
    external_id: Mapped[str] = mapped_column(String(200), default="")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    delivered_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)


class IdentityClaim(Base):
    """A member's request to take an imported identity (and its history) into their account."""

    __tablename__ = "identity_claims"

    id: Mapped[int] = mapped_column(primary_key=True)
    identity_id: Mapped[int] = mapped_column(
        ForeignKey("channel_identities.id", ondelete="CASCADE"), index=True
    )
    member_id: Mapped[int] = mapped_column(ForeignKey("members.id", ondelete="CASCADE"), index=True)
    code: Mapped[str] = mapped_column(String(40), unique=True)
    state: Mapped[str] = mapped_column(String(10), default="pending")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    decided_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    decided_by_id: Mapped[int | None] = mapped_column(ForeignKey("members.id"), nullable=True)


class Campaign(Base):
    """An event that grows the fan base: what it listens for, when, what it aims at, what it costs."""

    __tablename__ = "campaigns"

    id: Mapped[int] = mapped_column(primary_key=True)
    slug: Mapped[str] = mapped_column(String(40), unique=True)
    name: Mapped[str] = mapped_column(String(120))
    description: Mapped[str] = mapped_column(Text, default="")
    hashtags: Mapped[list] = mapped_column(JSON, default=list)
    keywords: Mapped[list] = mapped_column(JSON, default=list)
    starts_at: Mapped[datetime] = mapped_column(UTCDateTime)
    ends_at: Mapped[datetime] = mapped_column(UTCDateTime)
    # The goal: a number of participants, posts, new members or reach (reposts).
    goal_metric: Mapped[str] = mapped_column(String(20), default="new_members")
    goal_value: Mapped[int] = mapped_column(Integer, default=0)
    # Money in the smallest unit of the currency, so sums are exact.
    cost_cents: Mapped[int] = mapped_column(Integer, default=0)
    currency: Mapped[str] = mapped_column(String(3), default="CNY")
    created_by_id: Mapped[int] = mapped_column(ForeignKey("members.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)


class CampaignPost(Base):
    """A post or mention that took part in a campaign (matched by hashtag or keyword)."""

    __tablename__ = "campaign_posts"
    __table_args__ = (Index("ix_campaign_posts_campaign_created", "campaign_id", "created_at"),)

    campaign_id: Mapped[int] = mapped_column(ForeignKey("campaigns.id", ondelete="CASCADE"), primary_key=True)
    post_id: Mapped[int] = mapped_column(
        ForeignKey("posts.id", ondelete="CASCADE"), primary_key=True, index=True
    )
    member_id: Mapped[int] = mapped_column(ForeignKey("members.id"), index=True)
    reposts: Mapped[int] = mapped_column(Integer, default=0)
    likes: Mapped[int] = mapped_column(Integer, default=0)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)


class ReferralLink(Base):
    """A link that brings people in: a member's own, a campaign's, or one placed on a channel."""

    __tablename__ = "referral_links"

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(24), unique=True)
    label: Mapped[str] = mapped_column(String(120), default="")
    member_id: Mapped[int | None] = mapped_column(
        ForeignKey("members.id", ondelete="CASCADE"), nullable=True, index=True
    )
    campaign_id: Mapped[int | None] = mapped_column(
        ForeignKey("campaigns.id", ondelete="CASCADE"), nullable=True, index=True
    )
    channel_id: Mapped[int | None] = mapped_column(
        ForeignKey("channels.id", ondelete="CASCADE"), nullable=True
    )
    visits: Mapped[int] = mapped_column(Integer, default=0)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)


class MemberOrigin(Base):
    """Where a member came from: signed up directly, through a referral link, or from a channel."""

    __tablename__ = "member_origins"
    __table_args__ = (Index("ix_member_origins_created", "created_at"),)

    member_id: Mapped[int] = mapped_column(ForeignKey("members.id", ondelete="CASCADE"), primary_key=True)
    source: Mapped[str] = mapped_column(String(10))
    channel_id: Mapped[int | None] = mapped_column(
        ForeignKey("channels.id", ondelete="SET NULL"), nullable=True
    )
    campaign_id: Mapped[int | None] = mapped_column(
        ForeignKey("campaigns.id", ondelete="SET NULL"), nullable=True, index=True
    )
    referral_id: Mapped[int | None] = mapped_column(
        ForeignKey("referral_links.id", ondelete="SET NULL"), nullable=True, index=True
    )
    referrer_id: Mapped[int | None] = mapped_column(
        ForeignKey("members.id", ondelete="SET NULL"), nullable=True, index=True
    )
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
