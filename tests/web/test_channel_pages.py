"""The channel pages: leads add a channel, upload a file with a bad row and read the report; staff
read; fans claim an identity; leads decide claims."""

from __future__ import annotations

import sys
from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy import func, select

from fanloop.community.posts.models import Post

sys.path.insert(0, str(Path(__file__).parent.parent / "growth"))
from channel_support import jsonl, make_channel, mention, run_import  # noqa: E402


@pytest.fixture
def people(seed):
    seed.board("social", "Social")
    return {
        "lead": seed.member("lead", "lead_li"),
        "staff": seed.member("staff", "staff_wu"),
        "fan": seed.member("fan", "fan_wang"),
    }


def browser(web_client, log_in, handle):  # noqa: ANN001
    client = web_client()
    log_in(client, handle)
    return client


def test_a_lead_adds_a_channel_and_imports_a_file_with_a_bad_row(
    web_client, log_in, csrf, people, database, clock
):
    lead = browser(web_client, log_in, "lead_li")
    added = lead.post(
        "/staff/channels",
        data={
            "csrf_token": csrf(lead),
            "name": "Weibo",
            "slug": "weibo",
            "kind": "social",
            "board": "social",
            "post_kind": "question",
        },
        follow_redirects=False,
    )
    assert added.status_code == 303 and added.headers["location"] == "/staff/channels/weibo"
    page = lead.get("/staff/channels/weibo")
    assert "Import a file" in page.text and "/api/v1/channels/weibo/webhook" in page.text

    data = jsonl(mention(1, clock.now() - timedelta(minutes=3)), "{broken", mention(3, clock.now()))
    uploaded = lead.post(
        "/staff/channels/weibo/imports",
        data={"csrf_token": csrf(lead)},
        files={"file": ("weibo.jsonl", data, "application/x-ndjson")},
        follow_redirects=False,
    )
    assert uploaded.status_code == 303
    report = lead.get(uploaded.headers["location"])
    assert "2 imported, 0 already there, 1 refused." in report.text
    assert 'data-figure="imported">2<' in report.text
    assert '<td class="num">2</td><td>not JSON' in report.text
    with database.unit_of_work() as session:
        assert session.scalar(select(func.count()).select_from(Post).where(Post.channel == "weibo")) == 2
    # The imported mentions wait in the inbox with their clocks and the channel's badge.
    inbox = lead.get("/inbox")
    assert "badge-channel" in inbox.text and inbox.text.count("Mention number") == 2
    # A report is read on its own channel's page only.
    run_path = uploaded.headers["location"]
    lead.post("/staff/channels", data={"csrf_token": csrf(lead), "name": "App Store", "slug": "app-store",
                                       "kind": "app_store", "board": "social", "post_kind": "complaint"})  # fmt: skip
    elsewhere = lead.get(run_path.replace("/weibo/", "/app-store/"))
    assert elsewhere.status_code == 404 and "There is no import" in elsewhere.text
    assert lead.get("/staff/channels/weibo/imports/99999999999").status_code == 404


def test_an_upload_without_a_file_or_the_csrf_token_is_refused(web_client, log_in, csrf, people, database):
    make_channel(database, people["lead"])
    lead = browser(web_client, log_in, "lead_li")
    missing = lead.post(
        "/staff/channels/weibo/imports", data={"csrf_token": csrf(lead)}, follow_redirects=False
    )
    assert missing.status_code == 303 and "Choose a file" in lead.get(missing.headers["location"]).text
    forged = lead.post(
        "/staff/channels/weibo/imports", files={"file": ("x.jsonl", b"{}", "application/x-ndjson")}
    )
    assert forged.status_code == 403


def test_staff_read_and_fans_are_kept_out(web_client, log_in, people, database):
    make_channel(database, people["lead"])
    staff = browser(web_client, log_in, "staff_wu")
    page = staff.get("/staff/channels/weibo")
    assert page.status_code == 200 and "Import a file" not in page.text and "webhook-secret" not in page.text
    assert "Add a channel" not in staff.get("/staff/channels").text
    fan = browser(web_client, log_in, "fan_wang")
    assert fan.get("/staff/channels").status_code == 403


def test_bad_settings_come_back_with_the_reason(web_client, log_in, csrf, people, database):
    make_channel(database, people["lead"])
    lead = browser(web_client, log_in, "lead_li")
    response = lead.post(
        "/staff/channels/weibo/settings",
        data={"csrf_token": csrf(lead), "name": "Weibo", "live_window_hours": "soon", "connector": "none"},
    )
    assert "The live window is 1 hour to 365 days." in response.text


def test_a_fan_claims_an_identity_and_a_lead_approves(web_client, log_in, csrf, people, database, clock):
    make_channel(database, people["lead"])
    run_import(database, jsonl(mention(1, clock.now(), author="u5")))
    fan = browser(web_client, log_in, "fan_wang")
    claimed = fan.post(
        "/settings/identities", data={"csrf_token": csrf(fan), "channel": "weibo", "who": "@handle_u5"}
    )
    assert "Post fanloop-" in claimed.text
    assert "Waiting for proof" in fan.get("/settings/identities").text

    lead = browser(web_client, log_in, "lead_li")
    claims = lead.get("/staff/identity-claims")
    assert "@fan_wang" in claims.text and "handle_u5" in claims.text
    claim_id = claims.text.split("/staff/identity-claims/")[1].split("/")[0]
    lead.post(
        f"/staff/identity-claims/{claim_id}/decision", data={"csrf_token": csrf(lead), "approve": "yes"}
    )

    page = fan.get("/settings/identities")
    assert "Approved" in page.text and 'id="linked-identities"' in page.text
    with database.unit_of_work() as session:
        assert session.scalar(select(Post.author_id)) == people["fan"].id
