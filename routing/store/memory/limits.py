"""Blocked sources and the count of starts per source."""

from __future__ import annotations

import time

from routing.store.base import LimitStore
from routing.store.memory.state import MemoryState


class MemoryLimits(MemoryState, LimitStore):
    async def block_source(self, source: str, seconds: int, by: str = "") -> None:
        with self._lock:
            self._blocked[source] = (time.time() + seconds, by)

    async def is_blocked(self, source: str) -> bool:
        with self._lock:
            return self._blocked.get(source, (0.0, ""))[0] > time.time()

    async def blocks(self) -> list[tuple[str, float, str]]:
        with self._lock:
            now = time.time()
            return sorted(
                ((s, until, by) for s, (until, by) in self._blocked.items() if until > now), key=lambda b: b[1]
            )

    async def lift_block(self, source: str) -> bool:
        with self._lock:
            found = self._blocked.pop(source, None)
            return found is not None and found[0] > time.time()

    async def take_start(self, source: str, limit: int, window: int) -> bool:
        with self._lock:
            now = time.time()
            ends, n = self._starts.get(source, (0.0, 0))
            if ends <= now:
                ends, n = now + window, 0
            self._starts[source] = (ends, n + 1)
            return n + 1 <= limit
