from __future__ import annotations

import logging
import re

from channels.db import database_sync_to_async
from django.db import IntegrityError, transaction
from django.db.models import F
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
    # One transaction for all of them: one commit (one WAL flush, or one fsync on
    # SQLite) instead of one per dimension. Counting a new contact was five commits,
    # all on the one thread every process's database calls share.
    with transaction.atomic():
        for dim, value in pairs:
            row = DailyCount.objects.filter(day=day, metric=metric, dimension=dim, value=value, centre=centre)
            if row.update(count=F("count") + n):
                continue
            try:
                with transaction.atomic():
                    DailyCount.objects.create(
                        day=day, metric=metric, dimension=dim, value=value, centre=centre, count=n
                    )
            except IntegrityError:
                # Another process created the row first: add to it instead.
                row.update(count=F("count") + n)


async def acount(metric: str, n: int = 1, *, centre: str = "", **dimensions: str) -> None:
    """``count`` from async code. A counter failure must never break a conversation."""
    try:
        await database_sync_to_async(count)(metric, n, centre=centre, **dimensions)
    except Exception:
        logger.exception("could not count %s", metric)
