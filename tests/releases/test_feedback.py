"""Four-box reports and the weekly award."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from fanloop.community.members.models import Member
from fanloop.community.posts.models import Post
from fanloop.core.errors import Conflict, Invalid, NotFound
from fanloop.releases import feedback, flows
from fanloop.releases import service as releases
from fanloop.releases.models import Release
from fanloop.service.notify.models import Notification


def _published(forum, titles=("Dark mode", "Bigger icons")) -> tuple[int, list[int], list[int]]:
    """A published release of one post per title; returns its id, item ids and post ids."""
    fan = forum.fan()
    post_ids = [forum.post(fan, title) for title in titles]
    with forum.database.unit_of_work(write=True) as session:
        staff = session.get(Member, forum.staff.id)
        release = releases.ensure_open_release(session)
        items = [
            releases.add_item(session, actor=staff, release_id=release.id, post_id=p).id for p in post_ids
        ]
        flows.publish(session, actor=staff, release_id=release.id)
        return release.id, items, post_ids


def _report(forum, member, release_id, **answers):
    with forum.database.unit_of_work(write=True) as session:
        return feedback.file_report(
            session,
            member=session.get(Member, member.id),
            release_id=release_id,
            settings=forum.settings,
            **answers,
        )


def test_a_report_turns_what_broke_and_what_next_into_posts(forum):
    release_id, items, _ = _published(forum)
    reporter = forum.fan("wang")
    report = _report(
        forum,
        reporter,
        release_id,
        liked_most="Dark mode is lovely",
        liked_most_item_id=items[0],
        broke="The camera app crashes when I switch to night mode",
        want_next="Please add a sleep timer to the music app",
    )
    with forum.database.unit_of_work() as session:
        bug, wish = session.get(Post, report.bug_post_id), session.get(Post, report.wish_post_id)
        assert (bug.kind, wish.kind) == ("bug", "suggestion")
        assert bug.title == "[2026.03.13] The camera app crashes when I switch to night mode"
        assert "four-box report on release 2026.03.13" in bug.body
        assert bug.author_id == reporter.id and bug.board.slug == "general"
    with pytest.raises(Conflict, match="already reported"):
        _report(forum, reporter, release_id, liked_most="again")


def test_reports_need_an_answer_and_items_of_the_release(forum):
    release_id, _, _ = _published(forum)
    fan = forum.fan()
    with pytest.raises(Invalid, match="at least one"):
        _report(forum, fan, release_id, broke="   ")
    with pytest.raises(Invalid, match="not in release"):
        _report(forum, fan, release_id, liked_most_item_id=9999)


def test_an_unpublished_release_takes_no_reports(forum):
    with forum.database.unit_of_work(write=True) as session:
        draft = releases.ensure_open_release(session).id
    with pytest.raises(NotFound):  # a fan does not even see it
        _report(forum, forum.fan(), draft, liked_most="early")
    with pytest.raises(Conflict, match="not published"):
        _report(forum, forum.staff, draft, liked_most="early")


def test_the_summary_counts_boxes_items_days_and_beta(forum, clock):
    release_id, items, _ = _published(forum)
    fans = [forum.fan() for _ in range(3)]
    _report(
        forum,
        fans[0],
        release_id,
        liked_most_item_id=items[0],
        liked_least_item_id=items[1],
        broke="Crash on start",
    )
    clock.advance(days=1)
    _report(forum, fans[1], release_id, liked_most_item_id=items[0], want_next="Sleep timer")
    _report(forum, fans[2], release_id, liked_least="Too bright")
    with forum.database.unit_of_work() as session:
        summary = feedback.report_summary(
            session, viewer=session.get(Member, forum.staff.id), release_id=release_id
        )
    assert summary.reports == 3 and (summary.bug_posts, summary.wish_posts) == (1, 1)
    assert summary.box_counts == {"liked_most": 0, "liked_least": 1, "broke": 1, "want_next": 1}
    assert [(t.liked_most, t.liked_least) for t in summary.items] == [(2, 0), (0, 1)]
    assert [count for _, count in summary.per_day] == [1, 2]


def test_one_award_vote_per_fan_and_the_winner_when_the_next_release_ships(forum, clock):
    release_id, items, post_ids = _published(forum)
    voters = [forum.fan() for _ in range(3)]
    with forum.database.unit_of_work(write=True) as session:
        for voter, item in zip(voters, (items[0], items[1], items[1]), strict=True):
            feedback.vote_award(
                session, member=session.get(Member, voter.id), release_id=release_id, item_id=item
            )
        # a fan may move their vote; it still counts once
        feedback.vote_award(
            session, member=session.get(Member, voters[0].id), release_id=release_id, item_id=items[1]
        )
        assert [(s.item_id, s.votes) for s in feedback.standings(session, release_id=release_id)] == [
            (items[1], 3),
            (items[0], 0),
        ]
    with forum.database.unit_of_work(write=True) as session:
        from fanloop.community.posts import service as posts

        posts.add_reply(
            session,
            author=session.get(Member, forum.staff.id),
            post_id=post_ids[1],
            body="Shipped!",
            settings=forum.settings,
        )
    clock.advance(days=7)
    _published(forum, titles=("Next week's fix",))  # publishing the next release closes the vote
    with forum.database.unit_of_work() as session:
        release = session.get(Release, release_id)
        winner, fans, staff = feedback.award_result(session, release=release)
        assert release.award_item_id == items[1] and winner.votes == 3
        assert [m.id for m in staff] == [forum.staff.id]
        told = set(session.scalars(select(Notification.member_id).where(Notification.kind == "award_won")))
        assert told == {m.id for m in fans} | {forum.staff.id}
    with forum.database.unit_of_work(write=True) as session, pytest.raises(Conflict, match="closed"):
        feedback.vote_award(
            session, member=session.get(Member, voters[0].id), release_id=release_id, item_id=items[0]
        )
