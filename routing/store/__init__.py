"""The live-state store: one interface, two backends (Redis and in-process).

Every operation that decides something (offer, accept, requeue, end) is a conditional
update that either applies completely or reports that the state had moved on, so any
number of server processes can run the same routing at once.
"""

from __future__ import annotations

from functools import lru_cache

from django.conf import settings

from routing.store.base import Store


@lru_cache(maxsize=1)
def get_store() -> Store:
    if settings.REDIS_URL:
        from routing.store.redis import RedisStore

        return RedisStore(
            settings.REDIS_URL,
            prefix=settings.REDIS_PREFIX,
            ttl=int(settings.CHAT["STATE_TTL_SECONDS"]),
            max_connections=settings.REDIS_MAX_CONNECTIONS,
            host=settings.REDIS_HOST,
        )
    from routing.store.memory import MemoryStore

    return MemoryStore(ttl=int(settings.CHAT["STATE_TTL_SECONDS"]))
