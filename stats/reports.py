"""Reports for the partners: sums of daily counters over a period, every table passed
through small-number suppression before it leaves the service."""

from __future__ import annotations

import calendar
import hashlib
from collections import defaultdict
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

from django.conf import settings
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy as _lazy

from chatservice import vocabulary
from stats import vocab
from stats.counters import WAIT_BANDS
from stats.models import DailyCount, PartnerToken
from stats.suppression import HIDDEN, Table, combine, suppress

CONVERSATION_BANDS = vocabulary.CONVERSATION_BANDS
NOT_STATED = "not_stated"
FEEDBACK = [("yes", _lazy("Yes")), ("somewhat", _lazy("A little")), ("no", _lazy("No"))]


@dataclass
class ReportTable:
    key: str
    title: str
    rows: list[tuple[str, str, int | str]]  # (code, label, value)
    total: int | str


def k_threshold() -> int:
    return int(settings.CHAT["STATS_MIN_COUNT"])


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def partner_for(token: str) -> PartnerToken | None:
    return PartnerToken.objects.filter(token_hash=token_hash(token), active=True).first()


def month_span(first: date) -> tuple[date, date]:
    """The first and last day of the month that starts on ``first``."""
    return first, first.replace(day=calendar.monthrange(first.year, first.month)[1])


def months_in(start: date, end: date) -> list[tuple[date, date]]:
    """The whole months from ``start`` (a first of a month) to ``end`` (a last day)."""
    if start.day != 1 or end != month_span(end.replace(day=1))[1] or end < start:
        raise ValueError("a report covers whole months")
    months: list[tuple[date, date]] = []
    index = start.year * 12 + start.month - 1
    while True:
        first = date(index // 12, index % 12 + 1, 1)
        if first > end:
            return months
        months.append(month_span(first))
        index += 1


def _sums_by_month(start: date, end: date, centre: str) -> dict[date, dict[tuple[str, str, str], int]]:
    sums: dict[date, dict[tuple[str, str, str], int]] = defaultdict(lambda: defaultdict(int))
    rows = DailyCount.objects.filter(day__range=(start, end), centre=centre).values_list(
        "day", "metric", "dimension", "value", "count"
    )
    for day, metric, dimension, value, n in rows:
        sums[day.replace(day=1)][(metric, dimension, value)] += n
    return sums


def _table(
    key: str,
    title: str,
    cells: dict[str, int],
    labels: dict[str, str],
    total: int | None = None,
    remainder: str = "",
) -> ReportTable:
    values = dict(cells)
    if total is not None:
        # Optional fields: whatever was not stated is a cell of its own, so the cells add
        # up to the published total and suppression accounts for it. Always present, so
        # every month's table has the same cells (a quarter is built from its months).
        values[NOT_STATED] = max(0, total - sum(values.values()))
        labels = {**labels, NOT_STATED: remainder or _("Not stated")}
    table = suppress(values, k_threshold())
    rows = [(code, labels.get(code, code), table.cells[code]) for code in values]
    return ReportTable(key, title, rows, table.total)


def _channels() -> list[tuple[str, str]]:
    return [("chat", _("Chat")), ("phone", _("Phone"))]


def month_tables(s: dict[tuple[str, str, str], int]) -> list[ReportTable]:
    """Every table of one month's report, each suppressed on its own."""

    def dim(metric: str, dimension: str, codes: list[tuple[str, Any]]) -> dict[str, int]:
        return {code: s.get((metric, dimension, code), 0) for code, _label in codes}

    def labels(codes: list[tuple[str, Any]]) -> dict[str, str]:
        return {code: str(label) for code, label in codes}

    channels = _channels()
    languages = [(code, name) for code, name in settings.CONTACT_LANGUAGES]
    kinds = [*vocab.KINDS, ("unknown", _("Not said"))]
    contacts_total = s.get(("contacts", "", ""), 0)
    answered = s.get(("contacts.answered", "", ""), 0)
    left = s.get(("contacts.left_before_answer", "", ""), 0)
    forwarded = s.get(("contacts.forwarded", "", ""), 0)
    not_taken = {
        "out_of_hours": s.get(("contacts.out_of_hours", "", ""), 0),
        "nobody_on_duty": s.get(("contacts.nobody_on_duty", "", ""), 0),
        "paused": s.get(("contacts.turned_away", "reason", "paused"), 0),
        "full": s.get(("contacts.turned_away", "reason", "full"), 0),
        "blocked": s.get(("contacts.turned_away", "reason", "blocked"), 0),
        "too_many": s.get(("contacts.turned_away", "reason", "too_many"), 0),
    }
    return [
        _table("channel", _("Contacts by channel"), dim("contacts", "channel", channels), labels(channels)),
        _table(
            "outcome",
            _("Answered or not"),
            {"answered": answered, "left": left, "forwarded": forwarded},
            {
                "answered": _("Answered"),
                "left": _("Left before an answer"),
                "forwarded": _("Forwarded to another service while waiting"),
            },
            total=contacts_total,
            # A report covers only months that have ended: what is left are contacts
            # answered, or gone, only after the month's last midnight.
            remainder=_("Still waiting when the period ended"),
        ),
        _table(
            "not_taken",
            _("Attempts that could not join the queue"),
            not_taken,
            {
                "out_of_hours": _("Out of hours"),
                "nobody_on_duty": _("Nobody on duty"),
                "paused": _("Intake paused"),
                "full": _("Queue full"),
                "blocked": _("Blocked after abuse"),
                "too_many": _("Too many starts from one connection"),
            },
        ),
        _table("wait", _("Waiting time"), dim("wait", "band", [(b, b) for b in WAIT_BANDS]), {}),
        _table(
            "idle",
            _("Silence in answered chats"),
            {"prompted": s.get(("idle", "event", "prompted"), 0), "left": s.get(("idle", "event", "left"), 0)},
            {
                "prompted": _("Counsellor asked whether the visitor was still there"),
                "left": _("Visitor's connection gone past the grace: counted as left"),
            },
        ),
        _table(
            "length",
            _("Length of conversation"),
            dim("conversation", "band", [(b, b) for b in CONVERSATION_BANDS]),
            {},
        ),
        _table("language", _("Language"), dim("contacts", "language", languages), labels(languages)),
        _table("kind", _("Who contacted us (visitor's own choice)"), dim("contacts", "kind", kinds), labels(kinds)),
        _table(
            "wrapup_kind",
            _("Kind of contact (counsellor's wrap-up)"),
            dim("wrapup", "kind", vocab.KINDS),
            labels(vocab.KINDS),
            total=s.get(("wrapup", "", ""), 0),
        ),
        _table(
            "age",
            _("Age band"),
            dim("wrapup", "age", vocab.AGE_BANDS),
            labels(vocab.AGE_BANDS),
            total=s.get(("wrapup", "", ""), 0),
        ),
        _table(
            "municipality",
            _("Municipality"),
            dim("wrapup", "municipality", vocab.MUNICIPALITIES),
            labels(vocab.MUNICIPALITIES),
            total=s.get(("wrapup", "", ""), 0),
        ),
        _table(
            "topics",
            _("Topics (several per contact)"),
            dim("wrapup.topic", "topic", vocab.TOPICS),
            labels(vocab.TOPICS),
        ),
        _table(
            "feedback",
            _("Did the chat help? (visitors' optional answer)"),
            dim("feedback", "answer", FEEDBACK),
            labels(FEEDBACK),
        ),
    ]


def combined_tables(months: list[list[ReportTable]]) -> list[ReportTable]:
    """A quarter's or a year's tables, consistent with its months' (suppression.combine)."""
    out = []
    for i, first in enumerate(months[0]):
        parts = [Table({code: v for code, _l, v in tables[i].rows}, tables[i].total) for tables in months]
        table = combine(parts)
        out.append(
            ReportTable(
                first.key, first.title, [(c, label, table.cells[c]) for c, label, _v in first.rows], table.total
            )
        )
    return out


def counted_centres() -> list[str]:
    """Every centre with counts, and the default centre ("") always."""
    return sorted(set(DailyCount.objects.values_list("centre", flat=True).distinct()) | {""})


def build(start: date, end: date, centre: str | None = None) -> dict[str, Any]:
    """The report for whole months ``start``..``end`` at ``centre``, or for every centre
    together (None: the national roll-up).

    A centre's report: one month's tables as suppressed, or, for a quarter or a year,
    tables built only from what its months publish. The roll-up is built the same way
    from what each centre's report publishes (suppression.combine): a cell is a sum of
    the centres' published cells, hidden where any centre hides its part, so subtracting
    the other centres from a total gives back nothing a centre's report hides."""
    if centre is None:
        centres = counted_centres()
        if len(centres) > 1:
            return roll_up([build(start, end, c) for c in centres])
        centre = centres[0]
    spans = months_in(start, end)
    sums = _sums_by_month(start, end, centre)
    months = [month_tables(sums.get(first, {})) for first, _last in spans]
    channels = _channels()
    if len(spans) == 1:
        tables = months[0]
        by_channel = {code: v for code, _l, v in tables[0].rows}
        series = weekly_by_channel(start, end, channels, by_channel, centre)
    else:
        tables = combined_tables(months)
        series = monthly_by_channel(spans, channels, months)
    return {"start": start, "end": end, "k": k_threshold(), "tables": tables, "series": series}


def _series(
    unit: str, labels: list[str], channels: list[tuple[str, str]], cells: list[list[int | str]]
) -> dict[str, Any]:
    return {
        "unit": unit,
        "labels": labels,
        "channels": channels,
        "cells": cells,
        "rows": list(zip(labels, cells, strict=True)),
    }


def monthly_by_channel(
    spans: list[tuple[date, date]], channels: list[tuple[str, str]], months: list[list[ReportTable]]
) -> dict[str, Any]:
    """Contacts per month by channel, for a quarter or a year: each cell is the month's
    own published channel cell, so this table says nothing the month reports do not.
    (Weeks would straddle months and give a third way to cut the same days.)"""
    labels = [f"{first.year:04d}-{first.month:02d}" for first, _last in spans]
    cells = []
    for tables in months:
        published = {code: v for code, _l, v in tables[0].rows}
        cells.append([published[code] for code, _label in channels])
    return _series("month", labels, channels, cells)


def _week(day: date) -> str:
    iso = day.isocalendar()
    return f"{iso.year}-W{iso.week:02d}"


def roll_up(reports: list[dict[str, Any]]) -> dict[str, Any]:
    """Several centres' reports for one period as one: sums of what they publish."""
    first = reports[0]
    tables = combined_tables([r["tables"] for r in reports])

    def add(values: list[int | str]) -> int | str:
        numbers = [v for v in values if isinstance(v, int)]
        return sum(numbers) if len(numbers) == len(values) else HIDDEN

    cells = [
        [add([r["series"]["cells"][i][j] for r in reports]) for j in range(len(row))]
        for i, row in enumerate(first["series"]["cells"])
    ]
    series = _series(first["series"]["unit"], first["series"]["labels"], first["series"]["channels"], cells)
    return {**first, "tables": tables, "series": series}


def weekly_by_channel(
    start: date,
    end: date,
    channels: list[tuple[str, str]],
    published: dict[str, int | str],
    centre: str = "",
) -> dict[str, Any]:
    """Contacts per ISO week by channel, in a month's report: weeks are cut at the
    month's first and last day, so no block of days here appears in any other report.
    Each channel column is suppressed as its own table (its total is the channel's total
    for the month, published above); no row totals are published, so no week can be
    recomputed across channels. A channel whose month total is hidden gets a hidden
    column: its visible weeks would add up to it."""
    weeks: list[str] = []
    day = start
    while True:
        if not weeks or weeks[-1] != _week(day):
            weeks.append(_week(day))
        if day >= end:
            break
        day += timedelta(days=1)  # never past ``end``, so never past date.max
    counts: dict[tuple[str, str], int] = defaultdict(int)
    rows = DailyCount.objects.filter(
        day__range=(start, end), metric="contacts", dimension="channel", centre=centre
    ).values_list("day", "value", "count")
    for day_, channel, n in rows:
        counts[(_week(day_), channel)] += n
    columns = {}
    for code, _label in channels:
        column = {w: counts.get((w, code), 0) for w in weeks}
        if isinstance(published.get(code), int):
            columns[code] = suppress(column, k_threshold()).cells
        else:
            columns[code] = {w: (0 if n == 0 else HIDDEN) for w, n in column.items()}
    cells = [[columns[code][w] for code, _label in channels] for w in weeks]
    return _series("week", weeks, channels, cells)


def as_json(report: dict[str, Any]) -> dict[str, Any]:
    return {
        "period": {"from": report["start"].isoformat(), "to": report["end"].isoformat()},
        "suppression": {"min_count": report["k"], "small": f"<{report['k']}", "secondary": "–"},
        "tables": {
            t.key: {"title": t.title, "total": t.total, "cells": {code: value for code, _label, value in t.rows}}
            for t in report["tables"]
        },
        **series_json(report["series"]),
    }


def series_json(series: dict[str, Any]) -> dict[str, Any]:
    """``weekly_by_channel`` (weeks cut at the month's edges) in a month's report,
    ``monthly_by_channel`` in a quarter's or a year's."""
    unit = series["unit"]
    return {
        f"{unit}ly_by_channel": {
            f"{unit}s": series["labels"],
            "channels": [code for code, _label in series["channels"]],
            "cells": series["cells"],
        }
    }
