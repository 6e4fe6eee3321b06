"""Is the service open? Pure functions over the schedule, plus a cached loader."""

from __future__ import annotations

import time as _time
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
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

    def accepting(self, at: datetime, closing_minutes: int = 0) -> bool:
        """Open now and still open ``closing_minutes`` from now: a line's closing-time
        rule stops new contacts that long before it closes (centres.Line)."""
        return self.is_open(at) and (not closing_minutes or self.is_open(at + timedelta(minutes=closing_minutes)))


def default_line_id() -> int | None:
    """The default centre's web line (centres/models.py), or None before there is one."""
    from centres.models import Line

    return Line.objects.filter(centre__default=True, kind="web").values_list("pk", flat=True).first()


def load_schedules() -> dict[int | None, Schedule]:
    """Every line's schedule, in two queries whatever the number of centres; ``None``
    is the default centre's web line. Rows without a line (made before there were
    centres, or by a test) count as the default line's."""
    from contacts.models import OpeningException, OpeningHours

    default = default_line_id()
    weekly: dict[int | None, dict[int, list[Period]]] = {None: {}}
    for row in OpeningHours.objects.all():
        line = row.line_id if row.line_id != default else None
        weekly.setdefault(line, {}).setdefault(row.weekday, []).append(Period(row.opens, row.closes))
    exceptions: dict[int | None, dict[date, tuple[Period, ...]]] = {None: {}}
    for ex in OpeningException.objects.all():
        line = ex.line_id if ex.line_id != default else None
        if ex.closed or not (ex.opens and ex.closes):
            exceptions.setdefault(line, {})[ex.date] = ()
        else:
            exceptions.setdefault(line, {})[ex.date] = (Period(ex.opens, ex.closes),)
    schedules = {
        line: Schedule({day: tuple(periods) for day, periods in weekly.get(line, {}).items()}, exceptions.get(line, {}))
        for line in set(weekly) | set(exceptions)
    }
    if default is not None:
        schedules[default] = schedules[None]
    return schedules


def load_schedule(line_id: int | None = None) -> Schedule:
    """The schedule of one line (default: the default centre's web line)."""
    return load_schedules().get(line_id, EMPTY)


EMPTY = Schedule({}, {})  # a line with no hours: closed
_cache: tuple[float, dict[int | None, Schedule]] | None = None
CACHE_SECONDS = 30.0


def invalidate() -> None:
    from centres import directory

    global _cache
    _cache = None
    # The centres' snapshot says which line's hours apply: one without the other could
    # read the hours of a line that is gone.
    directory.invalidate()


def closing_time(schedule: Schedule, at: datetime) -> str:
    """When the period open at ``at`` ends, as "HH:MM" in Stockholm ("" if closed),
    following a shift that starts as the last one ends."""
    local = at.astimezone(STOCKHOLM)
    periods = schedule.periods_on(local.date())
    end = next((p.closes for p in periods if p.opens <= local.time() < p.closes), None)
    if end is None:
        return ""
    while (later := next((p.closes for p in periods if p.opens == end and p.closes > end), None)) is not None:
        end = later
    return f"{end:%H:%M}"


async def current_schedule(line_id: int | None = None) -> Schedule:
    """A line's schedule. All lines are read at once, at most every 30 s, so that admin
    edits apply soon, no visitor connect waits for a query, and twenty centres cost what
    one does."""
    global _cache
    now = _time.monotonic()
    if _cache is None or now - _cache[0] > CACHE_SECONDS:
        _cache = (now, await database_sync_to_async(load_schedules)())
    return _cache[1].get(line_id, EMPTY)
