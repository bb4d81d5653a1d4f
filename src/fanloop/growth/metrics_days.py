"""Local days and weeks in SQL, the same on SQLite and PostgreSQL, for the growth figures.

A row's local day is floor((seconds since 1970 + the zone's UTC offset at that instant) / 86400):
the day number counted from 1970-01-01. The offset is a constant, or a CASE over the few instants
where it changes inside the range asked about (summer time), found here in Python. So a GROUP BY
on the day number buckets a million rows by the viewer's midnight without a calendar table, and
1970-01-01 being a Thursday makes (day + 3) // 7 the number of the Monday-to-Sunday week.

Group on a column of a subquery that computes the number, not on the expression itself: the
expression carries bound parameters, and PostgreSQL cannot tell that two copies are the same.
"""

from __future__ import annotations

import math
from datetime import UTC, date, datetime, timedelta, tzinfo

from sqlalchemy import BigInteger, ColumnElement, case, literal
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.sql.functions import FunctionElement

EPOCH_DAY = date(1970, 1, 1)
SECONDS_PER_DAY = 86400
# 1970-01-01 was a Thursday: three days after the Monday that starts week 0.
MONDAY_SHIFT = 3


class epoch_seconds(FunctionElement):  # noqa: N801 - reads as the SQL function it renders
    """Whole seconds since 1970-01-01 UTC of a UTCDateTime column (fractions dropped)."""

    type = BigInteger()
    name = "epoch_seconds"
    inherit_cache = True


@compiles(epoch_seconds, "sqlite")
def _epoch_sqlite(element, compiler, **kw) -> str:  # noqa: ANN001, ANN003
    # The column holds naive UTC text; strftime('%s') reads it as UTC and drops the fraction.
    return f"CAST(strftime('%s', {compiler.process(element.clauses, **kw)}) AS INTEGER)"


@compiles(epoch_seconds, "postgresql")
def _epoch_postgresql(element, compiler, **kw) -> str:  # noqa: ANN001, ANN003
    # FLOOR first: a cast alone rounds, and 23:59:59.6 would land on the next day.
    return f"CAST(FLOOR(EXTRACT(EPOCH FROM {compiler.process(element.clauses, **kw)})) AS BIGINT)"


def _offset_seconds(zone: tzinfo, at: datetime) -> int:
    offset = at.astimezone(zone).utcoffset()
    return int(offset.total_seconds()) if offset else 0


def offset_changes(zone: tzinfo, lo: datetime, hi: datetime) -> list[tuple[datetime, int]]:
    """The zone's UTC offset from `lo` on, and each instant up to `hi` where it changes: a list of
    (from this instant, offset in seconds), the first one at `lo`."""
    changes = [(lo, _offset_seconds(zone, lo))]
    step = timedelta(hours=12)
    at = lo
    while at < hi:
        after = min(at + step, hi)
        if _offset_seconds(zone, after) != changes[-1][1]:
            # The change lies in (at, after]: halve the gap down to the second.
            low, high = math.floor(at.timestamp()), math.ceil(after.timestamp())
            while high - low > 1:
                middle = (low + high) // 2
                if _offset_seconds(zone, datetime.fromtimestamp(middle, UTC)) == changes[-1][1]:
                    low = middle
                else:
                    high = middle
            high = datetime.fromtimestamp(high, UTC)
            changes.append((high, _offset_seconds(zone, high)))
        at = after
    return changes


class LocalCalendar:
    """Local day and week numbers of timestamps between `lo` and `hi` (UTC) in the time zone `zone`."""

    def __init__(self, zone: tzinfo, lo: datetime, hi: datetime) -> None:
        self.zone = zone
        self.changes = offset_changes(zone, lo.astimezone(UTC), hi.astimezone(UTC))

    def _offset(self, column: ColumnElement) -> ColumnElement[int]:
        if len(self.changes) == 1:
            return literal(self.changes[0][1], BigInteger)
        whens = [
            (column < starts, offset)
            for (_, offset), (starts, _) in zip(self.changes, self.changes[1:], strict=False)
        ]
        return case(*whens, else_=self.changes[-1][1])

    def day_number(self, column: ColumnElement) -> ColumnElement[int]:
        """The local day of a timestamp column as days since 1970-01-01."""
        return (epoch_seconds(column) + self._offset(column)) // SECONDS_PER_DAY

    def week_number(self, column: ColumnElement) -> ColumnElement[int]:
        """The local Monday-to-Sunday week of a timestamp column as weeks since 1969-12-29."""
        return (self.day_number(column) + MONDAY_SHIFT) // 7


def day_of(number: int) -> date:
    """The date of a day number."""
    return EPOCH_DAY + timedelta(days=int(number))


def day_number_of(day: date) -> int:
    return (day - EPOCH_DAY).days


def monday_of(week: int) -> date:
    """The Monday that starts a week number."""
    return EPOCH_DAY + timedelta(days=int(week) * 7 - MONDAY_SHIFT)


def week_number_of(day: date) -> int:
    return (day_number_of(day) + MONDAY_SHIFT) // 7
