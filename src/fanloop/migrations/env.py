"""Alembic environment: migrations run with the package's own metadata (batch mode for SQLite)."""

from alembic import context

from fanloop.core.db import UTCDateTime, create_db_engine
from fanloop.models import Base

config = context.config
target_metadata = Base.metadata


def run_migrations() -> None:
    connection = config.attributes.get("connection")
    if connection is not None:
        _run(connection)
        return
    engine = create_db_engine(config.get_main_option("sqlalchemy.url"))
    with engine.connect() as connection:
        _run(connection)
    engine.dispose()


def _render_item(type_, obj, autogen_context):  # noqa: ANN001
    """Render the UTC column type as a plain DateTime: the conversion lives in Python only."""
    if type_ == "type" and isinstance(obj, UTCDateTime):
        return "sa.DateTime(timezone=True)"
    return False


def _run(connection) -> None:  # noqa: ANN001
    context.configure(
        connection=connection,
        target_metadata=target_metadata,
        render_as_batch=connection.dialect.name == "sqlite",
        compare_type=True,
        render_item=_render_item,
    )
    with context.begin_transaction():
        context.run_migrations()
    connection.commit()


run_migrations()
