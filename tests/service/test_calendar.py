"""Working-time arithmetic: periods, midnight, weekends, holidays, DST."""

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from fanloop.service.sla.calendar import CalendarError, WorkingCalendar, parse_calendar

SHANGHAI = ZoneInfo("Asia/Shanghai")
OFFICE = parse_calendar(
    "Asia/Shanghai",
    {day: [["09:00", "12:00"], ["13:00", "18:00"]] for day in ("mon", "tue", "wed", "thu", "fri")},
    ["2026-10-01", "2026-10-02"],
)


def local(*args, zone=SHANGHAI):
    return datetime(*args, tzinfo=zone)


def test_24x7_is_plain_addition():
    calendar = WorkingCalendar()
    start = datetime(2026, 3, 1, 23, 55, tzinfo=UTC)
    assert calendar.add(start, 15 * 60) == datetime(2026, 3, 2, 0, 10, tzinfo=UTC)
    assert calendar.working_seconds(start, start + timedelta(hours=2)) == 7200


def test_lunch_break_is_skipped():
    assert OFFICE.add(local(2026, 3, 10, 11, 50), 15 * 60) == local(2026, 3, 10, 13, 5)
    assert OFFICE.working_seconds(local(2026, 3, 10, 11, 50), local(2026, 3, 10, 13, 5)) == 900


def test_evening_post_is_due_next_working_morning():
    assert OFFICE.add(local(2026, 3, 10, 21, 40), 15 * 60) == local(2026, 3, 11, 9, 15)


def test_friday_evening_waits_for_monday():
    assert OFFICE.add(local(2026, 3, 13, 17, 55), 15 * 60) == local(2026, 3, 16, 9, 10)
    assert OFFICE.working_seconds(local(2026, 3, 13, 17, 55), local(2026, 3, 16, 9, 10)) == 900


def test_holidays_are_skipped():
    # 2026-09-30 is a Wednesday; 1-2 October are holidays, then the weekend.
    assert OFFICE.add(local(2026, 9, 30, 17, 50), 30 * 60) == local(2026, 10, 5, 9, 20)


def test_period_across_midnight():
    night = parse_calendar("Asia/Shanghai", {"mon": [["22:00", "02:00"]]}, [])
    assert night.add(local(2026, 3, 9, 23, 50), 30 * 60) == local(2026, 3, 10, 0, 20)
    # Tuesday 01:00 is still inside Monday's night shift.
    assert night.working_seconds(local(2026, 3, 10, 1, 0), local(2026, 3, 10, 3, 0)) == 3600


def test_full_day_and_24_00():
    calendar = parse_calendar("UTC", {"sat": [["00:00", "24:00"]]}, [])
    start = datetime(2026, 3, 14, 23, 0, tzinfo=UTC)  # a Saturday
    assert calendar.add(start, 3600) == datetime(2026, 3, 15, 0, 0, tzinfo=UTC)
    assert calendar.add(start, 7200) == datetime(2026, 3, 21, 1, 0, tzinfo=UTC)


def test_dst_spring_forward_counts_real_hours():
    berlin = ZoneInfo("Europe/Berlin")
    calendar = parse_calendar("Europe/Berlin", {"sun": [["00:00", "06:00"]]}, [])
    # 2026-03-29: clocks jump from 02:00 to 03:00, so the period holds 5 real hours.
    start = datetime(2026, 3, 29, 0, 0, tzinfo=berlin)
    assert calendar.working_seconds(start, datetime(2026, 3, 29, 6, 0, tzinfo=berlin)) == 5 * 3600
    assert calendar.add(start, 4 * 3600) == datetime(2026, 3, 29, 5, 0, tzinfo=berlin)


def test_dst_fall_back_counts_real_hours():
    new_york = ZoneInfo("America/New_York")
    calendar = parse_calendar("America/New_York", {"sun": [["00:00", "04:00"]]}, [])
    start = datetime(2026, 11, 1, 0, 0, tzinfo=new_york)  # 01:00-02:00 happens twice
    assert calendar.working_seconds(start, start + timedelta(hours=10)) == 5 * 3600


@pytest.mark.parametrize(
    "hours, holidays, message",
    [
        ({"funday": [["09:00", "10:00"]]}, [], "weekday"),
        ({"mon": [["9am", "10:00"]]}, [], "HH:MM"),
        ({"mon": [["09:00", "09:00"]]}, [], "empty"),
        ({"mon": [["09:00"]]}, [], "start, end"),
        ({}, ["01/10/2026"], "dates"),
    ],
)
def test_bad_calendar_settings_are_explained(hours, holidays, message):
    with pytest.raises(CalendarError, match=message):
        parse_calendar("UTC", hours, holidays)


def test_unknown_zone_is_refused():
    with pytest.raises(CalendarError, match="time zone"):
        WorkingCalendar(timezone="Mars/Olympus")
