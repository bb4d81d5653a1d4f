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


def fan_rows(count: int, now, *, xp=lambda i: 0) -> list[dict]:  # noqa: ANN001
    """Rows for `insert(Member)`: fans fan1..fanN (password hash "x": they never log in)."""
    return [
        {
            "handle": f"fan{i}",
            "email": f"fan{i}@example.test",
            "display_name": f"Fan {i}",
            "password_hash": "x",
            "role": "fan",
            "language": "en",
            "bio": "",
            "xp": xp(i),
            "is_suspended": False,
            "created_at": now,
        }
        for i in range(1, count + 1)
    ]
