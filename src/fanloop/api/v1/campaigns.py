"""Campaigns (staff read them, leads run them), their reports and referral links; a member's own link."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, Response, status

from fanloop.deps import RequiredMember, SessionDep
from fanloop.growth import referrals
from fanloop.growth.campaigns import report, service
from fanloop.growth.campaigns.schemas import (
    CampaignCreate,
    CampaignPage,
    CampaignRead,
    CampaignReportRead,
    CampaignSummaryRead,
    CampaignUpdate,
    ReferralLinkCreate,
    ReferralLinkRead,
)

router = APIRouter(tags=["campaigns"])
Limit = Annotated[int, Query(ge=1, le=100)]
Offset = Annotated[int, Query(ge=0, le=2**31 - 1)]
Timezone = Annotated[str, Query(max_length=60, description="IANA zone of the per-day series.")]


@router.get("/campaigns", response_model=CampaignPage)
def list_campaigns(session: SessionDep, viewer: RequiredMember, limit: Limit = 50, offset: Offset = 0):
    """Campaigns with their status, figures and goal progress, the latest start first (staff)."""
    rows, total = service.list_campaigns(session, viewer=viewer, limit=limit, offset=offset)
    items = [
        CampaignSummaryRead.of_summary(summary)
        for summary in report.summaries(session, viewer=viewer, campaigns=rows)
    ]
    return CampaignPage(
        items=items, total=total, next_offset=offset + limit if offset + limit < total else None
    )


@router.post("/campaigns", status_code=status.HTTP_201_CREATED, response_model=CampaignRead)
def create_campaign(body: CampaignCreate, session: SessionDep, actor: RequiredMember):
    """Set up a campaign (leads); matching posts already in its window count at once."""
    return CampaignRead.of(service.create_campaign(session, actor=actor, **body.model_dump()))


@router.get("/campaigns/{campaign_id}", response_model=CampaignReportRead)
def get_campaign(campaign_id: int, session: SessionDep, viewer: RequiredMember, timezone: Timezone = "UTC"):
    """The campaign's report: participants, posts, reposts, new members, cost per new member, goal
    progress, a per-day series, top participants, recent posts and referral links (staff)."""
    campaign = service.get_campaign(session, viewer=viewer, campaign_id=campaign_id)
    found = report.campaign_report(session, viewer=viewer, campaign=campaign, timezone=timezone)
    return CampaignReportRead.of_report(found)


@router.patch("/campaigns/{campaign_id}", response_model=CampaignRead)
def update_campaign(campaign_id: int, body: CampaignUpdate, session: SessionDep, actor: RequiredMember):
    """Change a campaign (leads); new hashtags, keywords or window count participation again."""
    changes = body.model_dump(exclude_unset=True)
    return CampaignRead.of(service.update_campaign(session, actor=actor, campaign_id=campaign_id, **changes))


@router.delete("/campaigns/{campaign_id}", status_code=status.HTTP_204_NO_CONTENT)
def delete_campaign(campaign_id: int, session: SessionDep, actor: RequiredMember):
    """Delete a campaign, its participation and links (leads)."""
    service.delete_campaign(session, actor=actor, campaign_id=campaign_id)
    return Response(status_code=status.HTTP_204_NO_CONTENT)


@router.post(
    "/campaigns/{campaign_id}/referral-links",
    status_code=status.HTTP_201_CREATED,
    response_model=ReferralLinkRead,
)
def create_referral_link(
    campaign_id: int, body: ReferralLinkCreate, session: SessionDep, actor: RequiredMember
):
    """A referral link for the campaign, optionally for one channel (leads)."""
    link = referrals.create_campaign_link(
        session, actor=actor, campaign_id=campaign_id, label=body.label, channel_id=body.channel_id
    )
    return ReferralLinkRead.of(link, 0)


@router.get("/members/me/referral-link", response_model=ReferralLinkRead)
def my_referral_link(session: SessionDep, member: RequiredMember):
    """The member's own referral link, made the first time they ask."""
    link = referrals.member_link(session, member=member)
    return ReferralLinkRead.of(link, referrals.sign_ups_of(session, link))
