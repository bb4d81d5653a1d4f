"""Referral links and where members come from. A member has one link of their own (made when first
asked for); leads make links for a campaign, optionally placed on a channel. A visit to /r/<code>
counts and leaves the code in a cookie; the sign-up that follows records the member's origin."""

from __future__ import annotations

import re
import secrets
from dataclasses import dataclass

from sqlalchemy import func, select, update
from sqlalchemy.orm import Session

from fanloop.community.members.models import Member
from fanloop.core import clock
from fanloop.core.db import insert_ignoring
from fanloop.core.errors import Invalid, NotFound
from fanloop.core.permissions import Action, require
from fanloop.growth.campaigns import service as campaigns
from fanloop.growth.models import Channel, MemberOrigin, ReferralLink

CODE_PATTERN = re.compile(r"^[A-Za-z0-9_-]{4,24}$")
CODE_BYTES = 7  # ten URL-safe characters
MAX_LABEL = 120
COOKIE = "fanloop_ref"
COOKIE_DAYS = 30


@dataclass(frozen=True)
class LinkWithSignUps:
    link: ReferralLink
    sign_ups: int


def _new_code(session: Session) -> str:
    while True:
        code = secrets.token_urlsafe(CODE_BYTES)
        if session.scalar(select(ReferralLink.id).where(ReferralLink.code == code)) is None:
            return code


def is_code(value: str | None) -> bool:
    """Whether `value` looks like a referral code (anything else is never looked up)."""
    return bool(value) and bool(CODE_PATTERN.match(value))


def link_for_code(session: Session, code: str | None) -> ReferralLink | None:
    """The link with this code, or None for anything unknown or malformed."""
    if not is_code(code):
        return None
    return session.scalar(select(ReferralLink).where(ReferralLink.code == code))


def member_link(session: Session, *, member: Member) -> ReferralLink:
    """The member's own referral link, made the first time they ask."""
    require(member, Action.CREATE_POST)  # any member in good standing
    link = session.scalar(
        select(ReferralLink)
        .where(ReferralLink.member_id == member.id, ReferralLink.campaign_id.is_(None))
        .order_by(ReferralLink.id)
        .limit(1)
    )
    if link is None:
        link = ReferralLink(
            code=_new_code(session), label="", member_id=member.id, visits=0, created_at=clock.now()
        )
        session.add(link)
        session.flush()
    return link


def sign_ups_of(session: Session, link: ReferralLink) -> int:
    """How many members signed up through the link."""
    return session.scalar(select(func.count()).where(MemberOrigin.referral_id == link.id)) or 0


def create_campaign_link(
    session: Session, *, actor: Member, campaign_id: int, label: str = "", channel_id: int | None = None
) -> ReferralLink:
    """A referral link for a campaign (leads), optionally for one channel (a post, a bio, an ad)."""
    campaign = campaigns.get_campaign(session, viewer=actor, campaign_id=campaign_id)
    require(actor, Action.MANAGE_CAMPAIGNS)
    label = (label or "").replace("\x00", "").strip()
    if len(label) > MAX_LABEL:
        raise Invalid(f"The label is at most {MAX_LABEL} characters.", field="label")
    if channel_id is not None and (
        not 0 < channel_id <= campaigns.MAX_ID or session.get(Channel, channel_id) is None
    ):
        raise NotFound(f"Channel {channel_id} not found.", field="channel_id")
    link = ReferralLink(
        code=_new_code(session),
        label=label,
        member_id=None,
        campaign_id=campaign.id,
        channel_id=channel_id,
        visits=0,
        created_at=clock.now(),
    )
    session.add(link)
    session.flush()
    return link


def count_visit(session: Session, *, code: str) -> bool:
    """Count a visit to the link; False when there is no such link."""
    if not is_code(code):
        return False
    result = session.execute(
        update(ReferralLink)
        .where(ReferralLink.code == code)
        .values(visits=ReferralLink.visits + 1)
        .execution_options(synchronize_session=False)
    )
    return result.rowcount > 0


def record_origin(session: Session, *, member: Member, referral_code: str | None = None) -> None:
    """Record where a new member came from: the referral link whose code they bring, else direct.
    A member who already has an origin (an import wrote it) keeps it; an unknown code, or one's
    own link, counts as direct."""
    link = link_for_code(session, referral_code)
    row = {"member_id": member.id, "source": "direct", "created_at": member.created_at}
    if link is not None and link.member_id != member.id:
        row |= {
            "source": "referral",
            "referral_id": link.id,
            "referrer_id": link.member_id,
            "campaign_id": link.campaign_id,
            "channel_id": link.channel_id,
        }
    session.execute(insert_ignoring(session, MemberOrigin, conflict=["member_id"]), [row])


def origin_of(session: Session, *, member_id: int) -> MemberOrigin | None:
    return session.get(MemberOrigin, member_id)
