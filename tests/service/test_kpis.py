"""KPI figures from scenarios built with exact time travel through the community and desk services."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest

from fanloop.community.members.models import Member
from fanloop.core.errors import Forbidden, Invalid, NotAuthenticated
from fanloop.service.kpis import service as kpis
from fanloop.service.kpis import stats
from fanloop.service.sla.scheduled import sweep

TUESDAY = date(2026, 3, 10)  # the clock fixture starts at 13:40 UTC that day


def run_sweep(database) -> None:
    with database.unit_of_work(write=True) as session:
        sweep(session)


def answer_in(desk, database, clock, *, fan, engineer, minutes: float, board: str = "battery") -> int:
    """A fan posts; `engineer` replies after `minutes`. A sweep runs whenever a target passes."""
    post_id = desk.post(fan, board=board)
    if minutes > 15:
        clock.advance(minutes=15)
        run_sweep(database)
        clock.advance(minutes=minutes - 15)
    else:
        clock.advance(minutes=minutes)
    desk.reply(engineer, post_id)
    return post_id


def report(database, viewer, function=kpis.person_kpis, **options):
    options.setdefault("start", TUESDAY)
    options.setdefault("end", TUESDAY)
    with database.unit_of_work() as session:
        return function(session, viewer=session.get(Member, viewer.id), **options)


def by_handle(rows) -> dict:
    return {row.handle: row for row in rows}


# --------------------------------------------------------------------------- pure figures


def test_median_is_the_middle_and_p90_the_nearest_rank():
    minutes = [2, 4, 6, 8, 20]
    assert stats.median(minutes) == 6
    assert stats.p90(minutes) == 20  # ceil(0.9 * 5) = 5th value, a reply time that happened
    assert stats.median([2, 4, 10, 30]) == 7  # the mean of the two middle values
    assert stats.p90(list(range(1, 11))) == 9
    assert stats.percentile([5, 1, 3], 50) == 3
    assert stats.median([]) is None and stats.p90([]) is None
    assert stats.share([True, True, False, True, True]) == 0.8
    assert stats.share([]) is None
    with pytest.raises(ValueError):
        stats.percentile([1], 0)


# --------------------------------------------------------------------------- one engineer's week


def test_one_engineers_figures(desk, database, clock):
    fan, lead = desk.seed.member("fan"), desk.seed.member("lead", "chen_jie")
    zhang = desk.staff("zhang_min", team="camera")
    posts = [answer_in(desk, database, clock, fan=fan, engineer=zhang, minutes=m) for m in (2, 4, 6, 8, 20)]
    desk.reply(zhang, posts[0], "note: asked the modem team", internal=True)  # not a reply to the fan

    row = by_handle(report(database, lead).rows)["zhang_min"]
    figures = row.figures
    assert (row.display_name, row.team, row.bucket_start, row.bucket_end) == (
        "Zhang Min",
        "camera",
        TUESDAY,
        TUESDAY,
    )
    assert figures.replies == 5 and figures.first_replies == 5 and figures.posts_handled == 5
    assert figures.first_reply_median_seconds == 6 * 60
    assert figures.first_reply_p90_seconds == 20 * 60
    assert figures.within_target_share == 0.8
    assert figures.breaches == 1

    desk.reply(fan, posts[1], "still draining")
    desk.reply(zhang, posts[1], "Thanks, the log helps.")  # a next reply: one more reply, same post
    figures = by_handle(report(database, lead).rows)["zhang_min"].figures
    assert (figures.replies, figures.first_replies, figures.posts_handled) == (6, 5, 5)


def test_a_reply_by_someone_else_is_credited_to_the_replier(desk, database, clock):
    fan, lead = desk.seed.member("fan"), desk.seed.member("lead")
    assignee = desk.staff("assignee_a")
    helper = desk.staff("helper_b", on_rota=False)
    post_id = answer_in(desk, database, clock, fan=fan, engineer=helper, minutes=3)
    clock.advance(minutes=1)
    desk.reply(assignee, post_id, "I'll follow this one up.")

    rows = by_handle(report(database, lead).rows)
    assert rows["helper_b"].figures.first_replies == 1
    assert rows["helper_b"].figures.first_reply_median_seconds == 180
    assert rows["helper_b"].team == ""  # not on the rota
    assert rows["assignee_a"].figures.first_replies == 0
    assert rows["assignee_a"].figures.replies == 1
    assert rows["assignee_a"].figures.first_reply_median_seconds is None


def test_a_breach_counts_for_whoever_had_the_post(desk, database, clock):
    fan, lead = desk.seed.member("fan"), desk.seed.member("lead")
    first = desk.staff("first_c")
    desk.post(fan)
    clock.advance(minutes=16)
    run_sweep(database)
    rows = by_handle(report(database, lead).rows)
    figures = rows["first_c"].figures
    assert figures.breaches == 1
    # Nobody answered: no answered-only figures, but the target that came due was missed.
    assert figures.first_replies == 0 and figures.answered_within_target_share is None
    assert (figures.first_replies_due, figures.unanswered_past_target, figures.within_target_share) == (
        1,
        1,
        0.0,
    )
    assert first.id == rows["first_c"].member_id


# --------------------------------------------------------------------------- honest share within target


def test_half_the_posts_unanswered_is_half_within_target_everywhere(desk, database, clock):
    """4 posts, 2 answered in 5 minutes, 2 never answered and past due: 50% within target for the
    person who had them, her team, the board, everyone and the day; 100% of the answered ones."""
    fan, lead = desk.seed.member("fan"), desk.seed.member("lead")
    zhang = desk.staff("zhang_min", team="camera")
    posts = [desk.post(fan) for _ in range(4)]
    clock.advance(minutes=5)
    for post_id in posts[:2]:
        desk.reply(zhang, post_id)
    clock.advance(minutes=20)
    run_sweep(database)

    def honest(figures) -> tuple:
        return (
            figures.first_replies_due,
            figures.first_replies,
            figures.answered_within_target,
            figures.unanswered_past_target,
            figures.within_target_share,
            figures.answered_within_target_share,
        )

    expected = (4, 2, 2, 2, 0.5, 1.0)
    mine = by_handle(report(database, lead).rows)["zhang_min"].figures
    assert honest(mine) == expected
    assert mine.first_reply_median_seconds == 300 and mine.breaches == 2
    teams = {row.team: row for row in report(database, lead, function=kpis.team_kpis).rows}
    assert honest(teams["camera"].figures) == expected and honest(teams[None].figures) == expected
    (battery,) = report(database, lead, function=kpis.board_ranking).rows
    assert battery.slug == "battery" and honest(battery.figures) == expected
    (day,) = report(database, lead, function=kpis.timeline).rows
    assert honest(day.figures) == expected
    # She sees the same about herself.
    assert honest(report(database, zhang).rows[0].figures) == expected
    assert honest(report(database, zhang, function=kpis.timeline).rows[0].figures) == expected


def test_an_unassigned_unanswered_post_counts_for_the_board_and_everyone_only(desk, database, clock):
    fan, lead = desk.seed.member("fan"), desk.seed.member("lead")
    helper = desk.staff("helper_b", on_rota=False)  # nobody on the rota: posts are not assigned
    answer_in(desk, database, clock, fan=fan, engineer=helper, minutes=3)
    desk.post(fan)
    clock.advance(minutes=20)

    helper_figures = by_handle(report(database, lead).rows)["helper_b"].figures
    assert (helper_figures.first_replies_due, helper_figures.within_target_share) == (1, 1.0)
    teams = {row.team: row.figures for row in report(database, lead, function=kpis.team_kpis).rows}
    assert (teams[""].first_replies_due, teams[""].within_target_share) == (1, 1.0)
    assert (teams[None].first_replies_due, teams[None].unanswered_past_target) == (2, 1)
    assert teams[None].within_target_share == 0.5 and teams[None].answered_within_target_share == 1.0
    (battery,) = report(database, lead, function=kpis.board_ranking).rows
    assert battery.figures.within_target_share == 0.5 and battery.figures.unanswered_past_target == 1


def test_late_answers_miss_and_clocks_not_yet_due_or_cancelled_are_not_counted(desk, database, clock):
    from fanloop.community.posts import service as posts
    from fanloop.service.desk import service as desk_service

    fan, lead = desk.seed.member("fan"), desk.seed.member("lead")
    zhang = desk.staff("zhang_min")
    answer_in(desk, database, clock, fan=fan, engineer=zhang, minutes=20)  # late
    deleted = desk.post(fan)
    waiting = desk.post(fan)
    with database.unit_of_work(write=True) as session:
        # Waiting on the fan from the start: the clock never runs, so it never comes due.
        desk_service.set_waiting_on_fan(
            session, actor=session.get(Member, zhang.id), post_id=waiting, waiting=True
        )
    clock.advance(minutes=30)
    with database.unit_of_work(write=True) as session:
        posts.moderate_post(session, actor=session.get(Member, lead.id), post_id=deleted, action="delete")
    desk.post(fan)  # due in 15 minutes: it can still be met
    clock.advance(minutes=14)

    figures = by_handle(report(database, lead).rows)["zhang_min"].figures
    assert (figures.first_replies, figures.answered_within_target, figures.first_replies_due) == (1, 0, 1)
    assert figures.unanswered_past_target == 0
    assert figures.within_target_share == 0.0 and figures.answered_within_target_share == 0.0
    everyone = [r for r in report(database, lead, function=kpis.team_kpis).rows if r.team is None][0]
    assert (everyone.figures.first_replies_due, everyone.figures.unanswered_past_target) == (1, 0)

    clock.advance(minutes=2)  # now the last post is past due
    everyone = [r for r in report(database, lead, function=kpis.team_kpis).rows if r.team is None][0]
    assert (everyone.figures.first_replies_due, everyone.figures.unanswered_past_target) == (2, 1)


def test_waiting_on_the_fan_after_the_target_passed_still_counts_as_missed(desk, database, clock):
    from fanloop.service.desk import service as desk_service

    fan, lead = desk.seed.member("fan"), desk.seed.member("lead")
    zhang = desk.staff("zhang_min")
    post_id = desk.post(fan)
    clock.advance(minutes=20)
    with database.unit_of_work(write=True) as session:
        desk_service.set_waiting_on_fan(
            session, actor=session.get(Member, zhang.id), post_id=post_id, waiting=True
        )
    clock.advance(hours=2)

    figures = by_handle(report(database, lead).rows)["zhang_min"].figures
    assert (figures.first_replies_due, figures.unanswered_past_target, figures.within_target_share) == (
        1,
        1,
        0.0,
    )


def test_a_target_missed_in_one_period_and_answered_in_the_next(desk, database, clock):
    """The past stays as it was: a post unanswered when Tuesday ended counts as unanswered on
    Tuesday, and as a late answer on Wednesday, when it was answered."""
    fan, lead = desk.seed.member("fan"), desk.seed.member("lead")
    zhang = desk.staff("zhang_min")
    clock.set(datetime(2026, 3, 10, 15, 50, tzinfo=UTC))  # 23:50 in Shanghai; due at 00:05
    post_id = desk.post(fan)
    clock.set(datetime(2026, 3, 11, 9, 0, tzinfo=UTC))
    desk.reply(zhang, post_id)

    def figures(**options):
        return by_handle(report(database, lead, **options).rows)["zhang_min"].figures

    tuesday = figures()
    assert (tuesday.first_replies, tuesday.unanswered_past_target, tuesday.within_target_share) == (0, 1, 0.0)
    wednesday = figures(start=date(2026, 3, 11), end=date(2026, 3, 11))
    assert (wednesday.first_replies, wednesday.unanswered_past_target) == (1, 0)
    assert wednesday.within_target_share == 0.0
    both = figures(end=date(2026, 3, 11), bucket="period")
    assert (both.first_replies_due, both.first_replies, both.unanswered_past_target) == (1, 1, 0)
    # In Shanghai the target passed on Wednesday, the day it was answered.
    assert report(database, lead, timezone="Asia/Shanghai", function=kpis.team_kpis).rows == []
    (wednesday,) = report(database, lead, end=date(2026, 3, 11), timezone="Asia/Shanghai").rows
    assert wednesday.bucket_start == date(2026, 3, 11) and wednesday.figures.first_replies_due == 1


# --------------------------------------------------------------------------- days in the viewer's zone


def test_day_buckets_split_at_local_midnight(desk, database, clock):
    fan, lead = desk.seed.member("fan"), desk.seed.member("lead")
    zhang = desk.staff("zhang_min")
    clock.set(datetime(2026, 3, 10, 15, 50, tzinfo=UTC))  # 23:50 in Shanghai
    answer_in(desk, database, clock, fan=fan, engineer=zhang, minutes=5)  # 23:55
    clock.set(datetime(2026, 3, 10, 16, 5, tzinfo=UTC))  # 00:05 on the 11th in Shanghai
    answer_in(desk, database, clock, fan=fan, engineer=zhang, minutes=5)  # 00:10

    shanghai = report(database, lead, end=date(2026, 3, 11), timezone="Asia/Shanghai").rows
    assert [(r.bucket_start, r.figures.replies) for r in shanghai] == [
        (date(2026, 3, 10), 1),
        (date(2026, 3, 11), 1),
    ]
    utc = report(database, lead, end=date(2026, 3, 11)).rows
    assert [(r.bucket_start, r.figures.replies) for r in utc] == [(date(2026, 3, 10), 2)]
    # A Shanghai day that ends at local midnight leaves out the reply at 00:10.
    only_tenth = report(database, lead, timezone="Asia/Shanghai").rows
    assert [r.figures.replies for r in only_tenth] == [1]
    # Weeks start on Monday and are cut to the period.
    week = report(database, lead, end=date(2026, 3, 11), bucket="week", timezone="Asia/Shanghai").rows
    assert [(r.bucket_start, r.bucket_end, r.figures.replies) for r in week] == [
        (TUESDAY, date(2026, 3, 11), 2)
    ]
    whole = report(database, lead, start=date(2026, 3, 1), end=date(2026, 3, 31), bucket="period").rows
    assert [(r.bucket_start, r.bucket_end, r.figures.first_replies) for r in whole] == [
        (date(2026, 3, 1), date(2026, 3, 31), 2)
    ]


# --------------------------------------------------------------------------- teams and boards


def test_team_totals_pool_the_replies(desk, database, clock):
    fan, lead = desk.seed.member("fan"), desk.seed.member("lead")
    alice, bob = desk.staff("alice", team="camera"), desk.staff("bob", team="camera")
    carol = desk.staff("carol")
    for engineer, minutes in ((alice, 2), (bob, 4), (alice, 10), (carol, 30)):
        answer_in(desk, database, clock, fan=fan, engineer=engineer, minutes=minutes)

    teams = {row.team: row for row in report(database, lead, function=kpis.team_kpis).rows}
    assert list(teams) == ["camera", "", None]  # named teams, no team, everyone
    camera, everyone = teams["camera"], teams[None]
    assert camera.people == 2 and camera.figures.first_replies == 3
    assert camera.figures.first_reply_median_seconds == 4 * 60 and camera.figures.within_target_share == 1.0
    assert teams[""].figures.first_reply_median_seconds == 30 * 60
    assert teams[""].figures.within_target_share == 0.0
    assert everyone.people == 3 and everyone.figures.replies == 4
    assert everyone.figures.first_reply_median_seconds == 7 * 60  # (4 + 10) / 2, over all four
    assert everyone.figures.first_reply_p90_seconds == 30 * 60
    assert everyone.figures.within_target_share == 0.75
    assert everyone.figures.breaches == 1  # the sweep at 15 minutes, for whoever had the post


def test_boards_are_ranked_by_share_within_target_then_median(desk, database, clock):
    fan, lead = desk.seed.member("fan"), desk.seed.member("lead")
    desk.seed.board("wifi", "Wi-Fi")
    zhang = desk.staff("zhang_min")
    answer_in(desk, database, clock, fan=fan, engineer=zhang, minutes=2, board="battery")
    answer_in(desk, database, clock, fan=fan, engineer=zhang, minutes=20, board="battery")
    answer_in(desk, database, clock, fan=fan, engineer=zhang, minutes=9, board="camera")
    desk.post(fan, board="wifi")  # not answered yet

    rows = report(database, lead, function=kpis.board_ranking).rows
    assert [(r.rank, r.slug) for r in rows] == [(1, "camera"), (2, "battery"), (3, "wifi")]
    camera, battery, wifi = rows
    assert camera.figures.within_target_share == 1.0 and camera.figures.first_reply_median_seconds == 540
    assert battery.figures.within_target_share == 0.5 and battery.figures.breaches == 1
    assert battery.posts == 2 and battery.figures.first_reply_median_seconds == 11 * 60
    assert wifi.posts == 1 and wifi.figures.within_target_share is None


def test_timeline_has_a_point_for_every_day(desk, database, clock):
    fan, lead = desk.seed.member("fan"), desk.seed.member("lead")
    zhang, li = desk.staff("zhang_min", team="camera"), desk.staff("li_lei")
    for engineer, minutes in ((zhang, 2), (li, 4), (zhang, 6)):
        answer_in(desk, database, clock, fan=fan, engineer=engineer, minutes=minutes)

    points = report(database, lead, function=kpis.timeline, start=date(2026, 3, 8)).rows
    assert [p.day for p in points] == [date(2026, 3, 8), date(2026, 3, 9), TUESDAY]
    assert points[0].figures.first_replies == 0 and points[0].figures.first_reply_median_seconds is None
    assert points[2].figures.first_replies == 3 and points[2].figures.first_reply_median_seconds == 240
    mine = report(database, lead, function=kpis.timeline, person="zhang_min").rows
    assert mine[0].figures.first_replies == 2 and mine[0].figures.first_reply_p90_seconds == 360
    camera = report(database, lead, function=kpis.timeline, team="camera").rows
    assert camera[0].figures.first_replies == 2


# --------------------------------------------------------------------------- who sees what


def test_staff_see_their_own_row_and_the_totals_fans_nothing(desk, database, clock):
    fan = desk.seed.member("fan")
    zhang, li = desk.staff("zhang_min", team="camera"), desk.staff("li_lei", team="camera")
    for engineer in (zhang, li):
        answer_in(desk, database, clock, fan=fan, engineer=engineer, minutes=3)

    assert [r.handle for r in report(database, zhang).rows] == ["zhang_min"]
    everyone = [r for r in report(database, zhang, function=kpis.team_kpis).rows if r.team is None]
    assert everyone[0].figures.first_replies == 2
    assert len(report(database, zhang, function=kpis.board_ranking).rows) == 1
    assert report(database, zhang, function=kpis.timeline).rows[0].figures.first_replies == 1  # hers
    with pytest.raises(Forbidden):
        report(database, zhang, function=kpis.timeline, person="li_lei")
    for function in (kpis.person_kpis, kpis.team_kpis, kpis.board_ranking, kpis.timeline):
        with pytest.raises(Forbidden):
            report(database, fan, function=function)
    with database.unit_of_work() as session, pytest.raises(NotAuthenticated):
        kpis.person_kpis(session, viewer=None)


# --------------------------------------------------------------------------- periods


def test_periods_default_to_the_last_seven_days_and_are_checked(clock):
    assert kpis.period(timezone="Asia/Shanghai") == kpis.Period(date(2026, 3, 4), TUESDAY, "Asia/Shanghai")
    assert kpis.preset_period("this_week").start == date(2026, 3, 9)  # Monday
    assert kpis.preset_period("last_30_days").start == date(2026, 2, 9)
    clock.set(datetime(2026, 3, 10, 16, 30, tzinfo=UTC))  # already Wednesday in Shanghai
    assert kpis.preset_period("last_7_days", timezone="Asia/Shanghai").end == date(2026, 3, 11)
    start, end = kpis.period(start=TUESDAY, end=TUESDAY, timezone="Asia/Shanghai").bounds()
    assert (start, end) == (datetime(2026, 3, 9, 16, tzinfo=UTC), datetime(2026, 3, 10, 16, tzinfo=UTC))
    for bad in (
        {"start": date(2026, 3, 11), "end": TUESDAY},
        {"start": date(2025, 1, 1), "end": TUESDAY},
        {"timezone": "Mars/Olympus_Mons"},
        {"timezone": "../../etc/passwd"},
        {"timezone": "Asia/Shanghai\x00"},
    ):
        with pytest.raises(Invalid):
            kpis.period(**bad)
    with pytest.raises(Invalid):
        kpis.preset_period("last_year")
