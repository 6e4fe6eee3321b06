"""Is the service open? Pure functions over the schedule, plus a cached loader."""

from __future__ import annotations

import time as _time
from dataclasses import dataclass
from datetime import date, datetime, time
from zoneinfo import ZoneInfo

from channels.db import database_sync_to_async

STOCKHOLM = ZoneInfo("Europe/Stockholm")


@dataclass(frozen=True)
class Period:
    opens: time
    closes: time


@dataclass(frozen=True)
class Schedule:
    weekly: dict[int, tuple[Period, ...]]  # weekday (0 = Monday) -> open periods
    exceptions: dict[date, tuple[Period, ...]]  # a date -> its periods (empty: closed)

    def periods_on(self, day: date) -> tuple[Period, ...]:
        if day in self.exceptions:
            return self.exceptions[day]
        return self.weekly.get(day.weekday(), ())

    def is_open(self, at: datetime) -> bool:
        local = at.astimezone(STOCKHOLM)
        return any(p.opens <= local.time() < p.closes for p in self.periods_on(local.date()))


def load_schedule() -> Schedule:
    from contacts.models import OpeningException, OpeningHours

    weekly: dict[int, list[Period]] = {}
    for row in OpeningHours.objects.all():
        weekly.setdefault(row.weekday, []).append(Period(row.opens, row.closes))
    exceptions: dict[date, tuple[Period, ...]] = {}
    for ex in OpeningException.objects.all():
        if ex.closed or not (ex.opens and ex.closes):
            exceptions[ex.date] = ()
        else:
            exceptions[ex.date] = (Period(ex.opens, ex.closes),)
    return Schedule({k: tuple(v) for k, v in weekly.items()}, exceptions)


_cache: tuple[float, Schedule] | None = None
CACHE_SECONDS = 30.0


def invalidate() -> None:
    global _cache
    _cache = None


async def current_schedule() -> Schedule:
    """The schedule, re-read at most every 30 s so that admin edits apply soon without a
    database query on every visitor connect."""
    global _cache
    now = _time.monotonic()
    if _cache is None or now - _cache[0] > CACHE_SECONDS:
        _cache = (now, await database_sync_to_async(load_schedule)())
    return _cache[1]
