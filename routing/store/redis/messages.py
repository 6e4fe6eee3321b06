"""A conversation's messages and how far each side has read them."""

from __future__ import annotations

import json

from routing.state import Message, Sender
from routing.store.base import MAX_MESSAGES, Appended, Body, MessageStore, body_for
from routing.store.redis.connection import RedisConnection

MESSAGES_TAIL = 16  # how much of a conversation's end one delivery reads first
SEQ_CACHE_SIZE = 20_000  # conversations whose last seq this process remembers


class RedisMessages(RedisConnection, MessageStore):
    async def append_message(
        self, contact_id: str, sender: Sender, body: Body, client_id: str, now: float, *, author: int = 0
    ) -> Appended | None:
        # Optimistic: seal for the seq this process last saw + 1, and let the script
        # refuse (saying the real one) if another message took it meanwhile. Lua cannot
        # encrypt, and the seq is part of the seal. The guess saves a round trip per message.
        known = self._seqs.get(contact_id)
        if known is None:
            known = int(await self.redis.hget(self._key("c", contact_id), "seq") or 0)
        expected = known + 1
        for _attempt in range(50):
            result = await self._run(
                "append",
                contact_id,
                sender,
                body_for(body, expected),
                client_id,
                repr(float(now)),
                MAX_MESSAGES,
                expected,
                author,
            )
            if result is None:
                self._seqs.pop(contact_id, None)
                return None
            if int(result[0]) != -1:
                self._remember_seq(contact_id, int(result[0]))
                return Appended(int(result[0]), bool(result[1]), int(result[2]), int(result[3]))
            expected = int(result[1]) + 1
        raise RuntimeError("could not append: the conversation is too busy")

    def _remember_seq(self, contact_id: str, seq: int) -> None:
        if seq > self._seqs.get(contact_id, 0):
            self._seqs[contact_id] = seq
            self._seqs.move_to_end(contact_id)
            if len(self._seqs) > SEQ_CACHE_SIZE:
                self._seqs.popitem(last=False)

    async def messages_after(self, contact_id: str, seq: int) -> list[Message]:
        # A delivery usually wants the last message or two: read the end of the list,
        # and the rest only if the end does not reach back far enough.
        key = self._key("m", contact_id)
        items = [json.loads(item) for item in await self.redis.lrange(key, -MESSAGES_TAIL, -1)]
        if len(items) == MESSAGES_TAIL and int(items[0]["seq"]) > seq + 1:
            older = await self.redis.lrange(key, 0, -MESSAGES_TAIL - 1)
            # Appends in between only lengthen the list's end, so older + items may
            # overlap; the seq filter below drops the repeats.
            items = [json.loads(item) for item in older] + items
        out, seen = [], set()
        for data in items:
            number = int(data["seq"])
            if number > seq and number not in seen:
                seen.add(number)
                out.append(
                    Message(number, data["sender"], data["body"], float(data["ts"]), int(data.get("author") or 0))
                )
        if out:
            self._remember_seq(contact_id, out[-1].seq)
        return out

    async def ack(self, contact_id: str, role: Sender, seq: int, *, author: int = 0) -> bool:
        if role not in ("visitor", "counsellor"):
            return True  # nothing is kept for other roles
        return bool(await self._run("ack", contact_id, f"{role}_ack", seq, author))
