"""Opening hours in Europe/Stockholm, with dated exceptions."""

from __future__ import annotations

from datetime import UTC, date, datetime, time

from contacts.hours import Period, Schedule

WEEKDAYS: dict[int, tuple[Period, ...]] = {d: (Period(time(9), time(16)),) for d in range(5)}


def test_open_within_hours_in_stockholm_time() -> None:
    s = Schedule(WEEKDAYS, {})
    # Monday 2026-11-23 08:30 UTC is 09:30 in Stockholm (CET, UTC+1).
    assert s.is_open(datetime(2026, 11, 23, 8, 30, tzinfo=UTC))
    assert not s.is_open(datetime(2026, 11, 23, 7, 59, tzinfo=UTC))
    assert not s.is_open(datetime(2026, 11, 23, 15, 0, tzinfo=UTC))  # 16:00 local: closed


def test_summer_time_is_respected() -> None:
    # Monday 2026-06-15 07:30 UTC is 09:30 in Stockholm (CEST, UTC+2).
    assert Schedule(WEEKDAYS, {}).is_open(datetime(2026, 6, 15, 7, 30, tzinfo=UTC))


def test_weekend_and_holiday_closed_and_an_exception_can_open() -> None:
    holiday = date(2026, 12, 24)  # a Thursday
    s = Schedule(WEEKDAYS, {holiday: (), date(2026, 11, 28): (Period(time(10), time(12)),)})
    assert not s.is_open(datetime(2026, 12, 24, 10, 0, tzinfo=UTC))
    assert s.is_open(datetime(2026, 11, 28, 10, 0, tzinfo=UTC))  # a Saturday, opened specially
    assert not s.is_open(datetime(2026, 11, 29, 10, 0, tzinfo=UTC))
