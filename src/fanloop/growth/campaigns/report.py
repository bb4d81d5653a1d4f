"""What a campaign did: who took part, with how many posts and reposts, the members it brought in,
what each new fan cost, how near the goal is, and the same per day for a chart.

Every figure is one SQL aggregate over the campaign's rows (indexed by campaign), so a campaign with a
hundred thousand participating posts reads a few hundred rows, not a hundred thousand. The per-day
series is counted per UTC hour in SQL and folded into the viewer's local days here."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from decimal import ROUND_HALF_UP, Decimal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from fanloop.community.members.models import Member
from fanloop.community.posts.models import Post
from fanloop.core import clock
from fanloop.core.permissions import Action, require
from fanloop.growth.campaigns.service import status_of
from fanloop.growth.models import Campaign, CampaignPost, MemberOrigin, ReferralLink

TOP_PARTICIPANTS = 10
RECENT_POSTS = 10


@dataclass(frozen=True)
class Totals:
    participants: int = 0
    posts: int = 0
    reposts: int = 0
    likes: int = 0
    new_members: int = 0

    def value_of(self, metric: str) -> int:
        """The figure a goal counts: reach is the reposts."""
        return self.reposts if metric == "reach" else getattr(self, metric)


@dataclass(frozen=True)
class DayPoint:
    day: date
    posts: int
    new_participants: int
    new_members: int


@dataclass(frozen=True)
class Participant:
    member_id: int
    handle: str
    display_name: str
    posts: int
    reposts: int


@dataclass(frozen=True)
class RecentPost:
    post_id: int
    title: str
    handle: str
    channel: str
    reposts: int
    likes: int
    at: datetime


@dataclass(frozen=True)
class LinkStats:
    link: ReferralLink
    sign_ups: int


@dataclass(frozen=True)
class Summary:
    """A campaign with its status and headline figures: a row of the campaign list."""

    campaign: Campaign
    status: str
    totals: Totals
    goal_progress: float | None = field(default=None)


@dataclass(frozen=True)
class CampaignReport:
    campaign: Campaign
    status: str
    totals: Totals
    goal_progress: float | None
    cost_per_new_member_cents: int | None
    per_day: list[DayPoint]
    top_participants: list[Participant]
    recent_posts: list[RecentPost]
    links: list[LinkStats]


def goal_progress(campaign: Campaign, totals: Totals) -> float | None:
    """How far along the goal is, in percent (may pass 100); None without a goal."""
    if not campaign.goal_value:
        return None
    return round(totals.value_of(campaign.goal_metric) * 100 / campaign.goal_value, 1)


def cost_per_new_member(cost_cents: int, new_members: int) -> int | None:
    """The cost of one new member in cents, rounded half up; None when nobody came."""
    if not new_members:
        return None
    return int((Decimal(cost_cents) / new_members).quantize(Decimal(1), rounding=ROUND_HALF_UP))


def totals_of(session: Session, campaigns: list[Campaign]) -> dict[int, Totals]:
    """The headline figures of several campaigns in two grouped statements."""
    ids = [c.id for c in campaigns]
    if not ids:
        return {}
    participation = {
        row.campaign_id: row
        for row in session.execute(
            select(
                CampaignPost.campaign_id,
                func.count().label("posts"),
                func.count(func.distinct(CampaignPost.member_id)).label("participants"),
                func.coalesce(func.sum(CampaignPost.reposts), 0).label("reposts"),
                func.coalesce(func.sum(CampaignPost.likes), 0).label("likes"),
            )
            .where(CampaignPost.campaign_id.in_(ids))
            .group_by(CampaignPost.campaign_id)
        )
    }
    # Within or after the window: someone who signed up before it started came another way.
    arrivals = dict(
        session.execute(
            select(MemberOrigin.campaign_id, func.count())
            .join(Campaign, Campaign.id == MemberOrigin.campaign_id)
            .where(MemberOrigin.campaign_id.in_(ids), MemberOrigin.created_at >= Campaign.starts_at)
            .group_by(MemberOrigin.campaign_id)
        ).all()
    )
    found = {}
    for campaign_id in ids:
        row = participation.get(campaign_id)
        found[campaign_id] = Totals(
            participants=row.participants if row else 0,
            posts=row.posts if row else 0,
            reposts=int(row.reposts) if row else 0,
            likes=int(row.likes) if row else 0,
            new_members=arrivals.get(campaign_id, 0),
        )
    return found


def summaries(session: Session, *, viewer: Member | None, campaigns: list[Campaign]) -> list[Summary]:
    """Status, figures and goal progress of each campaign (staff)."""
    require(viewer, Action.VIEW_GROWTH)
    totals = totals_of(session, campaigns)
    now = clock.now()
    return [Summary(c, status_of(c, now), totals[c.id], goal_progress(c, totals[c.id])) for c in campaigns]


def _hour(session: Session, column):  # noqa: ANN001, ANN202
    """The UTC hour of a datetime column as "YYYY-MM-DD HH", on SQLite as on PostgreSQL."""
    if session.get_bind().dialect.name == "postgresql":
        return func.to_char(func.timezone("UTC", column), "YYYY-MM-DD HH24")
    return func.strftime("%Y-%m-%d %H", column)


def _local_day(hour: str, zone: ZoneInfo) -> date:
    return datetime.strptime(hour, "%Y-%m-%d %H").replace(tzinfo=UTC).astimezone(zone).date()


def _zone(name: str) -> ZoneInfo:
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        return ZoneInfo("UTC")


def per_day(session: Session, campaign: Campaign, *, timezone: str = "UTC") -> list[DayPoint]:
    """Posts, first-time participants and new members per local day of the window (to today if
    the campaign still runs)."""
    zone = _zone(timezone)
    start, end = campaign.starts_at, min(campaign.ends_at, max(clock.now(), campaign.starts_at))
    hour = _hour(session, CampaignPost.created_at)
    posts = session.execute(
        select(hour.label("hour"), func.count().label("n"))
        .where(CampaignPost.campaign_id == campaign.id)
        .group_by(hour)
    ).all()
    first = (
        select(func.min(CampaignPost.created_at).label("first_at"))
        .where(CampaignPost.campaign_id == campaign.id)
        .group_by(CampaignPost.member_id)
        .subquery()
    )
    first_hour = _hour(session, first.c.first_at)
    newcomers = session.execute(
        select(first_hour.label("hour"), func.count().label("n")).group_by(first_hour)
    ).all()
    origin_hour = _hour(session, MemberOrigin.created_at)
    arrivals = session.execute(
        select(origin_hour.label("hour"), func.count().label("n"))
        .where(MemberOrigin.campaign_id == campaign.id, MemberOrigin.created_at >= start)
        .group_by(origin_hour)
    ).all()

    def by_day(rows: list) -> dict[date, int]:  # noqa: ANN001
        counts: dict[date, int] = defaultdict(int)
        for row in rows:
            counts[_local_day(row.hour, zone)] += row.n
        return counts

    post_days, newcomer_days, arrival_days = by_day(posts), by_day(newcomers), by_day(arrivals)
    first_day, last_day = (
        start.astimezone(zone).date(),
        (end - timedelta(microseconds=1)).astimezone(zone).date(),
    )
    days = [first_day + timedelta(days=n) for n in range((last_day - first_day).days + 1)]
    return [DayPoint(d, post_days[d], newcomer_days[d], arrival_days[d]) for d in days]


def top_participants(
    session: Session, campaign: Campaign, *, limit: int = TOP_PARTICIPANTS
) -> list[Participant]:
    """The members with the most participating posts (then reposts)."""
    posts = func.count().label("posts")
    reposts = func.coalesce(func.sum(CampaignPost.reposts), 0).label("reposts")
    ranked = (
        select(CampaignPost.member_id, posts, reposts)
        .where(CampaignPost.campaign_id == campaign.id)
        .group_by(CampaignPost.member_id)
        .order_by(posts.desc(), reposts.desc(), CampaignPost.member_id)
        .limit(limit)
        .subquery()
    )
    rows = session.execute(
        select(ranked, Member.handle, Member.display_name)
        .join(Member, Member.id == ranked.c.member_id)
        .order_by(ranked.c.posts.desc(), ranked.c.reposts.desc(), ranked.c.member_id)
    )
    return [Participant(r.member_id, r.handle, r.display_name, r.posts, int(r.reposts)) for r in rows]


def recent_posts(session: Session, campaign: Campaign, *, limit: int = RECENT_POSTS) -> list[RecentPost]:
    """The latest participating posts and mentions."""
    rows = session.execute(
        select(
            CampaignPost.post_id,
            CampaignPost.reposts,
            CampaignPost.likes,
            CampaignPost.created_at,
            Post.title,
            Post.channel,
            Member.handle,
        )
        .join(Post, Post.id == CampaignPost.post_id)
        .join(Member, Member.id == CampaignPost.member_id)
        .where(CampaignPost.campaign_id == campaign.id)
        .order_by(CampaignPost.created_at.desc(), CampaignPost.post_id.desc())
        .limit(limit)
    )
    return [
        RecentPost(r.post_id, r.title, r.handle, r.channel, r.reposts, r.likes, r.created_at) for r in rows
    ]


def link_stats(session: Session, campaign: Campaign) -> list[LinkStats]:
    """The campaign's referral links with their visits and the sign-ups they brought."""
    links = select(ReferralLink.id).where(ReferralLink.campaign_id == campaign.id)
    sign_ups = (
        select(MemberOrigin.referral_id, func.count().label("n"))
        .where(MemberOrigin.referral_id.in_(links))
        .group_by(MemberOrigin.referral_id)
        .subquery()
    )
    rows = session.execute(
        select(ReferralLink, func.coalesce(sign_ups.c.n, 0))
        .outerjoin(sign_ups, sign_ups.c.referral_id == ReferralLink.id)
        .where(ReferralLink.campaign_id == campaign.id)
        .order_by(ReferralLink.id)
    )
    return [LinkStats(link, count) for link, count in rows]


def campaign_report(
    session: Session, *, viewer: Member | None, campaign: Campaign, timezone: str = "UTC"
) -> CampaignReport:
    """Everything the campaign page shows (staff)."""
    require(viewer, Action.VIEW_GROWTH)
    totals = totals_of(session, [campaign])[campaign.id]
    return CampaignReport(
        campaign=campaign,
        status=status_of(campaign),
        totals=totals,
        goal_progress=goal_progress(campaign, totals),
        cost_per_new_member_cents=cost_per_new_member(campaign.cost_cents, totals.new_members),
        per_day=per_day(session, campaign, timezone=timezone),
        top_participants=top_participants(session, campaign),
        recent_posts=recent_posts(session, campaign),
        links=link_stats(session, campaign),
    )
