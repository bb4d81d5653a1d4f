"""The bulk insert of the import paths: what it writes reads back exactly as what the ORM writes,
whether a column is bound per row or written once into the statement."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from sqlalchemy import Column, Integer, MetaData, String, Table, select, text

from fanloop.community.members.models import Member
from fanloop.core.db import UTCDateTime, _literal, fast_insert, select_where_in

AT = datetime(2026, 3, 10, 13, 40, 5, 123456, tzinfo=UTC)


def _member_row(i: int, **changes) -> dict:
    row = {
        "handle": f"bulk_{i}",
        "email": f"bulk_{i}@example.test",
        "display_name": f"Bulk {i}",
        "password_hash": "!external",
        "role": "fan",
        "language": "en",
        "bio": "",
        "xp": 0,
        "is_suspended": False,
        "created_at": AT,
    }
    row.update(changes)
    return row


def test_constant_and_varying_columns_read_back_as_written(database):
    rows = [
        _member_row(1, display_name="O'Brien; DROP TABLE members", bio="it's \\ 100%"),
        _member_row(2, display_name="王小明", bio="it's \\ 100%"),
        _member_row(3, display_name="Third", bio="it's \\ 100%"),
    ]
    with database.unit_of_work(write=True) as session:
        fast_insert(session, Member.__table__, rows)
    with database.unit_of_work() as session:
        stored = session.scalars(select(Member).where(Member.handle.like("bulk_%")).order_by(Member.handle)).all()
    assert [m.display_name for m in stored] == ["O'Brien; DROP TABLE members", "王小明", "Third"]
    assert {m.bio for m in stored} == {"it's \\ 100%"}
    assert {(m.role, m.xp, m.is_suspended, m.created_at) for m in stored} == {("fan", 0, False, AT)}


def test_rows_that_are_all_constant_are_each_inserted(database):
    probe = Table("bulk_probe", MetaData(), Column("n", Integer), Column("at", UTCDateTime), Column("note", String))
    with database.unit_of_work(write=True) as session:
        probe.create(session.connection())
        try:
            fast_insert(session, probe, [{"n": 7, "at": AT, "note": None}] * 3)
            fast_insert(session, probe, [{"n": 8, "at": None, "note": "it's"}] * 2)
            stored = session.execute(select(probe.c.n, probe.c.at, probe.c.note).order_by(probe.c.n)).all()
        finally:
            probe.drop(session.connection())
    assert [tuple(row) for row in stored] == [(7, AT, None)] * 3 + [(8, None, "it's")] * 2


@pytest.mark.parametrize("at", [AT, AT.replace(microsecond=0)], ids=["microseconds", "whole-second"])
def test_times_are_stored_in_the_form_the_orm_stores(database, at):
    with database.unit_of_work(write=True) as session:
        session.add(Member(**_member_row(1, handle="orm_one", email="orm@example.test", created_at=at)))
        session.flush()
        fast_insert(session, Member.__table__, [_member_row(2, created_at=at), _member_row(3, created_at=at)])
    with database.unit_of_work() as session:
        stored = session.execute(
            text("SELECT DISTINCT CAST(created_at AS TEXT) FROM members WHERE handle IN ('orm_one', 'bulk_2')")
        ).all()
        # Compared as text: a bulk row sorts and compares like any other in range queries.
        assert len(stored) == 1
        later = session.scalar(select(Member.handle).where(Member.created_at > at).limit(1))
        assert later is None


def test_only_plain_values_are_written_into_a_statement():
    assert _literal(None) == "NULL"
    assert _literal(3) == "3"
    assert _literal(True) == "TRUE"
    assert _literal("open") == "'open'"
    assert _literal("2026-03-10 13:40:05.123456") == "'2026-03-10 13:40:05.123456'"
    for unsafe in ("it's", "a\\b", "100%", "x" * 65, float("nan"), b"bytes", {"a": 1}):
        assert _literal(unsafe) is None


def test_lookups_by_many_values_find_text_and_numbers(database):
    rows = [_member_row(i, display_name=f"O'Neil {i}") for i in range(1, 6)]
    with database.unit_of_work(write=True) as session:
        fast_insert(session, Member.__table__, rows)
        wanted = ["bulk_2", "bulk_4", "nobody", "it's"]
        found = select_where_in(
            session, "SELECT handle, display_name FROM members WHERE xp = ? AND handle IN ({})", wanted, (0,)
        )
        ids = [i for (i,) in select_where_in(session, "SELECT id FROM members WHERE handle IN ({})", wanted)]
        by_id = select_where_in(session, "SELECT handle FROM members WHERE id IN ({})", ids)
    assert sorted(found) == [("bulk_2", "O'Neil 2"), ("bulk_4", "O'Neil 4")]
    assert sorted(h for (h,) in by_id) == ["bulk_2", "bulk_4"]
