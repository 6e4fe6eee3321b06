"""How every Redis client of the service finds Redis: one address (REDIS_URL), or the
current master of a Sentinel-watched set (REDIS_SENTINELS), so that a failover moves the
live state, the channel layer and the cache together.

The store, both channel layers (channels-redis takes the same host dict) and Django's
cache all read ``host()``; with Sentinel, REDIS_URL still gives the user, password and
database, and its host part is ignored.
"""

from __future__ import annotations

import urllib.parse
from typing import Any, cast

import redis
import redis.asyncio as aioredis
import redis.asyncio.sentinel
import redis.sentinel
from django.core.exceptions import ImproperlyConfigured


def host_config(
    url: str, sentinels: list[str], master: str, sentinel_password: str, max_connections: int
) -> dict[str, Any]:
    """A channels-redis host entry (and what the store and the cache are built from)."""
    if not sentinels:
        return {"address": url, "max_connections": max_connections}
    parsed = urllib.parse.urlsplit(url)
    addresses = []
    for entry in sentinels:
        name, _, port = entry.rpartition(":")
        if not name or not port.isdigit():
            raise ImproperlyConfigured(f"REDIS_SENTINELS entry {entry!r} is not host:port")
        addresses.append((name, int(port)))
    config: dict[str, Any] = {
        "master_name": master,
        "sentinels": addresses,
        "sentinel_kwargs": {"password": sentinel_password} if sentinel_password else {},
        "db": int(parsed.path.strip("/") or 0),
        "max_connections": max_connections,
    }
    if parsed.username:
        config["username"] = urllib.parse.unquote(parsed.username)
    if parsed.password:
        config["password"] = urllib.parse.unquote(parsed.password)
    return config


def _client_options(config: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in config.items() if k not in {"address", "master_name", "sentinels", "sentinel_kwargs"}}


def async_pool(config: dict[str, Any], **options: Any) -> aioredis.ConnectionPool:
    """An asyncio pool for the live-state store."""
    if "address" in config:
        return aioredis.ConnectionPool.from_url(config["address"], **_client_options(config), **options)
    # redis-py's sentinel classes gained annotations in 8.2 and had none before: called
    # through Any, the types check the same with either (a type: ignore is unused in one).
    sentinel = cast(Any, redis.asyncio.sentinel.Sentinel)(
        config["sentinels"], sentinel_kwargs=config["sentinel_kwargs"]
    )
    pool: aioredis.ConnectionPool = cast(Any, redis.asyncio.sentinel.SentinelConnectionPool)(
        config["master_name"], sentinel, **_client_options(config), **options
    )
    return pool


class SentinelCachePool(redis.sentinel.SentinelConnectionPool):
    """Django's RedisCache builds its pool with ``pool_class.from_url(LOCATION, ...)``;
    with Sentinel there is no one URL, so this reads the settings' host instead."""

    @classmethod
    def from_url(cls, url: str, **options: Any) -> SentinelCachePool:
        from django.conf import settings

        config = settings.REDIS_HOST
        sentinel = cast(Any, redis.sentinel.Sentinel)(config["sentinels"], sentinel_kwargs=config["sentinel_kwargs"])
        return cls(config["master_name"], sentinel, **_client_options(config), **options)
