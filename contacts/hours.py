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


def default_line_id() -> int | None:
    """The default centre's web line (centres/models.py), or None before there is one."""
    from centres.models import Line

    return Line.objects.filter(centre__default=True, kind="web").values_list("pk", flat=True).first()


def load_schedule(line_id: int | None = None) -> Schedule:
    """The schedule of one line (default: the default centre's web line). Rows without a
    line (made before there were centres, or by a test) count as the default line's."""
    from django.db.models import Q

    from contacts.models import OpeningException, OpeningHours

    default = default_line_id()
    line_id = default if line_id is None else line_id
    mine = Q(line_id=line_id) | Q(line__isnull=True) if line_id == default else Q(line_id=line_id)
    weekly: dict[int, list[Period]] = {}
    for row in OpeningHours.objects.filter(mine):
        weekly.setdefault(row.weekday, []).append(Period(row.opens, row.closes))
    exceptions: dict[date, tuple[Period, ...]] = {}
    for ex in OpeningException.objects.filter(mine):
        if ex.closed or not (ex.opens and ex.closes):
            exceptions[ex.date] = ()
        else:
            exceptions[ex.date] = (Period(ex.opens, ex.closes),)
    return Schedule({k: tuple(v) for k, v in weekly.items()}, exceptions)


_cache: dict[int | None, tuple[float, Schedule]] = {}
CACHE_SECONDS = 30.0


def invalidate() -> None:
    from centres import directory

    _cache.clear()
    # The centres' snapshot says which line's hours apply: one without the other could
    # read the hours of a line that is gone.
    directory.invalidate()


async def current_schedule(line_id: int | None = None) -> Schedule:
    """A line's schedule, re-read at most every 30 s so that admin edits apply soon
    without a database query on every visitor connect."""
    now = _time.monotonic()
    cached = _cache.get(line_id)
    if cached is None or now - cached[0] > CACHE_SECONDS:
        cached = _cache[line_id] = (now, await database_sync_to_async(load_schedule)(line_id))
    return cached[1]
