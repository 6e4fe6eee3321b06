"""Which server process holds which socket, so that the others notice a process
killed without warning."""

from __future__ import annotations

from routing.store.base import HeldKind, ProcessStore
from routing.store.redis.connection import RedisConnection


class RedisProcesses(RedisConnection, ProcessStore):
    async def hold(self, process: str, kind: HeldKind, member: str, held: bool, now: float) -> None:
        await self._run("hold", process, kind, member, "1" if held else "0", repr(float(now)))

    async def heartbeat(self, process: str, now: float) -> bool:
        return bool(await self._run("heartbeat", process, repr(float(now))))

    async def release_dead(self, before: float) -> tuple[list[str], list[int]]:
        visitors, counsellors = await self._run("release_dead", repr(float(before)))
        return list(visitors), [int(u) for u in counsellors]
