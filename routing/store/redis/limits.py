"""Blocked sources and the count of starts per source."""

from __future__ import annotations

import time

from routing.store.base import LimitStore
from routing.store.redis.connection import RedisConnection


class RedisLimits(RedisConnection, LimitStore):
    async def block_source(self, source: str, seconds: int, by: str = "") -> None:
        await self._run("block", source, int(seconds), repr(time.time() + seconds), by)

    async def is_blocked(self, source: str) -> bool:
        return bool(await self.redis.exists(self._key("blocked", source)))

    async def blocks(self) -> list[tuple[str, float, str]]:
        key = self._key("blocks")
        await self.redis.zremrangebyscore(key, "-inf", time.time())
        found = await self.redis.zrange(key, 0, -1, withscores=True)
        if not found:
            return []
        names = await self.redis.mget([self._key("blocked", source) for source, _until in found])
        # A name gone with its key means the block just ended: not in force any more.
        return [(source, float(until), by) for (source, until), by in zip(found, names, strict=True) if by is not None]

    async def lift_block(self, source: str) -> bool:
        removed = await self.redis.delete(self._key("blocked", source))
        await self.redis.zrem(self._key("blocks"), source)
        return bool(removed)

    async def take_start(self, source: str, limit: int, window: int) -> bool:
        return bool(await self._run("start", source, limit, window))
