"""An API client sets itself up with no page load: log-in hands over the CSRF token (or an API token
straight away), and admins create and invite members, whom leads and admins can list."""

from __future__ import annotations

import pytest
from auth_support import PASSWORD, RESET_LINK, assert_problem, confirm, log_in
from fastapi.testclient import TestClient
from sqlalchemy import select

from fanloop.community.members.models import Member, PasswordResetToken

DARK_MODE = {"board": "general", "kind": "question", "title": "Dark mode?", "body": "When?"}


def token_log_in(client, login: str, password: str = PASSWORD, **extra):
    return client.post("/api/v1/auth/token", json={"login": login, "password": password, **extra})


def new_member(**overrides) -> dict:
    return {"handle": "new_fan", "email": "new.fan@example.test", "display_name": "New Fan", **overrides}


@pytest.fixture
def board(seed):
    seed.board("general", "General")


# --- log-in hands over the CSRF token ------------------------------------------------------------


def test_a_client_logs_in_creates_a_token_with_the_csrf_header_and_uses_it(client, app, seed, board):
    seed.member("fan", "li_wei")
    logged_in = log_in(client, "li_wei")
    assert logged_in.status_code == 200, logged_in.text
    assert logged_in.json()["handle"] == "li_wei"
    csrf_token = logged_in.json()["csrf_token"]
    assert csrf_token and client.cookies.get("fanloop_csrf") == csrf_token
    assert "httponly" in logged_in.headers["set-cookie"].lower()

    assert_problem(client.post("/api/v1/me/tokens", json={"name": "ci"}), 403)  # the cookie alone
    created = client.post("/api/v1/me/tokens", json={"name": "ci"}, headers={"X-CSRF-Token": csrf_token})
    assert created.status_code == 201, created.text
    assert (
        client.post("/api/v1/posts", json=DARK_MODE, headers={"X-CSRF-Token": csrf_token}).status_code == 201
    )

    with TestClient(app, headers={"Authorization": f"Bearer {created.json()['token']}"}) as integration:
        assert integration.get("/api/v1/me").json()["handle"] == "li_wei"
        assert integration.post("/api/v1/posts", json={**DARK_MODE, "title": "Widgets?"}).status_code == 201


def test_sign_up_hands_over_the_csrf_token_too(client, board):
    body = {"handle": "li_wei", "email": "li.wei@example.test", "password": PASSWORD}
    signed_up = client.post("/api/v1/auth/signup", json=body)
    assert signed_up.status_code == 201, signed_up.text
    csrf_token = signed_up.json()["csrf_token"]
    assert client.cookies.get("fanloop_csrf") == csrf_token
    response = client.post("/api/v1/posts", json=DARK_MODE, headers={"X-CSRF-Token": csrf_token})
    assert response.status_code == 201, response.text


def test_log_in_keeps_the_csrf_cookie_a_page_gave(client, seed):
    seed.member("fan", "li_wei")
    assert client.get("/login").status_code == 200
    from_page = client.cookies.get("fanloop_csrf")
    assert from_page
    assert log_in(client, "li_wei").json()["csrf_token"] == from_page  # open forms keep working


# --- an API token straight from the credentials --------------------------------------------------


def test_token_log_in_returns_a_working_token_once(client, app, seed, board):
    seed.member("fan", "li_wei")
    response = token_log_in(client, "LI_WEI@example.test", name="home assistant")
    assert response.status_code == 201, response.text
    created = response.json()
    assert created["token"].startswith("flt_") and created["name"] == "home assistant"
    assert "fanloop_session" not in client.cookies  # a token, not a session
    assert token_log_in(client, "li_wei").json()["name"] == "api"  # the default name

    with TestClient(app, headers={"Authorization": f"Bearer {created['token']}"}) as integration:
        assert integration.post("/api/v1/posts", json=DARK_MODE).status_code == 201
        listed = integration.get("/api/v1/me/tokens").json()
        assert [t["name"] for t in listed] == ["home assistant", "api"]
        assert all("token" not in t for t in listed)


@pytest.mark.parametrize("login, password", [("li_wei", "wrong password"), ("nobody", PASSWORD)])
def test_token_log_in_refuses_wrong_credentials_as_log_in_does(client, seed, login, password):
    seed.member("fan", "li_wei")
    problem = assert_problem(token_log_in(client, login, password), 401)
    assert problem["detail"] == assert_problem(log_in(client, login, password), 401)["detail"]


def test_token_log_in_refuses_a_suspended_member(client, seed, database):
    member = seed.member("fan", "li_wei")
    with database.unit_of_work() as session:
        session.get(Member, member.id).is_suspended = True
    assert_problem(token_log_in(client, "li_wei"), 401)


def test_token_log_in_shares_the_log_in_rate_limit(client, seed, settings, clock):
    settings.login_rate_limit = 3
    seed.member("fan", "li_wei")
    assert token_log_in(client, "li_wei", "wrong password").status_code == 401
    assert log_in(client, "li_wei", "wrong password").status_code == 401
    assert token_log_in(client, "li_wei", "wrong password").status_code == 401
    blocked = token_log_in(client, "li_wei")  # even the right password waits
    assert_problem(blocked, 429)
    assert_problem(log_in(client, "li_wei"), 429)
    clock.advance(seconds=int(blocked.headers["Retry-After"]))
    assert token_log_in(client, "li_wei").status_code == 201


# --- admins create and invite members ------------------------------------------------------------


@pytest.mark.parametrize("role", ["fan", "staff", "lead"])
def test_only_admins_create_members(api, database, role):
    below = api(role)
    assert_problem(below.post("/api/v1/members", json=new_member(password=PASSWORD)), 403)
    assert_problem(below.post("/api/v1/members", json=new_member(invite=True)), 403)
    with database.unit_of_work() as session:
        assert session.scalar(select(Member).where(Member.handle == "new_fan")) is None


def test_nobody_creates_members_anonymously(client):
    assert_problem(client.post("/api/v1/members", json=new_member(password=PASSWORD)), 401)


def test_admin_creates_a_member_with_a_password_who_can_log_in(api, client):
    admin = api("admin")
    response = admin.post(
        "/api/v1/members", json=new_member(password=PASSWORD, role="staff", language="zh_CN")
    )
    assert response.status_code == 201, response.text
    created = response.json()
    assert created["invitation"] is None
    member = created["member"]
    assert (member["handle"], member["role"], member["language"]) == ("new_fan", "staff", "zh_CN")
    assert member["email"] == "new.fan@example.test" and member["display_name"] == "New Fan"
    assert member["invitation_pending"] is False and member["is_suspended"] is False

    assert log_in(client, "new_fan").json()["role"] == "staff"
    log = admin.get("/api/v1/moderation-log").json()
    assert [(e["action"], e["actor"]) for e in log] == [("create_member:staff", admin.member.handle)]


def test_admin_invites_a_member_who_sets_a_password_by_the_link(api, client, settings, clock, database):
    admin = api("admin")
    response = admin.post("/api/v1/members", json=new_member(invite=True))
    assert response.status_code == 201, response.text
    created = response.json()
    invitation = created["invitation"]
    assert invitation["emailed"] is False and invitation["expires_in_hours"] == 72
    assert invitation["url"].startswith(f"{settings.base_url}/reset?token=")
    assert created["member"]["invitation_pending"] is True and created["member"]["role"] == "fan"

    with database.unit_of_work() as session:
        stored = session.scalars(select(PasswordResetToken.token_hash)).all()
    token = RESET_LINK.search(invitation["url"]).group(1)
    assert token not in "".join(stored)  # only its hash is kept
    assert_problem(log_in(client, "new_fan", ""), 401)  # no password can log in yet
    assert_problem(log_in(client, "new_fan", "!invited"), 401)

    clock.advance(hours=71)  # an invitation outlives a reset link's two hours
    assert client.get(f"/reset?token={token}").status_code == 200  # the page the link opens
    assert confirm(client, token, "my own password 1").status_code == 200
    assert log_in(client, "new_fan", "my own password 1").status_code == 200
    assert_problem(confirm(client, token, "another password 2"), 422, "token")  # one use only
    assert admin.get("/api/v1/members?role=fan").json()["items"][0]["invitation_pending"] is False
    log = admin.get("/api/v1/moderation-log").json()
    assert [e["action"] for e in log] == ["invite_member:fan"]


def test_an_invitation_expires(api, client, clock):
    admin = api("admin")
    url = admin.post("/api/v1/members", json=new_member(invite=True)).json()["invitation"]["url"]
    clock.advance(hours=72, seconds=1)
    assert_problem(confirm(client, RESET_LINK.search(url).group(1), "my own password 1"), 422, "token")


@pytest.mark.parametrize(
    "language, subject", [("en", "Your fanloop account is ready"), ("zh_CN", "你的 fanloop 账号已创建")]
)
def test_with_smtp_the_invitation_is_mailed_not_shown(
    api, app, client, settings, monkeypatch, language, subject
):
    settings.smtp_host = "smtp.example.test"
    sent = []
    monkeypatch.setattr(app.state.outbox, "_deliver", lambda **message: sent.append(message))
    admin = api("admin")
    response = admin.post("/api/v1/members", json=new_member(invite=True, language=language))
    assert response.status_code == 201, response.text
    assert response.json()["invitation"] == {"emailed": True, "url": None, "expires_in_hours": 72}
    assert [(m["to"], m["subject"]) for m in sent] == [("new.fan@example.test", subject)]
    token = RESET_LINK.search(sent[0]["body"]).group(1)
    assert confirm(client, token, "my own password 1").status_code == 200
    assert log_in(client, "new_fan", "my own password 1").status_code == 200


def test_a_refused_invitation_mails_nothing(api, app, settings, monkeypatch):
    settings.smtp_host = "smtp.example.test"
    sent = []
    monkeypatch.setattr(app.state.outbox, "_deliver", lambda **message: sent.append(message))
    admin = api("admin")
    assert admin.post("/api/v1/members", json=new_member(invite=True)).status_code == 201
    assert_problem(admin.post("/api/v1/members", json=new_member(invite=True)), 409, "handle")
    assert len(sent) == 1


@pytest.mark.parametrize(
    "overrides, field",
    [
        ({"handle": "new_fan", "email": "other@example.test"}, "handle"),
        ({"handle": "other_fan", "email": "NEW.FAN@example.test"}, "email"),
    ],
)
def test_a_taken_handle_or_email_is_a_conflict(api, overrides, field):
    admin = api("admin")
    assert admin.post("/api/v1/members", json=new_member(password=PASSWORD)).status_code == 201
    assert_problem(admin.post("/api/v1/members", json=new_member(password=PASSWORD, **overrides)), 409, field)
    assert_problem(admin.post("/api/v1/members", json=new_member(invite=True, **overrides)), 409, field)


@pytest.mark.parametrize(
    "overrides, field",
    [
        ({"handle": "new fan", "password": PASSWORD}, "handle"),
        ({"email": "not-an-address", "password": PASSWORD}, "email"),
        ({"password": "short"}, "password"),
        ({}, "password"),  # neither a password nor an invitation
        ({"password": PASSWORD, "invite": True}, "invite"),
        ({"role": "owner", "password": PASSWORD}, "role"),
        ({"language": "fr", "invite": True}, "language"),
        ({"is_admin": True, "invite": True}, "is_admin"),
    ],
)
def test_bad_member_input_is_a_422_naming_the_field(api, database, overrides, field):
    admin = api("admin")
    assert_problem(admin.post("/api/v1/members", json=new_member(**overrides)), 422, field)
    with database.unit_of_work() as session:
        assert session.scalar(select(Member).where(Member.handle == "new_fan")) is None


# --- the member list -----------------------------------------------------------------------------


def test_leads_and_admins_list_members_by_role_page_by_page(api, client):
    admin, lead = api("admin", "the_admin"), api("lead", "the_lead")
    for i in range(3):
        admin.post(
            "/api/v1/members", json=new_member(handle=f"fan_{i}", email=f"fan_{i}@example.test", invite=True)
        )

    first = admin.get("/api/v1/members?role=fan&limit=2").json()
    assert [m["handle"] for m in first["items"]] == ["fan_2", "fan_1"]  # newest first
    assert first["items"][0]["email"] == "fan_2@example.test"
    second = admin.get(f"/api/v1/members?role=fan&limit=2&cursor={first['next_cursor']}").json()
    assert [m["handle"] for m in second["items"]] == ["fan_0"] and second["next_cursor"] is None

    everyone = lead.get("/api/v1/members").json()
    assert [m["handle"] for m in everyone["items"]] == ["fan_2", "fan_1", "fan_0", "the_lead", "the_admin"]
    assert {m["email"] for m in everyone["items"]} == {None}  # e-mail addresses are for admins
    assert [m["handle"] for m in lead.get("/api/v1/members?role=admin").json()["items"]] == ["the_admin"]

    assert_problem(api("staff").get("/api/v1/members"), 403)
    assert_problem(client.get("/api/v1/members"), 401)
    assert_problem(admin.get("/api/v1/members?role=owner"), 422, "query.role")
    assert_problem(admin.get("/api/v1/members?cursor=abc"), 422, "cursor")
    assert_problem(admin.get("/api/v1/members?limit=0"), 422, "query.limit")


def test_the_openapi_document_describes_the_new_endpoints(client):
    paths = client.get("/api/v1/openapi.json").json()["paths"]
    token = paths["/api/v1/auth/token"]["post"]
    assert token["description"] and "201" in token["responses"]
    assert paths["/api/v1/members"]["post"]["responses"]["201"]["content"]["application/json"]["schema"]
    assert paths["/api/v1/members"]["get"]["description"]
    login = paths["/api/v1/auth/login"]["post"]["responses"]["200"]["content"]["application/json"]["schema"]
    assert login["$ref"].endswith("/SessionRead")
