"""Emptying a store, for tests only.

Not part of ``Store``: production never deletes everything, and an operation that can
is safer where production code cannot reach it by accident.
"""

from __future__ import annotations

from routing.store.base import Store
from routing.store.memory import MemoryStore
from routing.store.redis import RedisStore


async def flush(store: Store) -> None:
    """Forget everything this store holds, so that the next test starts from nothing."""
    if isinstance(store, MemoryStore):
        with store._lock:
            store._forget_everything()
    elif isinstance(store, RedisStore):
        await _flush_redis(store)
    else:
        raise TypeError(f"no flush for {type(store).__name__}")


async def _flush_redis(store: RedisStore) -> None:
    batch: list[str] = []
    layer = f"{store.prefix}:layer"
    async for key in store.redis.scan_iter(match=f"{store.prefix}:*", count=500):
        if key.startswith(layer):
            continue  # the channel layer's, not ours: a test's layer outlives its store
        batch.append(key)
        if len(batch) >= 500:
            await store.redis.unlink(*batch)
            batch = []
    if batch:
        await store.redis.unlink(*batch)
