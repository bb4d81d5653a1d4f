"""Channels through the API: managing them, the signed webhook, uploads and identity claims."""

from __future__ import annotations

import json
from datetime import timedelta

import pytest
from channel_support import jsonl, mention, run_import
from sqlalchemy import func, select

from fanloop.community.levels.models import XpEvent
from fanloop.community.members.models import Member
from fanloop.community.posts.models import Follow, Post
from fanloop.growth.models import ChannelIdentity, Mention
from fanloop.service.notify.webhooks import sign


@pytest.fixture
def lead(api, seed):
    seed.board("social", "Social")
    return api("lead", "lead")


@pytest.fixture
def secret(lead):
    response = lead.post("/api/v1/channels", json={"slug": "weibo", "name": "Weibo", "board": "social"})
    assert response.status_code == 201, response.text
    body = response.json()
    assert body["webhook_url"] == "/api/v1/channels/weibo/webhook"
    return body["webhook_secret"]


def signed(client, secret: str, payload, clock, *, offset: int = 0, slug: str = "weibo"):  # noqa: ANN001
    body = json.dumps(payload).encode()
    timestamp = int(clock.now().timestamp()) + offset
    return client.post(
        f"/api/v1/channels/{slug}/webhook",
        content=body,
        headers={"X-Fanloop-Signature": sign(secret, timestamp, body), "Content-Type": "application/json"},
    )


def test_a_signed_webhook_call_imports_its_mentions(client, secret, clock, database):
    at = clock.now() - timedelta(minutes=2)
    payload = {"mentions": [mention(1, at), mention(2, at, text=""), mention(3, at, author="u9")]}
    response = signed(client, secret, payload, clock)

    assert response.status_code == 200, response.text
    body = response.json()
    assert (body["imported"], body["rejected"], body["duplicates"]) == (2, 1, 0)
    assert body["problems"] == [{"line": 2, "reason": "missing text"}]
    assert len(body["post_ids"]) == 2
    # The same call again (a retry by the channel) adds nothing.
    again = signed(client, secret, payload, clock).json()
    assert (again["imported"], again["duplicates"]) == (0, 2)
    with database.unit_of_work() as session:
        assert session.scalar(select(func.count()).select_from(Mention)) == 2


def test_a_single_mention_object_is_accepted(client, secret, clock):
    response = signed(client, secret, mention(1, clock.now()), clock)
    assert response.json()["imported"] == 1


@pytest.mark.parametrize(
    ("header", "detail"),
    [
        (None, "Sign the request"),
        ("t=abc,v1=00", "not a Unix time"),
        ("t={now},v1=00", "does not match"),
    ],
)
def test_unsigned_or_badly_signed_calls_are_refused(client, secret, clock, header, detail):
    headers = (
        {} if header is None else {"X-Fanloop-Signature": header.format(now=int(clock.now().timestamp()))}
    )
    response = client.post("/api/v1/channels/weibo/webhook", content=b"{}", headers=headers)
    assert response.status_code == 401
    assert detail in response.json()["detail"]


def test_a_replayed_call_from_long_ago_is_refused(client, secret, clock):
    response = signed(client, secret, mention(1, clock.now()), clock, offset=-301)
    assert response.status_code == 401
    assert "five minutes" in response.json()["detail"]


def test_a_call_signed_with_another_channels_or_an_old_secret_is_refused(client, lead, secret, clock):
    rotated = lead.post("/api/v1/channels/weibo/secret").json()["webhook_secret"]
    assert rotated != secret
    assert signed(client, secret, mention(1, clock.now()), clock).status_code == 401
    assert signed(client, rotated, mention(1, clock.now()), clock).status_code == 200


def test_bad_webhook_bodies_get_clear_4xx(client, secret, clock):
    body = b"{not json"
    timestamp = int(clock.now().timestamp())
    response = client.post(
        "/api/v1/channels/weibo/webhook",
        content=body,
        headers={"X-Fanloop-Signature": sign(secret, timestamp, body)},
    )
    assert response.status_code == 422 and "not JSON" in response.json()["detail"]
    assert signed(client, secret, [mention(i, clock.now()) for i in range(1001)], clock).status_code == 422
    assert client.post("/api/v1/channels/nope/webhook", content=b"{}").status_code == 404


def test_a_paused_channel_takes_nothing(client, lead, secret, clock):
    assert lead.patch("/api/v1/channels/weibo", json={"is_active": False}).status_code == 200
    response = signed(client, secret, mention(1, clock.now()), clock)
    assert response.status_code == 422 and "paused" in response.json()["detail"]


def test_channel_settings_are_validated(lead, secret):
    for body, field in [
        ({"slug": "Bad Slug!", "name": "x", "board": "social"}, "slug"),
        ({"slug": "forum", "name": "x", "board": "social"}, "slug"),
        ({"slug": "weibo", "name": "x", "board": "social"}, "slug"),
        ({"slug": "appstore", "name": "x", "board": "nope"}, "board"),
        ({"slug": "appstore", "name": "x", "board": "social", "kind": "fax"}, "kind"),
        ({"slug": "appstore", "name": "x", "board": "social", "post_kind": "rant"}, "post_kind"),
        ({"slug": "appstore", "name": "x", "board": "social", "connector": "carrier-pigeon"}, None),
    ]:
        response = lead.post("/api/v1/channels", json=body)
        assert response.status_code in (409, 422), (body, response.text)
        if field:
            assert response.json().get("field") == field, response.text
    listing = lead.get("/api/v1/channels").json()
    assert [c["slug"] for c in listing] == ["weibo"]
    assert "webhook_secret" not in listing[0]


def test_staff_read_channels_and_fans_do_not(api, secret):
    assert api("staff").get("/api/v1/channels/weibo").json()["name"] == "Weibo"
    assert api("fan").get("/api/v1/channels").status_code == 403
    assert api("staff").post("/api/v1/channels/weibo/secret").status_code == 403


def test_a_lead_uploads_a_file_and_gets_the_report(lead, secret, clock):
    data = jsonl(mention(1, clock.now()), '{"id": 2}', mention(3, clock.now()))
    response = lead.post(
        "/api/v1/channels/weibo/imports", content=data, headers={"Content-Type": "application/x-ndjson"}
    )
    assert response.status_code == 201, response.text
    report = response.json()
    assert (report["state"], report["imported"], report["rejected"]) == ("finished", 2, 1)
    assert report["problems"] == [{"line": 2, "reason": "missing author (author.id, author_id or author_handle)"}]
    assert lead.get("/api/v1/channels/weibo/imports").json()[0]["id"] == report["id"]


def test_a_staff_member_cannot_upload(api, secret, clock):
    response = api("staff").post("/api/v1/channels/weibo/imports", content=jsonl(mention(1, clock.now())))
    assert response.status_code == 403


class TestClaims:
    @pytest.fixture
    def imported(self, database, secret, clock):
        at = clock.now() - timedelta(days=1)
        run_import(database, jsonl(mention(1, at, author="u7"), mention(2, at, author="u7")))

    def test_posting_the_code_from_the_account_proves_the_claim(self, api, database, imported, clock):
        fan = api("fan", "wang")
        claim = fan.post("/api/v1/identity-claims", json={"channel": "weibo", "who": "@handle_u7"})
        assert claim.status_code == 201, claim.text
        code = claim.json()["code"]
        assert code.startswith("fanloop-")
        assert (
            fan.post("/api/v1/identity-claims", json={"channel": "weibo", "who": "u7"}).json()["id"]
            == (claim.json()["id"])
        )  # asking again gives the same claim

        run_import(database, jsonl(mention(3, clock.now(), author="u7", text=f"It is me, {code}")))

        assert fan.get("/api/v1/identity-claims").json()[0]["state"] == "verified"
        with database.unit_of_work() as session:
            member = session.get(Member, fan.member.id)
            posts = session.scalars(select(Post).where(Post.author_id == member.id)).all()
            assert len(posts) == 3  # the history and the proving mention
            assert member.xp == 15
            assert (
                session.scalar(select(func.count()).select_from(Follow).where(Follow.member_id == member.id))
                == 3
            )
            assert (
                session.scalar(
                    select(func.count()).select_from(XpEvent).where(XpEvent.member_id == member.id)
                )
                == 3
            )
            identity = session.scalar(select(ChannelIdentity).where(ChannelIdentity.external_id == "u7"))
            assert identity.member_id == member.id and identity.claimed_at is not None
            assert session.scalar(select(Member).where(Member.handle == "weibo_handle_u7")) is None
        # Claimed once, claimed for good.
        again = api("fan").post("/api/v1/identity-claims", json={"channel": "weibo", "who": "u7"})
        assert again.status_code == 409
        # What they write on the channel from now on counts as theirs at once, as a forum post does.
        run_import(database, jsonl(mention(4, clock.now(), author="u7"), mention(5, clock.now(), author="u8")))
        with database.unit_of_work() as session:
            assert session.get(Member, fan.member.id).xp == 20
            post = session.scalar(select(Post).join(Mention).where(Mention.external_id == "m4"))
            assert post.author_id == fan.member.id and post.follower_count == 1
            assert session.scalar(select(func.count()).select_from(Follow).where(Follow.post_id == post.id)) == 1

    def test_a_lead_approves_or_rejects(self, api, lead, database, imported):
        fan, other = api("fan", "wang"), api("fan", "li_na")
        mine = fan.post("/api/v1/identity-claims", json={"channel": "weibo", "who": "u7"}).json()
        theirs = other.post("/api/v1/identity-claims", json={"channel": "weibo", "who": "u7"}).json()
        pending = lead.get("/api/v1/identity-claims?pending=true").json()
        assert [c["id"] for c in pending] == [mine["id"], theirs["id"]]
        assert all(c["code"] is None for c in pending)  # the code is the claimant's to post

        assert (
            fan.post(f"/api/v1/identity-claims/{mine['id']}/decision", json={"approve": True}).status_code
            == 403
        )
        decided = lead.post(f"/api/v1/identity-claims/{mine['id']}/decision", json={"approve": True})
        assert decided.json()["state"] == "approved"
        assert other.get("/api/v1/identity-claims").json()[0]["state"] == "rejected"
        with database.unit_of_work() as session:
            assert (
                session.scalar(select(func.count()).select_from(Post).where(Post.author_id == fan.member.id))
                == 2
            )

    def test_a_claim_gives_what_the_stand_in_had_once(self, api, lead, database, imported):
        """A stand-in that already follows its posts and holds their experience (imported by an
        earlier release) is claimed without anything being counted twice."""
        from fanloop.community.posts.imported import adopt_posts

        with database.unit_of_work() as session:
            stand_in = session.scalar(select(Member).where(Member.handle == "weibo_handle_u7"))
            written = session.scalars(select(Post.id).where(Post.author_id == stand_in.id)).all()
            assert adopt_posts(session, member_id=stand_in.id, post_ids=written) == 10
        fan = api("fan", "wang")
        mine = fan.post("/api/v1/identity-claims", json={"channel": "weibo", "who": "u7"}).json()
        lead.post(f"/api/v1/identity-claims/{mine['id']}/decision", json={"approve": True})
        with database.unit_of_work() as session:
            assert session.get(Member, fan.member.id).xp == 10
            follows = session.scalars(select(Follow.post_id).where(Follow.member_id == fan.member.id)).all()
            assert sorted(follows) == sorted(written)
            assert {session.get(Post, post_id).follower_count for post_id in written} == {1}
            assert session.scalar(select(func.count()).select_from(XpEvent)) == 2

    def test_claims_are_withdrawn_and_unknown_ones_are_404(self, api, imported):
        fan = api("fan")
        claim = fan.post("/api/v1/identity-claims", json={"channel": "weibo", "who": "u7"}).json()
        assert api("fan").delete(f"/api/v1/identity-claims/{claim['id']}").status_code == 403
        assert fan.delete(f"/api/v1/identity-claims/{claim['id']}").json()["state"] == "cancelled"
        assert fan.delete(f"/api/v1/identity-claims/{claim['id']}").status_code == 409
        assert fan.delete("/api/v1/identity-claims/999999").status_code == 404
        response = fan.post("/api/v1/identity-claims", json={"channel": "weibo", "who": "nobody"})
        assert response.status_code == 404 and "No one called 'nobody'" in response.json()["detail"]
