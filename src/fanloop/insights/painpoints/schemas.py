"""API shapes for pain points and re-mine runs."""

from __future__ import annotations

from datetime import datetime
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from fanloop.insights.painpoints import service
from fanloop.insights.painpoints.scheduled import RunInfo

LinkableStatus = Literal["open", "acknowledged", "planned", "in_progress", "shipped", "declined"]


class _Input(BaseModel):
    model_config = ConfigDict(extra="forbid")


class PainPointUpdate(_Input):
    name: str | None = Field(
        default=None, max_length=120, description="Staff name; empty shows the key phrases."
    )
    pinned: bool | None = None
    hidden: bool | None = None


class PainPointMerge(_Input):
    into_pain_point_id: int = Field(gt=0)


class PainPointSplit(_Input):
    post_ids: list[int] = Field(min_length=1, max_length=10_000)
    name: str = Field(default="", max_length=120)


class PainPointStatusUpdate(_Input):
    status: LinkableStatus
    note: str = Field(default="", max_length=2000)


class FactorRead(BaseModel):
    name: str
    value: float
    weight: float
    points: float


class ExamplePostRead(BaseModel):
    id: int
    title: str
    kind: str
    status: str
    language: str
    vote_count: int
    created_at: datetime


class PainPointRead(BaseModel):
    id: int
    rank: int = Field(description="Position in the ranking (0 when hidden, retired or merged).")
    label: str
    name: str
    phrases: list[str]
    language: str
    pinned: bool
    hidden: bool
    status: str | None
    posts: int
    recent_posts: int = Field(description="Posts in the last 7 days.")
    previous_posts: int = Field(description="Posts in the 7 days before those.")
    authors: int
    votes: int
    mean_negativity: float | None
    mean_fan_level: float
    score: float
    factors: list[FactorRead]
    daily_counts: list[int] = Field(description="Posts per UTC day, last 28 days, oldest first.")
    examples: list[ExamplePostRead]
    created_at: datetime
    updated_at: datetime

    @classmethod
    def of(cls, item: service.PainPointSummary) -> PainPointRead:
        return cls(
            id=item.id,
            rank=item.rank,
            label=item.label,
            name=item.name,
            phrases=list(item.phrases),
            language=item.language,
            pinned=item.pinned,
            hidden=item.hidden,
            status=item.status,
            posts=item.posts,
            recent_posts=item.recent_posts,
            previous_posts=item.previous_posts,
            authors=item.authors,
            votes=item.votes,
            mean_negativity=item.mean_negativity,
            mean_fan_level=item.mean_fan_level,
            score=item.score,
            factors=[FactorRead(**vars(f)) for f in item.factors],
            daily_counts=list(item.daily_counts),
            examples=[ExamplePostRead(**vars(e)) for e in item.examples],
            created_at=item.created_at,
            updated_at=item.updated_at,
        )


class PainPointPage(BaseModel):
    items: list[PainPointRead]
    total: int
    next_offset: int | None


class PainPointPostRead(BaseModel):
    id: int
    title: str
    kind: str
    status: str
    language: str
    vote_count: int
    author: str
    created_at: datetime
    similarity: float
    source: str


class PainPointDetailRead(PainPointRead):
    merged_into_id: int | None
    split_from_id: int | None
    retired_at: datetime | None
    post_items: list[PainPointPostRead]
    next_offset: int | None

    @classmethod
    def of_detail(cls, detail: service.PainPointDetail) -> PainPointDetailRead:
        return cls(
            **PainPointRead.of(detail.summary).model_dump(),
            merged_into_id=detail.merged_into_id,
            split_from_id=detail.split_from_id,
            retired_at=detail.retired_at,
            post_items=[PainPointPostRead(**vars(post)) for post in detail.posts],
            next_offset=detail.next_offset,
        )


class StatusLinkRead(BaseModel):
    pain_point: PainPointRead
    posts_changed: int


class MiningRunRead(BaseModel):
    id: int
    state: str
    trigger: str
    requested_by: str | None
    requested_at: datetime
    started_at: datetime | None
    finished_at: datetime | None
    stage: str
    progress: float
    posts: int
    k: int | None
    created: int
    kept: int
    retired: int
    error: str

    @classmethod
    def of(cls, run: RunInfo) -> MiningRunRead:
        return cls(**vars(run))
