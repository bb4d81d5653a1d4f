"""Fixtures for the page tests: browsers-in-a-client with their own cookies, a small community,
and helpers to get the CSRF token, log in and write posts."""

from __future__ import annotations

from collections.abc import Callable, Iterator

import pytest
from fastapi.testclient import TestClient

from fanloop.community.members.models import Member
from fanloop.community.posts import service as posts
from fanloop.community.posts.models import Board

PASSWORD = "correct horse 1"  # the seeder's default


@pytest.fixture
def web_client(app) -> Iterator[Callable[[], TestClient]]:
    """web_client() -> a TestClient that asks for HTML, with its own cookies (one per person)."""
    clients: list[TestClient] = []

    def make() -> TestClient:
        test_client = TestClient(app, headers={"Accept": "text/html"})
        clients.append(test_client)
        return test_client

    yield make
    for test_client in clients:
        test_client.close()


@pytest.fixture
def world(seed, database, settings, clock) -> dict[str, Member]:
    """A board with a Chinese name, another board, two tags, a fan, a staff member and an admin."""
    seed.board("battery", "Battery")
    with database.unit_of_work() as session:
        session.query(Board).filter_by(slug="battery").update({"name_zh": "电池续航"})
    seed.board("camera", "Camera")
    seed.tag("night")
    seed.tag("update")
    return {
        "fan": seed.member("fan", "li_wei"),
        "staff": seed.member("staff", "zhang_min"),
        "admin": seed.member("admin", "chen_jie"),
    }


def _csrf(client: TestClient) -> str:
    if not client.cookies.get("fanloop_csrf"):
        client.get("/login")
    return client.cookies["fanloop_csrf"]


@pytest.fixture
def csrf() -> Callable[[TestClient], str]:
    """csrf(client) -> the client's CSRF token (a first page visit sets it)."""
    return _csrf


@pytest.fixture
def log_in() -> Callable[[TestClient, str], None]:
    """log_in(client, handle): log in through the form with the seeder's password."""

    def submit(client: TestClient, handle: str) -> None:
        response = client.post(
            "/login",
            data={"csrf_token": _csrf(client), "login": handle, "password": PASSWORD},
            follow_redirects=False,
        )
        assert response.status_code == 303, response.text

    return submit


@pytest.fixture
def make_post(database, settings) -> Callable[..., int]:
    """make_post(author, **fields) -> the id of a new post (a bug on the battery board by default)."""

    def create(author: Member, **fields) -> int:
        values = {
            "board": "battery",
            "kind": "bug",
            "title": "Battery drains overnight",
            "body": "Since 2.4.1.",
        }
        values.update(fields)
        with database.unit_of_work() as session:
            author_row = session.get(Member, author.id)
            post = posts.create_post(
                session, author=author_row, data=posts.PostInput(**values), settings=settings
            )
            return post.id

    return create
