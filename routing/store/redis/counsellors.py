"""Counsellors on duty, and the sweep that repairs what expiry leaves behind."""

from __future__ import annotations

import time

from routing.state import Counsellor, CounsellorState
from routing.store.base import CounsellorStore
from routing.store.redis.codec import ALIAS_SEPARATOR, decode_counsellor, encode_nested, pairs
from routing.store.redis.connection import RedisConnection


class RedisCounsellors(RedisConnection, CounsellorStore):
    async def upsert_counsellor(self, counsellor: Counsellor) -> Counsellor:
        c = counsellor
        flat = await self._run(
            "upsert",
            c.id,
            c.name,
            ",".join(c.languages),
            ",".join(c.skills),
            c.capacity,
            c.state,
            ",".join(c.active),
            c.offers,
            repr(float(c.free_since)),
            repr(float(c.gone_at)),
            "1" if c.phone else "0",
            # Joined with "," and read back split, so the default centre ("") survives
            # beside others; a counsellor of the default centre only is written as "".
            ",".join(c.centres),
            # A pseudonym may hold a comma; the unit separator it cannot (staff.models).
            ALIAS_SEPARATOR.join(c.aliases),
            encode_nested(c.languages_at),
            encode_nested(c.skills_at),
            ",".join(str(n) for n in c.capacity_at),
        )
        return decode_counsellor({**pairs(flat), "id": str(c.id)})

    async def get_counsellor(self, counsellor_id: int) -> Counsellor | None:
        raw = await self.redis.hgetall(self._key("p", counsellor_id))
        return decode_counsellor({**raw, "id": str(counsellor_id)}) if raw else None

    async def counsellors(self) -> list[Counsellor]:
        uids = sorted(int(u) for u in await self.redis.smembers(self._key("ps")))
        if not uids:
            return []
        async with self.redis.pipeline(transaction=False) as pipe:
            for uid in uids:
                pipe.hgetall(self._key("p", uid))
            raws: list[dict[str, str]] = await pipe.execute()
        out, dangling = [], []
        for uid, raw in zip(uids, raws, strict=True):
            if raw:
                out.append(decode_counsellor({**raw, "id": str(uid)}))
            else:
                dangling.append(uid)
        if dangling:
            await self.redis.srem(self._key("ps"), *dangling)
        return out

    async def set_counsellor_state(self, counsellor_id: int, state: CounsellorState, now: float) -> Counsellor | None:
        flat = await self._run("state", counsellor_id, state, repr(float(now)))
        return decode_counsellor({**pairs(flat), "id": str(counsellor_id)}) if flat else None

    async def set_rest(self, counsellor_id: int, until: float) -> None:
        await self._run("rest", counsellor_id, repr(float(until)))

    async def set_counsellor_gone(self, counsellor_id: int, at: float) -> None:
        await self._run("counsellor_gone", counsellor_id, repr(float(at)))

    async def counsellors_gone_before(self, before: float) -> list[int]:
        uids = [int(u) for u in await self.redis.zrangebyscore(self._key("cgone"), "(0", before)]
        out = []
        for uid in uids:
            c = await self.get_counsellor(uid)
            if c is None:
                await self.redis.zrem(self._key("cgone"), uid)
            elif 0 < c.gone_at <= before:
                out.append(uid)
        return out

    async def remove_counsellor(self, counsellor_id: int) -> None:
        await self.redis.delete(self._key("p", counsellor_id))
        await self.redis.srem(self._key("ps"), counsellor_id)
        await self.redis.zrem(self._key("cgone"), counsellor_id)

    async def sweep(self) -> int:
        repaired = 0
        for uid in await self.redis.smembers(self._key("ps")):
            repaired += int(await self._run("prune", uid, repr(time.time())))
        await self.counsellors()  # drops ids of counsellors whose record expired
        return repaired
