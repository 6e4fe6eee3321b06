"""What every concern of the Redis store shares: the client per event loop, its
registered scripts, and key names.

The concerns are mixins over this one base, so that all of them run on the same
client and the same registered scripts, and ``RedisStore`` is one object as before.
"""

from __future__ import annotations

import asyncio
import weakref
from collections import OrderedDict
from typing import Any

import redis.asyncio as aioredis
from redis.commands.core import AsyncScript

from chatservice.redis_hosts import async_pool
from routing.state import Contact
from routing.store.redis.codec import decode_contact
from routing.store.redis.lua import SCRIPTS


class RedisConnection:
    def __init__(
        self, url: str, *, prefix: str, ttl: int, max_connections: int, host: dict[str, Any] | None = None
    ) -> None:
        self.url = url
        # How to reach Redis: REDIS_URL's address or a Sentinel set (chatservice/redis_hosts.py).
        self.host = host or {"address": url, "max_connections": max_connections}
        self.prefix = prefix
        self.ttl = ttl
        self.max_connections = max_connections
        # redis.asyncio connections belong to the event loop that made them: one client
        # per loop (daphne has one; tests and sync_to_async threads may have others).
        self._clients: weakref.WeakKeyDictionary[
            asyncio.AbstractEventLoop, tuple[aioredis.Redis, dict[str, AsyncScript]]
        ] = weakref.WeakKeyDictionary()
        # The last seq this process saw per conversation: append's first guess.
        self._seqs: OrderedDict[str, int] = OrderedDict()

    def _client(self) -> tuple[aioredis.Redis, dict[str, AsyncScript]]:
        loop = asyncio.get_running_loop()
        found = self._clients.get(loop)
        if found is None:
            pool = async_pool(self.host, decode_responses=True)
            client = aioredis.Redis.from_pool(pool)  # owns the pool: aclose() disconnects it
            scripts = {name: client.register_script(body) for name, body in SCRIPTS.items()}
            found = (client, scripts)
            self._clients[loop] = found
        return found

    @property
    def redis(self) -> Any:
        # Typed as Any: with decode_responses=True every reply is str, which redis-py's
        # bytes-or-str stubs cannot express.
        return self._client()[0]

    async def _run(self, name: str, *args: Any) -> Any:
        scripts = self._client()[1]
        return await scripts[name](keys=[], args=[self.prefix, self.ttl, *args])

    def _key(self, *parts: str | int) -> str:
        return ":".join([self.prefix, *map(str, parts)])

    async def _live_contacts(self, ids: list[str], index: str) -> list[Contact]:
        """The contacts behind index members; members whose hash expired are dropped."""
        if not ids:
            return []
        async with self.redis.pipeline(transaction=False) as pipe:
            for cid in ids:
                pipe.hgetall(self._key("c", cid))
            raws: list[dict[str, str]] = await pipe.execute()
        out, dangling = [], []
        for cid, raw in zip(ids, raws, strict=True):
            if raw:
                out.append(decode_contact(raw))
            else:
                dangling.append(cid)
        if dangling:
            await self.redis.zrem(self._key(index), *dangling)
        return out

    async def close(self) -> None:
        loop = asyncio.get_running_loop()
        found = self._clients.pop(loop, None)
        if found is not None:
            await found[0].aclose()
