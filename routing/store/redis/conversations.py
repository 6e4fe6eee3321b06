"""A conversation in progress: handing it on, supervision, the wrap-up, the visitor's
presence, and its end."""

from __future__ import annotations

import time

from routing.state import Contact
from routing.store.base import ConversationStore
from routing.store.redis.codec import decode_contact, pairs
from routing.store.redis.connection import RedisConnection


class RedisConversations(RedisConnection, ConversationStore):
    async def transfer(self, contact_id: str, from_id: int, to_id: int, now: float) -> bool:
        return bool(await self._run("transfer", contact_id, from_id, to_id, repr(float(now))))

    async def tell_once(self, contact_id: str, notice: str) -> bool:
        return bool(await self._run("tell_once", contact_id, notice))

    async def request_help(self, contact_id: str, counsellor_id: int) -> bool:
        return bool(await self._run("request_help", contact_id, counsellor_id, repr(time.time())))

    async def help_requests(self) -> list[Contact]:
        ids = await self.redis.zrange(self._key("help"), 0, -1)
        asking: list[Contact] = []
        answered: list[Contact] = []
        for c in await self._live_contacts(ids, "help"):
            (asking if c.help and c.state == "active" else answered).append(c)
        if answered:
            await self.redis.zrem(self._key("help"), *[c.id for c in answered])
        return asking

    async def join_supervisor(self, contact_id: str, supervisor_id: int) -> bool:
        return bool(await self._run("join_supervisor", contact_id, supervisor_id))

    async def leave_supervisor(self, contact_id: str, supervisor_id: int) -> bool:
        return bool(await self._run("leave_supervisor", contact_id, supervisor_id))

    async def open_wrapup(self, contact_id: str, counsellor_id: int) -> None:
        await self.redis.set(self._key("w", contact_id, counsellor_id), "1", ex=self.ttl)

    async def take_wrapup(self, contact_id: str, counsellor_id: int) -> bool:
        return bool(await self.redis.delete(self._key("w", contact_id, counsellor_id)))

    async def end(self, contact_id: str) -> Contact | None:
        self._seqs.pop(contact_id, None)
        flat = await self._run("end", contact_id, repr(time.time()))
        return decode_contact(pairs(flat)) if flat else None

    async def set_visitor_gone(self, contact_id: str, at: float) -> None:
        await self._run("visitor_gone", contact_id, repr(float(at)))

    async def visitors_gone_before(self, before: float) -> list[str]:
        ids = await self.redis.zrangebyscore(self._key("vgone"), "(0", before)
        return [c.id for c in await self._live_contacts(ids, "vgone") if 0 < c.visitor_gone_at <= before]
