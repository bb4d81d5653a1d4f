"""Campaigns: validation, which posts and mentions take part (hashtags, Weibo topics, Latin and
Chinese keywords, the window's edges), counting again after an edit, and the report's figures."""

from __future__ import annotations

from datetime import date, datetime, timedelta

import pytest
from campaign_support import END, START, Forum, day, make_forum
from sqlalchemy import func, select

from fanloop.community.members.models import Member
from fanloop.community.posts import service as posts
from fanloop.core.errors import Conflict, Forbidden, Invalid
from fanloop.growth.campaigns import matching, report, service
from fanloop.growth.campaigns.matching import CampaignMatcher
from fanloop.growth.models import Campaign, CampaignPost

# Participation rows of the scale test; deleting posts by the ten thousand is slow in the teardown,
# so the test proves the report is aggregates (few statements, bounded lists), not a stopwatch race.
SCALE = 3_000


@pytest.fixture
def forum(seed, database, settings, clock) -> Forum:
    return make_forum(seed, database, settings, clock)


def participating(database, campaign_id: int) -> set[int]:
    with database.unit_of_work() as session:
        return set(
            session.scalars(select(CampaignPost.post_id).where(CampaignPost.campaign_id == campaign_id))
        )


def campaign_report(database, lead, campaign_id: int, timezone: str = "UTC") -> report.CampaignReport:
    with database.unit_of_work() as session:
        campaign = session.get(Campaign, campaign_id)
        return report.campaign_report(
            session, viewer=session.get(Member, lead.id), campaign=campaign, timezone=timezone
        )


# --------------------------------------------------------------------------- matching, pure


def matcher(**fields) -> CampaignMatcher:
    values = {"id": 1, "hashtags": [], "keywords": [], "starts_at": START, "ends_at": END} | fields
    return CampaignMatcher([Campaign(**values)])


@pytest.mark.parametrize(
    ("text", "matches"),
    [
        ("Loving it #fanloop春日 so much", True),
        ("#fanloop春日# 微博话题", True),  # Weibo topic
        ("#FANLOOP春日", True),  # case-insensitive
        ("#fanloop春日快乐 is another tag", False),  # the tag goes on: a different tag
        ("fanloop春日 without the hash", False),
    ],
)
def test_hashtags_match_whole_tags_in_both_styles(text, matches):
    assert bool(matcher(hashtags=["fanloop春日"]).match(text, day(2))) is matches


@pytest.mark.parametrize(
    ("text", "matches"),
    [
        ("I use fanloop daily", True),
        ("FanLoop, again.", True),
        ("fanloops are not fanloop's", True),  # the apostrophe ends the word
        ("fanloopy things", False),  # inside a longer word: no
        ("我爱fanloop的设计", True),  # Chinese around a Latin word still delimits it
        ("new product launch", False),  # "pro" is not in "product"
    ],
)
def test_latin_keywords_match_whole_words(text, matches):
    assert bool(matcher(keywords=["fanloop", "pro"]).match(text, day(2))) is matches


def test_chinese_keywords_match_anywhere():
    found = matcher(keywords=["春日"])
    assert found.match("今天参加了春日活动", day(2)) == [1]
    assert found.match("夏日活动", day(2)) == []


def test_window_includes_its_start_and_excludes_its_end():
    found = matcher(keywords=["fanloop"])
    assert found.match("fanloop", START) == [1]
    assert found.match("fanloop", START - timedelta(seconds=1)) == []
    assert found.match("fanloop", END - timedelta(seconds=1)) == [1]
    assert found.match("fanloop", END) == []


# --------------------------------------------------------------------------- validation


@pytest.mark.parametrize(
    ("fields", "field"),
    [
        ({"slug": "Not A Slug"}, "slug"),
        ({"slug": "new"}, "slug"),
        ({"name": "  "}, "name"),
        ({"hashtags": [], "keywords": []}, "hashtags"),
        ({"hashtags": ["#", " "], "keywords": ["  "]}, "hashtags"),
        ({"ends_at": START}, "ends_at"),
        ({"ends_at": START - timedelta(days=1)}, "ends_at"),
        ({"ends_at": START + timedelta(days=400)}, "ends_at"),
        ({"starts_at": datetime(2026, 3, 1)}, "starts_at"),  # no time zone
        ({"goal_metric": "likes"}, "goal_metric"),
        ({"goal_value": -1}, "goal_value"),
        ({"cost": "-5"}, "cost"),
        ({"cost": "12.345"}, "cost"),
        ({"cost": "lots"}, "cost"),
        ({"cost": "NaN"}, "cost"),
        ({"cost": "1e20"}, "cost"),
        ({"currency": "RMB1"}, "currency"),
        ({"currency": "¥"}, "currency"),
    ],
)
def test_bad_campaigns_are_refused_with_the_field(forum, fields, field):
    with pytest.raises(Invalid) as refused:
        forum.campaign(**fields)
    assert refused.value.field == field


@pytest.mark.parametrize(
    ("cost", "cents"), [("1200", 120000), ("1,200.50", 120050), (99.9, 9990), (0, 0), ("", 0), ("0.01", 1)]
)
def test_costs_are_stored_in_cents(cost, cents):
    assert service.cost_in_cents(cost) == cents


def test_a_campaign_is_stored_cleaned_up(forum):
    campaign = forum.campaign(
        slug="Spring-2026 ", hashtags=["#fanloop春日#", "fanloop春日", " "], keywords=["FanLoop", "fanloop"],
        cost="1200.50", currency="usd",
    )  # fmt: skip
    assert campaign.slug == "spring-2026"
    assert campaign.hashtags == ["fanloop春日"]
    assert campaign.keywords == ["FanLoop"]
    assert (campaign.cost_cents, campaign.currency) == (120050, "USD")


def test_slugs_are_unique(forum):
    forum.campaign()
    with pytest.raises(Conflict):
        forum.campaign(name="Another")


def test_only_leads_run_campaigns_and_staff_read_them(forum, database):
    campaign = forum.campaign()
    fan = forum.fan()
    with database.unit_of_work() as session:
        staff = session.get(Member, forum.staff.id)
        with pytest.raises(Forbidden):
            service.create_campaign(
                session, actor=staff, slug="x1", name="X", keywords=["x"], starts_at=START, ends_at=END
            )
        with pytest.raises(Forbidden):
            service.update_campaign(session, actor=staff, campaign_id=campaign.id, name="Renamed")
        assert service.get_campaign(session, viewer=staff, campaign_id=campaign.id).name == campaign.name
        with pytest.raises(Forbidden):
            service.get_campaign(session, viewer=session.get(Member, fan.id), campaign_id=campaign.id)


def test_status_follows_the_clock(forum, clock):
    campaign = forum.campaign()
    assert service.status_of(campaign, START - timedelta(seconds=1)) == "upcoming"
    assert service.status_of(campaign, START) == "running"
    assert service.status_of(campaign, END) == "ended"
    assert service.status_of(campaign) == "running"  # the clock stands inside the window


# --------------------------------------------------------------------------- participation


def test_new_forum_posts_take_part_when_they_match(forum, database):
    campaign = forum.campaign(keywords=["春日"])
    fan = forum.fan()
    tagged = forum.post(fan, "Great day", "#fanloop春日 with friends")
    keyword = forum.post(fan, "春日活动真棒")
    other = forum.post(fan, "Battery question")
    assert participating(database, campaign.id) == {tagged, keyword}
    assert other not in participating(database, campaign.id)


def test_posts_outside_the_window_do_not_take_part(forum, database):
    campaign = forum.campaign()
    fan = forum.fan()
    before = forum.post(fan, "#fanloop春日 early", at=START - timedelta(minutes=1))
    at_start = forum.post(fan, "#fanloop春日 on time", at=START)
    after = forum.post(fan, "#fanloop春日 late", at=END)
    assert participating(database, campaign.id) == {at_start}
    assert {before, after}.isdisjoint(participating(database, campaign.id))


def test_a_new_campaign_counts_posts_already_in_its_window(forum, database):
    fan = forum.fan()
    old = forum.post(fan, "#fanloop春日 before the campaign existed", at=day(1))
    mention = forum.mention(fan, "转发 #fanloop春日# 抽奖", at=day(2), reposts=40, likes=7)
    campaign = forum.campaign()
    assert participating(database, campaign.id) == {old, mention}
    with database.unit_of_work() as session:
        row = session.get(CampaignPost, (campaign.id, mention))
        assert (row.reposts, row.likes, row.created_at, row.member_id) == (40, 7, day(2), fan.id)


def test_editing_what_a_campaign_listens_for_counts_again(forum, database):
    fan = forum.fan()
    tagged = forum.post(fan, "#fanloop春日 hello", at=day(1))
    worded = forum.post(fan, "I like the spring update", at=day(2))
    late = forum.post(fan, "spring is here", at=END + timedelta(days=2))
    campaign = forum.campaign()
    assert participating(database, campaign.id) == {tagged}
    with database.unit_of_work(write=True) as session:
        lead = session.get(Member, forum.lead.id)
        service.update_campaign(
            session, actor=lead, campaign_id=campaign.id, hashtags=[], keywords=["spring"]
        )
    assert participating(database, campaign.id) == {worded}
    with database.unit_of_work(write=True) as session:
        lead = session.get(Member, forum.lead.id)
        service.update_campaign(session, actor=lead, campaign_id=campaign.id, ends_at=END + timedelta(days=3))
    assert participating(database, campaign.id) == {worded, late}


def test_rematching_reads_in_batches(forum, database):
    fan = forum.fan()
    ids = {forum.post(fan, f"#fanloop春日 number {n}", at=day(1)) for n in range(7)}
    forum.post(fan, "unrelated", at=day(1))
    campaign = forum.campaign()
    with database.unit_of_work(write=True) as session:
        found = session.get(Campaign, campaign.id)
        assert matching.rematch_campaign(session, found, batch=2) == 7
    assert participating(database, campaign.id) == ids


def test_non_ascii_terms_that_fold_case_skip_the_sql_prefilter(forum, database):
    fan = forum.fan()
    post = forum.post(fan, "Das ÜBER-Event", at=day(1))
    campaign = forum.campaign(hashtags=[], keywords=["über"])
    assert participating(database, campaign.id) == {post}


def test_a_removed_post_no_longer_takes_part(forum, database):
    campaign = forum.campaign()
    post_id = forum.post(forum.fan(), "#fanloop春日 oops")
    with database.unit_of_work(write=True) as session:
        posts.moderate_post(
            session, actor=session.get(Member, forum.staff.id), post_id=post_id, action="delete"
        )
    assert participating(database, campaign.id) == set()


def test_deleting_a_campaign_deletes_its_participation(forum, database):
    campaign = forum.campaign()
    forum.post(forum.fan(), "#fanloop春日")
    with database.unit_of_work(write=True) as session:
        service.delete_campaign(session, actor=session.get(Member, forum.lead.id), campaign_id=campaign.id)
    with database.unit_of_work() as session:
        assert session.scalar(select(func.count()).select_from(CampaignPost)) == 0


# --------------------------------------------------------------------------- the report


def test_report_figures(forum, database):
    ann, bo, cy = forum.fan("ann"), forum.fan("bob"), forum.fan("cyd")
    forum.post(ann, "#fanloop春日 one", at=day(0, 9))
    forum.post(ann, "#fanloop春日 two", at=day(2, 9))
    forum.mention(bo, "#fanloop春日# 转发", at=day(2, 20), reposts=30, likes=5)
    forum.post(cy, "not taking part", at=day(3))
    campaign = forum.campaign(cost="300", goal_metric="participants", goal_value=4)
    newcomers = [forum.fan(f"new_{n}") for n in range(3)]
    forum.set_origin(newcomers[0], campaign_id=campaign.id, at=day(1))
    forum.set_origin(newcomers[1], campaign_id=campaign.id, at=day(2))
    forum.set_origin(
        newcomers[2], campaign_id=campaign.id, at=START - timedelta(days=3)
    )  # before: not counted

    found = campaign_report(database, forum.lead, campaign.id)

    assert found.totals == report.Totals(participants=2, posts=3, reposts=30, likes=5, new_members=2)
    assert found.cost_per_new_member_cents == 15000
    assert found.goal_progress == 50.0
    assert found.status == "running"
    assert [p.handle for p in found.top_participants] == ["ann", "bob"]
    assert [p.day for p in found.per_day][0] == date(2026, 3, 1)
    assert found.per_day[-1].day == date(2026, 3, 10)  # to today while it runs
    by_day = {p.day: p for p in found.per_day}
    assert (by_day[date(2026, 3, 1)].posts, by_day[date(2026, 3, 1)].new_participants) == (1, 1)
    assert (by_day[date(2026, 3, 3)].posts, by_day[date(2026, 3, 3)].new_participants) == (2, 1)
    assert by_day[date(2026, 3, 2)].new_members == 1 and by_day[date(2026, 3, 3)].new_members == 1
    assert sum(p.posts for p in found.per_day) == 3
    assert found.recent_posts[0].channel == "weibo"


def test_report_days_follow_the_viewers_time_zone(forum, database):
    forum.post(forum.fan(), "#fanloop春日 late evening in UTC", at=day(2, 20))  # 3 March 20:00 UTC
    campaign = forum.campaign()
    shanghai = {
        p.day: p.posts for p in campaign_report(database, forum.lead, campaign.id, "Asia/Shanghai").per_day
    }
    assert shanghai[date(2026, 3, 4)] == 1  # 4 March 04:00 in Shanghai


def test_no_new_members_means_no_cost_per_new_fan_and_no_goal_means_no_progress(forum, database):
    campaign = forum.campaign(cost="500")
    found = campaign_report(database, forum.lead, campaign.id)
    assert found.totals.new_members == 0
    assert found.cost_per_new_member_cents is None
    assert found.goal_progress is None


def test_reach_goal_counts_reposts(forum, database):
    forum.mention(forum.fan(), "#fanloop春日#", at=day(1), reposts=150)
    campaign = forum.campaign(goal_metric="reach", goal_value=100)
    assert campaign_report(database, forum.lead, campaign.id).goal_progress == 150.0


def test_cost_per_new_fan_rounds_to_the_cent():
    assert report.cost_per_new_member(1000, 3) == 333
    assert report.cost_per_new_member(1001, 2) == 501
    assert report.cost_per_new_member(1000, 0) is None


def test_report_is_a_few_aggregates_however_many_rows(forum, database):
    """The figures come from SQL aggregates: the statement count does not grow with the rows."""
    from sqlalchemy import event

    from fanloop.community.posts.models import Post

    campaign = forum.campaign()
    fan_ids = [forum.fan(f"bulk_{n}").id for n in range(5)]
    post_id = forum.post(forum.fan(), "#fanloop春日 seed", at=day(1))
    with database.unit_of_work(write=True) as session:
        template = session.get(Post, post_id)
        base = {c: getattr(template, c) for c in ("board_id", "kind", "status", "title", "body", "body_html")}
        rows = [
            base
            | {
                "author_id": fan_ids[n % 5],
                "channel": "forum",
                "created_at": day(n % 9),
                "updated_at": day(0),
            }
            for n in range(SCALE)
        ]
        session.execute(Post.__table__.insert(), rows)
        new_ids = session.scalars(select(Post.id).where(Post.id != post_id).order_by(Post.id)).all()
        session.execute(
            CampaignPost.__table__.insert(),
            [
                {"campaign_id": campaign.id, "post_id": pid, "member_id": fan_ids[n % 5], "reposts": 1, "likes": 0,
                 "created_at": day(n % 9)}
                for n, pid in enumerate(new_ids)
            ],
        )  # fmt: skip
    statements = []
    listener = lambda *args: statements.append(args[2])  # noqa: E731
    event.listen(database.engine, "before_cursor_execute", listener)
    try:
        found = campaign_report(database, forum.lead, campaign.id)
    finally:
        event.remove(database.engine, "before_cursor_execute", listener)
    assert found.totals.posts == SCALE + 1 and found.totals.reposts == SCALE
    assert found.totals.participants == 6
    assert len(found.top_participants) == 6 and len(found.recent_posts) == report.RECENT_POSTS
    assert sum(p.posts for p in found.per_day) == SCALE + 1
    assert len(statements) <= 12, statements
