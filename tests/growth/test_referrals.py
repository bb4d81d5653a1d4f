"""Referral links: a member's own (one, made on demand), a campaign's (leads), visits to /r/<code>
and the cookie, and the origin a sign-up records through the web form and the API."""

from __future__ import annotations

import pytest
from campaign_support import Forum, make_forum
from sqlalchemy import func, select

from fanloop.community.members import service as members
from fanloop.community.members.models import Member
from fanloop.core.errors import Forbidden, Invalid, NotFound
from fanloop.growth import referrals
from fanloop.growth.models import MemberOrigin, ReferralLink


@pytest.fixture
def forum(seed, database, settings, clock) -> Forum:
    return make_forum(seed, database, settings, clock)


def lead_link(forum, campaign_id: int, **fields) -> ReferralLink:
    with forum.database.unit_of_work(write=True) as session:
        return referrals.create_campaign_link(
            session, actor=session.get(Member, forum.lead.id), campaign_id=campaign_id, **fields
        )


def csrf(client) -> str:
    client.get("/login")
    return client.cookies["fanloop_csrf"]


def web_sign_up(client, handle: str):
    return client.post(
        "/signup",
        data={"csrf_token": csrf(client), "handle": handle, "email": f"{handle}@example.test",
              "password": "correct horse 1"},
        follow_redirects=False,
    )  # fmt: skip


def origin_of(database, handle: str) -> MemberOrigin:
    with database.unit_of_work() as session:
        member_id = session.scalar(select(Member.id).where(Member.handle == handle))
        return session.get(MemberOrigin, member_id)


def test_a_member_has_one_own_link_made_on_demand(forum, database):
    fan = forum.fan()
    with database.unit_of_work(write=True) as session:
        first = referrals.member_link(session, member=session.get(Member, fan.id))
    with database.unit_of_work(write=True) as session:
        again = referrals.member_link(session, member=session.get(Member, fan.id))
        assert session.scalar(select(func.count()).select_from(ReferralLink)) == 1
    assert first.code == again.code
    assert referrals.CODE_PATTERN.match(first.code) and len(first.code) == 10


def test_leads_make_campaign_links(forum, database):
    campaign = forum.campaign()
    link = lead_link(forum, campaign.id, label="Weibo post")
    assert (link.campaign_id, link.member_id, link.label, link.visits) == (campaign.id, None, "Weibo post", 0)
    with database.unit_of_work(write=True) as session:
        staff = session.get(Member, forum.staff.id)
        with pytest.raises(Forbidden):
            referrals.create_campaign_link(session, actor=staff, campaign_id=campaign.id)
        lead = session.get(Member, forum.lead.id)
        with pytest.raises(NotFound):
            referrals.create_campaign_link(session, actor=lead, campaign_id=campaign.id, channel_id=999)
        with pytest.raises(Invalid):
            referrals.create_campaign_link(session, actor=lead, campaign_id=campaign.id, label="x" * 121)


def test_a_visit_counts_sets_the_cookie_and_goes_to_sign_up(forum, client, database):
    link = lead_link(forum, forum.campaign().id)
    response = client.get(f"/r/{link.code}", follow_redirects=False)
    assert response.status_code == 303 and response.headers["location"] == "/signup"
    cookie = next(h for h in response.headers.get_list("set-cookie") if h.startswith(f"{referrals.COOKIE}="))
    assert f"{referrals.COOKIE}={link.code}" in cookie
    assert "HttpOnly" in cookie and "samesite=lax" in cookie.lower() and "Max-Age=2592000" in cookie
    with database.unit_of_work() as session:
        assert session.get(ReferralLink, link.id).visits == 1


def test_an_unknown_code_goes_to_sign_up_and_remembers_nothing(forum, client):
    response = client.get("/r/nosuchcode", follow_redirects=False)
    assert response.status_code == 303 and response.headers["location"] == "/signup"
    assert referrals.COOKIE not in response.headers.get("set-cookie", "")


def test_web_sign_up_through_a_campaign_link_records_the_referral(forum, client, database):
    campaign = forum.campaign()
    link = lead_link(forum, campaign.id)
    client.get(f"/r/{link.code}", follow_redirects=False)
    response = web_sign_up(client, "new_fan")
    assert response.status_code == 303, response.text
    origin = origin_of(database, "new_fan")
    assert (origin.source, origin.referral_id, origin.campaign_id, origin.referrer_id) == (
        "referral", link.id, campaign.id, None,
    )  # fmt: skip
    assert referrals.COOKIE in response.headers.get("set-cookie", "")  # the cookie is cleared
    assert (
        f'{referrals.COOKIE}=""' in response.headers["set-cookie"]
        or "Max-Age=0" in response.headers["set-cookie"]
    )


def test_web_sign_up_through_a_members_link_records_the_referrer(forum, client, database):
    fan = forum.fan("inviter")
    with database.unit_of_work(write=True) as session:
        link = referrals.member_link(session, member=session.get(Member, fan.id))
    client.get(f"/r/{link.code}", follow_redirects=False)
    web_sign_up(client, "invited")
    origin = origin_of(database, "invited")
    assert (origin.source, origin.referrer_id, origin.referral_id, origin.campaign_id) == (
        "referral", fan.id, link.id, None,
    )  # fmt: skip


def test_web_sign_up_without_a_link_is_direct(forum, client, database):
    assert web_sign_up(client, "walked_in").status_code == 303
    assert origin_of(database, "walked_in").source == "direct"


def test_api_sign_up_with_a_referral_code(forum, client, database):
    link = lead_link(forum, forum.campaign().id)
    response = client.post(
        "/api/v1/auth/signup",
        json={"handle": "api_fan", "email": "api_fan@example.test", "password": "correct horse 1",
              "referral_code": link.code},
    )  # fmt: skip
    assert response.status_code == 201, response.text
    origin = origin_of(database, "api_fan")
    assert (origin.source, origin.referral_id) == ("referral", link.id)


@pytest.mark.parametrize("code", ["unknown123", "bad code!", "x", "\x00abc", ""])
def test_api_sign_up_with_an_unknown_code_still_signs_up_directly(forum, client, database, code):
    response = client.post(
        "/api/v1/auth/signup",
        json={"handle": "api_fan", "email": "api_fan@example.test", "password": "correct horse 1",
              "referral_code": code},
    )  # fmt: skip
    assert response.status_code == 201, response.text
    assert origin_of(database, "api_fan").source == "direct"


def test_an_existing_origin_is_kept(forum, database):
    """An import that wrote the member's origin first keeps it: no second row, no overwrite."""
    fan = forum.fan()
    with database.unit_of_work(write=True) as session:
        member = session.get(Member, fan.id)
        session.get(MemberOrigin, fan.id).source = "channel"
        session.flush()
        referrals.record_origin(session, member=member, referral_code=None)
    assert forum.origin(fan).source == "channel"


def test_bulk_callers_of_sign_up_keep_working(forum, database):
    with database.unit_of_work(write=True) as session:
        member = members.sign_up(
            session, handle="seeded", email="seeded@example.test", password="correct horse 1"
        )
        assert session.get(MemberOrigin, member.id).source == "direct"


def test_own_link_through_the_api(forum, api):
    fan = api("fan")
    first = fan.get("/api/v1/members/me/referral-link")
    assert first.status_code == 200, first.text
    body = first.json()
    assert body["url"] == f"/r/{body['code']}" and body["visits"] == 0 and body["sign_ups"] == 0
    assert fan.get("/api/v1/members/me/referral-link").json()["code"] == body["code"]


def test_own_link_needs_a_member(forum, client):
    assert client.get("/api/v1/members/me/referral-link").status_code == 401
