from __future__ import annotations

import logging
import re
from datetime import date

from channels.db import database_sync_to_async
from django.db import connection
from django.utils import timezone

from chatservice import vocabulary
from stats import vocab

logger = logging.getLogger(__name__)

WAIT_BANDS = ("0-1m", "1-5m", "5-15m", "15-30m", "30m+")

# Every metric and the dimension values it may take. A value outside its vocabulary is
# refused, so free text (or anything identifying) can never become a counter.
METRICS: dict[str, dict[str, frozenset[str]]] = {
    "contacts": {
        "channel": frozenset(vocabulary.CHANNELS),
        "language": frozenset({"sv", "en", "ar", "fa", "so", "ti", "ku", "uk"}),
        "kind": frozenset({*vocabulary.VISITOR_KINDS, "unknown"}),
        "danger": frozenset({"yes", "no"}),
    },
    "contacts.answered": {"channel": frozenset({"chat", "phone"})},
    "contacts.left_before_answer": {"channel": frozenset({"chat", "phone"})},
    # Waited in the queue, then forwarded to another service by the centre's rules.
    "contacts.forwarded": {"channel": frozenset({"chat", "phone"})},
    "contacts.out_of_hours": {"channel": frozenset({"chat", "phone"})},
    "contacts.nobody_on_duty": {"channel": frozenset({"chat", "phone"})},
    "contacts.turned_away": {
        "channel": frozenset({"chat", "phone"}),
        "reason": frozenset({"paused", "full", "blocked", "too_many"}),
    },
    "wait": {"band": frozenset(WAIT_BANDS)},
    # Silence in an answered chat: a counsellor asked "are you still there?" (prompted),
    # or the visitor's connection was gone past the grace and the chat ended (left).
    "idle": {"event": frozenset({"prompted", "left"})},
    "conversation": {"band": frozenset(vocabulary.CONVERSATION_BANDS)},
    # The counsellor's optional wrap-up. Each field is its own one-dimensional count: a
    # combination (say age band with municipality) could single a person out.
    "wrapup": {
        "kind": vocab.codes(vocab.KINDS),
        "age": vocab.codes(vocab.AGE_BANDS),
        "municipality": vocab.codes(vocab.MUNICIPALITIES),
    },
    "wrapup.topic": {"topic": vocab.codes(vocab.TOPICS)},
    # The visitor's optional one question after the chat: did it help?
    "feedback": {"answer": frozenset(vocabulary.FEEDBACK_ANSWERS)},
}


def band(seconds: float, edges: list[tuple[float, str]], last: str) -> str:
    for limit, name in edges:
        if seconds < limit:
            return name
    return last


def wait_band(seconds: float) -> str:
    return band(seconds, [(60, "0-1m"), (300, "1-5m"), (900, "5-15m"), (1800, "15-30m")], "30m+")


def conversation_band(seconds: float) -> str:
    return band(seconds, [(300, "0-5m"), (900, "5-15m"), (1800, "15-30m"), (3600, "30-60m")], "60m+")


CENTRE = re.compile(r"^[a-z0-9_-]{0,40}$")  # a centre's live slug ("" the default centre)


def count(metric: str, n: int = 1, *, centre: str = "", **dimensions: str) -> None:
    """Add ``n`` to today's count of ``metric`` at ``centre``, once per dimension given
    (each counted on its own: no combination of dimensions is ever stored)."""
    from stats.models import DailyCount

    allowed = METRICS.get(metric)
    if allowed is None:
        raise ValueError(f"unknown metric {metric!r}")
    if not CENTRE.match(centre):
        raise ValueError("a centre is counted by its address only")
    pairs = [("", "")]
    for dim, value in dimensions.items():
        if dim not in allowed or value not in allowed[dim]:
            raise ValueError(f"{metric}: {dim} is not a counted dimension or has an unknown value")
        pairs.append((dim, value))
    day = timezone.localdate()
    table = DailyCount._meta.db_table
    # One statement for all of them, and for a row that is not there yet as for one that
    # is: INSERT ... ON CONFLICT DO UPDATE (PostgreSQL, and SQLite since 3.24). It was an
    # UPDATE per dimension, then an INSERT in a savepoint for each row new that day,
    # all on the one thread every process's database calls share; with twenty centres
    # there are twenty times as many rows new each morning.
    values = ", ".join(["(%s, %s, %s, %s, %s, %s)"] * len(pairs))
    params: list[date | str | int] = []
    for dim, value in pairs:
        params += [day, metric, dim, value, centre, n]
    sql = (
        f"INSERT INTO {table} (day, metric, dimension, value, centre, count) VALUES {values} "  # noqa: S608 - names are ours, values are parameters
        f"ON CONFLICT (day, metric, dimension, value, centre) DO UPDATE SET count = {table}.count + excluded.count"
    )
    with connection.cursor() as cursor:
        cursor.execute(sql, params)


async def acount(metric: str, n: int = 1, *, centre: str = "", **dimensions: str) -> None:
    """``count`` from async code. A counter failure must never break a conversation."""
    try:
        await database_sync_to_async(count)(metric, n, centre=centre, **dimensions)
    except Exception:
        logger.exception("could not count %s", metric)
