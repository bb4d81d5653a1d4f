"""Test fixtures: a migrated database (SQLite, or PostgreSQL when FANLOOP_TEST_DATABASE_URL names one),
emptied after every test; a frozen clock; the app and API clients for members of each role."""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

from fanloop.app import create_app
from fanloop.community.members import service as members
from fanloop.community.members.models import Member
from fanloop.core import clock as clock_module
from fanloop.core.config import Settings
from fanloop.core.db import Base, Database, normalise_url
from fanloop.core.migrate import upgrade
from fanloop.core.permissions import Role
from fanloop.insights.vectors.index import forget_indexes
from fanloop.insights.vectors.service import forget_cursors
from fanloop.wiring import wire

POSTGRES_URL = os.environ.get("FANLOOP_TEST_DATABASE_URL", "")


@pytest.fixture(scope="session")
def database_url(tmp_path_factory) -> Iterator[str]:
    """A fresh database for this test run: its own PostgreSQL database, or a SQLite file."""
    if not POSTGRES_URL:
        yield f"sqlite:///{tmp_path_factory.mktemp('db') / 'test.db'}"
        return
    server = make_url(normalise_url(POSTGRES_URL))
    name = f"fanloop_test_{uuid.uuid4().hex[:10]}"
    admin = create_engine(server, isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(text(f'CREATE DATABASE "{name}"'))
    try:
        yield server.set(database=name).render_as_string(hide_password=False)
    finally:
        with admin.connect() as connection:
            connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


@pytest.fixture(scope="session")
def database(database_url: str) -> Iterator[Database]:
    wire()
    upgrade(database_url)
    db = Database(database_url)
    yield db
    db.dispose()


@pytest.fixture(autouse=True)
def _empty_tables_after_test(request) -> Iterator[None]:
    yield
    if "database" not in request.fixturenames:
        return
    db: Database = request.getfixturevalue("database")
    tables = [t.name for t in reversed(Base.metadata.sorted_tables)]
    # DELETE, children first: on tables this small it is much faster than TRUNCATE on PostgreSQL.
    with db.engine.begin() as connection:
        for table in tables:
            connection.execute(text(f"DELETE FROM {table}"))
    forget_indexes()  # the in-process vector index would still hold the deleted posts
    forget_cursors()  # and the encoder's cursor would point past the restarted post ids


@pytest.fixture
def clock() -> Iterator[clock_module.FrozenClock]:
    frozen = clock_module.FrozenClock(datetime(2026, 3, 10, 13, 40, tzinfo=UTC))
    previous = clock_module.get_clock()
    clock_module.set_clock(frozen)
    yield frozen
    clock_module.set_clock(previous)


@pytest.fixture
def settings(database_url: str, tmp_path) -> Settings:
    return Settings(
        environment="test",
        database_url=database_url,
        data_dir=tmp_path,
        post_rate_limit=1000,
        reply_rate_limit=1000,
        login_rate_limit=1000,
        signup_rate_limit=1000,
        worker="off",
    )


@pytest.fixture
def app(settings: Settings, database: Database):
    return create_app(settings, database)


@pytest.fixture
def client(app) -> Iterator[TestClient]:
    with TestClient(app) as test_client:
        yield test_client


@pytest.fixture
def session(database: Database):
    with database.unit_of_work() as session:
        yield session


@pytest.fixture
def seed(database: Database):
    """Create members, boards and tags directly through the services."""
    return Seeder(database)


class Seeder:
    def __init__(self, database: Database) -> None:
        self.database = database
        self._count = 0

    def member(
        self, role: str = "fan", handle: str | None = None, password: str = "correct horse 1"
    ) -> Member:
        self._count += 1
        handle = handle or f"{role}_{self._count}"
        with self.database.unit_of_work() as session:
            return members.sign_up(
                session,
                handle=handle,
                email=f"{handle}@example.test",
                password=password,
                display_name=handle.replace("_", " ").title(),
                role=Role(role),
            )

    def token(self, member: Member) -> str:
        with self.database.unit_of_work() as session:
            return members.create_api_token(session, member=session.get(Member, member.id), name="test")[1]

    def board(self, slug: str = "battery", name: str = "Battery") -> None:
        from fanloop.community.posts.models import Board

        with self.database.unit_of_work() as session:
            session.add(Board(slug=slug, name=name, name_zh="", description="", position=0))

    def tag(self, slug: str, name: str | None = None) -> None:
        from fanloop.community.posts.models import Tag

        with self.database.unit_of_work() as session:
            session.add(Tag(slug=slug, name=name or slug.title(), name_zh=""))


@pytest.fixture
def api(app, seed: Seeder):
    """api("fan") -> a TestClient authenticated with an API token of a new member of that role."""
    clients: list[TestClient] = []

    def make(role: str = "fan", handle: str | None = None) -> TestClient:
        member = seed.member(role, handle)
        test_client = TestClient(app, headers={"Authorization": f"Bearer {seed.token(member)}"})
        test_client.member = member
        clients.append(test_client)
        return test_client

    yield make
    for test_client in clients:
        test_client.close()
