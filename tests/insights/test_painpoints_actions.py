"""Staff actions on pain points: merge, split, pin, hide, rename and linking a status, which reaches
the posts' followers; every action is checked on the server and audited."""

from __future__ import annotations

import numpy as np
import pytest
from painpoints_support import clustered_vectors, make_point, make_post, members_of, point, store_vectors
from sqlalchemy import func, select

from fanloop.community.members.models import Member
from fanloop.community.posts import service as posts
from fanloop.community.posts.models import ModerationAction, Post
from fanloop.core.errors import Conflict, Forbidden, Invalid
from fanloop.insights.painpoints import actions, centroids, subscribers
from fanloop.insights.painpoints import service as pain_points
from fanloop.service.notify.models import Notification


@pytest.fixture(autouse=True)
def _fresh_cache():
    centroids.forget()
    yield
    centroids.forget()


@pytest.fixture
def world(database, settings, seed, clock):
    seed.board()
    fan, staff = seed.member("fan"), seed.member("staff")
    matrix = clustered_vectors(2, 4)
    post_ids = [make_post(database, settings, fan, f"Problem {i}", "Text") for i in range(8)]
    store_vectors(database, post_ids, matrix)
    first, second = make_point(database, post_ids[:4]), make_point(database, post_ids[4:])
    return {"fan": fan, "staff": staff, "posts": post_ids, "first": first, "second": second, "matrix": matrix}


def _member(session, member) -> Member:
    return session.get(Member, member.id)


def test_merge_moves_posts_and_the_target_keeps_its_identity(database, world):
    with database.unit_of_work(write=True) as session:
        staff = _member(session, world["staff"])
        actions.rename(session, actor=staff, pain_point_id=world["second"], name="Kept name")
        merged = actions.merge(session, actor=staff, pain_point_id=world["first"], into_id=world["second"])
    assert merged.id == world["second"] and merged.label == "Kept name" and merged.posts == 8
    assert members_of(database) == {world["second"]: set(world["posts"])}
    assert point(database, world["first"]).merged_into_id == world["second"]
    with database.unit_of_work(write=True) as session:
        staff = _member(session, world["staff"])
        with pytest.raises(Conflict):
            actions.set_pinned(session, actor=staff, pain_point_id=world["first"], pinned=True)
        with pytest.raises(Invalid):
            actions.merge(session, actor=staff, pain_point_id=world["second"], into_id=world["second"])
        audited = session.scalars(select(ModerationAction.action).order_by(ModerationAction.id)).all()
    assert audited == ["pain_point_rename", "pain_point_merge"]


def test_split_makes_a_new_pain_point_of_the_chosen_posts(database, world):
    chosen = world["posts"][:2]
    with database.unit_of_work(write=True) as session:
        new = actions.split(
            session, actor=_member(session, world["staff"]), pain_point_id=world["first"], post_ids=chosen
        )
    members = members_of(database)
    assert members[new.id] == set(chosen) and members[world["first"]] == set(world["posts"][2:4])
    assert point(database, new.id).split_from_id == world["first"]
    with database.unit_of_work(write=True) as session:
        staff = _member(session, world["staff"])
        for bad in ([], [world["posts"][5]], world["posts"][2:4]):  # none, a stranger, all that is left
            with pytest.raises(Invalid):
                actions.split(session, actor=staff, pain_point_id=world["first"], post_ids=bad)


def test_a_change_to_centroids_reaches_the_assignment_cache(database, world):
    """After a merge, a post near the merged-away centroid joins the target."""
    with database.unit_of_work() as session:
        before = centroids.centroids(session)
    assert sorted(before.ids.tolist()) == sorted([world["first"], world["second"]])
    with database.unit_of_work(write=True) as session:
        actions.merge(
            session,
            actor=_member(session, world["staff"]),
            pain_point_id=world["first"],
            into_id=world["second"],
        )
    with database.unit_of_work() as session:
        assert centroids.centroids(session).ids.tolist() == [world["second"]]


def test_linking_a_status_sets_it_on_open_posts_and_tells_followers(database, settings, world):
    with database.unit_of_work(write=True) as session:
        staff = _member(session, world["staff"])
        posts.change_status(session, actor=staff, post_id=world["posts"][0], status="shipped")
    with database.unit_of_work() as session:
        notified_before = session.scalar(select(func.count()).select_from(Notification))

    with database.unit_of_work(write=True) as session:
        link = actions.link_status(
            session, actor=_member(session, world["staff"]), pain_point_id=world["first"], status="planned"
        )

    assert link.posts_changed == 3 and link.pain_point.status == "planned"
    with database.unit_of_work() as session:
        statuses = dict(
            session.execute(select(Post.id, Post.status).where(Post.id.in_(world["posts"][:4]))).all()
        )
        notified = session.scalar(select(func.count()).select_from(Notification))
    assert statuses == {world["posts"][0]: "shipped", **{pid: "planned" for pid in world["posts"][1:4]}}
    assert notified == notified_before + 3  # the author hears about each of the three posts
    with database.unit_of_work(write=True) as session:
        unlinked = actions.link_status(
            session, actor=_member(session, world["staff"]), pain_point_id=world["first"], status=None
        )
        with pytest.raises(Invalid):
            actions.link_status(
                session,
                actor=_member(session, world["staff"]),
                pain_point_id=world["first"],
                status="duplicate",
            )
    assert unlinked.posts_changed == 0 and unlinked.pain_point.status is None


def test_hidden_pain_points_leave_the_ranking_and_fans_may_not_act(database, world):
    with database.unit_of_work(write=True) as session:
        actions.set_hidden(
            session, actor=_member(session, world["staff"]), pain_point_id=world["first"], hidden=True
        )
        with pytest.raises(Forbidden):
            actions.rename(
                session, actor=_member(session, world["fan"]), pain_point_id=world["second"], name="x"
            )
    with database.unit_of_work() as session:
        staff = _member(session, world["staff"])
        assert [i.id for i in pain_points.ranked_pain_points(session, viewer=staff).items] == [
            world["second"]
        ]
        shown = pain_points.ranked_pain_points(session, viewer=staff, include_hidden=True)
        assert {i.id for i in shown.items} == {world["first"], world["second"]}


def test_arrival_assigns_only_near_posts_of_mined_kinds(database, settings, world):
    near, far, praise = (
        make_post(database, settings, world["fan"], "Near", "Text"),
        make_post(database, settings, world["fan"], "Far", "Text"),
        make_post(database, settings, world["fan"], "Praise", "Text", kind="praise"),
    )
    typical = world["matrix"][:4].mean(axis=0)
    typical /= np.linalg.norm(typical)
    stranger = clustered_vectors(3, 1, seed=99)[2]
    store_vectors(database, [near, far, praise], np.vstack([typical, stranger, typical]))

    members = members_of(database)
    assert near in members[world["first"]]
    assert far not in set().union(*members.values()) and praise not in set().union(*members.values())
    with database.unit_of_work(write=True) as session:  # a second delivery changes nothing
        assert subscribers.assign_post(session, post_id=near, vector=typical) is None
