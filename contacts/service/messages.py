"""Messages: appending (sealed), what a layer event carries, replay, typing."""

from __future__ import annotations

import asyncio
import logging
import time

from chatservice import metrics
from contacts import crypto, groups
from contacts.events import ConvMessage
from contacts.service.intake import Arrivals
from routing.state import Message, Sender
from routing.store.base import Appended

logger = logging.getLogger(__name__)


class Messages(Arrivals):
    # --- the conversation (both sides) ---
    async def send(
        self, contact_id: str, sender: Sender, text: str, client_id: str, *, author: int = 0
    ) -> Appended | None:
        """Append a message and tell everyone in the conversation. With ``author``, only
        the conversation's counsellor (or its joined supervisor, for sender
        "supervisor") may: the store checks it in the same step that appends."""
        key = self._key_cache().get(contact_id)
        if key is None:
            contact = await self.store.get_contact(contact_id)
            if contact is None or contact.state != "active":
                return None
            try:
                key = self.conversation_key(contact)
            except crypto.Unreadable:
                # STATE_KEY differs between processes: refuse (the page marks it), never store plaintext.
                logger.error("a conversation key could not be opened: is STATE_KEY the same everywhere?")
                return None
        sealed: dict[int, str] = {}

        def seal(seq: int) -> str:
            sealed[seq] = crypto.seal(key, contact_id, seq, text)
            return sealed[seq]

        now = time.time()
        result = await self.store.append_message(contact_id, sender, seal, client_id, now, author=author)
        if result is not None and not result.duplicate:
            metrics.message(sender)
            # The nudge carries who the message is for and the message itself, sealed as
            # the store holds it: a socket that is up to date shows it without a read of
            # the store (any other one reads, as for a nudge without them).
            event: ConvMessage = {
                "type": "conv.message",
                "contact": contact_id,
                "counsellor": result.counsellor,
                "supervisor": result.supervisor,
                "seq": result.seq,
                "sender": sender,
                "sealed": sealed[result.seq],
                "ts": now,
                "author": author,
            }
            # Not to the visitor's own group for the visitor's own message: their one socket
            # showed it already and moved past it (Delivery.sent_own), and it was the one
            # publish of a message nobody reads. A counsellor's goes to her own group too,
            # for a second console of hers. The publishes go out together, not one after
            # the other: a message waits for one round trip to Redis, not two.
            targets = [] if sender == "visitor" else [groups.visitor(contact_id)]
            targets += [groups.staff(uid) for uid in sorted({result.counsellor, result.supervisor} - {0})]
            await asyncio.gather(*(self.publish(group, event) for group in targets))
        return result

    def carried(self, event: ConvMessage) -> Message | None:
        """The message a ``conv.message`` nudge carries, opened; None when it carries none
        or this process has not opened the conversation's key yet."""
        cid, seq, sealed = event.get("contact", ""), event.get("seq"), event.get("sealed")
        key = self._key_cache().get(cid)
        if key is None or not isinstance(seq, int) or not isinstance(sealed, str):
            return None
        try:
            return Message(
                seq,
                event["sender"],
                crypto.open_message(key, cid, seq, sealed),
                float(event["ts"]),
                int(event.get("author") or 0),
            )
        except (crypto.Unreadable, KeyError, TypeError, ValueError):
            return None

    async def staff_name(self, uid: int) -> str:
        """The pseudonym a counsellor works under, for labelling their lines; "" if unknown."""
        counsellor = await self.store.get_counsellor(uid)
        return counsellor.name if counsellor is not None else ""

    async def messages_after(self, contact_id: str, seq: int) -> list[Message]:
        """The conversation after ``seq``, opened with its key."""
        key: bytes | None = self._key_cache().get(contact_id)
        if key is None:
            contact = await self.store.get_contact(contact_id)
            if contact is None:
                return []
            try:
                key = self.conversation_key(contact)
            except crypto.Unreadable:
                logger.error("a conversation key could not be opened: is STATE_KEY the same everywhere?")
                key = None
        messages = await self.store.messages_after(contact_id, seq)
        out = []
        for m in messages:
            try:
                if key is None:
                    raise crypto.Unreadable
                body = crypto.open_message(key, contact_id, m.seq, m.body)
            except crypto.Unreadable:
                # Shown as unreadable rather than dropped: both sides see something is missing.
                logger.warning("a message could not be opened")
                body = "⚠"
            out.append(Message(m.seq, m.sender, body, m.ts, m.author))
        return out

    async def typing(self, contact_id: str, sender: Sender) -> None:
        contact = await self.store.get_contact(contact_id)
        if contact is not None and contact.state == "active":
            await self.publish_conversation(contact, {"type": "conv.typing", "contact": contact_id, "sender": sender})

    async def ack(self, contact_id: str, role: Sender, seq: int, *, author: int = 0) -> bool:
        """Record what ``role`` has seen; ``author``: only if the conversation is theirs."""
        return await self.store.ack(contact_id, role, seq, author=author)
