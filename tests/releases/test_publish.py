"""Publishing a release: posts shipped, fans credited and told once, the next release opened."""

from __future__ import annotations

import threading

import pytest
from sqlalchemy import func, select

from fanloop.community.members.models import Member
from fanloop.community.posts.models import Post, StatusChange
from fanloop.core.errors import Conflict, Forbidden, Invalid
from fanloop.releases import changelog, flows, scheduled
from fanloop.releases import service as releases
from fanloop.releases.models import Release, ReleaseCredit
from fanloop.service.notify.models import Notification, OutboxEvent


def _open(forum) -> int:
    with forum.database.unit_of_work(write=True) as session:
        return releases.ensure_open_release(session).id


def _add(forum, release_id: int, **item) -> int:
    with forum.database.unit_of_work(write=True) as session:
        return releases.add_item(
            session, actor=session.get(Member, forum.staff.id), release_id=release_id, **item
        ).id


def _publish(forum, release_id: int, actor=None):
    with forum.database.unit_of_work(write=True) as session:
        member = session.get(Member, (actor or forum.staff).id)
        return flows.publish(session, release_id=release_id, actor=member)


def _notifications(forum, member: Member) -> list[Notification]:
    with forum.database.unit_of_work() as session:
        return list(session.scalars(select(Notification).where(Notification.member_id == member.id)))


def test_the_cadence_opens_the_next_release_once(forum):
    first, again = _open(forum), _open(forum)
    assert first == again
    with forum.database.unit_of_work() as session:
        release = session.get(Release, first)
        assert (release.state, release.version) == ("draft", "2026.03.13")
        assert release.planned_for.isoformat() == "2026-03-13T09:00:00+00:00"


def test_publishing_ships_credits_and_tells_everyone_once(forum):
    author, voter, confirmer, follower, bystander = (
        forum.fan(name) for name in ("li_na", "wang", "zhao", "qian", "sun")
    )
    idea = forum.post(author, "Dark mode for the gallery")
    bug = forum.post(author, "Camera freezes on launch", kind="bug")
    unrelated = forum.post(bystander, "Bigger clock widget")
    forum.vote(voter, idea)
    forum.vote(confirmer, bug)
    forum.follow(follower, idea)
    forum.status(idea, "planned")
    release_id = _open(forum)
    _add(forum, release_id, post_id=idea)
    _add(forum, release_id, post_id=bug, summary="The camera no longer freezes")

    result = _publish(forum, release_id)

    assert (result.posts_shipped, result.credited, result.notified) == (2, 3, 4)
    with forum.database.unit_of_work() as session:
        statuses = dict(session.execute(select(Post.id, Post.status)).all())
        assert (statuses[idea], statuses[bug], statuses[unrelated]) == ("shipped", "shipped", "open")
        note = session.scalar(
            select(StatusChange.note).where(StatusChange.post_id == idea, StatusChange.to_status == "shipped")
        )
        assert note == "Shipped in 2026.03.13"
        credits = set(session.execute(select(ReleaseCredit.member_id, ReleaseCredit.role)))
        assert credits == {(author.id, "reporter"), (voter.id, "voter"), (confirmer.id, "confirmer")}
        xp = dict(session.execute(select(Member.handle, Member.xp)).all())
        assert xp["qian"] == 0  # following is not credited
        events = [
            event.payload
            for event in session.scalars(select(OutboxEvent).where(OutboxEvent.topic == "release.published"))
        ]
        assert len(events) == 1 and {item["post_id"] for item in events[0]["items"]} == {idea, bug}
        # The next release is open for the following Friday.
        assert releases.open_release(session).version == "2026.03.20"
    # The author asked in two posts: one message naming both. The status changes told nobody apart.
    [message] = [n for n in _notifications(forum, author) if n.kind == "release_shipped"]
    assert (
        f"#{idea} Dark mode for the gallery" in message.body
        and f"#{bug} Camera freezes on launch" in message.body
    )
    assert message.url == "/changelog/2026.03.13"
    assert not [
        n for n in _notifications(forum, author) if n.kind == "status_changed" and n.body == "shipped"
    ]
    for member in (voter, confirmer, follower):
        assert [n.kind for n in _notifications(forum, member) if n.kind == "release_shipped"] == [
            "release_shipped"
        ]
    assert _notifications(forum, bystander) == []


def test_experience_goes_to_each_fan_once_for_their_best_role(forum):
    author, voter = forum.fan("li_na"), forum.fan("wang")
    first, second = forum.post(author, "Dark mode"), forum.post(voter, "Bigger icons")
    forum.vote(voter, first)
    release_id = _open(forum)
    _add(forum, release_id, post_id=first)
    _add(forum, release_id, post_id=second)
    with forum.database.unit_of_work() as session:
        before = dict(session.execute(select(Member.handle, Member.xp)).all())
    _publish(forum, release_id)
    with forum.database.unit_of_work() as session:
        after = dict(session.execute(select(Member.handle, Member.xp)).all())
    # wang reported one item and voted for the other: the reporter's 30 points, once.
    assert after["wang"] - before["wang"] == 30
    assert after["li_na"] - before["li_na"] == 30


def test_a_pain_point_ships_all_its_posts(forum):
    fans = [forum.fan() for _ in range(3)]
    post_ids = [
        forum.post(fan, f"Battery drains overnight {index}", kind="complaint")
        for index, fan in enumerate(fans)
    ]
    point = forum.pain_point("Overnight battery drain", post_ids)
    release_id = _open(forum)
    _add(forum, release_id, pain_point_id=point)
    result = _publish(forum, release_id)
    assert result.posts_shipped == 3 and result.credited == 3
    with forum.database.unit_of_work() as session:
        view = changelog.release_view(session, release=session.get(Release, release_id))
        [item] = view.items
        assert [post.id for post in item.posts] == post_ids
        assert item.credit_counts == {"reporter": 3}
        assert {member.handle for member in view.honour_roll} == {fan.handle for fan in fans}


def test_duplicates_merged_into_an_item_are_shipped_and_their_authors_told(forum):
    first, second = forum.fan(), forum.fan()
    original, duplicate = forum.post(first, "Dark mode"), forum.post(second, "Night theme please")
    from fanloop.community.posts import service as posts

    with forum.database.unit_of_work(write=True) as session:
        posts.merge_posts(
            session, actor=session.get(Member, forum.staff.id), duplicate_id=duplicate, into_id=original
        )
    release_id = _open(forum)
    _add(forum, release_id, post_id=original)
    _publish(forum, release_id)
    [message] = [n for n in _notifications(forum, second) if n.kind == "release_shipped"]
    assert f"#{duplicate} Night theme please" in message.body


def test_publishing_twice_is_refused_and_tells_nobody_again(forum):
    fan = forum.fan()
    post_id = forum.post(fan, "Dark mode")
    release_id = _open(forum)
    _add(forum, release_id, post_id=post_id)
    _publish(forum, release_id)
    with pytest.raises(Conflict):
        _publish(forum, release_id)
    assert len([n for n in _notifications(forum, fan) if n.kind == "release_shipped"]) == 1


def test_fans_may_not_publish_and_empty_releases_do_not_publish(forum):
    fan = forum.fan()
    release_id = _open(forum)
    with pytest.raises(Forbidden):
        _publish(forum, release_id, actor=fan)
    with pytest.raises(Invalid, match="at least one item"):
        _publish(forum, release_id)


def test_a_scheduled_release_publishes_itself_at_its_time_once_with_two_workers(forum, clock):
    fans = [forum.fan() for _ in range(5)]
    post_id = forum.post(fans[0], "Dark mode")
    for fan in fans[1:]:
        forum.vote(fan, post_id)
    release_id = _open(forum)
    _add(forum, release_id, post_id=post_id)
    with forum.database.unit_of_work(write=True) as session:
        releases.schedule(session, actor=session.get(Member, forum.staff.id), release_id=release_id)
    assert scheduled.run_train(forum.database) == 0  # Tuesday: not yet
    clock.set(clock.now().replace(day=13, hour=9, minute=0))
    results: list[int] = []
    workers = [
        threading.Thread(target=lambda: results.append(scheduled.run_train(forum.database))) for _ in range(2)
    ]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join()
    assert sorted(results) == [0, 1]
    with forum.database.unit_of_work() as session:
        assert session.get(Release, release_id).state == "published"
        told = session.execute(
            select(Notification.member_id, func.count())
            .where(Notification.kind == "release_shipped")
            .group_by(Notification.member_id)
        ).all()
    assert sorted(member for member, _ in told) == sorted(fan.id for fan in fans)
    assert {count for _, count in told} == {1}


def test_what_shipped_because_of_a_fan(forum):
    fan, voter = forum.fan("li_na"), forum.fan("wang")
    post_id = forum.post(fan, "Dark mode")
    forum.vote(voter, post_id)
    release_id = _open(forum)
    _add(forum, release_id, post_id=post_id, summary="Dark mode everywhere")
    _publish(forum, release_id)
    with forum.database.unit_of_work() as session:
        [shipped] = changelog.shipped_because_of(session, member_id=fan.id)
        assert (shipped.version, shipped.summary, shipped.roles) == (
            "2026.03.13",
            "Dark mode everywhere",
            ("reporter",),
        )
        assert changelog.shipped_because_of(session, member_id=voter.id)[0].roles == ("voter",)


def test_versions_are_safe_in_a_url(forum):
    with forum.database.unit_of_work(write=True) as session:
        staff = session.get(Member, forum.staff.id)
        with pytest.raises(Invalid, match="letters, digits"):
            releases.create_release(session, actor=staff, version="6.12 beta/2")
        assert releases.create_release(session, actor=staff, version="6.12.4+b2").version == "6.12.4+b2"


def test_a_new_cadence_moves_and_renames_the_draft_it_named(forum):
    draft = _open(forum)
    with forum.database.unit_of_work(write=True) as session:
        lead, staff = session.get(Member, forum.lead.id), session.get(Member, forum.staff.id)
        chosen = releases.create_release(session, actor=staff, version="spring-update").id
        releases.update_train(
            session, actor=lead, weekday=0, time_of_day="10:00", version_format="%Y-%m-%d %a"
        )
    with forum.database.unit_of_work() as session:
        moved = session.get(Release, draft)
        assert (moved.version, moved.planned_for.isoformat()) == (
            "2026-03-16-Mon",
            "2026-03-16T02:00:00+00:00",
        )
        assert session.get(Release, chosen).version == "spring-update"
