"""The release cadence as pure time arithmetic: the next release time after a moment, in the train's
time zone (so "Friday 17:00 Asia/Shanghai" stays 17:00 there whatever the server's zone), and the
version a release at that time is named by."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from fanloop.core.errors import Invalid

# A version is a path segment of the changelog's URLs: these characters need no escaping.
VERSION_PATTERN = re.compile(r"[A-Za-z0-9._+-]+")
WEEKDAYS = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")


def parse_time_of_day(value: str) -> tuple[int, int]:
    """ "17:00" → (17, 0); a clear error for anything else."""
    try:
        hours, minutes = (int(part) for part in value.strip().split(":"))
    except ValueError:
        raise Invalid(f"Time of day {value!r} is not HH:MM.", field="time_of_day") from None
    if not (0 <= hours < 24 and 0 <= minutes < 60):
        raise Invalid(f"Time of day {value!r} is not HH:MM.", field="time_of_day")
    return hours, minutes


def zone(name: str) -> ZoneInfo:
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        raise Invalid(
            f"Unknown time zone {name!r}; use an IANA name such as Asia/Shanghai.", field="timezone"
        ) from None


def next_release_time(
    after: datetime,
    *,
    weekday: int,
    time_of_day: str,
    timezone: str,
    every_weeks: int = 1,
    last: datetime | None = None,
) -> datetime:
    """The first cadence time strictly after `after` (UTC). Given the `last` release's time, releases
    stay `every_weeks` apart: the next is at least that long after `last` (a release published early,
    on Tuesday, still leaves this Friday's slot to it and opens the next one a period later)."""
    hours, minutes = parse_time_of_day(time_of_day)
    local_zone = zone(timezone)
    if last is not None:
        after = max(after, last + timedelta(weeks=every_weeks) - timedelta(minutes=1))
    local = after.astimezone(local_zone)
    day = local.date() + timedelta(days=(weekday - local.weekday()) % 7)
    while True:
        candidate = datetime(day.year, day.month, day.day, hours, minutes, tzinfo=local_zone)
        if candidate > local:
            return candidate.astimezone(UTC)
        day += timedelta(days=7)


def version_for(moment: datetime, *, timezone: str, version_format: str) -> str:
    """The version naming a release at `moment`: its local date through `version_format`."""
    text = moment.astimezone(zone(timezone)).strftime(version_format).strip()
    # Whatever the pattern makes (spaces, slashes, letters of another script) becomes a plain name.
    text = re.sub(r"[^A-Za-z0-9._+-]+", "-", text).strip("-")
    if not text:
        raise Invalid("The version format gives an empty version.", field="version_format")
    return text[:40]
