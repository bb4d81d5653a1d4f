"""API shapes for channels, their imports and webhook calls, and identity claims."""

from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel, ConfigDict, Field

from fanloop.growth.channels.connectors import secret_values
from fanloop.growth.models import Channel, ChannelIdentity, IdentityClaim, ImportRun


class _Input(BaseModel):
    model_config = ConfigDict(extra="forbid")


class ChannelCreate(_Input):
    slug: str = Field(max_length=30, description="Short name: lower-case letters, digits and -.")
    name: str = Field(max_length=80)
    kind: str = Field(default="social", description="social, app_store or email.")
    board: str = Field(max_length=40, description="The board imported mentions go to.")
    post_kind: str = Field(default="question", description="What an imported post is unless its row says.")
    connector: str = Field(
        default="none", max_length=40, description="none, file, webhook or an installed one."
    )
    connector_config: dict = Field(default_factory=dict)
    live_window_hours: int = Field(default=72, ge=1, le=24 * 365)


class ChannelUpdate(_Input):
    name: str | None = Field(default=None, max_length=80)
    kind: str | None = None
    board: str | None = Field(default=None, max_length=40)
    post_kind: str | None = None
    connector: str | None = Field(default=None, max_length=40)
    connector_config: dict | None = None
    live_window_hours: int | None = Field(default=None, ge=1, le=24 * 365)
    is_active: bool | None = None


class ChannelRead(BaseModel):
    slug: str
    name: str
    kind: str
    board: str
    post_kind: str
    connector: str
    connector_config: dict = Field(description="Secrets in it are not shown.")
    live_window_hours: int
    is_active: bool
    mentions: int
    webhook_url: str
    created_at: datetime

    @classmethod
    def of(cls, channel: Channel, *, mentions: int) -> ChannelRead:
        hidden = set(secret_values(channel.connector_config or {}))
        return cls(
            slug=channel.slug,
            name=channel.name,
            kind=channel.kind,
            board=channel.board.slug,
            post_kind=channel.post_kind,
            connector=channel.connector,
            connector_config={
                k: ("…" if v in hidden else v) for k, v in (channel.connector_config or {}).items()
            },
            live_window_hours=channel.live_window_hours,
            is_active=channel.is_active,
            mentions=mentions,
            webhook_url=f"/api/v1/channels/{channel.slug}/webhook",
            created_at=channel.created_at,
        )


class ChannelSecretRead(ChannelRead):
    webhook_secret: str = Field(description="Signs webhook calls; shown to leads on creation and rotation.")

    @classmethod
    def with_secret(cls, channel: Channel, *, mentions: int) -> ChannelSecretRead:
        return cls(
            **ChannelRead.of(channel, mentions=mentions).model_dump(), webhook_secret=channel.webhook_secret
        )


class ProblemRead(BaseModel):
    line: int = Field(description="Line of the file (for a webhook call: position in the batch, from 1).")
    reason: str


class ImportRead(BaseModel):
    id: int
    channel: str
    source: str
    state: str
    rows_read: int
    imported: int
    duplicates: int
    rejected: int
    new_members: int
    problems: list[ProblemRead]
    started_at: datetime
    finished_at: datetime | None

    @classmethod
    def of(cls, run: ImportRun, channel_slug: str) -> ImportRead:
        return cls(
            id=run.id,
            channel=channel_slug,
            source=run.source,
            state=run.state,
            rows_read=run.rows_read,
            imported=run.imported,
            duplicates=run.duplicates,
            rejected=run.rejected,
            new_members=run.new_members,
            problems=[ProblemRead(**p) for p in run.problems or []],
            started_at=run.started_at,
            finished_at=run.finished_at,
        )


class WebhookResult(BaseModel):
    imported: int
    duplicates: int
    rejected: int
    post_ids: list[int]
    problems: list[ProblemRead]


class ClaimCreate(_Input):
    channel: str = Field(max_length=30)
    who: str = Field(max_length=120, description="The account's handle or id on the channel.")


class ClaimRead(BaseModel):
    id: int
    channel: str
    identity_handle: str
    identity_id: str
    member: str
    state: str
    code: str | None = Field(
        description="Post this from the account to prove it is yours (the claimant only)."
    )
    created_at: datetime
    decided_at: datetime | None

    @classmethod
    def of(
        cls, claim: IdentityClaim, identity: ChannelIdentity, channel: str, member: str, *, show_code: bool
    ) -> ClaimRead:
        return cls(
            id=claim.id,
            channel=channel,
            identity_handle=identity.handle,
            identity_id=identity.external_id,
            member=member,
            state=claim.state,
            code=claim.code if show_code else None,
            created_at=claim.created_at,
            decided_at=claim.decided_at,
        )


class ClaimDecision(_Input):
    approve: bool
