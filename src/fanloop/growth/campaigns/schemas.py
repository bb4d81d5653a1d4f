"""API shapes for campaigns, their reports and referral links."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

from fanloop.growth.campaigns import report, service
from fanloop.growth.models import Campaign, ReferralLink

GoalMetric = Literal["participants", "posts", "new_members", "reach"]
Terms = list[str]
Cost = Decimal | str


class _Input(BaseModel):
    model_config = ConfigDict(extra="forbid")

    @model_validator(mode="after")
    def _aware(self):  # noqa: ANN202
        for name in ("starts_at", "ends_at"):
            moment = getattr(self, name, None)
            if moment is not None and moment.tzinfo is None:
                raise ValueError(f"{name} needs a time zone offset (e.g. 2026-04-01T00:00:00+08:00)")
        return self


class CampaignCreate(_Input):
    slug: str = Field(max_length=40, examples=["spring-2026"])
    name: str = Field(max_length=service.MAX_NAME)
    description: str = Field(default="", max_length=service.MAX_DESCRIPTION)
    hashtags: Terms = Field(default_factory=list, max_length=service.MAX_TERMS, examples=[["fanloop春日"]])
    keywords: Terms = Field(
        default_factory=list, max_length=service.MAX_TERMS, examples=[["fanloop", "春日"]]
    )
    starts_at: datetime
    ends_at: datetime
    goal_metric: GoalMetric = "new_members"
    goal_value: int = Field(default=0, ge=0, le=service.MAX_GOAL)
    cost: Cost = Field(default="0", description='In the currency, e.g. "12000" or "12000.50".')
    currency: str = Field(default="CNY", min_length=3, max_length=3)


class CampaignUpdate(_Input):
    slug: str | None = Field(default=None, max_length=40)
    name: str | None = Field(default=None, max_length=service.MAX_NAME)
    description: str | None = Field(default=None, max_length=service.MAX_DESCRIPTION)
    hashtags: Terms | None = Field(default=None, max_length=service.MAX_TERMS)
    keywords: Terms | None = Field(default=None, max_length=service.MAX_TERMS)
    starts_at: datetime | None = None
    ends_at: datetime | None = None
    goal_metric: GoalMetric | None = None
    goal_value: int | None = Field(default=None, ge=0, le=service.MAX_GOAL)
    cost: Cost | None = None
    currency: str | None = Field(default=None, min_length=3, max_length=3)


def money(cents: int | None) -> str | None:
    """Cents as a decimal string ("1200.50"), exact."""
    return None if cents is None else f"{Decimal(cents) / 100:.2f}"


class TotalsRead(BaseModel):
    participants: int
    posts: int
    reposts: int
    likes: int
    new_members: int


class CampaignRead(BaseModel):
    id: int
    slug: str
    name: str
    description: str
    hashtags: list[str]
    keywords: list[str]
    starts_at: datetime
    ends_at: datetime
    status: Literal["upcoming", "running", "ended"]
    goal_metric: GoalMetric
    goal_value: int
    cost: str = Field(description="In the currency, with two decimals.")
    cost_cents: int
    currency: str
    path: str

    @classmethod
    def of(cls, campaign: Campaign) -> CampaignRead:
        return cls(
            id=campaign.id,
            slug=campaign.slug,
            name=campaign.name,
            description=campaign.description,
            hashtags=campaign.hashtags,
            keywords=campaign.keywords,
            starts_at=campaign.starts_at,
            ends_at=campaign.ends_at,
            status=service.status_of(campaign),
            goal_metric=campaign.goal_metric,
            goal_value=campaign.goal_value,
            cost=money(campaign.cost_cents),
            cost_cents=campaign.cost_cents,
            currency=campaign.currency,
            path=f"/staff/campaigns/{campaign.slug}",
        )


class CampaignSummaryRead(CampaignRead):
    totals: TotalsRead
    goal_progress: float | None = Field(description="Percent of the goal reached; null without a goal.")

    @classmethod
    def of_summary(cls, summary: report.Summary) -> CampaignSummaryRead:
        return cls(
            **CampaignRead.of(summary.campaign).model_dump(),
            totals=TotalsRead(**vars(summary.totals)),
            goal_progress=summary.goal_progress,
        )


class CampaignPage(BaseModel):
    items: list[CampaignSummaryRead]
    total: int
    next_offset: int | None


class DayRead(BaseModel):
    day: date
    posts: int
    new_participants: int
    new_members: int


class ParticipantRead(BaseModel):
    handle: str
    display_name: str
    posts: int
    reposts: int


class RecentPostRead(BaseModel):
    post_id: int
    title: str
    handle: str
    channel: str
    reposts: int
    likes: int
    at: datetime


class ReferralLinkRead(BaseModel):
    id: int
    code: str
    url: str = Field(description="The path to share; put the site's address in front.")
    label: str
    campaign_id: int | None
    channel_id: int | None
    visits: int
    sign_ups: int
    created_at: datetime

    @classmethod
    def of(cls, link: ReferralLink, sign_ups: int) -> ReferralLinkRead:
        return cls(
            id=link.id,
            code=link.code,
            url=f"/r/{link.code}",
            label=link.label,
            campaign_id=link.campaign_id,
            channel_id=link.channel_id,
            visits=link.visits,
            sign_ups=sign_ups,
            created_at=link.created_at,
        )


class CampaignReportRead(CampaignSummaryRead):
    cost_per_new_member: str | None = Field(description="Cost / new members; null when nobody came yet.")
    per_day: list[DayRead]
    top_participants: list[ParticipantRead]
    recent_posts: list[RecentPostRead]
    referral_links: list[ReferralLinkRead]

    @classmethod
    def of_report(cls, found: report.CampaignReport) -> CampaignReportRead:
        summary = report.Summary(found.campaign, found.status, found.totals, found.goal_progress)
        return cls(
            **CampaignSummaryRead.of_summary(summary).model_dump(),
            cost_per_new_member=money(found.cost_per_new_member_cents),
            per_day=[DayRead(**vars(point)) for point in found.per_day],
            top_participants=[
                ParticipantRead(
                    handle=p.handle, display_name=p.display_name, posts=p.posts, reposts=p.reposts
                )
                for p in found.top_participants
            ],
            recent_posts=[RecentPostRead(**vars(post)) for post in found.recent_posts],
            referral_links=[ReferralLinkRead.of(s.link, s.sign_ups) for s in found.links],
        )


class ReferralLinkCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    label: str = Field(default="", max_length=120)
    channel_id: int | None = Field(default=None, gt=0, le=service.MAX_ID)
