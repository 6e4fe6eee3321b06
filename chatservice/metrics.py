"""Prometheus metrics: aggregate gauges and counters for operations, never a contact.

Off unless METRICS_TOKEN is set. Every label comes from a closed vocabulary (channel,
sender, counsellor state, error code, socket kind), so no series can ever name or single
out a person. The gauges are read from the shared live state at scrape time and are the
same on every process; the counters and the socket gauge belong to the process scraped,
so Prometheus scrapes each daphne directly (docs/deployment.md) and nginx refuses
/metrics from outside.
"""

from __future__ import annotations

import hmac

from django.conf import settings
from django.http import HttpRequest, HttpResponse, HttpResponseNotFound
from prometheus_client import CONTENT_TYPE_LATEST, REGISTRY, Counter, Gauge, generate_latest

ERROR_CODES = frozenset(
    {
        "already_started",
        "bad_field",
        "bad_frame",
        "bad_json",
        "empty",
        "not_available",
        "not_in_conversation",
        "not_now",
        "not_started",
        "not_yours",
        "rate_limited",
        "text_only",
        "too_large",
        "too_long",
        "unknown_type",
    }
)
CHANNELS = ("chat", "phone")
STATES = ("available", "busy", "away", "break", "off")

MESSAGES = Counter("chat_messages_relayed", "Messages stored and relayed, by who wrote them", ["sender"])
FRAME_ERRORS = Counter("chat_frame_errors", "Error frames sent back for bad input, by code", ["code"])
CONTACTS = Counter("chat_contacts_started", "Contacts that entered the queue", ["channel"])
TICK_FAILURES = Counter("chat_tick_failures", "Timer-loop rounds that failed (Redis unreachable)")
SOCKETS = Gauge("chat_sockets_open", "WebSockets open on this process", ["endpoint"])

WAITING = Gauge("chat_queue_waiting", "Contacts waiting in the queue", ["channel"])
LONGEST_WAIT = Gauge("chat_queue_longest_wait_seconds", "How long the longest-waiting contact has waited")
OFFERS = Gauge("chat_offers_pending", "Offers made and not yet accepted")
CONVERSATIONS = Gauge("chat_conversations_active", "Conversations going on")
COUNSELLORS = Gauge("chat_counsellors", "Counsellors by state (busy: available at capacity)", ["state"])
STORE_UP = Gauge("chat_state_store_up", "1 if the live-state store answered this scrape")


def frame_error(code: str) -> None:
    FRAME_ERRORS.labels(code if code in ERROR_CODES else "other").inc()


def message(sender: str) -> None:
    MESSAGES.labels(sender if sender in ("visitor", "counsellor", "supervisor") else "other").inc()


def contact_started(channel: str) -> None:
    CONTACTS.labels(channel if channel in CHANNELS else "other").inc()


async def _refresh() -> None:
    from contacts.service import get_service

    try:
        figures = await get_service().dashboard_counts()
    except Exception:
        STORE_UP.set(0)
        return
    STORE_UP.set(1)
    for channel in CHANNELS:
        WAITING.labels(channel).set(figures["by_channel"].get(channel, 0))
    LONGEST_WAIT.set(figures["longest_wait"])
    OFFERS.set(figures["offers"])
    CONVERSATIONS.set(figures["conversations"])
    for state in STATES:
        COUNSELLORS.labels(state).set(figures["states"].get(state, 0))


def _authorised(request: HttpRequest) -> bool:
    given = request.headers.get("Authorization", "")
    expected = f"Bearer {settings.METRICS_TOKEN}"
    return hmac.compare_digest(given.encode(), expected.encode())


async def metrics(request: HttpRequest) -> HttpResponse:
    if not settings.METRICS_TOKEN:
        return HttpResponseNotFound()
    if not _authorised(request):
        return HttpResponse(status=401, headers={"WWW-Authenticate": "Bearer"})
    await _refresh()
    return HttpResponse(generate_latest(REGISTRY), content_type=CONTENT_TYPE_LATEST)
