"""Every role against every action, through the JSON API.

The expected outcome of each (role, action) pair is derived from ``MINIMUM_ROLE`` alone: allowed
requests must succeed (2xx) and take effect; denied ones must fail with the concrete status (401 for
nobody, 403 for a role below the minimum) and change nothing. An endpoint that forgets its check, or
checks the wrong action, fails here. A suspended fan holds a valid API token but is denied everything
that needs a member.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import pytest
from argon2 import PasswordHasher
from sqlalchemy import func, select

from fanloop.community.members.models import ApiToken, Member, PasswordResetToken
from fanloop.community.posts.models import Board, Follow, Post, Tag
from fanloop.core import clock, security
from fanloop.core.permissions import MINIMUM_ROLE, Action
from fanloop.growth.models import Campaign, Channel, IdentityClaim
from fanloop.insights.painpoints.models import MiningRun, PainPoint
from fanloop.releases.models import BetaMember, Release, ReleaseTrain
from fanloop.service.notify.models import WebhookEndpoint
from fanloop.service.sla.models import SlaPolicy

# The role ladder, written out here rather than read from the code under test.
LADDER = ("fan", "staff", "lead", "admin")
ANONYMOUS, SUSPENDED = "anonymous", "suspended_fan"
ROLES = (ANONYMOUS, *LADDER, SUSPENDED)
# A suspended member's token still identifies them, but the API treats them as nobody.
SUSPENDED_STATUS = 401


@dataclass
class World:
    """What a case works with: the acting client (and member), a separate author for targets, a
    staff member for setting the stage (locking, hiding) and direct database access for checks."""

    actor: Any
    actor_member: Member | None
    author: Any
    moderator: Any
    database: Any
    targets: dict[str, Any] = field(default_factory=dict)

    def post(self, client: Any = None, **overrides: Any) -> int:
        body = {"board": "general", "kind": "bug", "title": "Screen flickers", "body": "Since 5.1"}
        body.update(overrides)
        response = (client or self.author).post("/api/v1/posts", json=body)
        assert response.status_code == 201, response.text
        return response.json()["id"]

    def moderate(self, post_id: int, action: str) -> None:
        response = self.moderator.post(f"/api/v1/posts/{post_id}/moderation", json={"action": action})
        assert response.status_code == 200, response.text

    def scalar(self, query: Any) -> Any:
        with self.database.unit_of_work() as session:
            return session.scalar(query)

    def post_row(self, post_id: int) -> Post:
        with self.database.unit_of_work() as session:
            return session.get(Post, post_id)


@dataclass(frozen=True)
class Case:
    """How one action looks as an API request."""

    setup: Callable[[World], None]
    request: Callable[[World], Any]
    took_effect: Callable[[World, Any], bool]
    ok: int = 200
    # The answer when denied, if it is not the usual 401/403: hidden things are simply not there.
    denied: int | None = None


EDIT = {"board": "general", "kind": "bug", "title": "Edited title", "body": "Edited body"}


def _own_post(w: World) -> None:
    # Anonymous has nothing of its own; it tries someone else's post and must be told to log in.
    w.targets["post"] = w.post(w.actor if w.actor_member is not None else w.author)


def _post(w: World) -> None:
    w.targets["post"] = w.post()


def _locked_post(w: World) -> None:
    _post(w)
    w.moderate(w.targets["post"], "lock")


def _hidden_post(w: World) -> None:
    _post(w)
    w.moderate(w.targets["post"], "hide")


def _two_posts(w: World) -> None:
    w.targets["original"] = w.post(title="Screen flickers at night")
    w.targets["duplicate"] = w.post(title="Flickering screen")


def _target_member(w: World) -> None:
    w.targets["handle"] = w.author.member.handle
    w.targets["member_id"] = w.author.member.id


def _nothing(_: World) -> None:
    return None


def _imported_identity(w: World) -> None:
    """A channel with one imported mention, so its author's identity can be claimed."""
    import io

    from fanloop.growth.channels.importer import import_stream

    with w.database.unit_of_work(write=True) as session:
        board_id = session.scalar(select(Board.id).where(Board.slug == "general"))
        session.add(
            Channel(
                slug="weibo", name="Weibo", kind="social", board_id=board_id, post_kind="question",
                webhook_secret="whsec_matrix", connector="none", connector_config={}, live_window_hours=72,
                is_active=True, created_at=clock.now(),
            )
        )  # fmt: skip
    row = b'{"id": "m1", "author": {"id": "u1", "handle": "wang"}, "text": "hi", "created_at": 1773100000}\n'
    import_stream(w.database, channel_slug="weibo", stream=io.BytesIO(row), name="m.jsonl")


def _pain_point(w: World) -> None:
    with w.database.unit_of_work(write=True) as session:
        now = clock.now()
        point = PainPoint(
            name="",
            phrases=["screen", "flicker"],
            language="en",
            centroid=b"\0" * 16,
            model="matrix",
            radius=0.5,
            example_post_ids=[],
            pinned=False,
            hidden=False,
            revision=1,
            created_at=now,
            updated_at=now,
        )
        session.add(point)
        session.flush()
        w.targets["pain_point"] = point.id


def _replies(w: World) -> int:
    return w.post_row(w.targets["post"]).reply_count


CASES: dict[Action, Case] = {
    Action.CREATE_POST: Case(
        setup=_nothing,
        request=lambda w: w.actor.post(
            "/api/v1/posts", json={"board": "general", "kind": "question", "title": "Matrix", "body": "?"}
        ),
        took_effect=lambda w, r: w.scalar(select(func.count()).where(Post.title == "Matrix")) == 1,
        ok=201,
    ),
    Action.EDIT_OWN_POST: Case(
        setup=_own_post,
        request=lambda w: w.actor.put(f"/api/v1/posts/{w.targets['post']}", json=EDIT),
        took_effect=lambda w, r: w.post_row(w.targets["post"]).title == "Edited title",
    ),
    Action.EDIT_ANY_POST: Case(
        setup=_post,
        request=lambda w: w.actor.put(f"/api/v1/posts/{w.targets['post']}", json=EDIT),
        took_effect=lambda w, r: w.post_row(w.targets["post"]).title == "Edited title",
    ),
    Action.REPLY: Case(
        setup=_post,
        request=lambda w: w.actor.post(f"/api/v1/posts/{w.targets['post']}/replies", json={"body": "Same"}),
        took_effect=lambda w, r: _replies(w) == 1,
        ok=201,
    ),
    Action.REPLY_TO_LOCKED: Case(
        setup=_locked_post,
        request=lambda w: w.actor.post(f"/api/v1/posts/{w.targets['post']}/replies", json={"body": "Same"}),
        took_effect=lambda w, r: _replies(w) == 1,
        ok=201,
    ),
    Action.VOTE: Case(
        setup=_post,
        request=lambda w: w.actor.put(f"/api/v1/posts/{w.targets['post']}/vote"),
        took_effect=lambda w, r: w.post_row(w.targets["post"]).vote_count == 1,
    ),
    Action.FOLLOW: Case(
        setup=_post,
        request=lambda w: w.actor.put(f"/api/v1/posts/{w.targets['post']}/follow"),
        took_effect=lambda w, r: (
            w.scalar(select(func.count()).select_from(Follow).where(Follow.post_id == w.targets["post"])) == 2
        ),
    ),
    Action.MANAGE_OWN_TOKENS: Case(
        setup=_nothing,
        request=lambda w: w.actor.post("/api/v1/me/tokens", json={"name": "matrix"}),
        took_effect=lambda w, r: w.scalar(select(func.count()).where(ApiToken.name == "matrix")) == 1,
        ok=201,
    ),
    Action.CHANGE_STATUS: Case(
        setup=_post,
        request=lambda w: w.actor.post(
            f"/api/v1/posts/{w.targets['post']}/status", json={"status": "planned", "note": "In 5.2"}
        ),
        took_effect=lambda w, r: w.post_row(w.targets["post"]).status == "planned",
        ok=201,
    ),
    Action.MODERATE: Case(
        setup=_post,
        request=lambda w: w.actor.post(
            f"/api/v1/posts/{w.targets['post']}/moderation", json={"action": "hide", "reason": "spam"}
        ),
        took_effect=lambda w, r: w.post_row(w.targets["post"]).is_hidden,
    ),
    Action.MERGE_POSTS: Case(
        setup=_two_posts,
        request=lambda w: w.actor.post(
            f"/api/v1/posts/{w.targets['duplicate']}/merge", json={"into_post_id": w.targets["original"]}
        ),
        took_effect=lambda w, r: w.post_row(w.targets["duplicate"]).merged_into_id == w.targets["original"],
    ),
    Action.VIEW_HIDDEN: Case(
        setup=_hidden_post,
        request=lambda w: w.actor.get(f"/api/v1/posts/{w.targets['post']}"),
        took_effect=lambda w, r: r.status_code == 200 and r.json()["id"] == w.targets["post"],
        denied=404,
    ),
    # The staff area lives in the pages; through the API it shows as hidden posts in the listings.
    Action.VIEW_STAFF_AREA: Case(
        setup=_hidden_post,
        request=lambda w: w.actor.get("/api/v1/posts", params={"sort": "new"}),
        took_effect=lambda w, r: w.targets["post"] in [p["id"] for p in r.json()["items"]],
        denied=200,
    ),
    Action.MANAGE_BOARDS: Case(
        setup=_nothing,
        request=lambda w: w.actor.post("/api/v1/boards", json={"slug": "matrix", "name": "Matrix"}),
        took_effect=lambda w, r: w.scalar(select(func.count()).where(Board.slug == "matrix")) == 1,
        ok=201,
    ),
    Action.MANAGE_TAGS: Case(
        setup=_nothing,
        request=lambda w: w.actor.post("/api/v1/tags", json={"slug": "matrix", "name": "Matrix"}),
        took_effect=lambda w, r: w.scalar(select(func.count()).where(Tag.slug == "matrix")) == 1,
        ok=201,
    ),
    Action.VIEW_AUDIT_LOG: Case(
        setup=_locked_post,  # locking it leaves one entry in the audit log
        request=lambda w: w.actor.get("/api/v1/moderation-log"),
        took_effect=lambda w, r: (
            r.status_code == 200
            and [(e["action"], e["target_id"]) for e in r.json()] == [("lock", w.targets["post"])]
        ),
    ),
    Action.MANAGE_ROLES: Case(
        setup=_target_member,
        request=lambda w: w.actor.put(f"/api/v1/members/{w.targets['handle']}/role", json={"role": "staff"}),
        took_effect=lambda w, r: (
            w.scalar(select(Member.role).where(Member.id == w.targets["member_id"])) == "staff"
        ),
    ),
    Action.CREATE_MEMBERS: Case(
        setup=_nothing,
        request=lambda w: w.actor.post(
            "/api/v1/members",
            json={"handle": "matrix_member", "email": "matrix@example.test", "password": "correct horse 1"},
        ),
        took_effect=lambda w, r: w.scalar(select(func.count()).where(Member.handle == "matrix_member")) == 1,
        ok=201,
    ),
    Action.LIST_MEMBERS: Case(
        setup=_target_member,
        request=lambda w: w.actor.get("/api/v1/members"),
        took_effect=lambda w, r: (
            r.status_code == 200 and w.targets["handle"] in [m["handle"] for m in r.json()["items"]]
        ),
    ),
    Action.ISSUE_RESET_LINK: Case(
        setup=_target_member,
        request=lambda w: w.actor.post(f"/api/v1/members/{w.targets['handle']}/reset-link"),
        took_effect=lambda w, r: (
            w.scalar(
                select(func.count())
                .select_from(PasswordResetToken)
                .where(PasswordResetToken.member_id == w.targets["member_id"])
            )
            == 1
        ),
    ),
    Action.MANAGE_INTEGRATIONS: Case(
        setup=_nothing,
        request=lambda w: w.actor.post("/api/v1/webhooks", json={"url": "https://example.com/matrix"}),
        took_effect=lambda w, r: (
            w.scalar(select(func.count()).where(WebhookEndpoint.url == "https://example.com/matrix")) == 1
        ),
        ok=201,
    ),
    Action.MANAGE_SERVICE_DESK: Case(
        setup=_nothing,
        request=lambda w: w.actor.post(
            "/api/v1/sla/policies", json={"name": "Matrix", "first_reply_minutes": 5}
        ),
        took_effect=lambda w, r: w.scalar(select(func.count()).where(SlaPolicy.name == "Matrix")) == 1,
        ok=201,
    ),
    Action.VIEW_PAIN_POINTS: Case(
        setup=_pain_point,
        request=lambda w: w.actor.get("/api/v1/pain-points"),
        took_effect=lambda w, r: (
            r.status_code == 200 and [p["id"] for p in r.json()["items"]] == [w.targets["pain_point"]]
        ),
    ),
    Action.MANAGE_PAIN_POINTS: Case(
        setup=_pain_point,
        request=lambda w: w.actor.patch(
            f"/api/v1/pain-points/{w.targets['pain_point']}", json={"name": "Matrix"}
        ),
        took_effect=lambda w, r: (
            w.scalar(select(PainPoint.name).where(PainPoint.id == w.targets["pain_point"])) == "Matrix"
        ),
    ),
    Action.REMINE_PAIN_POINTS: Case(
        setup=_nothing,
        request=lambda w: w.actor.post("/api/v1/pain-points/runs"),
        took_effect=lambda w, r: w.scalar(select(func.count()).select_from(MiningRun)) == 1,
        ok=202,
    ),
    Action.VIEW_GROWTH: Case(
        setup=_post,
        request=lambda w: w.actor.get("/api/v1/growth", params={"days": 7}),
        took_effect=lambda w, r: r.status_code == 200 and r.json()["active"]["today"] == 1,
    ),
    Action.MANAGE_RELEASES: Case(
        setup=_nothing,
        request=lambda w: w.actor.post("/api/v1/releases", json={"version": "matrix-1"}),
        took_effect=lambda w, r: (
            w.scalar(select(func.count()).select_from(Release).where(Release.version == "matrix-1")) == 1
        ),
        ok=201,
    ),
    Action.MANAGE_RELEASE_TRAIN: Case(
        setup=_nothing,
        request=lambda w: w.actor.patch("/api/v1/release-train", json={"weekday": 2, "time_of_day": "10:30"}),
        took_effect=lambda w, r: w.scalar(select(ReleaseTrain.time_of_day)) == "10:30",
    ),
    Action.MANAGE_BETA: Case(
        setup=_target_member,
        request=lambda w: w.actor.post("/api/v1/beta/invitations", json={"handle": w.targets["handle"]}),
        took_effect=lambda w, r: w.scalar(select(func.count()).select_from(BetaMember)) == 1,
        ok=201,
    ),
    Action.MANAGE_CHANNELS: Case(
        setup=_nothing,
        request=lambda w: w.actor.post(
            "/api/v1/channels", json={"slug": "matrix", "name": "Matrix", "board": "general"}
        ),
        took_effect=lambda w, r: w.scalar(select(func.count()).select_from(Channel)) == 1,
        ok=201,
    ),
    Action.CLAIM_IDENTITY: Case(
        setup=_imported_identity,
        request=lambda w: w.actor.post("/api/v1/identity-claims", json={"channel": "weibo", "who": "@wang"}),
        took_effect=lambda w, r: w.scalar(select(func.count()).select_from(IdentityClaim)) == 1,
        ok=201,
    ),
    Action.MANAGE_CAMPAIGNS: Case(
        setup=_nothing,
        request=lambda w: w.actor.post(
            "/api/v1/campaigns",
            json={
                "slug": "matrix",
                "name": "Matrix",
                "keywords": ["matrix"],
                "starts_at": "2026-03-01T00:00:00+00:00",
                "ends_at": "2026-03-31T00:00:00+00:00",
            },
        ),
        took_effect=lambda w, r: w.scalar(select(func.count()).select_from(Campaign)) == 1,
        ok=201,
    ),
}


def is_allowed(role: str, action: Action) -> bool:
    if role not in LADDER:  # anonymous, suspended
        return False
    return LADDER.index(role) >= LADDER.index(MINIMUM_ROLE[action].value)


def expected_status(role: str, action: Action) -> int:
    case = CASES[action]
    if is_allowed(role, action):
        return case.ok
    if case.denied is not None:
        return case.denied
    if role == ANONYMOUS:
        return 401
    if role == SUSPENDED:
        return SUSPENDED_STATUS
    return 403


@pytest.fixture(autouse=True)
def _quick_password_hashing(monkeypatch):
    """Nobody logs in with a password here; light argon2 parameters keep the 100+ cases quick."""
    monkeypatch.setattr(security, "_hasher", PasswordHasher(time_cost=1, memory_cost=1024, parallelism=1))


@pytest.fixture
def world_for(seed, api, client, database):
    def make(role: str) -> World:
        seed.board("general", "General")
        author = api("fan", "post_author")
        moderator = api("staff", "stage_staff")
        if role == ANONYMOUS:
            actor, actor_member = client, None
        else:
            actor = api("fan" if role == SUSPENDED else role, "actor")
            actor_member = actor.member
        return World(
            actor=actor, actor_member=actor_member, author=author, moderator=moderator, database=database
        )

    return make


def suspend(database, member: Member) -> None:
    with database.unit_of_work() as session:
        session.get(Member, member.id).is_suspended = True


@pytest.mark.parametrize("action", list(Action), ids=[a.value for a in Action])
@pytest.mark.parametrize("role", ROLES)
def test_role_and_action(world_for, database, role, action):
    case = CASES[action]
    world = world_for(role)
    case.setup(world)
    if role == SUSPENDED:
        suspend(database, world.actor_member)

    response = case.request(world)

    allowed = is_allowed(role, action)
    expected = expected_status(role, action)
    assert response.status_code == expected, (
        f"{role} {'may' if allowed else 'may not'} {action.value}: expected {expected}, "
        f"got {response.status_code} {response.text}"
    )
    if response.status_code >= 400:
        assert response.headers["content-type"] == "application/problem+json"
        assert response.json()["detail"]
    assert case.took_effect(world, response) is allowed, f"{role} {action.value}: effect should be {allowed}"


def test_every_action_has_a_minimum_role_and_a_matrix_case():
    assert set(MINIMUM_ROLE) == set(Action), "every action needs a minimum role"
    assert set(CASES) == set(Action), "every action needs an API request in the permission matrix"


def test_matrix_has_both_outcomes_for_every_action():
    """Each action is allowed to some role and denied to another, so both branches are exercised."""
    for action in Action:
        outcomes = {is_allowed(role, action) for role in ROLES}
        assert outcomes == {True, False}, action
