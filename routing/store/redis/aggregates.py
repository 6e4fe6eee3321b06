"""The mean handling time and the dashboard chart: figures, never a contact."""

from __future__ import annotations

from routing.store.base import HANDLE_EMA_WEIGHT, SAMPLE_MINUTES, AggregateStore
from routing.store.redis.connection import RedisConnection


class RedisAggregates(RedisConnection, AggregateStore):
    async def record_handle_time(self, seconds: float) -> None:
        await self._run("handle", repr(float(seconds)), HANDLE_EMA_WEIGHT)

    async def mean_handle_time(self, default: float) -> float:
        mean = await self.redis.hget(self._key("agg"), "mean")
        return default if mean is None else float(mean)

    async def record_sample(self, minute: int, waiting: int, available: int) -> None:
        await self._run("sample", minute, f"{waiting},{available}", minute - SAMPLE_MINUTES)

    async def samples(self, since_minute: int) -> list[tuple[int, int, int]]:
        raw = await self.redis.hgetall(self._key("samples"))
        out = []
        for minute, value in raw.items():
            if int(minute) >= since_minute:
                waiting, available = value.split(",")
                out.append((int(minute), int(waiting), int(available)))
        return sorted(out)
