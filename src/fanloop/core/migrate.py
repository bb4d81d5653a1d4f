"""Alembic, driven from code: the migrations ship inside the package."""

from __future__ import annotations

from importlib import resources

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Engine

from fanloop.core.db import normalise_url


class DatabaseNotMigrated(RuntimeError):
    pass


def alembic_config(url: str) -> Config:
    config = Config()
    config.set_main_option("script_location", str(resources.files("fanloop") / "migrations"))
    config.set_main_option("sqlalchemy.url", normalise_url(url).replace("%", "%%"))
    return config


def upgrade(url: str, revision: str = "head") -> None:
    command.upgrade(alembic_config(url), revision)


def head_revision(url: str) -> str | None:
    return ScriptDirectory.from_config(alembic_config(url)).get_current_head()


def current_revision(engine: Engine) -> str | None:
    with engine.connect() as connection:
        return MigrationContext.configure(connection).get_current_revision()


def ensure_migrated(engine: Engine, url: str) -> None:
    """Refuse to run against a database that is behind the code."""
    current, head = current_revision(engine), head_revision(url)
    if current != head:
        state = "empty" if current is None else f"at revision {current}"
        raise DatabaseNotMigrated(
            f"The database is {state}, but this fanloop needs revision {head}. "
            "Run `fanloop db upgrade` first."
        )
