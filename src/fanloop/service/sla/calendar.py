"""Working-time arithmetic for SLA targets: 24x7, or working periods per weekday in a named time
zone, with holidays. Pure functions over aware datetimes; correct across midnight and DST changes."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

WEEKDAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
# A calendar with working time must reach it within this many days (a year of holidays, say).
MAX_SEARCH_DAYS = 800


class CalendarError(ValueError):
    pass


@dataclass(frozen=True, slots=True)
class Period:
    """Working time from `start` to `end` local time; an end at or before the start runs past midnight."""

    start: time
    end: time

    @property
    def crosses_midnight(self) -> bool:
        return self.end <= self.start


@dataclass(frozen=True, slots=True)
class WorkingCalendar:
    timezone: str = "UTC"
    # weekday (0 = Monday) -> periods; empty mapping means 24x7.
    periods: dict[int, tuple[Period, ...]] = field(default_factory=dict)
    holidays: frozenset[date] = frozenset()

    def __post_init__(self) -> None:
        try:
            ZoneInfo(self.timezone)
        except (ZoneInfoNotFoundError, ValueError):
            raise CalendarError(f"Unknown time zone {self.timezone!r}.") from None

    @property
    def is_24x7(self) -> bool:
        return not self.periods

    @property
    def zone(self) -> ZoneInfo:
        return ZoneInfo(self.timezone)

    def intervals(self, start: datetime) -> Iterator[tuple[datetime, datetime]]:
        """Working intervals (UTC) that end after `start`, in order; the first may begin before it."""
        zone = self.zone
        first_day = start.astimezone(zone).date() - timedelta(days=1)  # a period from yesterday may run on
        for offset in range(MAX_SEARCH_DAYS):
            day = first_day + timedelta(days=offset)
            if day in self.holidays:
                continue
            for period in self.periods.get(day.weekday(), ()):
                begin = datetime.combine(day, period.start, tzinfo=zone).astimezone(UTC)
                end_day = day + timedelta(days=1) if period.crosses_midnight else day
                end = datetime.combine(end_day, period.end, tzinfo=zone).astimezone(UTC)
                if end > start and end > begin:
                    yield begin, end
        raise CalendarError("The calendar has no working time in the next two years.")

    def add(self, start: datetime, seconds: float) -> datetime:
        """The moment when `seconds` of working time have passed since `start`."""
        start = start.astimezone(UTC)
        if self.is_24x7:
            return start + timedelta(seconds=seconds)
        remaining = timedelta(seconds=seconds)
        for begin, end in self.intervals(start):
            begin = max(begin, start)
            if begin + remaining <= end:
                return begin + remaining
            remaining -= end - begin
        raise AssertionError("unreachable")  # intervals() raises first

    def working_seconds(self, start: datetime, end: datetime) -> float:
        """Working time between two moments."""
        start, end = start.astimezone(UTC), end.astimezone(UTC)
        if end <= start:
            return 0.0
        if self.is_24x7:
            return (end - start).total_seconds()
        total = 0.0
        for begin, finish in self.intervals(start):
            if begin >= end:
                break
            total += (min(finish, end) - max(begin, start)).total_seconds()
        return total


def parse_calendar(
    timezone: str, hours: dict[str, list[list[str]]] | None, holidays: list[str] | None
) -> WorkingCalendar:
    """Build a calendar from settings: {"mon": [["09:00", "12:00"], ["13:00", "18:00"]], ...}."""
    periods: dict[int, tuple[Period, ...]] = {}
    for name, spans in (hours or {}).items():
        if name not in WEEKDAYS:
            raise CalendarError(f"Unknown weekday {name!r}; use {', '.join(WEEKDAYS)}.")
        parsed = []
        for span in spans:
            if len(span) != 2:
                raise CalendarError(f"A working period is [start, end], got {span!r}.")
            if span[0] == span[1]:
                raise CalendarError(f"Working period {span!r} is empty.")
            start, end = (_parse_time(value) for value in span)
            parsed.append(Period(start, end))
        if parsed:
            periods[WEEKDAYS.index(name)] = tuple(sorted(parsed, key=lambda p: p.start))
    try:
        days = frozenset(date.fromisoformat(value) for value in holidays or [])
    except ValueError as error:
        raise CalendarError(f"Holidays are dates like 2026-10-01: {error}") from None
    return WorkingCalendar(timezone=timezone, periods=periods, holidays=days)


def _parse_time(value: str) -> time:
    if value == "24:00":
        return time(0, 0)
    try:
        return time.fromisoformat(value)
    except (ValueError, TypeError):
        raise CalendarError(f"Times are HH:MM, got {value!r}.") from None
