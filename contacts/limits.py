"""Flood limits that keep one source from slowing everyone else down.

Client addresses are never kept: a source is known only by a keyed hash of its address
(HMAC with STATE_KEY), per process in memory for connection counts, and in the store
with a TTL when a counsellor blocks it. See docs/configuration.md for the limits.
"""

from __future__ import annotations

import hashlib
import hmac
import threading
import time
from collections import defaultdict
from typing import Any

from django.conf import settings


def source_of(scope: dict[str, Any]) -> str:
    """A keyed hash of the connecting address ("" if unknown); the address is dropped."""
    client = scope.get("client") or ("", 0)
    address = str(client[0] or "")
    if not address:
        return ""
    return hmac.new(settings.STATE_KEY.encode(), b"source:" + address.encode(), hashlib.sha256).hexdigest()[:32]


class ConnectionCounter:
    """Open sockets per source in this process (a school's shared address needs room)."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._open: dict[str, int] = defaultdict(int)

    def acquire(self, source: str) -> bool:
        if not source:
            return True
        with self._lock:
            if self._open[source] >= int(settings.CHAT["CONNECTIONS_PER_SOURCE"]):
                return False
            self._open[source] += 1
            return True

    def release(self, source: str) -> None:
        if not source:
            return
        with self._lock:
            self._open[source] -= 1
            if self._open[source] <= 0:
                del self._open[source]


connections = ConnectionCounter()


class Bucket:
    """Frames per second for one socket: a token bucket with a small burst."""

    def __init__(self) -> None:
        self.rate = float(settings.CHAT["FRAMES_PER_SECOND"])
        self.capacity = self.rate * 3
        self.tokens = self.capacity
        self.stamp = time.monotonic()
        self.refused = 0  # refusals in the current ten-second window
        self.window = self.stamp

    def take(self) -> bool:
        now = time.monotonic()
        self.tokens = min(self.capacity, self.tokens + (now - self.stamp) * self.rate)
        self.stamp = now
        if now - self.window > 10:
            self.window, self.refused = now, 0
        if self.tokens >= 1:
            self.tokens -= 1
            return True
        self.refused += 1
        return False
