"""The pages of what fans say back about a release, and of the beta group: the vote for the best
update of the week on a release's page (and its winner once the next release closes it), the
four-box report form that turns "what broke" and "what I want next" into posts, the staff summary of
the reports, the members' and the leads' beta pages, pre-release notes for beta testers, and the
notifications of an invitation and an award. Data is set up through the services; every change the
tests make goes through the forms, with the CSRF token."""

from __future__ import annotations

import re

import pytest
from sqlalchemy import select, update

from fanloop.community.levels.service import level_for
from fanloop.community.members.models import Member
from fanloop.community.posts import service as posts
from fanloop.community.posts.models import Post
from fanloop.releases import beta, feedback, flows
from fanloop.releases import service as releases
from fanloop.releases.models import AwardVote, BetaMember, BetaSettings, ExperienceReport, Release
from fanloop.service.notify import messages
from fanloop.service.notify.models import Notification
from fanloop.web.i18n import use_language

HTMX = {"HX-Request": "true"}


# --------------------------------------------------------------------------- helpers


def _client(web_client, log_in, handle: str | None = None):
    client = web_client()
    if handle:
        log_in(client, handle)
    return client


def _actor(session, member: Member) -> Member:
    return session.get(Member, member.id)


def _release_of(database, world, post_ids: list[int], *, publish: bool = True) -> tuple[Release, list[int]]:
    """The open release with the posts as its items, published unless asked not to."""
    with database.unit_of_work(write=True) as session:
        staff = _actor(session, world["staff"])
        release = releases.ensure_open_release(session)
        items = [
            releases.add_item(session, actor=staff, release_id=release.id, post_id=post_id).id
            for post_id in post_ids
        ]
        if publish:
            flows.publish(session, release_id=release.id, actor=staff)
        return release, items


def _award_votes(database, release_id: int, votes: dict[Member, int]) -> None:
    with database.unit_of_work(write=True) as session:
        for member, item_id in votes.items():
            feedback.vote_award(
                session, member=_actor(session, member), release_id=release_id, item_id=item_id
            )


def _report(database, settings, member: Member, release_id: int, **answers) -> ExperienceReport:
    with database.unit_of_work(write=True) as session:
        return feedback.file_report(
            session, member=_actor(session, member), release_id=release_id, settings=settings, **answers
        )


def _lead(seed) -> Member:
    return seed.member("lead", "wang_lei")


def _into_beta(database, lead: Member, member: Member) -> None:
    with database.unit_of_work(write=True) as session:
        beta.invite(session, actor=_actor(session, lead), handle=member.handle)
        beta.accept(session, member=_actor(session, member))


def _set_xp(database, member: Member, xp: int) -> None:
    with database.unit_of_work(write=True) as session:
        session.execute(update(Member).where(Member.id == member.id).values(xp=xp))


def _section(page: str, section_id: str) -> str:
    return page.split(f'id="{section_id}"', 1)[1].split("</section>", 1)[0]


@pytest.fixture
def shipped(world, database, make_post) -> dict:
    """A published release of two suggestions by li_wei: dark mode and a sleep timer."""
    dark = make_post(world["fan"], kind="suggestion", title="Dark mode for the gallery")
    timer = make_post(world["fan"], kind="suggestion", title="Sleep timer for music")
    release, items = _release_of(database, world, [dark, timer])
    return {
        "release": release,
        "items": items,
        "posts": [dark, timer],
        "url": f"/changelog/{release.version}",
    }


# --------------------------------------------------------------------------- the weekly award


def test_fans_vote_for_the_best_update_and_everyone_sees_the_standings(
    web_client, log_in, seed, world, shipped, database, csrf
):
    release, (dark, timer) = shipped["release"], shipped["items"]
    _award_votes(database, release.id, {seed.member("fan", "wang_fang"): timer})
    fan = _client(web_client, log_in, "li_wei")
    award = _section(fan.get(shipped["url"]).text, "award")
    assert "Best update of the week" in award and "1 vote so far" in award
    assert f'name="item_id" value="{dark}"' in award and f'name="item_id" value="{timer}"' in award
    assert f'action="/releases/{release.id}/award"' in award and ">Vote</button>" in award
    assert "Your vote" not in award

    voted = fan.post(
        f"/releases/{release.id}/award",
        data={"csrf_token": csrf(fan), "item_id": str(dark)},
        follow_redirects=False,
    )
    assert voted.status_code == 303 and voted.headers["location"] == f"{shipped['url']}#award"
    page = fan.get(voted.headers["location"]).text
    assert "Your vote is in." in page  # the flash
    award = _section(page, "award")
    assert re.search(rf'is-mine" data-item="{dark}">\s*<input[^>]*value="{dark}" required checked>', award)
    assert "Your vote" in award and "Move my vote" in award and "2 votes so far" in award

    # Moving the vote (htmx: the section comes back alone); it still counts once.
    moved = fan.post(
        f"/releases/{release.id}/award", data={"csrf_token": csrf(fan), "item_id": str(timer)}, headers=HTMX
    )
    assert moved.status_code == 200 and "<html" not in moved.text and 'id="award"' in moved.text
    assert re.search(rf'is-mine" data-item="{timer}"', moved.text) and "2 votes so far" in moved.text
    with database.unit_of_work() as session:
        assert (
            session.scalar(select(AwardVote.item_id).where(AwardVote.member_id == world["fan"].id)) == timer
        )

    visitor = web_client().get(shipped["url"]).text
    award = _section(visitor, "award")
    assert 'name="item_id"' not in award and "Log in to vote for the best update" in award
    assert re.search(rf'data-item="{timer}">\s*<span class="award-summary">Sleep timer for music', award)
    assert "2 votes" in award  # the leader, on top


def test_a_closed_award_shows_the_winner_with_its_fans_and_staff(
    web_client, log_in, seed, world, shipped, database, settings, make_post, csrf
):
    release, (dark, timer) = shipped["release"], shipped["items"]
    voters = [seed.member("fan", handle) for handle in ("wang_fang", "zhao_lei", "sun_li")]
    _award_votes(database, release.id, {voters[0]: timer, voters[1]: timer, voters[2]: dark})
    with database.unit_of_work(write=True) as session:  # the staff member who worked on the timer
        posts.add_reply(
            session,
            author=_actor(session, world["staff"]),
            post_id=shipped["posts"][1],
            body="On it!",
            settings=settings,
        )
    before = web_client().get("/changelog").text
    assert "Vote for the best update of the week" in before and "Best update of the week:" not in before

    next_post = make_post(world["fan"], kind="suggestion", title="Bigger clock widget")
    _release_of(database, world, [next_post])  # publishing the next release closes the vote

    fan = _client(web_client, log_in, "wang_fang")
    award = _section(fan.get(shipped["url"]).text, "award")
    assert "award-closed" in fan.get(shipped["url"]).text
    assert "Best update of the week" in award and "<strong>Sleep timer for music</strong>" in award
    assert "2 votes" in award and 'name="item_id"' not in award
    with database.unit_of_work() as session:
        xp = session.scalar(select(Member.xp).where(Member.handle == "li_wei"))
    fans = re.search(r"Thanks to the fans</span>(.*?)</p>", award, re.S)[1]
    assert 'href="/u/li_wei">@li_wei</a>' in fans and level_for(xp).name("en") in fans
    team = re.search(r"and the team</span>(.*?)</p>", award, re.S)[1]
    assert ">Zhang Min</a>" in team

    refused = fan.post(f"/releases/{release.id}/award", data={"csrf_token": csrf(fan), "item_id": str(dark)})
    assert "has closed" in refused.text
    with database.unit_of_work() as session:
        assert session.scalar(select(AwardVote.item_id).where(AwardVote.member_id == voters[0].id)) == timer

    listing = web_client().get("/changelog").text
    entry = listing.split(f'id="release-{release.id}"', 1)[1].split("</article>", 1)[0]
    assert (
        "Best update of the week:" in entry and f'{shipped["url"]}#award">Sleep timer for music</a>' in entry
    )

    # li_wei (credited on the item) and the staff member are told.
    told = _client(web_client, log_in, "li_wei").get("/notifications").text
    assert f"“Sleep timer for music” won the best update of {release.version}" in told
    with database.unit_of_work() as session:
        notice = session.scalar(select(Notification).where(Notification.kind == "award_won"))
        with use_language("zh_CN"):
            assert (
                messages.headline(notice) == f"“Sleep timer for music”荣获 {release.version} 的本周最佳更新"
            )


# --------------------------------------------------------------------------- the four-box report


def test_a_four_box_report_becomes_posts_and_then_shows_thanks(web_client, log_in, shipped, database, csrf):
    release, (dark, timer) = shipped["release"], shipped["items"]
    fan = _client(web_client, log_in, "li_wei")
    page = fan.get(shipped["url"]).text
    form = _section(page, "report")
    assert 'id="report-form"' in form and f'action="/releases/{release.id}/report"' in form
    for label in ("What I liked most", "What I liked least", "What broke", "What I want next"):
        assert f"<legend>{label}</legend>" in form
    assert "Becomes a bug post" in form and "Becomes a suggestion" in form
    assert f'<option value="{dark}">Dark mode for the gallery</option>' in form

    filed = fan.post(
        f"/releases/{release.id}/report",
        data={
            "csrf_token": csrf(fan),
            "liked_most_item_id": str(dark),
            "liked_most": "So easy on the eyes",
            "liked_least_item_id": str(timer),
            "liked_least": "",
            "broke": "The camera app crashes in night mode",
            "want_next": "A sleep timer for podcasts too",
        },
        follow_redirects=False,
    )
    assert filed.status_code == 303 and filed.headers["location"] == f"{shipped['url']}#report"
    with database.unit_of_work() as session:
        report = session.scalar(select(ExperienceReport))
        bug, wish = session.get(Post, report.bug_post_id), session.get(Post, report.wish_post_id)
        assert (bug.kind, wish.kind) == ("bug", "suggestion")
        assert bug.title == f"[{release.version}] The camera app crashes in night mode"
        assert (report.liked_most_item_id, report.liked_least_item_id) == (dark, timer)

    page = fan.get(filed.headers["location"]).text
    assert "Thanks for your report! What broke and what you want next are posts now." in page  # the flash
    mine = _section(page, "report")
    assert 'id="report-form"' not in mine and "Your four-box report" in mine
    assert "<strong>Dark mode for the gallery</strong> · So easy on the eyes" in mine
    assert "<strong>Sleep timer for music</strong>" in mine  # liked least: only the item
    assert (
        f'href="/posts/{bug.id}">#{bug.id}</a>' in mine and f'href="/posts/{wish.id}">#{wish.id}</a>' in mine
    )

    again = fan.post(f"/releases/{release.id}/report", data={"csrf_token": csrf(fan), "broke": "More"})
    assert "already reported" in again.text
    with database.unit_of_work() as session:
        assert len(session.scalars(select(ExperienceReport)).all()) == 1


def test_a_refused_report_comes_back_with_its_answers(web_client, log_in, shipped, database, csrf):
    release, (dark, _) = shipped["release"], shipped["items"]
    fan = _client(web_client, log_in, "li_wei")
    empty = fan.post(f"/releases/{release.id}/report", data={"csrf_token": csrf(fan)})
    assert empty.status_code == 422 and "Fill in at least one of the four boxes." in empty.text
    refused = fan.post(
        f"/releases/{release.id}/report",
        data={
            "csrf_token": csrf(fan),
            "liked_most_item_id": str(dark),
            "want_next": "Widgets <please>",
            "broke": "x" * 5001,
        },
    )
    assert refused.status_code == 422 and "An answer is at most 5000 characters." in refused.text
    form = _section(refused.text, "report")
    assert ">Widgets &lt;please&gt;</textarea>" in form
    assert f'<option value="{dark}" selected>' in form
    assert "report-box-broke has-error" in form
    with database.unit_of_work() as session:
        assert session.scalar(select(ExperienceReport.id)) is None
        assert session.scalar(select(Post.id).where(Post.title.like("%Widgets%"))) is None


def test_visitors_get_no_report_form_and_drafts_none_at_all(
    web_client, log_in, world, shipped, database, csrf
):
    release = shipped["release"]
    visitor = web_client()
    report = _section(visitor.get(shipped["url"]).text, "report")
    assert 'id="report-form"' not in report and "Log in to tell us how this release works for you" in report
    away = visitor.post(
        f"/releases/{release.id}/report",
        data={"csrf_token": csrf(visitor), "broke": "Crash"},
        headers={"Referer": f"http://testserver{shipped['url']}"},
        follow_redirects=False,
    )
    assert away.status_code == 303 and away.headers["location"].startswith("/login?next=/changelog/")
    with database.unit_of_work() as session:
        draft = releases.ensure_open_release(session)
    staff_view = _client(web_client, log_in, "zhang_min").get(f"/changelog/{draft.version}").text
    assert 'id="report"' not in staff_view and 'id="award"' not in staff_view


# --------------------------------------------------------------------------- the staff summary


def test_staff_see_the_reports_summed_up_and_fans_do_not(
    web_client, log_in, seed, world, shipped, database, settings, clock
):
    release, (dark, timer) = shipped["release"], shipped["items"]
    tester = seed.member("fan", "wang_fang")
    _into_beta(database, _lead(seed), tester)
    first = _report(
        database,
        settings,
        tester,
        release.id,
        liked_most_item_id=dark,
        broke="Crash on start",
        want_next="Widgets",
    )
    clock.advance(days=1)
    _report(database, settings, world["fan"], release.id, liked_most_item_id=dark, liked_least_item_id=timer)
    _report(database, settings, seed.member("fan", "zhao_lei"), release.id, liked_least="Too bright")

    staff = _client(web_client, log_in, "zhang_min")
    compose = staff.get(f"/staff/releases/{release.id}").text
    assert f'href="/staff/releases/{release.id}/reports"' in compose
    assert f'href="/staff/releases/{release.id}/reports"' in staff.get("/staff/releases").text

    page = staff.get(f"/staff/releases/{release.id}/reports")
    assert page.status_code == 200
    text = page.text
    totals = dict(re.findall(r'data-total="(\w+)"><span class="stat-value">(\d+)<', text))
    assert totals == {"reports": "3", "from_beta": "1", "bug_posts": "1", "wish_posts": "1"}
    items = _section(text, "report-items-title")
    assert re.search(
        rf'data-item="{dark}">.*?data-count="liked_most">2<.*?data-count="liked_least">0<', items, re.S
    )
    assert re.search(
        rf'data-item="{timer}">.*?data-count="liked_most">0<.*?data-count="liked_least">1<', items, re.S
    )
    boxes = dict(re.findall(r'data-box="(\w+)">.*?<span class="num">(\d+)</span>', text, re.S))
    assert boxes == {"liked_most": "0", "liked_least": "1", "broke": "1", "want_next": "1"}
    assert '"reports": [1, 2]' in text and 'id="report-day-chart"' in text  # per day, for uPlot
    entry = text.split(f'id="report-{first.id}"', 1)[1].split("</li>", 1)[0]
    assert "Beta tester" in entry and f'href="/posts/{first.bug_post_id}"' in entry
    assert f'href="/posts/{first.wish_post_id}"' in entry

    assert (
        _client(web_client, log_in, "li_wei").get(f"/staff/releases/{release.id}/reports").status_code == 403
    )
    away = web_client().get(f"/staff/releases/{release.id}/reports", follow_redirects=False)
    assert away.status_code == 303 and away.headers["location"].startswith("/login?next=/staff/releases/")
    with database.unit_of_work() as session:
        draft = releases.ensure_open_release(session)
    assert (
        "Fans report on a release once it is published."
        in staff.get(f"/staff/releases/{draft.id}/reports").text
    )


# --------------------------------------------------------------------------- the beta group


def test_fans_join_accept_and_leave_the_beta_group(web_client, log_in, seed, world, database, csrf):
    lead = _lead(seed)
    fan = _client(web_client, log_in, "li_wei")
    page = fan.get("/beta").text
    assert "Not in the group" in page and "by invitation" in page and 'action="/beta/join"' not in page
    with database.unit_of_work(write=True) as session:
        beta.update_settings(session, actor=_actor(session, lead), seats=3, score_threshold=50)
    _set_xp(database, world["fan"], 60)
    page = fan.get("/beta").text
    assert 'action="/beta/join"' in page and re.search(r'id="beta-seats-left">3<', page)

    joined = fan.post("/beta/join", data={"csrf_token": csrf(fan)})
    assert "Welcome to the beta group!" in joined.text and "You are a beta tester" in joined.text
    assert re.search(r'id="beta-seats-left">2<', joined.text) and 'action="/beta/leave"' in joined.text
    assert 'id="coming-next"' in joined.text  # the pre-releases, for members
    left = fan.post("/beta/leave", data={"csrf_token": csrf(fan)})
    assert "You left the beta group." in left.text and 'action="/beta/join"' in left.text

    # An invitation: accept it, or decline it.
    for handle, answer, message in (
        ("wang_fang", "accept", "Welcome to the beta group!"),
        ("zhao_lei", "leave", "You declined the invitation to the beta group."),
    ):
        member = seed.member("fan", handle)
        with database.unit_of_work(write=True) as session:
            beta.invite(session, actor=_actor(session, lead), handle=handle)
        invited = _client(web_client, log_in, handle)
        page = invited.get("/beta").text
        assert "You are invited" in page and 'action="/beta/accept"' in page and ">Decline</button>" in page
        assert message in invited.post(f"/beta/{answer}", data={"csrf_token": csrf(invited)}).text
        with database.unit_of_work() as session:
            assert beta.is_member(session, member.id) == (answer == "accept")
            assert (session.get(BetaMember, member.id) is None) == (answer == "leave")
    refused = fan.post("/beta/accept", data={"csrf_token": csrf(fan)})
    assert "You have no invitation to the beta group." in refused.text
    assert web_client().get("/beta", follow_redirects=False).headers["location"] == "/login?next=/beta"


def test_leads_set_up_the_group_invite_and_remove(web_client, log_in, seed, world, database, csrf):
    _lead(seed)
    staff = _client(web_client, log_in, "zhang_min")
    assert staff.get("/staff/beta").status_code == 403
    assert (
        staff.post("/staff/beta/invite", data={"csrf_token": csrf(staff), "handle": "li_wei"}).status_code
        == 403
    )
    assert 'href="/staff/beta"' not in staff.get("/staff/releases").text

    lead = _client(web_client, log_in, "wang_lei")
    assert 'href="/staff/beta"' in lead.get("/staff/releases").text
    page = lead.get("/staff/beta")
    assert page.status_code == 200 and 'id="beta-settings-form"' in page.text
    assert 'class="nav-link is-active" href="/staff/releases"' in page.text  # grouped under Releases
    assert 'value="invitation" checked' in page.text

    saved = lead.post(
        "/staff/beta/settings",
        data={"csrf_token": csrf(lead), "seats": "5", "entry": "score", "score_threshold": "120"},
    )
    assert "The beta settings are saved." in saved.text and 'value="score" checked' in saved.text
    with database.unit_of_work() as session:
        settings = session.get(BetaSettings, 1)
        assert (settings.seats, settings.score_threshold) == (5, 120)
    refused = lead.post(
        "/staff/beta/settings",
        data={"csrf_token": csrf(lead), "seats": "5", "entry": "score", "score_threshold": ""},
    )
    assert "Enter the score from which fans may join." in refused.text
    lead.post("/staff/beta/settings", data={"csrf_token": csrf(lead), "seats": "5", "entry": "invitation"})
    with database.unit_of_work() as session:
        assert session.get(BetaSettings, 1).score_threshold is None

    invited = lead.post("/staff/beta/invite", data={"csrf_token": csrf(lead), "handle": "@li_wei"})
    assert "@li_wei is invited" in invited.text
    row = invited.text.split('data-handle="li_wei"', 1)[1].split("</tr>", 1)[0]
    assert (
        "Invitation" in row and 'href="/u/wang_lei">@wang_lei</a>' in row and "Waiting for an answer" in row
    )
    unknown = lead.post("/staff/beta/invite", data={"csrf_token": csrf(lead), "handle": "nobody"})
    assert "No member @nobody." in unknown.text

    fan = _client(web_client, log_in, "li_wei")
    told = fan.get("/notifications").text
    assert "You are invited to the beta group" in told and 'href="/beta"' in told

    removed = lead.post("/staff/beta/remove", data={"csrf_token": csrf(lead), "handle": "li_wei"})
    assert "@li_wei no longer has a seat" in removed.text and 'data-handle="li_wei"' not in removed.text
    with database.unit_of_work() as session:
        assert session.get(BetaMember, world["fan"].id) is None


def test_the_beta_invitation_and_award_notices_in_chinese(world, seed, database):
    with database.unit_of_work(write=True) as session:
        beta.invite(session, actor=_actor(session, _lead(seed)), handle="li_wei")
    with database.unit_of_work() as session:
        notice = session.scalar(select(Notification).where(Notification.kind == "beta_invitation"))
        assert messages.headline(notice) == "You are invited to the beta group"
        assert "Accept or decline" in messages.detail(notice)
        with use_language("zh_CN"):
            assert messages.headline(notice) == "你受邀加入内测组"
            assert "接受或谢绝" in messages.detail(notice)


# --------------------------------------------------------------------------- pre-release notes


def test_beta_testers_read_pre_release_notes_and_others_get_not_found(
    web_client, log_in, seed, world, database, make_post
):
    tester = seed.member("fan", "wang_fang")
    _into_beta(database, _lead(seed), tester)
    post_id = make_post(world["fan"], kind="suggestion", title="Lock screen widgets")
    draft, _ = _release_of(database, world, [post_id], publish=False)
    url = f"/changelog/{draft.version}"

    page = _client(web_client, log_in, "wang_fang").get(url)
    assert page.status_code == 200
    banner = page.text.split('id="prerelease-banner"', 1)[1].split("</div>", 1)[0]
    assert "Pre-release notes for beta testers" in banner and "Compose it" not in banner
    assert "What is coming" in page.text and "Lock screen widgets" in page.text
    coming = _section(_client(web_client, log_in, "wang_fang").get("/changelog").text, "coming-next")
    assert "Coming next (pre-release)" in coming and f'href="{url}"' in coming

    staff = _client(web_client, log_in, "zhang_min").get(url).text
    assert "Not published yet: only staff and beta testers see this release." in staff
    assert "Pre-release notes for beta testers" not in staff and f'href="/staff/releases/{draft.id}"' in staff

    fan = _client(web_client, log_in, "li_wei")
    assert fan.get(url).status_code == 404 and web_client().get(url).status_code == 404
    assert 'id="coming-next"' not in fan.get("/changelog").text


def test_a_beta_testers_profile_shows_the_badge(web_client, log_in, seed, world, database):
    tester = seed.member("fan", "wang_fang")
    _into_beta(database, _lead(seed), tester)
    visitor = web_client()
    assert '<span id="beta-badge"></span>' in visitor.get("/u/wang_fang").text  # filled after the page
    fragment = visitor.get("/u/wang_fang/shipped", headers=HTMX).text
    badge = fragment.split('id="beta-badge" hx-swap-oob="true"', 1)[1].split("</span>", 1)[0]
    assert ">Beta tester</a>" in badge
    assert ">Beta tester<" not in visitor.get("/u/li_wei/shipped", headers=HTMX).text
    mine = _client(web_client, log_in, "li_wei").get("/u/li_wei/shipped", headers=HTMX).text
    assert 'href="/beta">Beta group</a>' in mine  # one's own way to the group


# --------------------------------------------------------------------------- CSRF


def test_the_forms_need_the_csrf_token(web_client, log_in, seed, world, shipped, database):
    release, (dark, _) = shipped["release"], shipped["items"]
    _lead(seed)
    fan = _client(web_client, log_in, "li_wei")
    assert fan.post(f"/releases/{release.id}/award", data={"item_id": str(dark)}).status_code == 403
    assert fan.post(f"/releases/{release.id}/report", data={"broke": "Crash"}).status_code == 403
    with database.unit_of_work(write=True) as session:
        beta.update_settings(session, actor=_actor(session, seed.member("lead", "li_na")), score_threshold=0)
    assert fan.post("/beta/join", data={}).status_code == 403
    lead = _client(web_client, log_in, "wang_lei")
    assert lead.post("/staff/beta/invite", data={"handle": "li_wei"}).status_code == 403
    assert lead.post("/staff/beta/settings", data={"seats": "1", "entry": "invitation"}).status_code == 403
    with database.unit_of_work() as session:
        assert session.scalar(select(AwardVote.member_id)) is None
        assert session.scalar(select(ExperienceReport.id)) is None
        assert session.scalar(select(BetaMember.member_id)) is None
        assert session.get(BetaSettings, 1).seats == 100
