"""A conversation's messages and how far each side has read them."""

from __future__ import annotations

from routing.state import Message, Sender
from routing.store.base import MAX_MESSAGES, Appended, Body, MessageStore, body_for
from routing.store.memory.state import MemoryState


class MemoryMessages(MemoryState, MessageStore):
    async def append_message(
        self, contact_id: str, sender: Sender, body: Body, client_id: str, now: float, *, author: int = 0
    ) -> Appended | None:
        with self._lock:
            contact = self._contacts.get(contact_id)
            conv = self._conversations.get(contact_id)
            if contact is None or conv is None or contact.state != "active":
                return None
            if author and author != (contact.supervisor if sender == "supervisor" else contact.counsellor):
                return None
            if client_id and client_id in conv.client_ids:
                return Appended(conv.client_ids[client_id], True, contact.counsellor, contact.supervisor)
            contact.seq += 1
            conv.messages.append(Message(contact.seq, sender, body_for(body, contact.seq), now, author))
            del conv.messages[:-MAX_MESSAGES]
            if client_id:
                conv.client_ids[client_id] = contact.seq
            self._touch(contact)
            return Appended(contact.seq, False, contact.counsellor, contact.supervisor)

    async def messages_after(self, contact_id: str, seq: int) -> list[Message]:
        with self._lock:
            conv = self._conversations.get(contact_id)
            if conv is None:
                return []
            return [m for m in conv.messages if m.seq > seq]

    async def ack(self, contact_id: str, role: Sender, seq: int, *, author: int = 0) -> bool:
        with self._lock:
            contact = self._contacts.get(contact_id)
            if contact is None:
                return False
            if author and (contact.state != "active" or contact.counsellor != author):
                return False
            seq = min(seq, contact.seq)
            if role == "visitor":
                contact.visitor_ack = max(contact.visitor_ack, seq)
            elif role == "counsellor":
                contact.counsellor_ack = max(contact.counsellor_ack, seq)
            return True
