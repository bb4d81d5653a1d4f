"""Arbitrary input never breaks the API: whatever arrives, the answer is not a server error, and a
client error is an application/problem+json with a message."""

from __future__ import annotations

import base64
import json
from urllib.parse import quote_from_bytes

import pytest
from argon2 import PasswordHasher
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from fanloop.core import security

FUZZ = settings(
    max_examples=60,
    deadline=None,
    database=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)

KINDS = ["bug", "suggestion", "complaint", "question", "praise"]
STATUSES = ["open", "acknowledged", "planned", "in_progress", "shipped", "declined", "duplicate"]

# Any text: control characters (NUL included), Chinese, emoji, unpaired surrogates; and any JSON value.
text = (
    st.text(max_size=40)
    | st.text(alphabet=st.sampled_from("\x00\x01\n\t %_\\'\"<>&电池续航😀\ud800\udfff"), max_size=12)
    | st.text(alphabet=st.characters(categories=["Cs", "Cc", "Lo"]), max_size=8)
)
scalars = (
    st.none()
    | st.booleans()
    | st.integers()
    | st.floats(allow_nan=False, allow_infinity=False)
    | text
    | st.sampled_from([0, -1, 2**31, 2**63, -(2**63) - 1, 10**30, 1e308, ""])
)
json_values = st.recursive(
    scalars,
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(text, inner, max_size=4),
    max_leaves=12,
)
post_ids = st.integers() | st.sampled_from([1, 2, 3, 0, -1, 2**31 - 1, 2**31, 2**63 - 1, 2**63, 10**30])


def maybe(values):
    """A plausible value, the same with a NUL or an unpaired surrogate in it, or anything at all."""
    spoiled = [f"{v}{bad}" for v in values if isinstance(v, str) for bad in ("\x00", "\ud800")]
    return st.sampled_from(values) | st.sampled_from(spoiled or [""]) | text | json_values


def shaped(required: dict, optional: dict | None = None):
    """Bodies with the right keys but arbitrary values, sometimes with unknown keys, or not a dict."""
    dicts = st.fixed_dictionaries(required, optional=optional or {})
    with_extra = st.tuples(dicts, st.dictionaries(text, json_values, max_size=2)).map(
        lambda pair: {**pair[1], **pair[0]}
    )
    return dicts | with_extra | json_values


def cursors():
    """Base64 of JSON like the real cursors, with arbitrary parts; or any text."""
    parts = st.tuples(st.sampled_from(["hot", "new", "top"]) | text, json_values, json_values)
    encoded = parts.map(lambda p: base64.urlsafe_b64encode(json.dumps(list(p)).encode()).decode().rstrip("="))
    crafted = st.sampled_from(
        [
            ["new", "2026-03-10T13:40:00", 1],
            ["new", "2026-03-10T13:40:00+00:00", 2**70],
            ["new", "not a date", 1],
            ["top", 2**70, 1],
            ["top", 1, -(2**70)],
            ["hot", 1e308, 1],
            ["hot", True, 1],
        ]
    ).map(lambda p: base64.urlsafe_b64encode(json.dumps(p).encode()).decode().rstrip("="))
    return encoded | crafted | text


def listing_params(extra: dict | None = None):
    keys = {
        "sort": maybe(["hot", "new", "top"]),
        "kind": maybe(KINDS),
        "status": maybe(STATUSES),
        "board": maybe(["general", ""]),
        "tag": maybe(["battery", ""]),
        "cursor": cursors(),
        "limit": maybe([1, 20, 100, 0, 101, -1, 2**63]),
        **(extra or {}),
    }
    return st.fixed_dictionaries({}, optional={k: v.map(_query_value) for k, v in keys.items()})


def _query_value(value) -> str:
    # A URL cannot carry an unpaired surrogate (test_raw_query_strings sends bytes that are not UTF-8).
    value = value if isinstance(value, str) else json.dumps(value)
    return value.encode("utf-8", "replace").decode("utf-8")


def assert_sane(response) -> None:
    assert response.status_code < 500, f"{response.status_code}: {response.text}"
    if response.status_code >= 400:
        assert response.headers["content-type"] == "application/problem+json", response.headers
        problem = response.json()
        assert isinstance(problem.get("detail"), str) and problem["detail"].strip(), problem


def post_json(client, url: str, body) -> None:
    assert_sane(client.post(url, content=json.dumps(body), headers={"content-type": "application/json"}))


@pytest.fixture(autouse=True)
def _quick_password_hashing(monkeypatch):
    """Sign-ups happen by the dozen here; light argon2 parameters keep the run quick."""
    monkeypatch.setattr(security, "_hasher", PasswordHasher(time_cost=1, memory_cost=1024, parallelism=1))


@pytest.fixture
def stage(api, seed):
    """A fan with a post, staff to act on it, and a second post to merge into."""
    seed.board("general", "General")
    seed.tag("battery")
    fan, staff = api("fan"), api("staff")
    ids = []
    for title in ("电池续航太差", "Battery drains overnight"):
        response = fan.post(
            "/api/v1/posts", json={"board": "general", "kind": "bug", "title": title, "body": "Every night"}
        )
        assert response.status_code == 201, response.text
        ids.append(response.json()["id"])
    return fan, staff, ids


def test_create_post(stage):
    fan, _, _ = stage

    @FUZZ
    @given(
        shaped(
            {"board": maybe(["general", "nope"]), "kind": maybe(KINDS), "title": text, "body": text},
            {
                "tags": st.lists(maybe(["battery", "unknown"]), max_size=7) | json_values,
                "device_model": text | json_values,
                "os_version": text,
                "steps_to_reproduce": text,
            },
        )
    )
    def check(body):
        post_json(fan, "/api/v1/posts", body)

    check()


def test_reply(stage):
    fan, _, ids = stage

    @FUZZ
    @given(post_ids | st.sampled_from(ids), shaped({"body": text | json_values}))
    def check(post_id, body):
        post_json(fan, f"/api/v1/posts/{post_id}/replies", body)

    check()


def test_change_status(stage):
    _, staff, ids = stage

    @FUZZ
    @given(post_ids | st.sampled_from(ids), shaped({"status": maybe(STATUSES)}, {"note": text | json_values}))
    def check(post_id, body):
        post_json(staff, f"/api/v1/posts/{post_id}/status", body)

    check()


def test_release_bodies(stage, api):
    """Release composing and the cadence take any body without a server error."""
    _, staff, ids = stage
    lead = api("lead")
    release = staff.post("/api/v1/releases", json={"version": "fuzz-1"})
    assert release.status_code == 201, release.text
    release_id = release.json()["id"]
    dates = st.sampled_from(
        ["2026-12-04T17:00:00+08:00", "2026-12-04T17:00:00", "not a date", "0001-01-01T00:00:00Z"]
    )

    @FUZZ
    @given(
        st.sampled_from(["create", "update", "item", "order", "train"]),
        shaped(
            {},
            {
                "version": maybe(["fuzz-2", "fuzz-1", ""]),
                "title": text,
                "notes": text | json_values,
                "planned_for": dates | json_values,
                "post_id": post_ids | st.sampled_from(ids) | json_values,
                "pain_point_id": post_ids,
                "summary": text,
                "item_ids": st.lists(post_ids, max_size=5) | json_values,
                "weekday": st.integers(-2, 9) | json_values,
                "time_of_day": maybe(["17:00", "25:61", "5pm"]),
                "timezone": maybe(["Asia/Shanghai", "Mars/Base"]),
                "every_weeks": st.integers(-1, 20),
                "version_format": maybe(["%Y.%m.%d", "", "%"]),
            },
        ),
    )
    def check(target, body):
        client, method, url = {
            "create": (staff, "POST", "/api/v1/releases"),
            "update": (staff, "PATCH", f"/api/v1/releases/{release_id}"),
            "item": (staff, "POST", f"/api/v1/releases/{release_id}/items"),
            "order": (staff, "PUT", f"/api/v1/releases/{release_id}/items/order"),
            "train": (lead, "PATCH", "/api/v1/release-train"),
        }[target]
        headers = {"content-type": "application/json"}
        assert_sane(client.request(method, url, content=json.dumps(body), headers=headers))

    check()


def test_merge(stage):
    _, staff, ids = stage

    @FUZZ
    @given(
        post_ids | st.sampled_from(ids),
        shaped({"into_post_id": post_ids | st.sampled_from(ids) | json_values}, {"note": text}),
    )
    def check(post_id, body):
        post_json(staff, f"/api/v1/posts/{post_id}/merge", body)

    check()


@pytest.mark.parametrize("who", ["anonymous", "staff"])
def test_list_posts(stage, client, who):
    viewer = client if who == "anonymous" else stage[1]

    @FUZZ
    @given(listing_params())
    def check(params):
        assert_sane(viewer.get("/api/v1/posts", params=params))

    check()


def test_search(stage, client):
    @FUZZ
    @given(listing_params({"q": maybe(["电池", "battery", "", " ", "续航 相机"])}))
    def check(params):
        params.pop("sort", None)
        params.pop("tag", None)
        assert_sane(client.get("/api/v1/search", params=params))

    check()


def test_raw_query_strings(stage, client):
    """Bytes that are not UTF-8, stray separators and repeated keys in the query string."""

    @FUZZ
    @given(
        st.sampled_from(["/api/v1/posts", "/api/v1/search"]),
        st.lists(
            st.tuples(
                st.sampled_from(["q", "sort", "kind", "status", "cursor", "limit", "board"]), st.binary()
            ),
            max_size=4,
        ),
    )
    def check(path, pairs):
        query = "&".join(f"{key}={quote_from_bytes(value)}" for key, value in pairs)
        assert_sane(client.get(f"{path}?{query}"))

    check()


def test_sign_up(client):
    @FUZZ
    @given(
        shaped(
            {"handle": maybe(["li_wei", "Li_Wei", "ab"]), "email": maybe(["li@example.test", "x@y"])},
            {
                "password": maybe(["correct horse 1", "short"]),
                "display_name": text,
                "language": maybe(["en", "zh_CN"]),
            },
        )
    )
    def check(body):
        post_json(client, "/api/v1/auth/signup", body)
        client.cookies.clear()

    check()


def test_log_in(client, seed):
    seed.member("fan", "li_wei")

    @FUZZ
    @given(
        shaped(
            {
                "login": maybe(["li_wei", "li_wei@example.test", "LI_WEI"]),
                "password": maybe(["correct horse 1", "wrong"]),
            }
        )
    )
    def check(body):
        post_json(client, "/api/v1/auth/login", body)
        client.cookies.clear()

    check()


def test_token_log_in(client, seed):
    seed.member("fan", "li_wei")

    @FUZZ
    @given(
        shaped(
            {
                "login": maybe(["li_wei", "li_wei@example.test"]),
                "password": maybe(["correct horse 1", "wrong"]),
            },
            {"name": maybe(["ci", "", "   "])},
        )
    )
    def check(body):
        post_json(client, "/api/v1/auth/token", body)

    check()


def test_create_member(api):
    admin = api("admin")

    @FUZZ
    @given(
        shaped(
            {"handle": maybe(["new_fan", "New_Fan", "ab"]), "email": maybe(["new@example.test", "x@y"])},
            {
                "password": maybe(["correct horse 1", "short", None]),
                "invite": maybe([True, False]),
                "display_name": text,
                "role": maybe(["fan", "staff", "lead", "admin"]),
                "language": maybe(["en", "zh_CN"]),
            },
        )
    )
    def check(body):
        post_json(admin, "/api/v1/members", body)

    check()


def test_member_list_parameters(api):
    lead = api("lead")

    @FUZZ
    @given(
        st.fixed_dictionaries(
            {},
            optional={
                "role": maybe(["fan", "staff", "lead", "admin"]).map(_query_value),
                "cursor": maybe(["1", "0", "-1", str(2**31), str(10**30), "abc", "１"]).map(_query_value),
                "limit": maybe([1, 50, 100, 0, 101, 2**63]).map(_query_value),
            },
        )
    )
    def check(params):
        assert_sane(lead.get("/api/v1/members", params=params))

    check()


def test_not_json_at_all(stage, client):
    fan = stage[0]

    @FUZZ
    @given(
        st.sampled_from(
            [
                "/api/v1/posts",
                "/api/v1/posts/1/replies",
                "/api/v1/auth/signup",
                "/api/v1/auth/login",
                "/api/v1/auth/token",
                "/api/v1/members",
            ]
        ),
        st.binary(max_size=60),
        st.sampled_from(["application/json", "text/plain", "application/x-www-form-urlencoded", ""]),
    )
    def check(path, raw, content_type):
        assert_sane(fan.post(path, content=raw, headers={"content-type": content_type}))

    check()


@pytest.mark.parametrize(
    "method, path, body",
    [
        ("GET", "/api/v1/posts/{id}", None),
        ("PUT", "/api/v1/posts/{id}", {"board": "general", "kind": "bug", "title": "t", "body": "b"}),
        ("GET", "/api/v1/posts/{id}/replies", None),
        ("POST", "/api/v1/posts/{id}/replies", {"body": "me too"}),
        ("PUT", "/api/v1/posts/{id}/vote", None),
        ("PUT", "/api/v1/posts/{id}/follow", None),
        ("POST", "/api/v1/posts/{id}/status", {"status": "planned"}),
        ("POST", "/api/v1/posts/{id}/merge", {"into_post_id": 1}),
        ("POST", "/api/v1/posts/1/merge", {"into_post_id": "{id}"}),
        ("POST", "/api/v1/posts/{id}/moderation", {"action": "hide"}),
        ("POST", "/api/v1/replies/{id}/moderation", {"action": "hide"}),
        ("DELETE", "/api/v1/me/tokens/{id}", None),
        ("GET", "/api/v1/releases/{id}", None),
        ("PATCH", "/api/v1/releases/{id}", {"title": "t"}),
        ("POST", "/api/v1/releases/{id}/items", {"post_id": 1}),
        ("POST", "/api/v1/releases/{id}/publish", None),
        ("DELETE", "/api/v1/releases/{id}/items/{id}", None),
        ("POST", "/api/v1/roadmap/cards/post/{id}/move", {"status": "planned"}),
        ("POST", "/api/v1/releases/{id}/reports", {"liked_most": "x"}),
        ("GET", "/api/v1/releases/{id}/reports/summary", None),
        ("PUT", "/api/v1/releases/{id}/award/vote", {"item_id": 1}),
        ("GET", "/api/v1/releases/{id}/award", None),
        ("GET", "/api/v1/campaigns/{id}", None),
        ("PATCH", "/api/v1/campaigns/{id}", {"name": "n"}),
        ("DELETE", "/api/v1/campaigns/{id}", None),
        ("POST", "/api/v1/campaigns/{id}/referral-links", {"label": "l"}),
        ("POST", "/api/v1/campaigns/1/referral-links", {"channel_id": "{id}"}),
        ("GET", "/api/v1/posts/{id}/deliveries", None),
        ("POST", "/api/v1/deliveries/{id}/retry", None),
    ],
)
def test_ids_out_of_range_are_not_found_or_invalid(stage, method, path, body):
    staff = stage[1]
    for bad_id in (0, -1, 2**31, 2**63 - 1, 2**63, 10**30):
        sent = None if body is None else json.loads(json.dumps(body).replace('"{id}"', str(bad_id)))
        response = staff.request(method, path.replace("{id}", str(bad_id)), json=sent)
        assert response.status_code in (404, 422), (bad_id, response.text)
        assert_sane(response)


@pytest.mark.parametrize(
    "parts",
    [
        ["hot", False, False],
        ["hot", True, 1],
        ["hot", 1.5, 2**31],
        ["hot", 2**70, 1],
        ["new", "2026-03-10T13:40:00", 1],
        ["new", "0001-01-01T00:00:00+01:00", 1],
        ["new", 12, 1],
        ["top", 2**70, 1],
        ["top", 1, 2**70],
        ["top", 1.5, 1],
        ["top", 1, -5],
        ["new", "2026-03-10T13:40:00+00:00", 1, "extra"],
    ],
)
@pytest.mark.parametrize("listing", ["posts", "search"])
def test_forged_cursors_are_invalid(stage, client, listing, parts):
    params = {"q": "battery"} if listing == "search" else {"sort": parts[0]}
    params["cursor"] = base64.urlsafe_b64encode(json.dumps(parts).encode()).decode().rstrip("=")
    response = client.get(f"/api/v1/{listing}", params=params)
    assert_sane(response)
    assert response.status_code == 422 and response.json()["field"] == "cursor", response.text


def test_search_with_many_words(stage, client):
    found = client.get("/api/v1/search", params={"q": "battery drains overnight every night"})
    assert found.status_code == 200, found.text
    assert [p["title"] for p in found.json()["items"]] == ["Battery drains overnight"]
    assert client.get("/api/v1/search", params={"q": "battery drains 电池"}).json()["items"] == []


def test_growth_parameters(stage):
    """Any days and section on the growth figures and their CSV: figures, CSV or a problem."""
    staff = stage[1]

    @FUZZ
    @given(
        st.sampled_from(["/api/v1/growth", "/api/v1/growth.csv"]),
        st.fixed_dictionaries(
            {},
            optional={
                "days": maybe([7, 30, 90, 365, 6, 366, 0, -1, 2**63, "1e3"]).map(_query_value),
                "section": maybe(["members", "active", "cohorts", "funnel", "people"]).map(_query_value),
            },
        ),
    )
    def check(path, params):
        assert_sane(staff.get(path, params=params))

    check()
