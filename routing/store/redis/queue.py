"""The queue: a contact from its arrival until a counsellor accepts it."""

from __future__ import annotations

import time

from routing.policy import queue_score
from routing.state import Contact
from routing.store.base import QueueStore
from routing.store.redis.codec import decode_contact, encode_contact
from routing.store.redis.connection import RedisConnection


class RedisQueue(RedisConnection, QueueStore):
    async def add_contact(self, contact: Contact, token_hash: str) -> None:
        fields = encode_contact(contact)
        flat = [item for pair in fields.items() for item in pair]
        await self._run("add", contact.id, token_hash, queue_score(contact), *flat)

    async def get_contact(self, contact_id: str) -> Contact | None:
        raw = await self.redis.hgetall(self._key("c", contact_id))
        return decode_contact(raw) if raw else None

    async def contact_for_token(self, token_hash: str) -> str | None:
        found: str | None = await self.redis.get(self._key("tok", token_hash))
        return found

    async def queue(self) -> list[Contact]:
        ids = await self.redis.zrange(self._key("q"), 0, -1)
        return [c for c in await self._live_contacts(ids, "q") if c.state in ("queued", "offered")]

    async def position(self, contact_id: str) -> int | None:
        # ZRANK, not a walk of the whole queue: every waiting visitor asks whenever the
        # queue moves, so this must stay O(log n). An expired member ahead may count for
        # a moment, until the next full read of the queue drops it.
        rank = await self.redis.zrank(self._key("q"), contact_id)
        return None if rank is None else int(rank) + 1

    async def offer(self, contact_id: str, counsellor_id: int, expires_at: float) -> bool:
        return bool(await self._run("offer", contact_id, counsellor_id, repr(float(expires_at))))

    async def withdraw_offer(self, contact_id: str, counsellor_id: int, *, away: bool) -> bool:
        return bool(await self._run("withdraw", contact_id, counsellor_id, "1" if away else "0"))

    async def accept(self, contact_id: str, counsellor_id: int, now: float) -> bool:
        return bool(await self._run("accept", contact_id, counsellor_id, repr(float(now))))

    async def _requeue(
        self, contact_id: str, counsellor_id: int, language: str, skill: str | None, not_for: int = 0
    ) -> bool:
        contact = await self.get_contact(contact_id)
        if contact is None:
            return False
        contact.requeued = True  # danger and arrival time never change: the score is safe to compute here
        skill_arg = "-" if skill is None else skill
        score = queue_score(contact)
        return bool(
            await self._run(
                "requeue", contact_id, counsellor_id, score, language, skill_arg, repr(time.time()), int(not_for)
            )
        )

    async def requeue(self, contact_id: str, counsellor_id: int, *, not_for: int = 0) -> bool:
        return await self._requeue(contact_id, counsellor_id, "", None, not_for)

    async def retarget(self, contact_id: str, counsellor_id: int, *, language: str = "", skill: str = "") -> bool:
        return await self._requeue(contact_id, counsellor_id, language, skill)

    async def hand_over(self, contact_id: str, centre: str, now: float) -> bool:
        return bool(await self._run("hand_over", contact_id, centre, repr(float(now))))

    async def expired_offers(self, now: float) -> list[tuple[str, int]]:
        ids = await self.redis.zrangebyscore(self._key("offers"), "-inf", now)
        return [(c.id, c.offered_to) for c in await self._live_contacts(ids, "offers") if c.state == "offered"]
