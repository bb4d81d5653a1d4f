"""API shapes for the release train, releases, the changelog and the roadmap."""

from __future__ import annotations

from datetime import datetime
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

from fanloop.releases import changelog, roadmap, service
from fanloop.releases.models import Release, ReleaseTrain

Subject = Literal["post", "pain_point"]


class _Input(BaseModel):
    model_config = ConfigDict(extra="forbid")


class TrainRead(BaseModel):
    weekday: int = Field(description="0 Monday .. 6 Sunday.")
    time_of_day: str = Field(description="HH:MM in `timezone`.")
    timezone: str
    every_weeks: int
    version_format: str = Field(description="strftime pattern of the release's local date.")
    next_release_at: datetime

    @classmethod
    def of(cls, train: ReleaseTrain, next_release_at: datetime) -> TrainRead:
        return cls(
            weekday=train.weekday,
            time_of_day=train.time_of_day,
            timezone=train.timezone,
            every_weeks=train.every_weeks,
            version_format=train.version_format,
            next_release_at=next_release_at,
        )


class TrainUpdate(_Input):
    weekday: int | None = Field(default=None, ge=0, le=6)
    time_of_day: str | None = Field(default=None, max_length=5)
    timezone: str | None = Field(default=None, max_length=50)
    every_weeks: int | None = Field(default=None, ge=1, le=12)
    version_format: str | None = Field(default=None, max_length=40)


class _Planned(_Input):
    planned_for: datetime | None = None

    @model_validator(mode="after")
    def _aware(self) -> _Planned:
        if self.planned_for is not None and self.planned_for.tzinfo is None:
            raise ValueError("planned_for needs a time zone offset (e.g. 2026-12-04T17:00:00+08:00)")
        return self


class ReleaseCreate(_Planned):
    version: str | None = Field(default=None, max_length=service.MAX_VERSION)
    title: str = Field(default="", max_length=service.MAX_TITLE)
    notes: str = Field(default="", max_length=service.MAX_NOTES, description="Markdown.")
    planned_for: datetime | None = Field(default=None, description="Default: the next cadence time.")


class ReleaseUpdate(_Planned):
    version: str | None = Field(default=None, max_length=service.MAX_VERSION)
    title: str | None = Field(default=None, max_length=service.MAX_TITLE)
    notes: str | None = Field(default=None, max_length=service.MAX_NOTES)


class ItemCreate(_Input):
    post_id: int | None = Field(default=None, gt=0)
    pain_point_id: int | None = Field(default=None, gt=0)
    summary: str = Field(default="", max_length=service.MAX_SUMMARY, description="Default: the title.")


class ItemUpdate(_Input):
    summary: str = Field(min_length=1, max_length=service.MAX_SUMMARY)


class ItemOrder(_Input):
    item_ids: list[int] = Field(max_length=service.MAX_ITEMS)


class PostRef(BaseModel):
    id: int
    title: str
    kind: str
    status: str
    path: str


class CreditRead(BaseModel):
    handle: str
    display_name: str
    level: int
    level_name: str


class ItemRead(BaseModel):
    id: int
    summary: str
    position: int
    post_id: int | None
    pain_point_id: int | None
    posts: list[PostRef]
    credits: dict[str, list[CreditRead]] = Field(description="Per role, the highest-level fans (at most 12).")
    credit_counts: dict[str, int] = Field(description="Per role, how many fans in all.")


class HonourRead(CreditRead):
    roles: list[str]


class ReleaseRead(BaseModel):
    id: int
    version: str
    title: str
    notes: str
    notes_html: str
    state: Literal["draft", "scheduled", "published"]
    planned_for: datetime
    published_at: datetime | None
    path: str
    credited: int
    notified: int

    @classmethod
    def of(cls, release: Release) -> ReleaseRead:
        return cls(
            id=release.id,
            version=release.version,
            title=release.title,
            notes=release.notes,
            notes_html=release.notes_html,
            state=release.state,
            planned_for=release.planned_for,
            published_at=release.published_at,
            path=f"/changelog/{release.version}",
            credited=release.credited,
            notified=release.notified,
        )


class ReleaseDetailRead(ReleaseRead):
    items: list[ItemRead]
    honour_roll: list[HonourRead]

    @classmethod
    def of_view(cls, view: changelog.ReleaseView, language: str = "en") -> ReleaseDetailRead:
        def credit(member: changelog.CreditedMember) -> dict:
            return {
                "handle": member.handle,
                "display_name": member.display_name,
                "level": member.level.number,
                "level_name": member.level.name(language),
            }

        return cls(
            **ReleaseRead.of(view.release).model_dump(),
            items=[
                ItemRead(
                    id=item.item.id,
                    summary=item.item.summary,
                    position=item.item.position,
                    post_id=item.item.post_id,
                    pain_point_id=item.item.pain_point_id,
                    posts=[
                        PostRef(
                            id=post.id,
                            title=post.title,
                            kind=post.kind,
                            status=post.status,
                            path=f"/posts/{post.id}",
                        )
                        for post in item.posts
                    ],
                    credits={
                        role: [CreditRead(**credit(m)) for m in members]
                        for role, members in item.credits.items()
                    },
                    credit_counts=item.credit_counts,
                )
                for item in view.items
            ],
            honour_roll=[
                HonourRead(**credit(member), roles=list(member.roles)) for member in view.honour_roll
            ],
        )


class ReleasePage(BaseModel):
    items: list[ReleaseRead]
    total: int
    next_offset: int | None


class PublishRead(BaseModel):
    release: ReleaseRead
    posts_shipped: int
    credited: int
    notified: int


class CandidateRead(BaseModel):
    subject: Subject
    id: int
    title: str
    status: str | None
    votes: int
    posts: int


class CandidatesRead(BaseModel):
    planned: list[CandidateRead]
    in_progress: list[CandidateRead]
    changed_since_last: list[CandidateRead]

    @classmethod
    def of(cls, found: service.Candidates) -> CandidatesRead:
        def read(candidates: list[service.Candidate]) -> list[CandidateRead]:
            return [
                CandidateRead(
                    subject=c.kind, id=c.id, title=c.title, status=c.status, votes=c.votes, posts=c.posts
                )
                for c in candidates
            ]

        return cls(
            planned=read(found.planned),
            in_progress=read(found.in_progress),
            changed_since_last=read(found.changed_since_last),
        )


class ShippedRead(BaseModel):
    version: str
    published_at: datetime
    summary: str
    post_id: int | None
    roles: list[str]


class CardRead(BaseModel):
    subject: Subject
    id: int
    title: str
    status: str
    votes: int
    posts: int
    kind: str
    version: str | None = Field(description="The release it shipped in (shipped column).")

    @classmethod
    def of(cls, card: roadmap.Card) -> CardRead:
        return cls(
            subject=card.subject,
            id=card.id,
            title=card.title,
            status=card.status,
            votes=card.votes,
            posts=card.posts,
            kind=card.kind,
            version=card.version,
        )


class RoadmapRead(BaseModel):
    planned: list[CardRead]
    in_progress: list[CardRead]
    shipped: list[CardRead]


class CardRef(_Input):
    subject: Subject
    id: int = Field(gt=0)


class CardMove(_Input):
    status: Literal["planned", "in_progress"]
    note: str = Field(default="", max_length=2000)


class RoadmapOrder(_Input):
    cards: list[CardRef] = Field(max_length=500)


# --------------------------------------------------------------------------- reports, award, beta


class ReportCreate(_Input):
    liked_most: str = Field(default="", max_length=5_000)
    liked_most_item_id: int | None = Field(default=None, gt=0)
    liked_least: str = Field(default="", max_length=5_000)
    liked_least_item_id: int | None = Field(default=None, gt=0)
    broke: str = Field(default="", max_length=5_000, description="Becomes a bug post.")
    want_next: str = Field(default="", max_length=5_000, description="Becomes a suggestion post.")


class ReportRead(BaseModel):
    id: int
    release_id: int
    liked_most: str
    liked_most_item_id: int | None
    liked_least: str
    liked_least_item_id: int | None
    broke: str
    want_next: str
    bug_post_id: int | None
    wish_post_id: int | None
    from_beta: bool
    created_at: datetime

    model_config = ConfigDict(from_attributes=True)


class ItemTallyRead(BaseModel):
    item_id: int
    summary: str
    liked_most: int
    liked_least: int


class DayCount(BaseModel):
    day: str
    reports: int


class ReportSummaryRead(BaseModel):
    version: str
    reports: int
    from_beta: int
    box_counts: dict[str, int]
    items: list[ItemTallyRead]
    per_day: list[DayCount]
    bug_posts: int
    wish_posts: int


class AwardVoteCreate(_Input):
    item_id: int = Field(gt=0)


class StandingRead(BaseModel):
    item_id: int
    summary: str
    votes: int


class AwardRead(BaseModel):
    open: bool
    my_vote: int | None
    standings: list[StandingRead]
    winner: StandingRead | None
    fans: list[str] = Field(description="Handles of the fans credited on the winning item.")
    staff: list[str] = Field(description="Handles of the staff who worked on it.")


class BetaStatusRead(BaseModel):
    state: Literal["none", "invited", "member"]
    may_join: bool
    seats: int
    seats_left: int
    score_threshold: int | None


class BetaSettingsUpdate(_Input):
    seats: int | None = Field(default=None, ge=0, le=100_000)
    score_threshold: int | None = Field(default=None, ge=0, description="Null with `invitation_only`.")
    invitation_only: bool = False


class BetaInvitation(_Input):
    handle: str = Field(min_length=1, max_length=30)


class SeatRead(BaseModel):
    handle: str
    via: str
    invited_by: str | None
    created_at: datetime
    accepted_at: datetime | None
