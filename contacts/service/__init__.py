"""The one place that changes live state and tells the clients about it.

Consumers (and, later, the phone webhooks) are thin adapters: they parse a frame, check
who is asking, call a function here and shape the reply. Every function here makes one
atomic change in the store, then publishes events. Events are *nudges*: a consumer that
receives one re-reads the store, so an event lost by the channel layer (delivery is at
most once) loses nothing; the next nudge, a client's sync or its reconnect catches up.
"""

from __future__ import annotations

from contacts.service.core import Closed, ClosedReason, EndedBy, SharedRead, Started
from contacts.service.notes import Notes
from routing.store import get_store

__all__ = ["Closed", "ClosedReason", "EndedBy", "Service", "SharedRead", "Started", "get_service", "reset_service"]


class Service(Notes):
    """The whole service. Each job is one module of this package, and each builds on the
    ones before it (core, routing, intake, messages, ending, transfer, supervision, sweep, notes):
    a job may call the jobs below it, never above, which keeps the chain readable."""


_service: Service | None = None


def get_service() -> Service:
    global _service
    if _service is None:
        _service = Service(get_store())
    return _service


def reset_service() -> None:
    """Forget the process's service and store (tests switch backends between runs)."""
    global _service
    _service = None
    get_store.cache_clear()
