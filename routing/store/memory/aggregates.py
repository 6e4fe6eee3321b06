"""The mean handling time and the dashboard chart: figures, never a contact."""

from __future__ import annotations

from routing.store.base import HANDLE_EMA_WEIGHT, SAMPLE_MINUTES, AggregateStore
from routing.store.memory.state import MemoryState


class MemoryAggregates(MemoryState, AggregateStore):
    async def record_handle_time(self, seconds: float) -> None:
        with self._lock:
            if self._handle_mean is None:
                self._handle_mean = seconds
            else:
                self._handle_mean += HANDLE_EMA_WEIGHT * (seconds - self._handle_mean)

    async def mean_handle_time(self, default: float) -> float:
        with self._lock:
            return default if self._handle_mean is None else self._handle_mean

    async def record_sample(self, minute: int, waiting: int, available: int) -> None:
        with self._lock:
            self._samples[minute] = (waiting, available)
            for old in [m for m in self._samples if m < minute - SAMPLE_MINUTES]:
                del self._samples[old]

    async def samples(self, since_minute: int) -> list[tuple[int, int, int]]:
        with self._lock:
            return [(m, w, a) for m, (w, a) in sorted(self._samples.items()) if m >= since_minute]
