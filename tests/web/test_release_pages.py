"""The release pages: the public roadmap (votes and follows through the post forms; staff move and
order cards), the changelog with its credits and honour roll, its Atom and JSON feeds, the staff pages
that compose, schedule and publish a release, what shipped because of a member on their profile, and
release notifications. Data is set up through the release services; every change the tests make goes
through the forms, with the CSRF token."""

from __future__ import annotations

import json
import re
from xml.etree import ElementTree

import pytest
from sqlalchemy import select

from fanloop.community.levels.service import level_for
from fanloop.community.members.models import Member
from fanloop.community.posts import service as posts
from fanloop.community.posts.models import Post, Vote
from fanloop.core import clock as clock_module
from fanloop.insights.painpoints.models import PainPoint, PainPointPost
from fanloop.releases import changelog, flows, roadmap
from fanloop.releases import service as releases
from fanloop.releases.models import Release, ReleaseTrain
from fanloop.service.notify import messages
from fanloop.service.notify.models import Notification
from fanloop.web.changelog import shipped_posts
from fanloop.web.i18n import use_language
from fanloop.web.releases import reordered

HTMX = {"HX-Request": "true"}
ATOM = "{http://www.w3.org/2005/Atom}"


# --------------------------------------------------------------------------- helpers


def _client(web_client, log_in, handle: str | None = None):
    client = web_client()
    if handle:
        log_in(client, handle)
    return client


def _status(database, world, post_id: int, status: str) -> None:
    with database.unit_of_work(write=True) as session:
        posts.change_status(
            session, actor=session.get(Member, world["staff"].id), post_id=post_id, status=status
        )


def _vote(database, member: Member, post_id: int) -> None:
    with database.unit_of_work(write=True) as session:
        posts.set_vote(session, member=session.get(Member, member.id), post_id=post_id, voted=True)


def _open_release(database) -> Release:
    with database.unit_of_work(write=True) as session:
        return releases.ensure_open_release(session)


def _add(database, world, release_id: int, **item) -> int:
    with database.unit_of_work(write=True) as session:
        actor = session.get(Member, world["staff"].id)
        return releases.add_item(session, actor=actor, release_id=release_id, **item).id


def _publish(database, world, release_id: int) -> flows.Published:
    with database.unit_of_work(write=True) as session:
        return flows.publish(session, release_id=release_id, actor=session.get(Member, world["staff"].id))


def _release(database, release_id: int) -> Release:
    with database.unit_of_work() as session:
        return session.get(Release, release_id)


def _post_status(database, post_id: int) -> str:
    with database.unit_of_work() as session:
        return session.get(Post, post_id).status


def _pain_point(database, name: str, post_ids: list[int], status: str = "planned") -> int:
    now = clock_module.get_clock().now()
    with database.unit_of_work(write=True) as session:
        point = PainPoint(
            name=name,
            phrases=[],
            language="en",
            centroid=b"",
            model="test",
            radius=0.5,
            example_post_ids=post_ids[:3],
            pinned=False,
            hidden=False,
            status=status,
            revision=1,
            created_at=now,
            updated_at=now,
        )
        session.add(point)
        session.flush()
        for post_id in post_ids:
            session.add(
                PainPointPost(
                    post_id=post_id, pain_point_id=point.id, similarity=0.9, source="mined", assigned_at=now
                )
            )
        return point.id


def _column_keys(page: str, column: str) -> list[str]:
    section = page.split(f'id="column-{column}"', 1)[1].split("</section>", 1)[0]
    return re.findall(r'data-sort-key="([^"]+)"', section)


@pytest.fixture
def published(world, seed, database, make_post, monkeypatch) -> dict:
    """A published release: li_wei's suggestion (voted by two more fans) and bug (confirmed by one),
    with a line that needs escaping; then the next release opened as a draft. Only one member is
    shown per role, so the others are counted as "and N more"."""
    monkeypatch.setattr(changelog, "CREDITS_SHOWN", 1)
    voters = [seed.member("fan", handle) for handle in ("wang_fang", "zhao_lei")]
    idea = make_post(world["fan"], kind="suggestion", title="Dark mode for the gallery")
    bug = make_post(world["fan"], title="Camera freezes on launch")
    for voter in voters:
        _vote(database, voter, idea)
    _vote(database, voters[0], bug)
    _status(database, world, idea, "planned")
    release = _open_release(database)
    with database.unit_of_work(write=True) as session:
        releases.update_release(
            session,
            actor=session.get(Member, world["staff"].id),
            release_id=release.id,
            title="Spring cleaning",
            notes="The **gallery** got darker.",
        )
    _add(database, world, release.id, post_id=idea)
    _add(database, world, release.id, post_id=bug, summary="Camera <no longer> freezes & stalls")
    result = _publish(database, world, release.id)
    draft = _open_release(database)
    return {"release": result.release, "result": result, "idea": idea, "bug": bug, "draft": draft}


# --------------------------------------------------------------------------- the roadmap


def test_the_roadmap_shows_three_columns_of_cards_with_votes_for_fans(
    web_client, log_in, world, database, make_post
):
    planned = make_post(world["fan"], kind="suggestion", title="Widgets on the lock screen")
    building = make_post(world["fan"], title="Wi-Fi drops after sleep")
    _status(database, world, planned, "planned")
    _status(database, world, building, "in_progress")
    point = _pain_point(database, "Overnight battery drain", [make_post(world["fan"])])

    fan = _client(web_client, log_in, "li_wei")
    page = fan.get("/roadmap")
    assert page.status_code == 200
    for title in ("Planned", "In progress", "Shipped"):
        assert f">{title} <span" in page.text
    # Without a staff order, most voted first, then pain points before posts.
    assert _column_keys(page.text, "planned") == [f"pain_point:{point}", f"post:{planned}"]
    assert _column_keys(page.text, "in_progress") == [f"post:{building}"]
    assert f'href="/posts/{planned}">Widgets on the lock screen</a>' in page.text
    assert "Overnight battery drain" in page.text and "1 post" in page.text
    assert f'href="/staff/pain-points/{point}"' not in page.text  # the pain point pages are for staff
    # Vote and follow through the post forms, which htmx swaps in place.
    assert f'hx-post="/posts/{planned}/vote"' in page.text
    assert f'action="/posts/{planned}/follow"' in page.text
    # No staff controls for a fan.
    assert "/roadmap/move" not in page.text and "/roadmap/order" not in page.text
    assert "data-sortable" not in page.text

    voted = fan.post(
        f"/posts/{planned}/vote",
        data={"csrf_token": fan.cookies["fanloop_csrf"]},
        headers={"Referer": "http://testserver/roadmap"},
        follow_redirects=False,
    )
    assert voted.status_code == 303 and voted.headers["location"] == "/roadmap"
    assert f'class="vote-box is-voted" id="vote-{planned}"' in fan.get("/roadmap").text

    visitor = _client(web_client, log_in)
    seen = visitor.get("/roadmap").text
    assert f'href="/login?next=/posts/{planned}"' in seen and f"/posts/{planned}/follow" not in seen
    assert 'href="/roadmap"' in seen and 'href="/changelog"' in seen  # the main navigation


def test_staff_move_and_order_cards_without_scripts(web_client, log_in, world, database, make_post, csrf):
    first = make_post(world["fan"], kind="suggestion", title="First idea")
    second = make_post(world["fan"], kind="suggestion", title="Second idea")
    third = make_post(world["fan"], kind="suggestion", title="Third idea")
    for post_id in (first, second, third):
        _status(database, world, post_id, "planned")
    staff = _client(web_client, log_in, "zhang_min")
    page = staff.get("/roadmap").text
    assert 'action="/roadmap/move"' in page and 'form="order-planned"' in page
    assert 'data-sortable="order-planned"' in page and "<script>" in page
    order = _column_keys(page, "planned")
    assert sorted(order) == sorted(f"post:{i}" for i in (first, second, third))

    moved = staff.post(
        "/roadmap/move",
        data={
            "csrf_token": csrf(staff),
            "subject": "post",
            "subject_id": str(third),
            "status": "in_progress",
        },
    )
    assert moved.status_code == 200 and "The card is moved." in moved.text
    assert _post_status(database, third) == "in_progress"
    assert _column_keys(moved.text, "in_progress") == [f"post:{third}"]

    # The down button posts the column's order and the card that moves.
    data = {
        "csrf_token": csrf(staff),
        "column": "planned",
        "cards": [f"post:{first}", f"post:{second}"],
        "move": f"post:{first}:down",
    }
    reordered_page = staff.post("/roadmap/order", data=data)
    assert "The order is saved." in reordered_page.text
    assert _column_keys(reordered_page.text, "planned") == [f"post:{second}", f"post:{first}"]
    # Drag and drop posts the new order as it is.
    data = {"csrf_token": csrf(staff), "column": "planned", "cards": [f"post:{first}", f"post:{second}"]}
    staff.post("/roadmap/order", data=data)
    with database.unit_of_work() as session:
        assert [card.id for card in roadmap.roadmap(session)["planned"]] == [first, second]

    refused = staff.post(
        "/roadmap/move",
        data={"csrf_token": csrf(staff), "subject": "post", "subject_id": str(first), "status": "shipped"},
    )
    assert "Cards move to planned or in_progress; a release ships them." in refused.text
    assert _post_status(database, first) == "planned"


def test_fans_cannot_move_cards_and_forms_need_the_csrf_token(
    web_client, log_in, world, database, make_post, csrf
):
    post_id = make_post(world["fan"], kind="suggestion")
    _status(database, world, post_id, "planned")
    fan = _client(web_client, log_in, "li_wei")
    data = {"csrf_token": csrf(fan), "subject": "post", "subject_id": str(post_id), "status": "in_progress"}
    assert fan.post("/roadmap/move", data=data).status_code == 403
    staff = _client(web_client, log_in, "zhang_min")
    data.pop("csrf_token")
    assert staff.post("/roadmap/move", data=data).status_code == 403
    assert _post_status(database, post_id) == "planned"


# --------------------------------------------------------------------------- the changelog


def test_the_changelog_lists_releases_with_notes_items_and_credits(web_client, log_in, published):
    release = published["release"]
    page = web_client().get("/changelog")
    assert page.status_code == 200
    assert f'<a href="/changelog/{release.version}">{release.version}</a> · Spring cleaning' in page.text
    assert "<strong>gallery</strong>" in page.text  # the notes, rendered
    assert f'<a href="/posts/{published["idea"]}">Dark mode for the gallery</a>' in page.text
    assert "Camera &lt;no longer&gt; freezes &amp; stalls" in page.text
    assert "3 fans credited" in page.text
    assert published["draft"].version not in page.text  # drafts stay off the changelog
    assert '<link rel="alternate" type="application/atom+xml"' in page.text
    assert 'type="application/feed+json"' in page.text and 'href="/changelog.json"' in page.text


def test_a_release_page_credits_fans_with_their_level_and_the_honour_roll(web_client, published, database):
    release = published["release"]
    page = web_client().get(f"/changelog/{release.version}")
    assert page.status_code == 200
    text = page.text
    assert f'href="/posts/{published["bug"]}">#{published["bug"]} Camera freezes on launch</a>' in text
    with database.unit_of_work() as session:
        xp = dict(session.execute(select(Member.handle, Member.xp)).all())
    reporter = re.search(r'credit-reporter">(.*?)</p>', text, re.S)[1]
    assert "Reported by" in reporter and 'href="/u/li_wei">@li_wei</a>' in reporter
    assert level_for(xp["li_wei"]).name("en") in reporter
    voters = re.search(r'credit-voter">(.*?)</p>', text, re.S)[1]
    assert "Voted by" in voters and "and 1 more" in voters  # two voters, one shown
    confirmer = re.search(r'credit-confirmer">(.*?)</p>', text, re.S)[1]
    assert "Confirmed by" in confirmer and "@wang_fang" in confirmer
    roll = text.split('id="honour-roll"', 1)[1]
    assert "3 fans made this release happen" in roll
    handles = re.findall(r'href="/u/(\w+)">@', roll)
    assert handles[0] == "li_wei" and set(handles) == {"li_wei", "wang_fang", "zhao_lei"}
    assert "Reporter" in roll and "Confirmer · Voter" in roll


def test_drafts_are_for_staff_only(web_client, log_in, published):
    draft = published["draft"]
    assert web_client().get(f"/changelog/{draft.version}").status_code == 404
    assert _client(web_client, log_in, "li_wei").get(f"/changelog/{draft.version}").status_code == 404
    staff = _client(web_client, log_in, "zhang_min").get(f"/changelog/{draft.version}")
    assert staff.status_code == 200 and "Not published yet" in staff.text
    assert f'href="/staff/releases/{draft.id}"' in staff.text


def test_versions_with_plus_signs_link_correctly(web_client, world, database, make_post):
    """A version is a path segment; "+" is allowed and must survive the links and the lookup."""
    post_id = make_post(world["fan"], kind="suggestion", title="Sleep timer")
    with database.unit_of_work(write=True) as session:
        actor = session.get(Member, world["staff"].id)
        release_id = releases.create_release(session, actor=actor, version="6.12.4+b2").id
    _add(database, world, release_id, post_id=post_id)
    _publish(database, world, release_id)
    client = web_client()
    link = 'href="/changelog/6.12.4%2Bb2"'
    assert link in client.get("/changelog").text
    assert link in client.get("/roadmap").text.split('id="column-shipped"', 1)[1]
    page = client.get("/changelog/6.12.4%2Bb2")
    assert page.status_code == 200 and "Sleep timer" in page.text


def test_the_changelog_pages(web_client, published, monkeypatch):
    from fanloop.web import changelog

    monkeypatch.setattr(changelog, "PAGE_SIZE", 1)
    client = web_client()
    assert 'href="/changelog?page=2"' not in client.get("/changelog").text  # one release: one page
    assert "No releases on this page." in client.get("/changelog?page=2").text
    assert client.get("/changelog?page=0").status_code == 422


def test_the_atom_feed_lists_published_releases_escaped(web_client, log_in, published, settings):
    release = published["release"]
    response = _client(web_client, log_in, "zhang_min").get("/changelog.atom")  # staff get no drafts
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("application/atom+xml")
    assert "set-cookie" not in response.headers
    feed = ElementTree.fromstring(response.content)
    assert feed.tag == f"{ATOM}feed"
    entries = feed.findall(f"{ATOM}entry")
    assert [entry.findtext(f"{ATOM}title") for entry in entries] == [f"{release.version} · Spring cleaning"]
    entry = entries[0]
    url = f"{settings.base_url}/changelog/{release.version}"
    assert entry.findtext(f"{ATOM}id") == url
    assert entry.find(f"{ATOM}link").get("href") == url
    assert entry.findtext(f"{ATOM}published") == "2026-03-10T13:40:00Z"
    content = entry.find(f"{ATOM}content")
    assert content.get("type") == "html"
    assert "<strong>gallery</strong>" in content.text
    assert (
        f'<li><a href="{settings.base_url}/posts/{published["idea"]}">Dark mode for the gallery</a></li>'
        in (content.text)
    )
    assert "Camera &lt;no longer&gt; freezes &amp; stalls" in content.text  # escaped once more as HTML
    assert published["draft"].version not in response.text


def test_the_json_feed(web_client, published, settings):
    response = web_client().get("/changelog.json")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("application/feed+json")
    feed = json.loads(response.text)
    assert feed["version"] == "https://jsonfeed.org/version/1.1"
    assert feed["feed_url"] == f"{settings.base_url}/changelog.json"
    [item] = feed["items"]
    assert item["url"] == f"{settings.base_url}/changelog/{published['release'].version}"
    assert "Dark mode for the gallery" in item["content_html"]
    assert item["date_published"] == "2026-03-10T13:40:00Z"


def test_feeds_without_releases(web_client, world):
    feed = ElementTree.fromstring(web_client().get("/changelog.atom").content)
    assert feed.findall(f"{ATOM}entry") == [] and feed.findtext(f"{ATOM}updated")
    assert json.loads(web_client().get("/changelog.json").text)["items"] == []
    assert "Nothing released yet." in web_client().get("/changelog").text


# --------------------------------------------------------------------------- composing


def test_staff_compose_schedule_and_publish_a_release(web_client, log_in, world, database, make_post, csrf):
    planned = make_post(world["fan"], kind="suggestion", title="Dark mode for the gallery")
    building = make_post(world["fan"], title="Camera freezes on launch")
    extra = make_post(world["fan"], kind="suggestion", title="Bigger clock widget")
    _status(database, world, planned, "planned")
    _status(database, world, building, "in_progress")
    _status(database, world, extra, "planned")
    staff = _client(web_client, log_in, "zhang_min")

    listing = staff.get("/staff/releases")
    assert listing.status_code == 200 and 'action="/staff/releases"' in listing.text
    assert "cadence-form" not in listing.text  # leads change the cadence
    assert "Every week on Friday at 17:00 (Asia/Shanghai)." in listing.text
    assert 'href="/staff/releases"' in listing.text  # the staff navigation

    opened = staff.post(
        "/staff/releases",
        data={"csrf_token": csrf(staff), "version": "3.1", "title": "", "planned_for": "2026-03-14T10:00"},
        follow_redirects=False,
    )
    assert opened.status_code == 303
    here = opened.headers["location"]
    release_id = int(here.rsplit("/", 1)[1])
    with database.unit_of_work() as session:
        release = session.get(Release, release_id)
        assert release.version == "3.1" and release.planned_for.isoformat() == "2026-03-14T02:00:00+00:00"

    page = staff.get(here).text
    assert "Release 3.1 is open" in page
    assert "Sat 2026-03-14 10:00" in page  # the train's clock (Asia/Shanghai)
    candidates = page.split('id="candidates"', 1)[1]
    assert (
        f'data-candidate="post:{planned}"' in candidates and f'data-candidate="post:{building}"' in candidates
    )

    def add(post_id: int) -> None:
        response = staff.post(f"{here}/items", data={"csrf_token": csrf(staff), "post_id": str(post_id)})
        assert "Added to the release." in response.text

    for post_id in (planned, building, extra):
        add(post_id)
    with database.unit_of_work() as session:
        items = [(item.id, item.post_id) for item in releases.items_of(session, release_id)]
    assert [post_id for _, post_id in items] == [planned, building, extra]
    page = staff.get(here).text
    assert f'data-candidate="post:{planned}"' not in page.split('id="candidates"', 1)[1]

    # Move the second item up; remove the third; reword the first.
    ids = [str(item_id) for item_id, _ in items]
    staff.post(
        f"{here}/items/order", data={"csrf_token": csrf(staff), "item_ids": ids, "move": f"{ids[1]}:up"}
    )
    staff.post(f"{here}/items/{ids[2]}/remove", data={"csrf_token": csrf(staff)})
    reworded = staff.post(
        f"{here}/items/{ids[0]}", data={"csrf_token": csrf(staff), "summary": "A darker gallery"}
    )
    assert "The line is reworded." in reworded.text
    with database.unit_of_work() as session:
        now = [(item.post_id, item.summary) for item in releases.items_of(session, release_id)]
    assert now == [(building, "Camera freezes on launch"), (planned, "A darker gallery")]
    assert re.findall(r'data-sort-key="(\d+)"', reworded.text) == [ids[1], ids[0]]

    scheduled = staff.post(f"{here}/schedule", data={"csrf_token": csrf(staff)})
    assert (
        "Release 3.1 is scheduled" in scheduled.text and 'action="' + here + '/unschedule"' in scheduled.text
    )
    assert _release(database, release_id).state == "scheduled"
    staff.post(f"{here}/unschedule", data={"csrf_token": csrf(staff)})
    assert _release(database, release_id).state == "draft"

    unconfirmed = staff.post(f"{here}/publish", data={"csrf_token": csrf(staff)}, follow_redirects=False)
    assert unconfirmed.headers["location"] == f"{here}/publish"
    confirm = staff.get(f"{here}/publish").text
    assert "Publish 3.1 now?" in confirm and "It ships 2 posts" in confirm
    done = staff.post(f"{here}/publish", data={"csrf_token": csrf(staff), "confirm": "yes"})
    assert done.url.path == "/changelog/3.1"
    assert "Release 3.1 is published: 2 posts shipped, 1 fan credited, 1 member told." in done.text
    assert _post_status(database, planned) == _post_status(database, building) == "shipped"
    assert _post_status(database, extra) == "planned"
    again = staff.post(f"{here}/publish", data={"csrf_token": csrf(staff), "confirm": "yes"})
    assert "is published already" in again.text


def test_refused_changes_come_back_as_messages(web_client, log_in, world, database, csrf):
    release = _open_release(database)
    staff = _client(web_client, log_in, "zhang_min")
    here = f"/staff/releases/{release.id}"
    empty = staff.post(f"{here}/schedule", data={"csrf_token": csrf(staff)})
    assert "Add at least one item before scheduling the release." in empty.text
    missing = staff.post(f"{here}/items", data={"csrf_token": csrf(staff), "post_id": "424242"})
    assert "Post 424242 not found." in missing.text
    bad_time = staff.post(f"{here}", data={"csrf_token": csrf(staff), "version": "x", "planned_for": "soon"})
    assert "Enter the planned time as YYYY-MM-DD HH:MM." in bad_time.text
    assert _release(database, release.id).version == release.version
    assert staff.get("/staff/releases/424242").status_code == 404


def test_leads_change_the_cadence(web_client, log_in, world, seed, database, csrf):
    seed.member("lead", "wang_lei")
    form = {
        "weekday": "1",
        "time_of_day": "10:30",
        "timezone": "Europe/Berlin",
        "every_weeks": "2",
        "version_format": "v%y.%W",
    }
    staff = _client(web_client, log_in, "zhang_min")
    assert staff.post("/staff/releases/train", data={**form, "csrf_token": csrf(staff)}).status_code == 403
    lead = _client(web_client, log_in, "wang_lei")
    page = lead.get("/staff/releases").text
    assert 'id="cadence-form"' in page and '<option value="4" selected>Friday</option>' in page
    saved = lead.post("/staff/releases/train", data={**form, "csrf_token": csrf(lead)})
    assert "The release cadence is saved." in saved.text
    with database.unit_of_work() as session:
        train = session.get(ReleaseTrain, 1)
        assert (train.weekday, train.time_of_day, train.timezone, train.every_weeks) == (
            1,
            "10:30",
            "Europe/Berlin",
            2,
        )
    refused = lead.post(
        "/staff/releases/train", data={**form, "timezone": "Mars/Olympus", "csrf_token": csrf(lead)}
    )
    assert "Unknown time zone" in refused.text


def test_fans_and_visitors_stay_out_of_the_staff_pages(web_client, log_in, world, database, csrf):
    release = _open_release(database)
    visitor = _client(web_client, log_in)
    away = visitor.get("/staff/releases", follow_redirects=False)
    assert away.status_code == 303 and away.headers["location"].startswith("/login?next=/staff/releases")
    fan = _client(web_client, log_in, "li_wei")
    assert fan.get("/staff/releases").status_code == 403
    assert fan.get(f"/staff/releases/{release.id}").status_code == 403
    assert (
        fan.post(f"/staff/releases/{release.id}/schedule", data={"csrf_token": csrf(fan)}).status_code == 403
    )
    assert 'href="/staff/releases"' not in fan.get("/").text


def test_publishing_needs_the_csrf_token(web_client, log_in, world, database, make_post):
    post_id = make_post(world["fan"])
    release = _open_release(database)
    _add(database, world, release.id, post_id=post_id)
    staff = _client(web_client, log_in, "zhang_min")
    response = staff.post(f"/staff/releases/{release.id}/publish", data={"confirm": "yes"})
    assert response.status_code == 403
    assert _release(database, release.id).state == "draft" and _post_status(database, post_id) == "open"


# --------------------------------------------------------------------------- profiles and notifications


def test_the_profile_shows_what_shipped_because_of_the_member(web_client, log_in, published):
    release = published["release"]
    visitor = web_client()
    profile = visitor.get("/u/wang_fang").text
    assert 'hx-get="/u/wang_fang/shipped"' in profile and "Shipped because of Wang Fang" in profile
    fragment = visitor.get("/u/wang_fang/shipped", headers=HTMX).text
    assert "<html" not in fragment
    assert f'href="/changelog/{release.version}">{release.version}</a>' in fragment
    assert f'<a href="/posts/{published["idea"]}">Dark mode for the gallery</a>' in fragment
    assert "Camera &lt;no longer&gt; freezes &amp; stalls" in fragment
    assert "Confirmer" in fragment and "Voter" in fragment
    page = visitor.get("/u/wang_fang/shipped")  # without scripts: a page of its own
    assert "<html" in page.text and "Shipped because of Wang Fang" in page.text
    me = _client(web_client, log_in, "li_wei")
    assert "Shipped because of you" in me.get("/u/li_wei").text
    assert "Reporter" in me.get("/u/li_wei/shipped", headers=HTMX).text
    nobody = visitor.get("/u/chen_jie/shipped", headers=HTMX).text
    assert "No release credits them yet." in nobody


def test_release_notifications_name_the_posts(web_client, log_in, published, database):
    release = published["release"]
    fan = _client(web_client, log_in, "wang_fang")
    page = fan.get("/notifications").text
    assert f"What you asked for shipped in {release.version}" in page
    assert f'href="/changelog/{release.version}"' in page
    assert f'<li><a href="/posts/{published["idea"]}">Dark mode for the gallery</a></li>' in page
    assert f'<li><a href="/posts/{published["bug"]}">Camera freezes on launch</a></li>' in page
    with database.unit_of_work() as session:
        notice = session.scalar(select(Notification).where(Notification.kind == "release_shipped"))
        assert messages.detail(notice) == notice.body and notice.body.startswith("#")
        with use_language("zh_CN"):
            assert messages.headline(notice) == f"你关注的内容已在 {release.version} 中发布"


def test_the_pages_in_chinese(web_client, log_in, seed, published, csrf):
    fan = _client(web_client, log_in, "li_wei")
    fan.cookies.set("lang", "zh_CN")
    assert "路线图" in fan.get("/roadmap").text
    page = fan.get(f"/changelog/{published['release'].version}").text
    assert "报告者" in page and "荣誉榜" in page
    assert _feed_title(fan.get("/changelog.atom").content) == "更新日志 · fanloop"
    seed.member("lead", "wang_lei")
    lead = _client(web_client, log_in, "wang_lei")
    lead.cookies.set("lang", "zh_CN")
    staff_page = lead.get("/staff/releases").text
    assert "发布节奏" in staff_page and "例如 %Y.%m.%d。" in staff_page and ">星期五</option>" in staff_page
    compose = lead.get(f"/staff/releases/{published['draft'].id}").text
    assert "可以加入的内容" in compose and "周五 2026-03-20 17:00" in compose
    refused = lead.post(f"/staff/releases/{published['draft'].id}/schedule", data={"csrf_token": csrf(lead)})
    assert "排期前请至少添加一个条目。" in refused.text  # the flash, in the viewer's language


def _feed_title(atom: bytes) -> str:
    return ElementTree.fromstring(atom).findtext(f"{ATOM}title")


# --------------------------------------------------------------------------- helpers of the pages


def test_reordered_moves_one_key_and_keeps_the_rest():
    assert reordered(["a", "b", "c"], "b:up") == ["b", "a", "c"]
    assert reordered(["a", "b", "c"], "b:down") == ["a", "c", "b"]
    assert reordered(["a", "b", "c"], "a:up") == ["a", "b", "c"]
    assert reordered(["post:1", "post:2"], "post:2:up") == ["post:2", "post:1"]
    assert reordered(["a", "b", "a"], "") == ["a", "b"]
    assert reordered(["a", "b"], "zzz:down") == ["a", "b"]


def test_shipped_posts_reads_a_release_notification():
    assert shipped_posts("#12 Dark mode\n#40 Camera: faster #2\n+3") == (
        [(12, "Dark mode"), (40, "Camera: faster #2")],
        3,
    )
    assert shipped_posts("") == ([], 0)


def test_votes_on_the_roadmap_are_the_post_votes(web_client, log_in, world, database, make_post, csrf):
    post_id = make_post(world["fan"], kind="suggestion")
    _status(database, world, post_id, "planned")
    fan = _client(web_client, log_in, "li_wei")
    box = fan.post(f"/posts/{post_id}/vote", data={"csrf_token": csrf(fan)}, headers=HTMX)
    assert f'id="vote-{post_id}"' in box.text and "is-voted" in box.text
    with database.unit_of_work() as session:
        assert session.scalar(select(Vote.member_id).where(Vote.post_id == post_id)) == world["fan"].id
