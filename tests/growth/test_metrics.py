"""Growth figures on a constructed community: exact counts per day, source, campaign, week and stage,
in UTC, in Shanghai and across a summer-time change."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest
from sqlalchemy import update

from fanloop.community.members.models import Member
from fanloop.community.posts.models import Board, Post, Reply, Vote
from fanloop.core.errors import Forbidden, Invalid, NotAuthenticated
from fanloop.growth import metrics
from fanloop.growth.metrics_days import LocalCalendar, day_of, monday_of, offset_changes, week_number_of
from fanloop.growth.models import (
    Campaign,
    CampaignPost,
    Channel,
    ChannelIdentity,
    MemberOrigin,
    Mention,
)
from fanloop.service.kpis.service import zone_of
from fanloop.service.sla.models import SlaCalendar, SlaPolicy

WEEK = [date(2026, 3, 4) + timedelta(days=n) for n in range(7)]  # the clock fixture's last 7 days


def at(text: str) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=UTC)


class Community:
    """Members with set sign-up times and origins, and their posts, replies and votes."""

    def __init__(self, database, seed) -> None:
        self.database, self.seed = database, seed
        seed.board("general", "General")
        with database.unit_of_work() as session:
            self.board_id = session.query(Board.id).filter_by(slug="general").scalar()
        self.ids: dict[str, int] = {}
        self._external = 0

    def member(self, handle: str, joined: str, *, role: str = "fan", xp: int = 0, **origin) -> int:
        member_id = self.seed.member(role, handle).id
        with self.database.unit_of_work() as session:
            session.execute(update(Member).where(Member.id == member_id).values(created_at=at(joined), xp=xp))
            if origin:
                # merge: sign-up may already have recorded a direct origin
                session.merge(MemberOrigin(member_id=member_id, created_at=at(joined), **origin))
        self.ids[handle] = member_id
        return member_id

    def post(self, handle: str, when: str) -> int:
        with self.database.unit_of_work() as session:
            post = Post(
                board_id=self.board_id,
                author_id=self.ids[handle],
                kind="question",
                title="电池续航",
                body="?",
                body_html="<p>?</p>",
                created_at=at(when),
                updated_at=at(when),
            )
            session.add(post)
            session.flush()
            return post.id

    def reply(self, handle: str, post_id: int, when: str) -> None:
        with self.database.unit_of_work() as session:
            session.add(
                Reply(
                    post_id=post_id,
                    author_id=self.ids[handle],
                    body="+1",
                    body_html="<p>+1</p>",
                    created_at=at(when),
                    updated_at=at(when),
                )
            )

    def vote(self, handle: str, post_id: int, when: str) -> None:
        with self.database.unit_of_work() as session:
            session.add(Vote(post_id=post_id, member_id=self.ids[handle], created_at=at(when)))

    def mention(self, handle: str, channel_id: int, when: str, *, reposts: int, likes: int) -> int:
        post_id = self.post(handle, when)
        self._external += 1
        with self.database.unit_of_work() as session:
            identity = ChannelIdentity(
                channel_id=channel_id,
                external_id=f"ext-{self._external}",
                member_id=self.ids[handle],
                created_at=at(when),
            )
            session.add(identity)
            session.flush()
            session.add(
                Mention(
                    post_id=post_id,
                    channel_id=channel_id,
                    external_id=f"m-{self._external}",
                    identity_id=identity.id,
                    reposts=reposts,
                    likes=likes,
                    posted_at=at(when),
                    imported_at=at(when),
                )
            )
        return post_id


@pytest.fixture
def community(database, seed, clock):
    """Clock: Tuesday 2026-03-10 13:40 UTC. In the last 7 days (03-04..03-10, UTC):

    joined    ann 03-04 10:00 (no origin row: direct)   bob 03-05 09:00 (referred by xu_li, Spring)
              cat 03-05 23:30 (weibo, Spring)           dan 03-10 01:00 (weibo)
              a staff member 03-06 (never counted)
    before    xu_li 2026-01-01 (400 XP: a core fan)         eve 2026-02-20
    active    03-04 ann reply · 03-06 xu_li post · 03-07 bob vote, cat mention (3 reposts, 10 likes)
              03-08 ann campaign post · 03-09 ann reply · 03-10 xu_li vote, dan mention (5 likes)
              02-25 eve post · staff post 03-06 (not counted)
    """
    c = Community(database, seed)
    with database.unit_of_work() as session:
        weibo = Channel(
            slug="weibo",
            name="微博",
            kind="social",
            board_id=c.board_id,
            webhook_secret="s",
            created_at=at("2026-01-01 00:00"),
        )
        creator = Member(
            handle="creator",
            email="creator@example.test",
            display_name="Creator",
            password_hash="!",
            role="lead",
            created_at=at("2025-01-01 00:00"),
        )
        session.add_all([weibo, creator])
        session.flush()
        spring = Campaign(
            slug="spring",
            name="春季活动",
            starts_at=at("2026-03-01 00:00"),
            ends_at=at("2026-03-31 00:00"),
            created_by_id=creator.id,
            created_at=at("2026-02-01 00:00"),
        )
        session.add(spring)
        session.flush()
        c.weibo, c.spring = weibo.id, spring.id

    c.member("xu_li", "2026-01-01 08:00", xp=400)
    c.member("eve", "2026-02-20 12:00")
    c.member("ann", "2026-03-04 10:00")
    c.member("bob", "2026-03-05 09:00", source="referral", referrer_id=c.ids["xu_li"], campaign_id=c.spring)
    c.member("cat", "2026-03-05 23:30", source="channel", channel_id=c.weibo, campaign_id=c.spring)
    c.member("dan", "2026-03-10 01:00", source="channel", channel_id=c.weibo)
    c.member("sam", "2026-03-06 12:00", role="staff", xp=900)

    c.post("eve", "2026-02-25 12:00")
    target = c.post("xu_li", "2026-03-06 10:00")
    c.post("sam", "2026-03-06 11:00")
    c.reply("ann", target, "2026-03-04 12:00")
    c.vote("bob", target, "2026-03-07 08:00")
    c.mention("cat", c.weibo, "2026-03-07 09:00", reposts=3, likes=10)
    campaign_post = c.post("ann", "2026-03-08 20:00")
    with database.unit_of_work() as session:
        session.add(
            CampaignPost(
                campaign_id=c.spring,
                post_id=campaign_post,
                member_id=c.ids["ann"],
                created_at=at("2026-03-08 20:00"),
            )
        )
    c.reply("ann", target, "2026-03-09 15:00")
    c.vote("xu_li", campaign_post, "2026-03-10 07:00")
    c.mention("dan", c.weibo, "2026-03-10 09:00", reposts=0, likes=5)
    c.vote("sam", campaign_post, "2026-03-10 08:00")
    return c


def viewer(session, role: str = "staff") -> Member:
    return Member(handle="v", email="v@x", display_name="V", password_hash="!", role=role, is_suspended=False)


def report(database, **options):
    options.setdefault("days", 7)
    with database.unit_of_work() as session:
        return metrics.growth_report(session, viewer=viewer(session), **options)


# --------------------------------------------------------------------------- new members


def test_new_members_per_day_by_source_and_campaign(community, database):
    joined = report(database).new_members
    assert joined.days == tuple(WEEK)
    assert joined.totals == (1, 2, 0, 0, 0, 0, 1)
    assert joined.total == 4
    assert [(s.key, s.name, s.counts) for s in joined.by_source] == [
        ("direct", "", (1, 0, 0, 0, 0, 0, 0)),
        ("referral", "", (0, 1, 0, 0, 0, 0, 0)),
        ("channel:weibo", "微博", (0, 1, 0, 0, 0, 0, 1)),
    ]
    assert [(s.key, s.name, s.counts) for s in joined.by_campaign] == [
        ("spring", "春季活动", (0, 2, 0, 0, 0, 0, 0))
    ]


def test_days_are_counted_in_the_site_time_zone(community, database):
    with database.unit_of_work() as session:
        calendar = SlaCalendar(name="Shanghai", timezone="Asia/Shanghai", hours={}, holidays=[])
        session.add(calendar)
        session.flush()
        session.add(
            SlaPolicy(name="Default", position=1000, is_default=True, conditions={}, calendar_id=calendar.id)
        )
        assert metrics.site_timezone(session) == "Asia/Shanghai"
    result = report(database)
    assert result.period.timezone == "Asia/Shanghai"
    # cat joined 03-05 23:30 UTC, 07:30 on 03-06 in Shanghai
    assert result.new_members.totals == (1, 1, 1, 0, 0, 0, 1)
    # ann's campaign post 03-08 20:00 UTC is 04:00 on 03-09 local, the day of her reply
    assert result.active.counts == (1, 0, 1, 2, 0, 1, 2)


def test_the_site_zone_is_utc_without_a_calendar_or_with_a_broken_one(database, clock):
    with database.unit_of_work() as session:
        assert metrics.site_timezone(session) == "UTC"
        calendar = SlaCalendar(name="Broken", timezone="Mars/Olympus", hours={}, holidays=[])
        session.add(calendar)
        session.flush()
        session.add(
            SlaPolicy(name="Default", position=1000, is_default=True, conditions={}, calendar_id=calendar.id)
        )
        session.flush()
        assert metrics.site_timezone(session) == "UTC"


# --------------------------------------------------------------------------- active fans


def test_active_fans_per_day_and_in_the_last_1_7_30_days(community, database):
    active = report(database).active
    assert active.days == tuple(WEEK)
    # 03-04 ann · 03-06 xu_li · 03-07 bob, cat · 03-08 ann · 03-09 ann · 03-10 xu_li, dan (sam is staff)
    assert active.counts == (1, 0, 1, 2, 1, 1, 2)
    assert (active.in_period, active.today, active.last_7_days, active.last_30_days) == (5, 2, 5, 6)


def test_a_longer_period_counts_older_activity(community, database):
    active = report(database, days=30).active
    assert len(active.counts) == 30 and active.days[0] == date(2026, 2, 9)
    assert active.counts[active.days.index(date(2026, 2, 25))] == 1  # eve
    assert sum(active.counts) == 9 and active.in_period == 6


# --------------------------------------------------------------------------- cohorts


def test_retention_cohorts_by_sign_up_week(community, database):
    cohorts = report(database).cohorts
    assert [c.week_start for c in cohorts] == [date(2026, 1, 19) + timedelta(weeks=n) for n in range(8)]
    by_week = {c.week_start: c for c in cohorts}
    # eve joined in the week of 02-16 and posted the week after
    eve = by_week[date(2026, 2, 16)]
    assert (eve.size, eve.active, eve.shares) == (1, (1, 0, 0), (1.0, 0.0, 0.0))
    # ann, bob and cat joined in the week of 03-02; only ann came back (03-09); activity in the
    # sign-up week itself (ann 03-04, bob 03-07, cat 03-07) does not count as returning
    march = by_week[date(2026, 3, 2)]
    assert (march.size, march.active, march.shares) == (3, (1,), (pytest.approx(1 / 3),))
    this_week = by_week[date(2026, 3, 9)]
    assert (this_week.size, this_week.active) == (1, ())
    empty = by_week[date(2026, 1, 19)]
    assert empty.size == 0 and len(empty.active) == 7 and set(empty.shares) == {None}


def test_cohort_weeks_are_checked(database, clock):
    with database.unit_of_work() as session, pytest.raises(Invalid):
        metrics.retention_cohorts(session, viewer=viewer(session), timezone="UTC", weeks=0)


# --------------------------------------------------------------------------- the funnel


def test_the_inverted_funnel(community, database):
    funnel = report(database).funnel
    assert (funnel.core_level, funnel.core_min_xp) == (5, 400)
    # core: xu_li (sam has more XP but is staff); promoters: xu_li referred bob, ann took part in Spring,
    # cat's mention was reposted (dan's was only liked); reach: 5 active fans + 3 + 10 + 5
    assert [(s.key, s.count) for s in funnel.stages] == [("core", 1), ("promoters", 3), ("reach", 23)]
    assert [s.ratio_to_previous for s in funnel.stages] == [None, 3.0, pytest.approx(23 / 3)]
    assert (funnel.reach_active_fans, funnel.reach_engagements) == (5, 18)


def test_the_core_level_is_configurable(community, database):
    funnel = report(database, core_level=1).funnel
    assert funnel.stage("core").count == 5  # every fan active in the period
    assert funnel.stage("promoters").ratio_to_previous == pytest.approx(3 / 5)
    with pytest.raises(Invalid):
        report(database, core_level=8)


def test_an_empty_community_has_zeros_and_no_ratios(database, clock):
    result = report(database, days=7)
    assert result.new_members.totals == (0,) * 7
    assert [s.key for s in result.new_members.by_source] == ["direct", "referral"]
    assert result.active.counts == (0,) * 7
    assert [(s.count, s.ratio_to_previous) for s in result.funnel.stages] == [(0, None), (0, None), (0, None)]


# --------------------------------------------------------------------------- periods and access


@pytest.mark.parametrize("days", [0, 6, 366, -1])
def test_the_period_is_7_to_365_days(database, clock, days):
    with database.unit_of_work() as session, pytest.raises(Invalid) as raised:
        metrics.growth_period(session, days=days)
    assert raised.value.field == "days"


def test_staff_and_up_only(database, clock):
    with database.unit_of_work() as session:
        with pytest.raises(NotAuthenticated):
            metrics.growth_report(session, viewer=None)
        with pytest.raises(Forbidden):
            metrics.growth_report(session, viewer=viewer(session, "fan"))
        assert metrics.growth_report(session, viewer=viewer(session, "lead")).period.end == date(2026, 3, 10)


# --------------------------------------------------------------------------- local days in SQL


def test_summer_time_changes_the_offset_inside_the_period(database, seed, clock):
    """New York moves to summer time on 2026-03-08 at 07:00 UTC: 04:30 UTC is 23:30 the day
    before in winter and 00:30 the same day in summer."""
    zone = zone_of("America/New_York")
    changes = offset_changes(zone, at("2026-03-04 05:00"), at("2026-03-11 04:00"))
    assert changes == [(at("2026-03-04 05:00"), -5 * 3600), (at("2026-03-08 07:00"), -4 * 3600)]
    community = Community(database, seed)
    community.member("winter", "2026-03-05 04:30")  # 03-04 23:30 EST
    community.member("summer", "2026-03-09 04:30")  # 03-09 00:30 EDT
    joined = report(database, timezone="America/New_York").new_members
    assert joined.days == tuple(WEEK)
    assert joined.totals == (1, 0, 0, 0, 0, 1, 0)


def test_day_and_week_numbers(database, clock):
    assert day_of(0) == date(1970, 1, 1)
    assert monday_of(week_number_of(date(2026, 3, 10))) == date(2026, 3, 9)
    assert monday_of(week_number_of(date(2026, 3, 9))) == date(2026, 3, 9)
    assert monday_of(week_number_of(date(2026, 3, 8))) == date(2026, 3, 2)
    calendar = LocalCalendar(UTC, at("2026-03-01 00:00"), at("2026-03-20 00:00"))
    with database.unit_of_work() as session:
        from sqlalchemy import literal, select

        from fanloop.core.db import UTCDateTime

        moment = literal(datetime(2026, 3, 8, 23, 59, 59, 900000, tzinfo=UTC), UTCDateTime)
        day = session.scalar(select(calendar.day_number(moment)))
        week = session.scalar(select(calendar.week_number(moment)))
    # 23:59:59.9 stays on its day (no rounding up to midnight); Sunday is in Monday 03-02's week
    assert day_of(day) == date(2026, 3, 8) and monday_of(week) == date(2026, 3, 2)
