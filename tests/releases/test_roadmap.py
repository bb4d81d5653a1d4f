"""The roadmap from post statuses and pain points, and what staff do to it."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from fanloop.community.members.models import Member
from fanloop.community.posts.models import Post
from fanloop.core.errors import Forbidden
from fanloop.releases import flows, roadmap
from fanloop.releases import service as releases


def _columns(forum) -> dict[str, list[str]]:
    with forum.database.unit_of_work() as session:
        return {column: [card.key for card in cards] for column, cards in roadmap.roadmap(session).items()}


def test_pain_points_and_posts_share_the_columns(forum):
    fan = forum.fan()
    ideas = [forum.post(fan, f"Battery drain {index}", kind="complaint") for index in range(2)]
    planned_post = forum.post(fan, "Dark mode")
    forum.status(planned_post, "planned")
    point = forum.pain_point("Overnight battery drain", ideas, status="planned")
    columns = _columns(forum)
    assert set(columns["planned"]) == {f"post:{planned_post}", f"pain_point:{point}"}
    assert columns["in_progress"] == columns["shipped"] == []

    with forum.database.unit_of_work(write=True) as session:
        roadmap.move(
            session,
            actor=session.get(Member, forum.staff.id),
            subject="pain_point",
            subject_id=point,
            status="in_progress",
        )
    assert _columns(forum)["in_progress"] == [f"pain_point:{point}"]
    with forum.database.unit_of_work() as session:
        assert set(session.scalars(select(Post.status).where(Post.id.in_(ideas)))) == {"in_progress"}


def test_a_release_moves_cards_to_shipped_with_its_version(forum):
    fan = forum.fan()
    post_id = forum.post(fan, "Dark mode")
    forum.status(post_id, "in_progress")
    with forum.database.unit_of_work(write=True) as session:
        staff = session.get(Member, forum.staff.id)
        release = releases.ensure_open_release(session)
        releases.add_item(session, actor=staff, release_id=release.id, post_id=post_id)
        flows.publish(session, actor=staff, release_id=release.id)
    with forum.database.unit_of_work() as session:
        [card] = roadmap.roadmap(session)["shipped"]
    assert (card.id, card.version) == (post_id, "2026.03.13")


def test_staff_order_comes_before_votes_and_fans_may_not_order(forum):
    fan, voter = forum.fan(), forum.fan()
    first, second, third = (forum.post(fan, title) for title in ("One", "Two", "Three"))
    for post_id in (first, second, third):
        forum.status(post_id, "planned")
    forum.vote(voter, first)
    assert _columns(forum)["planned"][0] == f"post:{first}"
    with forum.database.unit_of_work(write=True) as session:
        roadmap.reorder(
            session, actor=session.get(Member, forum.staff.id), cards=[("post", third), ("post", second)]
        )
    assert _columns(forum)["planned"] == [f"post:{third}", f"post:{second}", f"post:{first}"]
    with forum.database.unit_of_work() as session, pytest.raises(Forbidden):
        roadmap.reorder(session, actor=session.get(Member, fan.id), cards=[("post", first)])


def test_candidates_offer_what_changed_since_the_last_release(forum, clock):
    fan = forum.fan()
    shipped_before, changed_after = forum.post(fan, "Old"), forum.post(fan, "New")
    forum.status(shipped_before, "acknowledged")
    with forum.database.unit_of_work(write=True) as session:
        staff = session.get(Member, forum.staff.id)
        release = releases.ensure_open_release(session)
        releases.add_item(session, actor=staff, release_id=release.id, post_id=shipped_before)
        flows.publish(session, actor=staff, release_id=release.id)
    clock.advance(hours=1)
    forum.status(changed_after, "acknowledged")
    with forum.database.unit_of_work() as session:
        staff = session.get(Member, forum.staff.id)
        found = releases.candidates(session, actor=staff, release_id=releases.open_release(session).id)
    assert [candidate.id for candidate in found.changed_since_last] == [changed_after]


def test_a_post_shipped_long_ago_leaves_the_shipped_column_even_if_edited(forum, clock):
    fan = forum.fan()
    post_id = forum.post(fan, "Dark mode")
    forum.status(post_id, "shipped")
    assert _columns(forum)["shipped"] == [f"post:{post_id}"]
    clock.advance(days=40)
    from fanloop.community.posts import service as posts

    with forum.database.unit_of_work(write=True) as session:
        posts.edit_post(
            session,
            editor=session.get(Member, fan.id),
            post_id=post_id,
            data=posts.PostInput(board="general", kind="suggestion", title="Dark mode!", body="Edited."),
        )
    assert _columns(forum)["shipped"] == []


def test_cards_staff_placed_show_however_few_their_votes(forum):
    fan, voter = forum.fan(), forum.fan()
    popular, quiet = forum.post(fan, "Popular"), forum.post(fan, "Quiet")
    for post_id in (popular, quiet):
        forum.status(post_id, "planned")
    forum.vote(voter, popular)
    with forum.database.unit_of_work(write=True) as session:
        roadmap.reorder(session, actor=session.get(Member, forum.staff.id), cards=[("post", quiet)])
    with forum.database.unit_of_work() as session:
        cards = roadmap.roadmap(session, limit=1)["planned"]
    assert [card.id for card in cards] == [quiet]


def test_a_post_shipped_before_and_planned_again_is_a_candidate_again(forum, clock):
    fan = forum.fan()
    post_id = forum.post(fan, "Dark mode")
    with forum.database.unit_of_work(write=True) as session:
        staff = session.get(Member, forum.staff.id)
        release = releases.ensure_open_release(session)
        releases.add_item(session, actor=staff, release_id=release.id, post_id=post_id)
        flows.publish(session, actor=staff, release_id=release.id)
    clock.advance(days=2)
    forum.status(post_id, "planned")  # it came back
    with forum.database.unit_of_work() as session:
        found = releases.candidates(
            session, actor=session.get(Member, forum.staff.id), release_id=releases.open_release(session).id
        )
    assert [candidate.id for candidate in found.planned] == [post_id]
