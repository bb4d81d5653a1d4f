"""Database engine, sessions and the declarative base shared by every domain."""

from __future__ import annotations

import logging
import math
import re
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from itertools import repeat
from pathlib import Path

import orjson
from sqlalchemy import Boolean, DateTime, Engine, MetaData, create_engine, event, text
from sqlalchemy.engine import make_url
from sqlalchemy.orm import DeclarativeBase, Session, sessionmaker
from sqlalchemy.types import TypeDecorator

log = logging.getLogger("fanloop.db")

NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING_CONVENTION)


class UTCDateTime(TypeDecorator):
    """Stores UTC; always hands back aware datetimes, on SQLite as on PostgreSQL."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect):  # noqa: ANN001
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given to a UTC column")
        value = value.astimezone(UTC)
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(self, value: datetime | None, dialect):  # noqa: ANN001
        if value is None:
            return None
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


def normalise_url(url: str) -> str:
    """Accept plain postgresql:// URLs and use the psycopg 3 driver for them."""
    parsed = make_url(url)
    if parsed.drivername in ("postgresql", "postgres"):
        parsed = parsed.set(drivername="postgresql+psycopg")
    return parsed.render_as_string(hide_password=False)


SQLITE_BEGIN_OPTION = "fanloop_sqlite_begin"


def create_db_engine(url: str) -> Engine:
    url = normalise_url(url)
    parsed = make_url(url)
    if parsed.get_backend_name() == "sqlite":
        pool = {}
        if parsed.database and parsed.database != ":memory:":
            Path(parsed.database).parent.mkdir(parents=True, exist_ok=True)
            # Keep open every connection the pool may hand out (by default it keeps 5 of its 15):
            # a new SQLite connection re-reads the schema and starts with an empty page cache,
            # which under concurrent requests cost more than the queries themselves.
            # Beyond those, short-lived extra connections for bursts (every handler thread may hold
            # one, and the worker's lanes too), rather than requests timing out on the pool.
            pool = {"pool_size": 15, "max_overflow": 50}
        engine = create_engine(url, connect_args={"check_same_thread": False, "timeout": 30}, **pool)
        event.listen(engine, "connect", _sqlite_pragmas)
        # pysqlite's own transaction handling defers BEGIN; take it over so writers queue on
        # the busy timeout instead of failing on lock upgrades: a unit of work opened for writing
        # begins IMMEDIATE (takes the write lock up front), a read-only one stays deferred.
        event.listen(engine, "begin", _sqlite_begin)
        return engine
    return create_engine(url, pool_size=10, max_overflow=20, pool_pre_ping=True)


def _sqlite_begin(conn) -> None:  # noqa: ANN001
    conn.exec_driver_sql(conn.get_execution_options().get(SQLITE_BEGIN_OPTION, "BEGIN"))


def _sqlite_pragmas(dbapi_connection, _record) -> None:  # noqa: ANN001
    dbapi_connection.isolation_level = None
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA busy_timeout=30000")
    cursor.execute("PRAGMA synchronous=NORMAL")
    # A bulk import lets the log grow (BULK_CHECKPOINT_PAGES); it shrinks back to this once reset.
    cursor.execute(f"PRAGMA journal_size_limit={WAL_SIZE_LIMIT}")
    cursor.close()


class Database:
    """An engine and its session factory; one per process."""

    def __init__(self, url: str) -> None:
        self.url = normalise_url(url)
        self.engine = create_db_engine(self.url)
        self.session_factory = sessionmaker(self.engine, expire_on_commit=False)
        self._writer = (
            self.engine.execution_options(**{SQLITE_BEGIN_OPTION: "BEGIN IMMEDIATE"})
            if self.is_sqlite
            else self.engine
        )
        # SQLite has one writer at a time. Writers of this process queue here, and are woken as
        # soon as the previous one commits, instead of polling the busy timeout with growing sleeps.
        self._write_lock = threading.Lock() if self.is_sqlite else None
        self._deferred: dict[object, Callable[[Session], object]] = {}
        self._deferred_lock = threading.Lock()

    def defer_write(self, key: object, write: Callable[[Session], object]) -> None:
        """Have `write` done inside the next unit of work of this process that writes anyway, just
        before it commits (once per `key`). For bookkeeping a read must not write itself (when an
        API token was last used): a read that wrote would have to queue for SQLite's one writer,
        or fail if another writer committed since it began. It is best effort: if `write` fails,
        or that unit of work rolls back, the write is lost, and the unit's own work is not."""
        with self._deferred_lock:
            self._deferred[key] = write

    def _take_deferred(self) -> list[Callable[[Session], object]]:
        if not self._deferred:
            return []
        with self._deferred_lock:
            writes, self._deferred = list(self._deferred.values()), {}
        return writes

    @property
    def is_sqlite(self) -> bool:
        return self.engine.dialect.name == "sqlite"

    def begin(self, *, write: bool = False) -> UnitOfWork:
        """A unit of work to open and finish in steps (unit_of_work() is the usual way in)."""
        return UnitOfWork(self, write=write)

    @contextmanager
    def unit_of_work(self, *, write: bool = False) -> Iterator[Session]:
        """One transaction: committed when the block ends, rolled back if it raises. Pass
        write=True when the block is meant to write: on SQLite it then waits for the write lock
        when it begins, rather than failing to upgrade a read lock when others write too."""
        unit = self.begin(write=write)
        unit.open()
        try:
            yield unit.session
        except BaseException as error:
            unit.finish(error)
            raise
        unit.finish()

    def dispose(self) -> None:
        self.engine.dispose()


class UnitOfWork:
    """One transaction in two steps, open() and finish(), for callers that run them on different
    threads: the request dependency opens it on the event loop when that cannot block (a read, or
    a write while no other writer holds SQLite's write lock) and finishes it in a worker thread,
    unless the handler finished it already."""

    __slots__ = ("database", "write", "session", "finished", "_queued")

    def __init__(self, database: Database, *, write: bool) -> None:
        self.database, self.write = database, write
        self.session: Session | None = None
        self.finished = False
        self._queued = False

    def open(self, *, blocking: bool = True) -> bool:
        """Queue for the write lock if this unit writes (SQLite), then start the session. Without
        blocking, returns False, having taken nothing, when it would have to wait for the lock."""
        lock = self.database._write_lock if self.write else None
        if lock is not None:
            if blocking:
                # After 30 s go ahead anyway: the database's busy timeout still guards the write.
                self._queued = lock.acquire(timeout=30)
            elif lock.acquire(blocking=False):
                self._queued = True
            else:
                return False
        try:
            factory = self.database.session_factory
            self.session = factory(bind=self.database._writer) if self.write else factory()
        except BaseException:
            self._release()
            raise
        return True

    def finish(self, error: BaseException | None = None) -> None:
        """Commit, or roll back if the work failed (`error`) or the commit does; then close the
        session and let the next writer in. Only the first call does anything."""
        if self.finished:
            return
        self.finished = True
        session = self.session
        try:
            try:
                if error is not None:
                    session.rollback()
                else:
                    try:
                        if self.write:
                            _run_deferred(session, self.database._take_deferred())
                        session.commit()
                    except BaseException:
                        session.rollback()
                        raise
            finally:
                session.close()
        finally:
            self._release()

    def _release(self) -> None:
        if self._queued:
            self._queued = False
            self.database._write_lock.release()


def _run_deferred(session: Session, writes: list[Callable[[Session], object]]) -> None:
    for write in writes:
        try:
            with session.begin_nested():  # a failing write rolls back alone
                write(session)
        except Exception:
            log.warning("a deferred write failed", exc_info=True)


def insert_ignoring(session: Session, target, *, conflict: list[str]):  # noqa: ANN001, ANN201
    """An INSERT for `target` (a model or table) that skips rows clashing on the `conflict` columns,
    on SQLite as on PostgreSQL."""
    from sqlalchemy.dialects import postgresql, sqlite

    dialect = postgresql if session.get_bind().dialect.name == "postgresql" else sqlite
    return dialect.insert(target).on_conflict_do_nothing(index_elements=conflict)


def reserve_ids(session: Session, table, count: int) -> list[int]:  # noqa: ANN001
    """`count` new primary keys for `table`, for bulk inserts that need the ids up front. On
    PostgreSQL they come from the column's sequence; on SQLite the write lock is held (or taken by
    the insert that follows, which fails on a clash so the caller can retry)."""
    if count <= 0:
        return []
    column = table.primary_key.columns.values()[0]
    if session.get_bind().dialect.name == "postgresql":
        rows = session.execute(
            text(
                f"SELECT nextval(pg_get_serial_sequence('{table.name}', '{column.name}')) FROM generate_series(1, :n)"
            ),
            {"n": count},
        )
        return sorted(row[0] for row in rows)
    start = session.scalar(text(f"SELECT COALESCE(MAX({column.name}), 0) FROM {table.name}")) + 1
    return list(range(start, start + count))


def fast_insert(session: Session, table, rows: list[dict]) -> None:  # noqa: ANN001
    """INSERT many rows (dicts with the same keys) straight through the driver: see insert_columns."""
    if rows:
        insert_columns(session, table, len(rows), {name: [row[name] for row in rows] for name in rows[0]})


def insert_columns(session: Session, table, count: int, columns: dict) -> None:  # noqa: ANN001
    """INSERT `count` rows given column by column: each value of `columns` is a list of `count`
    values (not to be changed afterwards in the same unit of work), or one value for every row.
    For the bulk paths (imports): on SQLite values are put in its own form here, once per column,
    rather than by SQLAlchemy's per-value type processing; on PostgreSQL they go through COPY. No
    dict is built per row.

    A column that holds the same simple value in every row (a state, a board, "now") is written
    into the statement once instead of being bound again for each row: binding is what a bulk
    insert spends most of its time on in the driver."""
    if count <= 0:
        return
    for name, values in columns.items():
        if isinstance(values, list) and len(values) != count:
            raise ValueError(f"{table.name}.{name}: {len(values)} values for {count} rows")
    if session.get_bind().dialect.name == "postgresql":
        _copy_columns(session, table, count, columns)
        return
    slots, bound = [], []
    # A list given for several columns, or tables, of one unit of work is converted once. The
    # entry keeps the list alive, so its id cannot be taken by another list meanwhile.
    converted: dict[int, tuple[list, list]] = session.info.setdefault("fanloop_converted", {})
    for name, values in columns.items():
        convert = _sqlite_form(table.c[name].type)
        if isinstance(values, list):
            if convert is not None:
                entry = converted.get(id(values))
                if entry is None or entry[0] is not values:
                    entry = converted[id(values)] = (values, list(map(convert, values)))
                values = entry[1]
            literal = _literal(values[0]) if count > 1 and values.count(values[0]) == count else None
        else:
            values = convert(values) if convert is not None else values
            literal = _literal(values)
            if literal is None:
                values = [values] * count
        if literal is not None:
            slots.append(literal)
        else:
            slots.append("?")
            bound.append(values)
    sql = f"INSERT INTO {table.name} ({', '.join(columns)}) VALUES ({', '.join(slots)})"
    session.connection().exec_driver_sql(sql, list(zip(*bound, strict=True)) if bound else [()] * count)


def _copy_columns(session: Session, table, count: int, columns: dict) -> None:  # noqa: ANN001
    """PostgreSQL: the rows go in through COPY, one stream for the lot, where an INSERT per row
    would be a statement (and a round trip) each. Values go as psycopg adapts them."""
    streams = [values if isinstance(values, list) else repeat(values, count) for values in columns.values()]
    cursor = session.connection().connection.dbapi_connection.cursor()
    try:
        with cursor.copy(f"COPY {table.name} ({', '.join(columns)}) FROM STDIN") as copy:
            for row in zip(*streams, strict=True):
                copy.write_row(row)
    finally:
        cursor.close()


# Text that can stand in a statement as it is: no quote, no backslash, nothing a dialect reads
# specially. Anything else is bound.
_PLAIN_TEXT = re.compile(r"[A-Za-z0-9_:. +-]{0,64}")


def _literal(value: object) -> str | None:
    """`value` as an SQL literal, if it is simple enough to write into a statement safely."""
    if value is None:
        return "NULL"
    if value is True or value is False:
        return "TRUE" if value else "FALSE"
    if type(value) is int:
        return str(value)
    if type(value) is float and math.isfinite(value):
        return repr(value)
    if type(value) is str and _PLAIN_TEXT.fullmatch(value):
        return f"'{value}'"
    return None


def _sqlite_form(column_type):  # noqa: ANN001, ANN202
    """How a column's values are put in the form SQLite stores (None: as they are). PostgreSQL
    needs none: COPY takes them as psycopg adapts them."""
    if isinstance(column_type, UTCDateTime):
        return _sqlite_datetime
    if isinstance(column_type, Boolean):
        return _sqlite_bool
    return None


def _sqlite_datetime(value: datetime | None) -> str | None:
    # The form SQLAlchemy's SQLite DATETIME stores, so these rows compare and read like all others
    # (tests/core/test_bulk_insert.py holds the two together).
    if value is None:
        return None
    if value.tzinfo is not UTC:
        value = value.astimezone(UTC)
    return value.isoformat(" ", "microseconds")[:26]  # without the "+00:00"


def _sqlite_bool(value: bool | None) -> int | None:
    return None if value is None else int(value)


# Page cache for a bulk write on SQLite (KiB, as PRAGMA cache_size takes it when negative): the
# default 2 MB holds too little of the indexes a large import keeps growing, so dirty pages spill
# to the log in the middle of every batch. More than 32 MB made a 1,000,000-row import no faster.
BULK_CACHE_KIB = 32 * 1024


DEFAULT_CACHE_KIB = 2000
BULK_CHECKPOINT_PAGES = 64_000
DEFAULT_CHECKPOINT_PAGES = 1000
WAL_SIZE_LIMIT = 64 << 20


def bulk_cache(session: Session, *, enlarged: bool) -> None:
    """Give this unit of work's SQLite connection the large page cache of a bulk write (setting it
    again keeps the cached pages), or the default back at the end. A no-op on PostgreSQL."""
    if session.get_bind().dialect.name == "sqlite":
        size = BULK_CACHE_KIB if enlarged else DEFAULT_CACHE_KIB
        session.connection().exec_driver_sql(f"PRAGMA cache_size=-{size}")
        # Fewer, larger checkpoints: an index page rewritten by many batches is copied back once.
        pages = BULK_CHECKPOINT_PAGES if enlarged else DEFAULT_CHECKPOINT_PAGES
        session.connection().exec_driver_sql(f"PRAGMA wal_autocheckpoint={pages}")


def select_where_in(session: Session, sql: str, values: list, params: tuple = ()) -> list[tuple]:
    """Run `sql`, whose last condition is `<column> IN ({})`, for many values at once, straight
    through the driver: SQLAlchemy's expanding IN costs more per value than the lookup itself.
    `sql` uses ? for `params`; the rows come back as tuples.

    On SQLite the values travel as one JSON array, so the statement is the same whatever their
    number: a statement with a marker per value would be prepared anew for every count, and the
    driver keeps the last hundred prepared (a bulk import's batches would hold hundreds of MB)."""
    if not values:
        return []
    if session.get_bind().dialect.name == "postgresql":
        statement = sql.replace("?", "%s").format(", ".join(["%s"] * len(values)))
        bound = (*params, *values)
    else:
        statement = sql.format("SELECT value FROM json_each(?)")
        bound = (*params, orjson.dumps(values).decode())
    cursor = session.connection().connection.dbapi_connection.cursor()
    try:
        cursor.execute(statement, bound)
        return [tuple(row) for row in cursor.fetchall()]
    finally:
        cursor.close()
