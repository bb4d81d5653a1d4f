"""What the benchmarks share: an empty database to run against."""

from __future__ import annotations

import secrets
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path


@contextmanager
def fresh_database(url: str | None, folder: Path) -> Iterator[str]:
    """A URL for an empty database: a SQLite file in `folder`, or a new database on the PostgreSQL
    server of `url` (dropped again at the end)."""
    if not url or url.startswith("sqlite"):
        yield f"sqlite:///{folder / 'fanloop.db'}"
        return
    from sqlalchemy import create_engine, text
    from sqlalchemy.engine import make_url

    from fanloop.core.db import normalise_url

    server = make_url(normalise_url(url))
    name = f"fanloop_bench_{secrets.token_hex(5)}"
    admin = create_engine(server, isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(text(f'CREATE DATABASE "{name}"'))
    try:
        yield server.set(database=name).render_as_string(hide_password=False)
    finally:
        with admin.connect() as connection:
            connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()
