"""The pain-point pages: the ranked board with sparklines, the drill-down and its staff actions through
the forms (with CSRF, refused without), re-mining on demand with its progress for leads, the staff
area's top-five panel, and a post's negativity and pain point for staff only. Pain points are mined
through the real path: posts, their vectors, a re-mine."""

from __future__ import annotations

import re
import sys
from pathlib import Path

import pytest
from sqlalchemy import select

sys.path.insert(0, str(Path(__file__).parents[1] / "insights"))
from painpoints_support import encode_all, make_groups, members_of  # noqa: E402

from fanloop.community.levels.service import level_for  # noqa: E402
from fanloop.community.members.models import Member  # noqa: E402
from fanloop.community.posts.models import Post  # noqa: E402
from fanloop.insights.painpoints import centroids, scheduled  # noqa: E402
from fanloop.insights.painpoints import remine as remining  # noqa: E402
from fanloop.insights.painpoints import service as painpoints  # noqa: E402
from fanloop.insights.painpoints.models import MiningRun, PainPoint  # noqa: E402
from fanloop.insights.vectors import index as vector_index  # noqa: E402
from fanloop.insights.vectors.service import negativity_of  # noqa: E402

HTMX = {"HX-Request": "true"}


@pytest.fixture(autouse=True)
def _fresh_caches():
    centroids.forget()
    vector_index.forget_indexes()
    yield
    centroids.forget()


@pytest.fixture
def mined(world, seed, database, settings) -> dict:
    """Three groups of complaints (battery in Chinese, camera and Wi-Fi in English), encoded and mined."""
    seed.member("lead", "wang_fang")
    groups = make_groups(database, settings, world["fan"])
    encode_all(database)
    remining.remine(database)
    by_post = {post: pid for pid, post_ids in members_of(database).items() for post in post_ids}
    return {"points": {name: by_post[ids[0]] for name, ids in groups.items()}, "posts": groups}


def _client(web_client, log_in, handle: str | None):
    client = web_client()
    if handle:
        log_in(client, handle)
    return client


def _ranked(database) -> list[int]:
    with database.unit_of_work() as session:
        staff = session.scalar(select(Member).where(Member.handle == "zhang_min"))
        return [item.id for item in painpoints.ranked_pain_points(session, viewer=staff).items]


def _point(database, point_id: int) -> PainPoint:
    with database.unit_of_work() as session:
        return session.get(PainPoint, point_id)


def world_fan_xp(database) -> int:
    with database.unit_of_work() as session:
        return session.scalar(select(Member.xp).where(Member.handle == "li_wei"))


# --------------------------------------------------------------------------- the board


def test_the_board_ranks_pain_points_with_sparklines_for_staff(web_client, log_in, mined, database):
    staff = _client(web_client, log_in, "zhang_min")
    page = staff.get("/staff/pain-points")
    assert page.status_code == 200
    rows = re.findall(r'<tr data-pain-point="(\d+)"[^>]*>(.*?)</tr>', page.text, re.S)
    assert [int(point_id) for point_id, _ in rows] == _ranked(database)
    assert len(rows) == 3
    for rank, (_, row) in enumerate(rows, start=1):
        assert f'<td class="rank">{rank}</td>' in row
        assert '<svg class="sparkline"' in row and "<polyline" in row
        assert 'data-negativity="' in row and "pp-growth is-up" in row  # every post is from today
    battery = mined["points"]["battery"]
    assert f'href="/staff/pain-points/{battery}"' in page.text
    assert "0 posts are in no pain point yet." in page.text
    assert 'href="/staff/pain-points"' in page.text  # the staff navigation
    assert "pp-remine-button" not in page.text  # staff do not re-mine; leads do


def test_fans_and_strangers_cannot_see_pain_points(web_client, log_in, mined, csrf):
    point_id = mined["points"]["camera"]
    stranger = _client(web_client, log_in, None)
    away = stranger.get("/staff/pain-points", follow_redirects=False)
    assert away.status_code == 303 and away.headers["location"].startswith("/login?next=/staff/pain-points")
    fan = _client(web_client, log_in, "li_wei")
    assert fan.get("/staff/pain-points").status_code == 403
    assert fan.get(f"/staff/pain-points/{point_id}").status_code == 403
    refused = fan.post(f"/staff/pain-points/{point_id}/name", data={"csrf_token": csrf(fan), "name": "Mine"})
    assert refused.status_code == 403
    assert 'href="/staff/pain-points"' not in fan.get("/").text


def test_bad_ids_and_offsets_are_clear_errors(web_client, log_in, mined):
    staff = _client(web_client, log_in, "zhang_min")
    assert staff.get("/staff/pain-points/999999").status_code == 404
    assert staff.get("/staff/pain-points?offset=-1").status_code == 422
    assert staff.get("/staff/pain-points/runs/424242").status_code == 404


# --------------------------------------------------------------------------- the drill-down


def test_the_drill_down_explains_the_rank_and_lists_posts_with_negativity(
    web_client, log_in, mined, database
):
    point_id = mined["points"]["wifi"]
    staff = _client(web_client, log_in, "zhang_min")
    page = staff.get(f"/staff/pain-points/{point_id}").text
    factors = re.findall(r'<tr data-factor="(\w+)">', page)
    assert factors == ["volume", "growth", "fan_level", "negativity", "votes"]
    assert '<svg class="daybars"' in page and page.count('class="daybar"') == 1  # all posts today
    posts = [int(p) for p in re.findall(r'<tr data-post-id="(\d+)">', page)]
    assert sorted(posts) == sorted(mined["posts"]["wifi"])
    with database.unit_of_work() as session:
        scores = negativity_of(session, posts)
    first = re.search(rf'<tr data-post-id="{posts[0]}">(.*?)</tr>', page, re.S)[1]
    assert f'data-negativity="{scores[posts[0]]:.2f}"' in first
    assert f'<span class="badge badge-level">Lv{level_for(world_fan_xp(database)).number}</span>' in first
    assert 'name="post_ids"' in page and 'form="pp-split"' in page
    assert page.count('name="csrf_token"') >= 6  # rename, pin, hide, status, merge, split


def test_rename_pin_and_hide_through_the_page(web_client, log_in, mined, csrf, database):
    point_id = mined["points"]["camera"]
    staff = _client(web_client, log_in, "zhang_min")
    without = staff.post(f"/staff/pain-points/{point_id}/name", data={"name": "Night mode crash"})
    assert without.status_code == 403 and _point(database, point_id).name == ""

    renamed = staff.post(
        f"/staff/pain-points/{point_id}/name",
        data={"csrf_token": csrf(staff), "name": "Night mode crash"},
        follow_redirects=False,
    )
    assert renamed.status_code == 303 and renamed.headers["location"] == f"/staff/pain-points/{point_id}"
    assert "The pain point is renamed." in staff.get(renamed.headers["location"]).text
    board = staff.get("/staff/pain-points").text
    assert f'<a href="/staff/pain-points/{point_id}">Night mode crash</a>' in board

    staff.post(f"/staff/pain-points/{point_id}/pin", data={"csrf_token": csrf(staff), "pinned": "1"})
    assert _ranked(database)[0] == point_id
    assert re.search(
        rf'<tr data-pain-point="{point_id}" class="is-pinned">', staff.get("/staff/pain-points").text
    )

    bad = staff.post(
        f"/staff/pain-points/{point_id}/hide",
        data={"csrf_token": csrf(staff), "hidden": "x"},
        follow_redirects=False,
    )
    assert bad.status_code == 303 and "Choose on or off." in staff.get(bad.headers["location"]).text
    staff.post(f"/staff/pain-points/{point_id}/hide", data={"csrf_token": csrf(staff), "hidden": "1"})
    assert f'data-pain-point="{point_id}"' not in staff.get("/staff/pain-points").text
    assert f'data-pain-point="{point_id}"' in staff.get("/staff/pain-points?hidden=1").text


def test_link_a_status_through_the_page(web_client, log_in, mined, csrf, database):
    point_id = mined["points"]["battery"]
    staff = _client(web_client, log_in, "zhang_min")
    linked = staff.post(
        f"/staff/pain-points/{point_id}/status",
        data={"csrf_token": csrf(staff), "status": "planned", "note": "Fix in 2.5"},
    )
    assert "The status is linked; 6 open posts changed." in linked.text
    with database.unit_of_work() as session:
        statuses = set(session.scalars(select(Post.status).where(Post.id.in_(mined["posts"]["battery"]))))
    assert statuses == {"planned"} and _point(database, point_id).status == "planned"
    refused = staff.post(
        f"/staff/pain-points/{point_id}/status", data={"csrf_token": csrf(staff), "status": "duplicate"}
    )
    assert refused.status_code == 200 and "Unknown status" in refused.text


def test_split_and_merge_through_the_forms(web_client, log_in, mined, csrf, database):
    camera, wifi = mined["points"]["camera"], mined["points"]["wifi"]
    chosen = mined["posts"]["camera"][:2]
    staff = _client(web_client, log_in, "zhang_min")
    split = staff.post(
        f"/staff/pain-points/{camera}/split",
        data={"csrf_token": csrf(staff), "post_ids": [str(i) for i in chosen], "name": "Camera closes"},
        follow_redirects=False,
    )
    assert split.status_code == 303
    new_id = int(split.headers["location"].rsplit("/", 1)[1])
    assert members_of(database)[new_id] == set(chosen)
    page = staff.get(split.headers["location"]).text
    assert "2 posts moved into this new pain point." in page and "Camera closes" in page

    nothing = staff.post(f"/staff/pain-points/{camera}/split", data={"csrf_token": csrf(staff)})
    assert "Choose at least one post to split off." in nothing.text

    itself = staff.post(
        f"/staff/pain-points/{wifi}/merge", data={"csrf_token": csrf(staff), "into_pain_point_id": str(wifi)}
    )
    assert "A pain point cannot be merged into itself." in itself.text
    missing = staff.post(
        f"/staff/pain-points/{wifi}/merge", data={"csrf_token": csrf(staff), "into_pain_point_id": "999999"}
    )
    assert "No pain point 999999." in missing.text

    merged = staff.post(
        f"/staff/pain-points/{new_id}/merge",
        data={"csrf_token": csrf(staff), "into_pain_point_id": str(wifi)},
        follow_redirects=False,
    )
    assert merged.headers["location"] == f"/staff/pain-points/{wifi}"
    assert set(chosen) <= members_of(database)[wifi]
    gone = staff.get(f"/staff/pain-points/{new_id}").text
    assert "This pain point was merged into another:" in gone and 'id="pp-split"' not in gone


# --------------------------------------------------------------------------- re-mining


def test_leads_re_mine_from_the_board_and_watch_its_progress(web_client, log_in, mined, csrf, database):
    staff = _client(web_client, log_in, "zhang_min")
    assert staff.post("/staff/pain-points/remine", data={"csrf_token": csrf(staff)}).status_code == 403
    lead = _client(web_client, log_in, "wang_fang")
    assert "pp-remine-button" in lead.get("/staff/pain-points").text
    assert lead.post("/staff/pain-points/remine").status_code == 403  # no CSRF token
    queued = lead.post("/staff/pain-points/remine", data={"csrf_token": csrf(lead)}, follow_redirects=False)
    assert queued.status_code == 303
    with database.unit_of_work() as session:
        run = session.scalar(select(MiningRun).where(MiningRun.state == "queued"))
    assert run is not None and run.trigger == "request"
    board = lead.get("/staff/pain-points").text
    assert f"A re-mine is queued (run #{run.id})" in board
    assert f'hx-get="/staff/pain-points/runs/{run.id}" hx-trigger="every 2s"' in board
    assert "Waiting for a worker" in board

    assert scheduled.run_pending(database).state == "done"
    fragment = staff.get(f"/staff/pain-points/runs/{run.id}", headers=HTMX).text
    assert 'data-state="done"' in fragment and "hx-trigger" not in fragment
    assert "18 posts," in fragment


# --------------------------------------------------------------------------- elsewhere


def test_the_staff_area_shows_the_top_pain_points(web_client, log_in, mined, database):
    staff = _client(web_client, log_in, "zhang_min")
    page = staff.get("/staff").text
    panel = re.search(r'<section class="card pp-top" id="top-pain-points".*?</section>', page, re.S)[0]
    listed = [int(p) for p in re.findall(r'<li data-pain-point="(\d+)">', panel)]
    assert listed == _ranked(database)[:5] and panel.count('<svg class="sparkline"') == len(listed)
    assert 'href="/staff/pain-points"' in panel


def test_a_post_shows_staff_its_negativity_and_pain_point(web_client, log_in, mined, database):
    post_id, point_id = mined["posts"]["wifi"][0], mined["points"]["wifi"]
    staff = _client(web_client, log_in, "zhang_min")
    assert f'hx-get="/posts/{post_id}/pain-point"' in staff.get(f"/posts/{post_id}").text
    fragment = staff.get(f"/posts/{post_id}/pain-point", headers=HTMX).text
    with database.unit_of_work() as session:
        score = negativity_of(session, [post_id])[post_id]
    assert f"Negativity {score:.2f}" in fragment
    assert f'href="/staff/pain-points/{point_id}"' in fragment

    fan = _client(web_client, log_in, "li_wei")
    assert "/pain-point" not in fan.get(f"/posts/{post_id}").text
    assert fan.get(f"/posts/{post_id}/pain-point", headers=HTMX).status_code == 403


def test_the_board_in_chinese(web_client, log_in, mined):
    staff = _client(web_client, log_in, "zhang_min")
    staff.cookies.set("lang", "zh_CN")
    page = staff.get("/staff/pain-points").text
    assert "痛点" in page and "Pain points" not in page


def test_sparklines_and_growth_are_drawn_from_the_counts():
    from fanloop.web.painpoints import day_bars, growth_percent, sparkline

    drawn = str(sparkline([0, 2, 4], "4 <posts>", width=100, height=20))
    assert 'points="0.0,19.0 50.0,10.0 100.0,1.0"' in drawn  # busiest day at the top
    assert 'aria-label="4 &lt;posts&gt;"' in drawn
    flat = re.search(r'<polyline class="sparkline-line" points="([^"]+)"', str(sparkline([0] * 28, "none")))[
        1
    ]
    assert {point.split(",")[1] for point in flat.split()} == {"27.0"}  # no posts: along the bottom
    bars = str(day_bars([0, 3], "bars", width=200, height=100))
    assert bars.count("<rect") == 2 and 'class="daybar is-empty"' in bars and 'height="96.0"' in bars
    assert (growth_percent(3, 1), growth_percent(1, 2), growth_percent(2, 0), growth_percent(0, 0)) == (
        200,
        -50,
        None,
        None,
    )
