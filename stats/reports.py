"""Reports for the partners: sums of daily counters over a period, every table passed
through small-number suppression before it leaves the service."""

from __future__ import annotations

import hashlib
from collections import defaultdict
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

from django.conf import settings
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy as _lazy

from stats import vocab
from stats.counters import WAIT_BANDS
from stats.models import DailyCount, PartnerToken
from stats.suppression import suppress

CONVERSATION_BANDS = ("0-5m", "5-15m", "15-30m", "30-60m", "60m+")
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


def _sums(start: date, end: date) -> dict[tuple[str, str, str], int]:
    sums: dict[tuple[str, str, str], int] = defaultdict(int)
    for row in DailyCount.objects.filter(day__range=(start, end)).values_list("metric", "dimension", "value", "count"):
        sums[(row[0], row[1], row[2])] += row[3]
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
    if total is not None and total > sum(values.values()):
        # Optional fields: whatever was not stated is a cell of its own, so the cells add
        # up to the published total and suppression accounts for it.
        values[NOT_STATED] = total - sum(values.values())
        labels = {**labels, NOT_STATED: remainder or _("Not stated")}
    table = suppress(values, k_threshold())
    rows = [(code, labels.get(code, code), table.cells[code]) for code in values]
    return ReportTable(key, title, rows, table.total)


def build(start: date, end: date) -> dict[str, Any]:
    s = _sums(start, end)

    def dim(metric: str, dimension: str, codes: list[tuple[str, Any]]) -> dict[str, int]:
        return {code: s.get((metric, dimension, code), 0) for code, _label in codes}

    def labels(codes: list[tuple[str, Any]]) -> dict[str, str]:
        return {code: str(label) for code, label in codes}

    channels = [("chat", _("Chat")), ("phone", _("Phone"))]
    languages = [(code, name) for code, name in settings.CONTACT_LANGUAGES]
    kinds = [*vocab.KINDS, ("unknown", _("Not said"))]
    contacts_total = s.get(("contacts", "", ""), 0)
    answered = s.get(("contacts.answered", "", ""), 0)
    left = s.get(("contacts.left_before_answer", "", ""), 0)
    not_taken = {
        "out_of_hours": s.get(("contacts.out_of_hours", "", ""), 0),
        "nobody_on_duty": s.get(("contacts.nobody_on_duty", "", ""), 0),
        "paused": s.get(("contacts.turned_away", "reason", "paused"), 0),
        "full": s.get(("contacts.turned_away", "reason", "full"), 0),
        "blocked": s.get(("contacts.turned_away", "reason", "blocked"), 0),
    }
    by_channel = _table("channel", _("Contacts by channel"), dim("contacts", "channel", channels), labels(channels))
    tables = [
        by_channel,
        _table(
            "outcome",
            _("Answered or not"),
            {"answered": answered, "left": left},
            {"answered": _("Answered"), "left": _("Left before an answer")},
            total=contacts_total,
            remainder=_("Still waiting or in conversation"),
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
            },
        ),
        _table("wait", _("Waiting time"), dim("wait", "band", [(b, b) for b in WAIT_BANDS]), {}),
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
    return {
        "start": start,
        "end": end,
        "k": k_threshold(),
        "tables": tables,
        "weekly": weekly_by_channel(start, end, channels, {code: v for code, _l, v in by_channel.rows}),
    }


def weekly_by_channel(
    start: date, end: date, channels: list[tuple[str, Any]], published: dict[str, int | str]
) -> dict[str, Any]:
    """Contacts per ISO week by channel. Each channel column is suppressed as its own
    table (its total is the channel's total for the period, published above); no row
    totals are published, so no week can be recomputed across channels. A channel whose
    period total is hidden gets a hidden column: its visible weeks would add up to it."""
    weeks: list[str] = []
    day = start - timedelta(days=start.weekday())
    while day <= end:
        iso = day.isocalendar()
        weeks.append(f"{iso.year}-W{iso.week:02d}")
        day += timedelta(days=7)
    counts: dict[tuple[str, str], int] = defaultdict(int)
    rows = DailyCount.objects.filter(day__range=(start, end), metric="contacts", dimension="channel").values_list(
        "day", "value", "count"
    )
    for day_, channel, n in rows:
        iso = day_.isocalendar()
        counts[(f"{iso.year}-W{iso.week:02d}", channel)] += n
    columns = {}
    for code, _label in channels:
        column = {w: counts.get((w, code), 0) for w in weeks}
        if isinstance(published.get(code), int):
            columns[code] = suppress(column, k_threshold()).cells
        else:
            columns[code] = {w: (0 if n == 0 else "–") for w, n in column.items()}
    cells = [[columns[code][w] for code, _label in channels] for w in weeks]
    return {
        "weeks": weeks,
        "channels": [(code, str(label)) for code, label in channels],
        "cells": cells,
        "rows": list(zip(weeks, cells, strict=True)),
    }


def as_json(report: dict[str, Any]) -> dict[str, Any]:
    return {
        "period": {"from": report["start"].isoformat(), "to": report["end"].isoformat()},
        "suppression": {"min_count": report["k"], "small": f"<{report['k']}", "secondary": "–"},
        "tables": {
            t.key: {"title": t.title, "total": t.total, "cells": {code: value for code, _label, value in t.rows}}
            for t in report["tables"]
        },
        "weekly_by_channel": {
            "weeks": report["weekly"]["weeks"],
            "channels": [code for code, _label in report["weekly"]["channels"]],
            "cells": report["weekly"]["cells"],
        },
    }
