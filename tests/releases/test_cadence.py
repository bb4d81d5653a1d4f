from __future__ import annotations

from datetime import UTC, datetime

import pytest

from fanloop.core.errors import Invalid
from fanloop.releases import cadence

FRIDAY_5PM_BEIJING = {"weekday": 4, "time_of_day": "17:00", "timezone": "Asia/Shanghai"}


def test_the_next_release_is_friday_five_pm_in_beijing():
    tuesday = datetime(2026, 3, 10, 13, 40, tzinfo=UTC)
    assert cadence.next_release_time(tuesday, **FRIDAY_5PM_BEIJING) == datetime(2026, 3, 13, 9, 0, tzinfo=UTC)


def test_at_the_release_time_the_next_one_is_a_week_later():
    at = datetime(2026, 3, 13, 9, 0, tzinfo=UTC)
    assert cadence.next_release_time(at, **FRIDAY_5PM_BEIJING) == datetime(2026, 3, 20, 9, 0, tzinfo=UTC)
    # Friday 17:30 in Beijing is still Friday 09:30 UTC: past the slot, so the next Friday.
    later = datetime(2026, 3, 13, 9, 30, tzinfo=UTC)
    assert cadence.next_release_time(later, **FRIDAY_5PM_BEIJING) == datetime(2026, 3, 20, 9, 0, tzinfo=UTC)


def test_local_time_holds_across_a_daylight_saving_change():
    cadence_berlin = {"weekday": 0, "time_of_day": "10:00", "timezone": "Europe/Berlin"}
    before = cadence.next_release_time(datetime(2026, 3, 20, tzinfo=UTC), **cadence_berlin)
    after = cadence.next_release_time(before, **cadence_berlin)
    assert (before.hour, after.hour) == (9, 8)  # 10:00 CET, then 10:00 CEST


def test_every_two_weeks_counts_from_the_last_release():
    last = datetime(2026, 3, 13, 9, 0, tzinfo=UTC)
    soon_after = datetime(2026, 3, 14, tzinfo=UTC)
    assert cadence.next_release_time(soon_after, **FRIDAY_5PM_BEIJING, every_weeks=2, last=last) == datetime(
        2026, 3, 27, 9, 0, tzinfo=UTC
    )


def test_the_version_is_the_local_date():
    # 20:00 UTC on the 12th is already the 13th in Beijing.
    moment = datetime(2026, 3, 12, 20, 0, tzinfo=UTC)
    assert cadence.version_for(moment, timezone="Asia/Shanghai", version_format="%Y.%m.%d") == "2026.03.13"
    assert cadence.version_for(moment, timezone="UTC", version_format="%y.%-m.%-d") == "26.3.12"


@pytest.mark.parametrize("value", ["5pm", "25:00", "17:60", ""])
def test_a_bad_time_of_day_is_refused(value):
    with pytest.raises(Invalid, match="HH:MM"):
        cadence.parse_time_of_day(value)


def test_an_unknown_zone_is_refused():
    with pytest.raises(Invalid, match="time zone"):
        cadence.zone("Mars/Olympus")
