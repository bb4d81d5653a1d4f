"""Re-mining: real Chinese and English complaints through the real vectors path become pain points,
labelled in their language; identities, staff names, pins, links, merges and splits survive; a new
post joins its pain point the moment its vector is stored."""

from __future__ import annotations

import pytest
from painpoints_support import (
    BATTERY_ZH,
    CAMERA_EN,
    encode_all,
    make_groups,
    make_post,
    members_of,
    point,
)
from sqlalchemy import select

from fanloop.community.members.models import Member
from fanloop.insights.painpoints import actions, centroids
from fanloop.insights.painpoints import remine as remining
from fanloop.insights.painpoints.models import PainPoint, PainPointPost
from fanloop.insights.vectors import index as vector_index


@pytest.fixture(autouse=True)
def _fresh_caches():
    centroids.forget()
    vector_index.forget_indexes()
    yield
    centroids.forget()


@pytest.fixture
def people(seed, clock):
    seed.board()
    return {"fan": seed.member("fan"), "staff": seed.member("staff")}


@pytest.fixture
def mined(database, settings, people):
    """Three clearly distinct groups, plus praise, encoded and mined once: {group: pain point id}."""
    groups = make_groups(database, settings, people["fan"])
    make_post(
        database,
        settings,
        people["fan"],
        "Love the new theme",
        "The new theme looks great, thanks!",
        "praise",
    )
    encode_all(database)
    remining.remine(database)
    by_post = {post: pid for pid, post_ids in members_of(database).items() for post in post_ids}
    return {name: by_post[ids[0]] for name, ids in groups.items()}, groups


def _staff(database, people) -> Member:
    with database.unit_of_work() as session:
        return session.get(Member, people["staff"].id)


def test_distinct_complaint_groups_become_one_pain_point_each(database, mined):
    points, groups = mined

    members = members_of(database)
    assert len(members) == 3 and len(set(points.values())) == 3
    for name, post_ids in groups.items():
        assert members[points[name]] == set(post_ids), name  # praise is never mined
    battery, camera, wifi = (point(database, points[name]) for name in ("battery", "camera", "wifi"))
    assert battery.language.startswith("zh") and {"电池", "耗电"} & set(battery.phrases)
    assert any("camera" in phrase or "night" in phrase for phrase in camera.phrases)
    assert any("wi-fi" in phrase or "wifi" in phrase for phrase in wifi.phrases)
    for each in (battery, camera, wifi):
        assert 3 <= len(each.phrases) <= 5 and len(each.example_post_ids) == 5


def test_identity_name_pin_and_status_survive_a_remine(database, settings, people, mined):
    points, _ = mined
    staff = _staff(database, people)
    with database.unit_of_work(write=True) as session:
        actions.rename(session, actor=staff, pain_point_id=points["camera"], name="Night-mode camera crash")
        actions.link_status(session, actor=staff, pain_point_id=points["camera"], status="planned")
        actions.set_pinned(session, actor=staff, pain_point_id=points["wifi"], pinned=True)
    extra = make_post(
        database, settings, people["fan"], "Camera crash at night", "Night mode crashes the camera."
    )
    encode_all(database)

    outcome = remining.remine(database)

    assert outcome.created == 0 and outcome.retired == 0
    camera, wifi = point(database, points["camera"]), point(database, points["wifi"])
    assert (
        camera.name == "Night-mode camera crash" and camera.status == "planned" and camera.retired_at is None
    )
    assert wifi.pinned and wifi.retired_at is None
    assert extra in members_of(database)[points["camera"]]


def test_a_new_post_joins_its_pain_point_when_its_vector_is_stored(database, settings, people, mined):
    points, _ = mined
    post_id = make_post(
        database, settings, people["fan"], "耗电严重", "更新系统以后电池耗电太快，待机一晚掉电很多"
    )
    question = make_post(
        database, settings, people["fan"], "电池耗电快怎么办", "待机耗电严重，电池掉电快", "question"
    )

    encode_all(database)

    with database.unit_of_work() as session:
        rows = {row.post_id: row for row in session.scalars(select(PainPointPost))}
    assert rows[post_id].pain_point_id == points["battery"] and rows[post_id].source == "arrival"
    assert question not in rows  # questions are not mined


def test_a_merge_stays_merged_and_a_split_stays_split(database, settings, people, mined):
    points, groups = mined
    staff = _staff(database, people)
    with database.unit_of_work(write=True) as session:
        merged = actions.merge(session, actor=staff, pain_point_id=points["wifi"], into_id=points["camera"])
        new = actions.split(
            session,
            actor=staff,
            pain_point_id=points["battery"],
            post_ids=groups["battery"][:3],
            name="待机掉电",
        )
    assert merged.id == points["camera"] and merged.posts == 12

    remining.remine(database)

    members = members_of(database)
    assert members[points["camera"]] == set(groups["camera"]) | set(groups["wifi"])
    assert members[new.id] == set(groups["battery"][:3])
    assert members[points["battery"]] == set(groups["battery"][3:])
    assert point(database, points["wifi"]).merged_into_id == points["camera"]
    assert point(database, new.id).name == "待机掉电"


def test_a_pain_point_whose_posts_are_gone_is_retired(database, settings, people, mined):
    points, groups = mined
    staff = _staff(database, people)
    from fanloop.community.posts import service as posts

    with database.unit_of_work(write=True) as session:
        for post_id in groups["wifi"]:
            posts.moderate_post(session, actor=staff, post_id=post_id, action="delete")

    outcome = remining.remine(database)

    assert outcome.retired == 1
    assert point(database, points["wifi"]).retired_at is not None
    with database.unit_of_work() as session:
        live = session.scalars(select(PainPoint.id).where(PainPoint.retired_at.is_(None))).all()
    assert sorted(live) == sorted([points["battery"], points["camera"]])


def test_label_phrases_of_a_group_are_in_its_language(database, settings, people):
    groups = make_groups(database, settings, people["fan"], {"battery": BATTERY_ZH, "camera": CAMERA_EN})
    encode_all(database)
    remining.remine(database)
    members = members_of(database)
    for pid in members:
        each = point(database, pid)
        chinese = members[pid] == set(groups["battery"])
        assert all(any("\u4e00" <= ch <= "\u9fff" for ch in phrase) == chinese for phrase in each.phrases)
