"""Growth figures: new members by source and campaign, active fans, retention cohorts by sign-up week
and the inverted funnel (core fans, then promoters, then reach).

Everything is counted in SQL with GROUP BY, so the figures stay quick on a million posts: no row per
member comes back to Python, only one row per day, week or source. Days are local days of the
site's time zone (the default SLA policy's calendar; UTC without one) and weeks run Monday to
Sunday. Only fans count: staff activity, staff sign-ups and staff referrals are left out.

Activity means writing a post (imported channel mentions included: their author did post, just
elsewhere), a reply or a vote. See docs/growth.md for every definition.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from sqlalchemy import func, select, union
from sqlalchemy.orm import Session

from fanloop.community.levels.service import LEVELS
from fanloop.community.members.models import Member
from fanloop.core.errors import Invalid
from fanloop.core.permissions import Action, require
from fanloop.growth.metrics_activity import (
    FAN,
    ActiveCounts,
    active_counts,
    activity_rows,
    daily_active,
    midnight,
)
from fanloop.growth.metrics_days import LocalCalendar, day_of, monday_of, week_number_of
from fanloop.growth.models import Campaign, CampaignPost, Channel, ChannelIdentity, MemberOrigin, Mention
from fanloop.service.kpis import service as kpis
from fanloop.service.sla.models import SlaCalendar, SlaPolicy

DEFAULT_DAYS = 30
MIN_DAYS, MAX_DAYS = 7, 365
DEFAULT_COHORT_WEEKS = 8
MAX_COHORT_WEEKS = 26
# Level 5 is "Core fan" (核心粉丝); FANLOOP_CORE_FAN_LEVEL changes it.
DEFAULT_CORE_LEVEL = 5
BASE_SOURCES = ("direct", "referral")
FUNNEL_STAGES = ("core", "promoters", "reach")

Period = kpis.Period


# --------------------------------------------------------------------------- results


@dataclass(frozen=True, slots=True)
class Series:
    """New members per day of one source or campaign. `key` is "direct", "referral",
    "channel:<slug>" or a campaign's slug; `name` the channel's or campaign's name ("" otherwise)."""

    key: str
    name: str
    counts: tuple[int, ...]

    @property
    def total(self) -> int:
        return sum(self.counts)


@dataclass(frozen=True, slots=True)
class NewMembers:
    days: tuple[date, ...]
    totals: tuple[int, ...]
    by_source: tuple[Series, ...]
    by_campaign: tuple[Series, ...]

    @property
    def total(self) -> int:
        return sum(self.totals)


@dataclass(frozen=True, slots=True)
class ActiveFans:
    """Distinct fans active per day of the period, in the whole period, and in the last 1, 7 and
    30 days up to today (DAU, WAU, MAU)."""

    days: tuple[date, ...]
    counts: tuple[int, ...]
    in_period: int
    today: int
    last_7_days: int
    last_30_days: int


@dataclass(frozen=True, slots=True)
class Cohort:
    """The fans who signed up in the week from `week_start`; `active[i]` of them were active in
    week +(i + 1), `shares[i]` the fraction of the cohort (None for an empty cohort). The last week
    counted is the current one, still running."""

    week_start: date
    size: int
    active: tuple[int, ...]
    shares: tuple[float | None, ...]


@dataclass(frozen=True, slots=True)
class FunnelStage:
    key: str
    count: int
    # This stage divided by the one before; None for the first stage and after a stage of 0.
    ratio_to_previous: float | None


@dataclass(frozen=True, slots=True)
class Funnel:
    core_level: int
    core_min_xp: int
    stages: tuple[FunnelStage, ...]
    reach_active_fans: int
    reach_engagements: int

    def stage(self, key: str) -> FunnelStage:
        return next(stage for stage in self.stages if stage.key == key)


@dataclass(frozen=True, slots=True)
class GrowthReport:
    period: Period
    new_members: NewMembers
    active: ActiveFans
    cohorts: tuple[Cohort, ...]
    funnel: Funnel


# --------------------------------------------------------------------------- periods


def site_timezone(session: Session) -> str:
    """The site's time zone: the default SLA policy's calendar's (the desk's working days); UTC
    when there is none or it is not a real zone."""
    # Read directly: sla.default_policy() would create the policy, and a report writes nothing.
    name = session.scalar(
        select(SlaCalendar.timezone)
        .join(SlaPolicy, SlaPolicy.calendar_id == SlaCalendar.id)
        .where(SlaPolicy.is_default.is_(True))
        .limit(1)
    )
    try:
        kpis.zone_of(name or "UTC")
    except Invalid:
        return "UTC"
    return name or "UTC"


def growth_period(session: Session, *, days: int = DEFAULT_DAYS, timezone: str | None = None) -> Period:
    """The `days` local days up to today (7 to 365), in `timezone` or else the site's."""
    if isinstance(days, bool) or not isinstance(days, int) or not MIN_DAYS <= days <= MAX_DAYS:
        raise Invalid(f"A period is {MIN_DAYS} to {MAX_DAYS} days.", field="days")
    zone = timezone or site_timezone(session)
    end = kpis.today(zone)
    return Period(end - timedelta(days=days - 1), end, zone)


def _core_min_xp(core_level: int) -> int:
    if not 1 <= core_level <= len(LEVELS):
        raise Invalid(f"The core fan level is 1 to {len(LEVELS)}.", field="core_level")
    return LEVELS[core_level - 1].min_xp


# --------------------------------------------------------------------------- active fans


def _active_fans(session: Session, span: Period, counts: ActiveCounts) -> ActiveFans:
    return ActiveFans(
        days=tuple(span.days()),
        counts=daily_active(session, span),
        in_period=counts.in_period,
        today=counts.today,
        last_7_days=counts.last_7_days,
        last_30_days=counts.last_30_days,
    )


def active_fans(session: Session, *, viewer: Member | None, span: Period) -> ActiveFans:
    """Distinct fans who posted, replied or voted, per local day, in the period and in the last
    1, 7 and 30 days."""
    require(viewer, Action.VIEW_GROWTH)
    return _active_fans(session, span, active_counts(session, span, _core_min_xp(DEFAULT_CORE_LEVEL)))


# --------------------------------------------------------------------------- new members


def _filled(span: Period, counts: dict[date, int]) -> tuple[int, ...]:
    return tuple(counts.get(day, 0) for day in span.days())


def _source_key(source: str | None, channel: str | None) -> str:
    if source == "channel":
        return f"channel:{channel}" if channel else "channel"
    return source or "direct"


def _source_order(series: Series) -> tuple:
    """Direct and referral first, always; then the channels, the biggest first."""
    if series.key in BASE_SOURCES:
        return (0, BASE_SOURCES.index(series.key), "")
    return (1, -series.total, series.key)


def new_members(session: Session, *, viewer: Member | None, span: Period) -> NewMembers:
    """Fans who joined per local day, by source (direct, referral, channel:<slug>; members without
    an origin row are direct) and by the campaign their origin names; days without any are 0."""
    require(viewer, Action.VIEW_GROWTH)
    lo, hi = span.bounds()
    calendar = LocalCalendar(span.zone, lo, hi)
    joined = (
        select(
            calendar.day_number(Member.created_at).label("day"),
            MemberOrigin.source.label("source"),
            Channel.slug.label("channel"),
            Channel.name.label("channel_name"),
        )
        .select_from(Member)
        .outerjoin(MemberOrigin, MemberOrigin.member_id == Member.id)
        .outerjoin(Channel, Channel.id == MemberOrigin.channel_id)
        .where(Member.created_at >= lo, Member.created_at < hi, Member.role == FAN)
        .subquery()
    )
    by_source: dict[str, dict[date, int]] = {key: {} for key in BASE_SOURCES}
    names: dict[str, str] = {}
    totals: dict[date, int] = defaultdict(int)
    for number, source, channel, channel_name, count in session.execute(
        select(joined.c.day, joined.c.source, joined.c.channel, joined.c.channel_name, func.count()).group_by(
            joined.c.day, joined.c.source, joined.c.channel, joined.c.channel_name
        )
    ):
        key, day = _source_key(source, channel), day_of(number)
        names[key] = channel_name or ""
        counts = by_source.setdefault(key, {})
        counts[day] = counts.get(day, 0) + count
        totals[day] += count

    campaigned = (
        select(
            calendar.day_number(Member.created_at).label("day"),
            Campaign.slug.label("slug"),
            Campaign.name.label("name"),
        )
        .select_from(Member)
        .join(MemberOrigin, MemberOrigin.member_id == Member.id)
        .join(Campaign, Campaign.id == MemberOrigin.campaign_id)
        .where(Member.created_at >= lo, Member.created_at < hi, Member.role == FAN)
        .subquery()
    )
    by_campaign: dict[str, dict[date, int]] = {}
    for number, slug, name, count in session.execute(
        select(campaigned.c.day, campaigned.c.slug, campaigned.c.name, func.count()).group_by(
            campaigned.c.day, campaigned.c.slug, campaigned.c.name
        )
    ):
        names[f"campaign:{slug}"] = name
        by_campaign.setdefault(slug, {})[day_of(number)] = count

    sources = [Series(key, names.get(key, ""), _filled(span, counts)) for key, counts in by_source.items()]
    sources.sort(key=_source_order)
    campaigns = sorted(
        (
            Series(slug, names[f"campaign:{slug}"], _filled(span, counts))
            for slug, counts in by_campaign.items()
        ),
        key=lambda s: (-s.total, s.key),
    )
    return NewMembers(tuple(span.days()), _filled(span, totals), tuple(sources), tuple(campaigns))


# --------------------------------------------------------------------------- cohorts


def retention_cohorts(
    session: Session, *, viewer: Member | None, timezone: str, weeks: int = DEFAULT_COHORT_WEEKS
) -> tuple[Cohort, ...]:
    """The fans who signed up in each of the last `weeks` weeks (this one included), and how many
    of them were active in each later week up to now."""
    require(viewer, Action.VIEW_GROWTH)
    if isinstance(weeks, bool) or not isinstance(weeks, int) or not 1 <= weeks <= MAX_COHORT_WEEKS:
        raise Invalid(f"Cohorts cover 1 to {MAX_COHORT_WEEKS} weeks.", field="weeks")
    today = kpis.today(timezone)
    span = Period(today - timedelta(days=today.weekday() + 7 * (weeks - 1)), today, timezone)
    lo, hi = span.bounds()
    calendar = LocalCalendar(span.zone, lo, hi)
    first_week, this_week = week_number_of(span.start), week_number_of(today)

    cohorts = (
        select(Member.id.label("member_id"), calendar.week_number(Member.created_at).label("cohort"))
        .where(Member.created_at >= lo, Member.created_at < hi, Member.role == FAN)
        .subquery()
    )
    sizes = {
        week: count
        for week, count in session.execute(select(cohorts.c.cohort, func.count()).group_by(cohorts.c.cohort))
    }
    # Activity from the second cohort week on: nobody can be in a week after their sign-up before it.
    activity = activity_rows(
        midnight(span.start + timedelta(days=7), span), hi, calendar.week_number
    ).subquery()
    returned = {
        (cohort, week): count
        for cohort, week, count in session.execute(
            select(cohorts.c.cohort, activity.c.bucket, func.count())
            .select_from(cohorts)
            .join(activity, activity.c.member_id == cohorts.c.member_id)
            .where(activity.c.bucket > cohorts.c.cohort)
            .group_by(cohorts.c.cohort, activity.c.bucket)
        )
    }
    result = []
    for week in range(first_week, this_week + 1):
        size = int(sizes.get(week, 0))
        active = tuple(int(returned.get((week, later), 0)) for later in range(week + 1, this_week + 1))
        shares = tuple(count / size if size else None for count in active)
        result.append(Cohort(monday_of(week), size, active, shares))
    return tuple(result)


# --------------------------------------------------------------------------- the funnel


def _promoters(session: Session, lo: datetime, hi: datetime) -> int:
    """Fans who in [lo, hi) brought someone in by referral, took part in a campaign, or had an
    imported mention reposted."""
    referrers = select(MemberOrigin.referrer_id.label("member_id")).where(
        MemberOrigin.created_at >= lo, MemberOrigin.created_at < hi, MemberOrigin.referrer_id.is_not(None)
    )
    campaigners = select(CampaignPost.member_id.label("member_id")).where(
        CampaignPost.created_at >= lo, CampaignPost.created_at < hi
    )
    reposted = (
        select(ChannelIdentity.member_id.label("member_id"))
        .join(Mention, Mention.identity_id == ChannelIdentity.id)
        .where(Mention.posted_at >= lo, Mention.posted_at < hi, Mention.reposts > 0)
    )
    promoters = union(referrers, campaigners, reposted).subquery()
    return int(
        session.scalar(
            select(func.count())
            .select_from(promoters)
            .join(Member, Member.id == promoters.c.member_id)
            .where(Member.role == FAN)
        )
        or 0
    )


def _engagements(session: Session, lo: datetime, hi: datetime) -> int:
    total = session.scalar(
        select(func.coalesce(func.sum(Mention.reposts + Mention.likes), 0)).where(
            Mention.posted_at >= lo, Mention.posted_at < hi
        )
    )
    return int(total or 0)


def _ratio(count: int, previous: int | None) -> float | None:
    return None if not previous else count / previous


def _funnel(session: Session, span: Period, core_level: int, counts: ActiveCounts) -> Funnel:
    lo, hi = span.bounds()
    promoters = _promoters(session, lo, hi)
    engagements = _engagements(session, lo, hi)
    reach = counts.in_period + engagements
    return Funnel(
        core_level=core_level,
        core_min_xp=_core_min_xp(core_level),
        stages=(
            FunnelStage("core", counts.core, None),
            FunnelStage("promoters", promoters, _ratio(promoters, counts.core)),
            FunnelStage("reach", reach, _ratio(reach, promoters)),
        ),
        reach_active_fans=counts.in_period,
        reach_engagements=engagements,
    )


def funnel(
    session: Session, *, viewer: Member | None, span: Period, core_level: int = DEFAULT_CORE_LEVEL
) -> Funnel:
    """Core fans (level >= core_level, active in the period), promoters, and reach (fans active
    plus the reposts and likes of the period's mentions), each with its ratio to the stage before."""
    require(viewer, Action.VIEW_GROWTH)
    return _funnel(session, span, core_level, active_counts(session, span, _core_min_xp(core_level)))


# --------------------------------------------------------------------------- everything


def growth_report(
    session: Session,
    *,
    viewer: Member | None,
    days: int = DEFAULT_DAYS,
    timezone: str | None = None,
    core_level: int = DEFAULT_CORE_LEVEL,
    cohort_weeks: int = DEFAULT_COHORT_WEEKS,
) -> GrowthReport:
    """All the dashboard's figures for the last `days` days, in the site's time zone by default."""
    require(viewer, Action.VIEW_GROWTH)
    span = growth_period(session, days=days, timezone=timezone)
    counts = active_counts(session, span, _core_min_xp(core_level))
    return GrowthReport(
        period=span,
        new_members=new_members(session, viewer=viewer, span=span),
        active=_active_fans(session, span, counts),
        cohorts=retention_cohorts(session, viewer=viewer, timezone=span.timezone, weeks=cohort_weeks),
        funnel=_funnel(session, span, core_level, counts),
    )
