"""Accounts and access through the JSON API: sign-up, log-in and its rate limit, sessions and CSRF,
password resets, API tokens, roles and suspension."""

from __future__ import annotations

import hashlib
import json

import pytest
from auth_support import PASSWORD, RESET_LINK, assert_problem, confirm, log_in
from fastapi.testclient import TestClient
from sqlalchemy import select

from fanloop.community.members.models import ApiToken, Member


def member_row(database, handle: str) -> Member:
    with database.unit_of_work() as session:
        return session.scalar(select(Member).where(Member.handle == handle))


def sign_up(client, **overrides):
    body = {"handle": "li_wei", "email": "li.wei@example.test", "password": PASSWORD, **overrides}
    return client.post("/api/v1/auth/signup", json=body)


def outbox_files(settings) -> list:
    folder = settings.data_dir / "outbox"
    return sorted(folder.glob("*.json")) if folder.exists() else []


# --- sign-up -------------------------------------------------------------------------------------


def test_sign_up_creates_a_fan_logs_in_and_stores_an_argon2_hash(client, database):
    response = sign_up(client, display_name="Li Wei", language="zh_CN")
    assert response.status_code == 201, response.text
    member = response.json()
    assert (member["handle"], member["role"], member["display_name"]) == ("li_wei", "fan", "Li Wei")
    assert member["language"] == "zh_CN" and member["xp"] == 0 and member["level"] == 1
    assert response.cookies.get("fanloop_session")
    set_cookie = response.headers["set-cookie"]
    assert "HttpOnly" in set_cookie and "samesite=lax" in set_cookie.lower()
    assert client.get("/api/v1/me").json()["handle"] == "li_wei"
    row = member_row(database, "li_wei")
    assert row.password_hash.startswith("$argon2")
    assert PASSWORD not in row.password_hash


def test_sign_up_normalises_handle_and_email_case(client, database):
    assert sign_up(client, handle="Li_Wei", email="Li.Wei@Example.TEST").status_code == 201
    assert member_row(database, "li_wei").email == "li.wei@example.test"


@pytest.mark.parametrize(
    "overrides, field",
    [
        ({"handle": "li_wei", "email": "other@example.test"}, "handle"),
        ({"handle": "other_fan", "email": "LI.WEI@example.test"}, "email"),
    ],
)
def test_duplicate_handle_or_email_is_a_conflict(client, overrides, field):
    assert sign_up(client).status_code == 201
    assert_problem(sign_up(client, **overrides), 409, field)


@pytest.mark.parametrize(
    "overrides, field",
    [
        ({"handle": "li wei"}, "handle"),
        ({"handle": "ab"}, "handle"),
        ({"handle": "李伟"}, "handle"),
        ({"handle": "x" * 31}, "handle"),
        ({"email": "not-an-address"}, "email"),
        ({"email": "two@@example.test"}, "email"),
        ({"password": "short"}, "password"),
        ({"password": "x" * 201}, "password"),
        ({"language": "fr"}, "language"),
        ({"is_admin": True}, "is_admin"),
    ],
)
def test_bad_sign_up_input_is_a_422_naming_the_field(client, database, overrides, field):
    assert_problem(sign_up(client, **overrides), 422, field)
    assert member_row(database, "li_wei") is None


def test_sign_up_is_rate_limited_per_client(client, settings):
    settings.signup_rate_limit = 2
    for i in range(2):
        assert sign_up(client, handle=f"fan_{i}", email=f"fan_{i}@example.test").status_code == 201
    response = sign_up(client, handle="fan_9", email="fan_9@example.test")
    assert_problem(response, 429)
    assert int(response.headers["Retry-After"]) >= 1


# --- log-in, log-out, sessions -------------------------------------------------------------------


@pytest.mark.parametrize("login", ["li_wei", "LI_WEI", "li_wei@example.test", " Li_Wei@Example.test "])
def test_log_in_with_handle_or_email(client, seed, login):
    seed.member("fan", "li_wei")
    response = log_in(client, login)
    assert response.status_code == 200, response.text
    assert response.json()["handle"] == "li_wei"
    assert response.cookies.get("fanloop_session")
    assert client.get("/api/v1/me").json()["handle"] == "li_wei"


@pytest.mark.parametrize("login, password", [("li_wei", "wrong password"), ("nobody", PASSWORD)])
def test_wrong_credentials_are_401_without_saying_which(client, seed, login, password):
    seed.member("fan", "li_wei")
    problem = assert_problem(log_in(client, login, password), 401)
    assert problem["detail"] == "Wrong handle, e-mail or password."
    assert "fanloop_session" not in client.cookies


def test_log_in_is_rate_limited_and_allowed_again_after_the_window(client, seed, settings, clock):
    settings.login_rate_limit = 3
    seed.member("fan", "li_wei")
    seed.member("fan", "other_fan")
    for _ in range(3):
        assert log_in(client, "li_wei", "wrong password").status_code == 401
    blocked = log_in(client, "li_wei")  # even the right password waits
    assert_problem(blocked, 429)
    retry_after = int(blocked.headers["Retry-After"])
    assert 1 <= retry_after <= settings.login_rate_window + 1
    assert log_in(client, "other_fan").status_code == 200  # the limit is per account and address

    clock.advance(seconds=retry_after - 1)
    assert log_in(client, "li_wei").status_code == 429
    clock.advance(seconds=1)
    assert log_in(client, "li_wei").status_code == 200


def test_successful_log_in_resets_the_failure_count(client, seed, settings):
    settings.login_rate_limit = 3
    seed.member("fan", "li_wei")
    for _ in range(2):
        assert log_in(client, "li_wei", "wrong password").status_code == 401
    assert log_in(client, "li_wei").status_code == 200
    for _ in range(3):
        assert log_in(client, "li_wei", "wrong password").status_code == 401
    assert log_in(client, "li_wei").status_code == 429


def test_log_out_ends_the_session(client, seed):
    seed.member("fan", "li_wei")
    log_in(client, "li_wei")
    cookie = client.cookies.get("fanloop_session")
    assert client.get("/api/v1/me").status_code == 200
    assert client.post("/api/v1/auth/logout").status_code == 204
    assert "fanloop_session" not in client.cookies
    client.cookies.set("fanloop_session", cookie)  # replaying the old cookie does not work either
    assert_problem(client.get("/api/v1/me"), 401)


def test_session_cookie_writes_need_the_csrf_header(client, seed, board_for_posts):
    seed.member("fan", "li_wei")
    csrf_token = log_in(client, "li_wei").json()["csrf_token"]
    assert client.cookies.get("fanloop_csrf") == csrf_token
    post = {"board": "general", "kind": "question", "title": "Dark mode?", "body": "When?"}

    problem = assert_problem(client.post("/api/v1/posts", json=post), 403)  # cookie alone is not enough
    assert "CSRF" in problem["detail"]
    assert client.get("/api/v1/me").status_code == 200  # reads need no token

    wrong = client.post("/api/v1/posts", json=post, headers={"X-CSRF-Token": "something-else"})
    assert_problem(wrong, 403)
    right = client.post("/api/v1/posts", json=post, headers={"X-CSRF-Token": csrf_token})
    assert right.status_code == 201, right.text
    assert right.json()["author"]["handle"] == "li_wei"


def test_api_token_requests_need_no_csrf_header(api, board_for_posts):
    fan = api("fan")
    post = {"board": "general", "kind": "question", "title": "Dark mode?", "body": "When?"}
    assert fan.post("/api/v1/posts", json=post).status_code == 201


@pytest.fixture
def board_for_posts(seed):
    seed.board("general", "General")


# --- password reset ------------------------------------------------------------------------------


def request_reset(client, email: str):
    response = client.post("/api/v1/auth/password-reset", json={"email": email})
    assert response.status_code == 202, response.text
    return response


def reset_token_from_outbox(settings) -> str:
    message = json.loads(outbox_files(settings)[-1].read_text())
    match = RESET_LINK.search(message["body"])
    assert match, message
    return match.group(1)


def test_password_reset_request_writes_a_link_to_the_outbox(client, seed, settings, clock):
    seed.member("fan", "li_wei")
    unknown = request_reset(client, "nobody@example.test")
    assert outbox_files(settings) == []
    clock.advance(seconds=1)
    known = request_reset(client, "LI_WEI@example.test")
    assert known.json() == unknown.json()  # the answer does not reveal whether the address is known
    files = outbox_files(settings)
    assert len(files) == 1
    message = json.loads(files[0].read_text())
    assert message["to"] == "li_wei@example.test"
    assert f"{settings.base_url}/reset?token=" in message["body"]


def test_password_reset_sets_the_password_once_and_ends_sessions(client, app, seed, settings, clock):
    seed.member("fan", "li_wei")
    with TestClient(app) as browser:
        assert log_in(browser, "li_wei").status_code == 200
        request_reset(client, "li_wei@example.test")
        token = reset_token_from_outbox(settings)

        assert_problem(confirm(client, token, "short"), 422, "password")  # the token survives this
        response = confirm(client, token, "a new password 2")
        assert response.status_code == 200, response.text
        assert response.json()["handle"] == "li_wei"

        assert_problem(browser.get("/api/v1/me"), 401)  # the old session ended
    assert log_in(client, "li_wei").status_code == 401
    assert log_in(client, "li_wei", "a new password 2").status_code == 200
    assert_problem(confirm(client, token, "yet another one 3"), 422, "token")  # single use
    assert_problem(confirm(client, "made-up-token", "yet another one 3"), 422, "token")


def test_password_reset_link_expires_after_two_hours(client, seed, settings, clock):
    seed.member("fan", "li_wei")
    request_reset(client, "li_wei@example.test")
    early = reset_token_from_outbox(settings)
    clock.advance(seconds=1)
    request_reset(client, "li_wei@example.test")
    late = reset_token_from_outbox(settings)
    assert early != late

    clock.advance(hours=1, minutes=59)
    assert confirm(client, early, "a new password 2").status_code == 200
    clock.advance(minutes=1, seconds=1)
    assert_problem(confirm(client, late, "a new password 3"), 422, "token")
    assert log_in(client, "li_wei", "a new password 2").status_code == 200


def test_suspended_member_gets_no_reset_mail(client, seed, settings, database):
    member = seed.member("fan", "li_wei")
    with database.unit_of_work() as session:
        session.get(Member, member.id).is_suspended = True
    request_reset(client, "li_wei@example.test")
    assert outbox_files(settings) == []


# --- API tokens ----------------------------------------------------------------------------------


def test_api_token_is_shown_once_and_stored_only_as_a_hash(api, app, database):
    fan = api("fan")
    created = fan.post("/api/v1/me/tokens", json={"name": "home assistant"})
    assert created.status_code == 201, created.text
    raw = created.json()["token"]
    assert raw.startswith("flt_") and created.json()["prefix"] == raw[:10]

    with database.unit_of_work() as session:
        row = session.get(ApiToken, created.json()["id"])
        stored = [getattr(row, column.key) for column in ApiToken.__table__.columns]
    assert row.token_hash == hashlib.sha256(raw.encode()).hexdigest()
    assert not any(isinstance(value, str) and raw in value for value in stored)

    listed = fan.get("/api/v1/me/tokens").json()
    assert [t["name"] for t in listed] == ["test", "home assistant"]
    assert all("token" not in t for t in listed)

    with TestClient(app, headers={"Authorization": f"Bearer {raw}"}) as integration:
        assert integration.get("/api/v1/me").json()["handle"] == fan.member.handle
        revoked = fan.delete(f"/api/v1/me/tokens/{created.json()['id']}")
        assert revoked.status_code == 200 and revoked.json()["revoked_at"]
        problem = assert_problem(integration.get("/api/v1/me"), 401)
        assert "revoked" in problem["detail"]
        assert integration.get("/api/v1/me").headers["www-authenticate"] == "Bearer"
        # A bad token is an error even on pages anyone may read: the client should know.
        assert integration.get("/api/v1/posts").status_code == 401
    assert fan.get("/api/v1/me").status_code == 200  # the other token still works


def test_tokens_are_private_to_their_owner(api):
    owner, other = api("fan"), api("fan")
    token_id = owner.post("/api/v1/me/tokens", json={"name": "ci"}).json()["id"]
    assert_problem(other.delete(f"/api/v1/me/tokens/{token_id}"), 404)
    assert "ci" not in [t["name"] for t in other.get("/api/v1/me/tokens").json()]
    assert_problem(owner.post("/api/v1/me/tokens", json={"name": "   "}), 422, "name")


# --- admin: reset links, roles, suspension -------------------------------------------------------


def test_admin_issues_a_reset_link(api, client, seed, settings):
    admin, lead = api("admin"), api("lead")
    seed.member("fan", "li_wei")
    response = admin.post("/api/v1/members/li_wei/reset-link")
    assert response.status_code == 200, response.text
    link = response.json()
    assert link["expires_in_hours"] == 2
    assert link["url"].startswith(f"{settings.base_url}/reset?token=")
    token = RESET_LINK.search(link["url"]).group(1)
    assert confirm(client, token, "handed over 4").status_code == 200
    assert log_in(client, "li_wei", "handed over 4").status_code == 200

    assert_problem(lead.post("/api/v1/members/li_wei/reset-link"), 403)
    assert_problem(admin.post("/api/v1/members/nobody_here/reset-link"), 404)
    log = admin.get("/api/v1/moderation-log").json()
    assert [(e["action"], e["actor"]) for e in log] == [("issue_reset_link", admin.member.handle)]


def test_admin_sets_roles_and_the_change_applies_at_once(api, seed):
    admin, lead, fan, author = api("admin"), api("lead"), api("fan"), api("fan")
    seed.board("general", "General")
    post = author.post(
        "/api/v1/posts", json={"board": "general", "kind": "bug", "title": "Crash", "body": "On start"}
    ).json()
    assert fan.post(f"/api/v1/posts/{post['id']}/status", json={"status": "planned"}).status_code == 403

    response = admin.put(f"/api/v1/members/{fan.member.handle}/role", json={"role": "staff"})
    assert response.status_code == 200, response.text
    assert response.json()["role"] == "staff"
    assert fan.post(f"/api/v1/posts/{post['id']}/status", json={"status": "planned"}).status_code == 201

    assert_problem(lead.put(f"/api/v1/members/{author.member.handle}/role", json={"role": "admin"}), 403)
    assert_problem(admin.put(f"/api/v1/members/{author.member.handle}/role", json={"role": "owner"}), 422)
    assert_problem(admin.put("/api/v1/members/nobody_here/role", json={"role": "staff"}), 404)
    log = admin.get("/api/v1/moderation-log").json()
    assert [e["action"] for e in log] == ["set_role:staff"]


def test_the_last_admin_cannot_step_down(api):
    admin = api("admin")
    handle = admin.member.handle
    problem = assert_problem(admin.put(f"/api/v1/members/{handle}/role", json={"role": "lead"}), 409)
    assert "last admin" in problem["detail"]
    assert admin.get("/api/v1/me").json()["role"] == "admin"

    second = api("admin")
    assert admin.put(f"/api/v1/members/{handle}/role", json={"role": "lead"}).json()["role"] == "lead"
    assert second.put(f"/api/v1/members/{second.member.handle}/role", json={"role": "fan"}).status_code == 409


def test_staff_suspends_a_fan_who_then_cannot_log_in(api, client, seed):
    staff = api("staff")
    seed.member("fan", "li_wei")
    assert log_in(client, "li_wei").status_code == 200
    with TestClient(client.app) as fan_token_client:
        fan = seed.member("fan", "token_fan")
        fan_token_client.headers["Authorization"] = f"Bearer {seed.token(fan)}"
        assert fan_token_client.get("/api/v1/me").status_code == 200

        for handle in ("li_wei", "token_fan"):
            response = staff.put(
                f"/api/v1/members/{handle}/suspension", json={"suspended": True, "reason": "spam"}
            )
            assert response.status_code == 200, response.text

        assert_problem(fan_token_client.get("/api/v1/me"), 401)
    assert_problem(client.get("/api/v1/me"), 401)  # the session ended
    assert_problem(log_in(client, "li_wei"), 401)

    assert staff.put("/api/v1/members/li_wei/suspension", json={"suspended": False}).status_code == 200
    assert log_in(client, "li_wei").status_code == 200
    log = api("lead").get("/api/v1/moderation-log").json()
    assert [(e["action"], e["reason"]) for e in log] == [
        ("unsuspend", ""),
        ("suspend", "spam"),
        ("suspend", "spam"),
    ]


@pytest.mark.parametrize(
    "actor_role, target_role, status",
    [
        ("fan", "fan", 403),
        ("staff", "staff", 403),
        ("staff", "lead", 403),
        ("staff", "admin", 403),
        ("lead", "staff", 200),
        ("lead", "lead", 403),
        ("admin", "lead", 200),
    ],
)
def test_only_higher_roles_can_suspend(api, seed, database, actor_role, target_role, status):
    actor = api(actor_role)
    seed.member(target_role, "target")
    response = actor.put("/api/v1/members/target/suspension", json={"suspended": True})
    assert response.status_code == status, response.text
    assert member_row(database, "target").is_suspended is (status == 200)


def test_suspending_oneself_is_refused(api, database):
    staff = api("staff")
    response = staff.put(f"/api/v1/members/{staff.member.handle}/suspension", json={"suspended": True})
    assert_problem(response, 403)
    assert member_row(database, staff.member.handle).is_suspended is False
