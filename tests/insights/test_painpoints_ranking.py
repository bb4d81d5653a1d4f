"""Ranking: each factor (volume, 7-day growth, fan level, negativity, votes) moves a pain point up,
pinned ones come first, and each shows its factors, a 28-day sparkline and its examples."""

from __future__ import annotations

import pytest
from painpoints_support import clustered_vectors, make_point, make_post, store_vectors
from sqlalchemy import update

from fanloop.community.members.models import Member
from fanloop.community.posts.models import Post
from fanloop.core.errors import Forbidden, Invalid, NotAuthenticated, NotFound
from fanloop.insights.painpoints import actions, centroids
from fanloop.insights.painpoints import service as pain_points


@pytest.fixture(autouse=True)
def _fresh_cache():
    centroids.forget()
    yield
    centroids.forget()


@pytest.fixture
def people(seed, clock):
    seed.board()
    return {"fan": seed.member("fan"), "staff": seed.member("staff"), "veteran": seed.member("fan")}


def _points(database, settings, author, sizes, *, negativity=None):
    """One pain point per size, each of that many posts with clustered vectors; returns their ids."""
    matrix = clustered_vectors(len(sizes), max(sizes))
    ids = []
    for g, size in enumerate(sizes):
        post_ids = [make_post(database, settings, author, f"Problem {g}-{i}", "Text") for i in range(size)]
        rows = matrix[g * max(sizes) : g * max(sizes) + size]
        store_vectors(database, post_ids, rows, [negativity[g]] * size if negativity else None)
        ids.append(make_point(database, post_ids))
    return ids


def _order(session, staff) -> list[int]:
    return [item.id for item in pain_points.ranked_pain_points(session, viewer=staff, limit=100).items]


def _staff(session, people) -> Member:
    return session.get(Member, people["staff"].id)


def test_more_posts_rank_higher(database, settings, people):
    small, large = _points(database, settings, people["fan"], [2, 5])
    with database.unit_of_work() as session:
        page = pain_points.ranked_pain_points(session, viewer=_staff(session, people))
    assert [item.id for item in page.items] == [large, small]
    volume = {item.id: next(f for f in item.factors if f.name == "volume") for item in page.items}
    assert volume[large].value == 5 and volume[small].value == 2
    assert page.items[0].rank == 1 and page.total == 2 and page.next_offset is None


def test_growth_over_the_last_seven_days_against_the_seven_before(database, settings, people, clock):
    start = clock.now()
    matrix = clustered_vectors(2, 4)
    clock.advance(days=-10)  # the fading pain point's posts are 10 days old
    fading = [make_post(database, settings, people["fan"], f"Old {i}", "Text") for i in range(4)]
    clock.set(start)
    rising = [make_post(database, settings, people["fan"], f"New {i}", "Text") for i in range(4)]
    store_vectors(database, fading + rising, matrix)
    fading_id, rising_id = make_point(database, fading), make_point(database, rising)

    with database.unit_of_work() as session:
        page = pain_points.ranked_pain_points(session, viewer=_staff(session, people))
    assert [item.id for item in page.items] == [rising_id, fading_id]
    by_id = {item.id: item for item in page.items}
    assert (by_id[rising_id].recent_posts, by_id[rising_id].previous_posts) == (4, 0)
    assert (by_id[fading_id].recent_posts, by_id[fading_id].previous_posts) == (0, 4)
    growth = {item.id: next(f for f in item.factors if f.name == "growth") for item in page.items}
    assert growth[rising_id].value == 5.0 and growth[fading_id].value == 0.2
    # The sparkline has 28 days, today last: 4 today for one, 4 ten days ago for the other.
    assert by_id[rising_id].daily_counts[-1] == 4 and sum(by_id[rising_id].daily_counts) == 4
    assert by_id[fading_id].daily_counts[-11] == 4 and len(by_id[fading_id].daily_counts) == 28


def test_higher_fan_levels_of_the_authors_rank_higher(database, settings, people):
    matrix = clustered_vectors(2, 3)
    newcomers = [make_post(database, settings, people["fan"], f"A {i}", "Text") for i in range(3)]
    veterans = [make_post(database, settings, people["veteran"], f"B {i}", "Text") for i in range(3)]
    store_vectors(database, newcomers + veterans, matrix)
    with database.unit_of_work(write=True) as session:
        session.execute(update(Member).where(Member.id == people["veteran"].id).values(xp=1200))  # level 6
        session.execute(update(Member).where(Member.id == people["fan"].id).values(xp=0))
    low, high = make_point(database, newcomers), make_point(database, veterans)

    with database.unit_of_work() as session:
        page = pain_points.ranked_pain_points(session, viewer=_staff(session, people))
    assert [item.id for item in page.items] == [high, low]
    assert {item.id: item.mean_fan_level for item in page.items} == {high: 6.0, low: 1.0}


def test_more_negative_posts_rank_higher(database, settings, people):
    calm, angry = _points(database, settings, people["fan"], [3, 3], negativity=[0.1, 0.9])
    with database.unit_of_work() as session:
        page = pain_points.ranked_pain_points(session, viewer=_staff(session, people))
    assert [item.id for item in page.items] == [angry, calm]
    assert page.items[0].mean_negativity == pytest.approx(0.9, abs=1e-3)


def test_more_votes_rank_higher_and_pinned_comes_first(database, settings, people):
    quiet, voted = _points(database, settings, people["fan"], [3, 3])
    with database.unit_of_work(write=True) as session:
        ids = [pid for pid in pain_points.get_point(session, voted).example_post_ids]
        session.execute(update(Post).where(Post.id.in_(ids)).values(vote_count=20))
    with database.unit_of_work() as session:
        assert _order(session, _staff(session, people)) == [voted, quiet]
    with database.unit_of_work(write=True) as session:
        actions.set_pinned(session, actor=_staff(session, people), pain_point_id=quiet, pinned=True)
    with database.unit_of_work() as session:
        page = pain_points.ranked_pain_points(session, viewer=_staff(session, people))
    assert [item.id for item in page.items] == [quiet, voted] and page.items[0].pinned
    votes = next(f for f in page.items[1].factors if f.name == "votes")
    assert votes.value == 60 and votes.points > 0


def test_score_is_the_sum_of_its_factors_and_examples_are_shown(database, settings, people):
    (only,) = _points(database, settings, people["fan"], [4])
    with database.unit_of_work() as session:
        item = pain_points.ranked_pain_points(session, viewer=_staff(session, people)).items[0]
    assert item.id == only
    assert item.score == pytest.approx(sum(f.points for f in item.factors), abs=1e-3)
    assert [f.name for f in item.factors] == ["volume", "growth", "fan_level", "negativity", "votes"]
    assert len(item.examples) == 3 and all(example.title.startswith("Problem") for example in item.examples)


def test_paging_detail_and_who_may_look(database, settings, people):
    ids = _points(database, settings, people["fan"], [5, 4, 3])
    with database.unit_of_work() as session:
        staff = _staff(session, people)
        first = pain_points.ranked_pain_points(session, viewer=staff, limit=2)
        second = pain_points.ranked_pain_points(session, viewer=staff, limit=2, offset=first.next_offset)
        assert [i.id for i in first.items + second.items] == ids and second.next_offset is None
        detail = pain_points.pain_point_detail(session, viewer=staff, pain_point_id=ids[0], limit=2)
        assert len(detail.posts) == 2 and detail.next_offset == 2 and detail.summary.rank == 1
        rest = pain_points.pain_point_detail(session, viewer=staff, pain_point_id=ids[0], limit=2, offset=4)
        assert len(rest.posts) == 1 and rest.next_offset is None
        with pytest.raises(NotFound):
            pain_points.pain_point_detail(session, viewer=staff, pain_point_id=10**12)
        with pytest.raises(Invalid):
            pain_points.ranked_pain_points(session, viewer=staff, limit=0)
        with pytest.raises(Forbidden):
            pain_points.ranked_pain_points(session, viewer=session.get(Member, people["fan"].id))
        with pytest.raises(NotAuthenticated):
            pain_points.ranked_pain_points(session, viewer=None)
