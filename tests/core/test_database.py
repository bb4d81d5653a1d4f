"""The database layer: SQLite pragmas, UTC round trips, migrations and the refusal to start unmigrated."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

import pytest
from sqlalchemy import text

from fanloop.app import create_app
from fanloop.core.config import Settings
from fanloop.core.db import Database, normalise_url
from fanloop.core.migrate import DatabaseNotMigrated, current_revision, head_revision, upgrade


def test_sqlite_runs_in_wal_with_foreign_keys_and_busy_timeout(tmp_path):
    db = Database(f"sqlite:///{tmp_path / 'a.db'}")
    with db.engine.connect() as connection:
        assert connection.execute(text("PRAGMA journal_mode")).scalar() == "wal"
        assert connection.execute(text("PRAGMA foreign_keys")).scalar() == 1
        assert connection.execute(text("PRAGMA busy_timeout")).scalar() == 30000
    db.dispose()


def test_unmigrated_database_is_refused_with_the_command_to_run(tmp_path):
    url = f"sqlite:///{tmp_path / 'empty.db'}"
    settings = Settings(environment="test", database_url=url, data_dir=tmp_path)
    with pytest.raises(DatabaseNotMigrated, match="fanloop db upgrade"):
        create_app(settings, Database(url))


def test_upgrade_brings_database_to_head(tmp_path):
    url = f"sqlite:///{tmp_path / 'm.db'}"
    upgrade(url)
    db = Database(url)
    assert current_revision(db.engine) == head_revision(url)
    db.dispose()


def test_migrated_test_database_matches_the_models(database):
    """Autogenerate finds nothing to do: the migrations and the models agree."""
    from alembic.autogenerate import compare_metadata
    from alembic.runtime.migration import MigrationContext

    from fanloop.models import Base

    with database.engine.connect() as connection:
        diff = compare_metadata(MigrationContext.configure(connection), Base.metadata)
    assert diff == []


def test_datetimes_come_back_aware_utc(session, seed):
    from fanloop.community.members.models import Member

    member = seed.member("fan")
    stored = session.get(Member, member.id)
    stored.created_at = datetime(2026, 5, 1, 20, 0, tzinfo=timezone(timedelta(hours=8)))
    session.flush()
    session.expire_all()
    assert session.get(Member, member.id).created_at == datetime(2026, 5, 1, 12, 0, tzinfo=UTC)
    assert session.get(Member, member.id).created_at.tzinfo is not None


def test_postgres_urls_use_psycopg3():
    assert normalise_url("postgresql://u@h/db").startswith("postgresql+psycopg://")
    assert normalise_url("sqlite:///x.db") == "sqlite:///x.db"


def test_production_refuses_the_default_secret():
    with pytest.raises(ValueError, match="FANLOOP_SECRET_KEY"):
        Settings(environment="production")
    assert Settings(environment="production", secret_key="x" * 40).secret_key == "x" * 40
