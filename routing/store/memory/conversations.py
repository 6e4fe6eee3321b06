"""A conversation in progress: handing it on, supervision, the wrap-up, the visitor's
presence, and its end."""

from __future__ import annotations

import time
from dataclasses import replace

from routing.state import Contact
from routing.store.base import ConversationStore
from routing.store.memory.state import MemoryState


class MemoryConversations(MemoryState, ConversationStore):
    async def transfer(self, contact_id: str, from_id: int, to_id: int, now: float) -> bool:
        with self._lock:
            contact = self._contacts.get(contact_id)
            source = self._counsellor(from_id)
            target = self._counsellor(to_id)
            if contact is None or contact.state != "active" or contact.counsellor != from_id or target is None:
                return False
            if from_id == to_id:
                return False
            if target.state == "off" or target.gone_at or target.load >= target.capacity:
                return False
            contact.counsellor = to_id
            contact.transferred = True
            target.active = (*target.active, contact_id)
            target.free_since = now
            self._save_counsellor(target)
            if source is not None:
                source.active = tuple(a for a in source.active if a != contact_id)
                source.free_since = now
                self._save_counsellor(source)
            self._touch(contact)
            return True

    async def request_help(self, contact_id: str, counsellor_id: int) -> bool:
        with self._lock:
            contact = self._contacts.get(contact_id)
            if contact is None or contact.state != "active" or contact.counsellor != counsellor_id:
                return False
            if contact.supervisor:
                return False
            contact.help = True
            self._asked[contact_id] = time.time()
            self._touch(contact)
            return True

    async def help_requests(self) -> list[Contact]:
        with self._lock:
            self._gc()
            asking = [c for c in self._contacts.values() if c.help and c.state == "active"]
            return [replace(c) for c in sorted(asking, key=lambda c: self._asked.get(c.id, 0.0))]

    async def join_supervisor(self, contact_id: str, supervisor_id: int) -> bool:
        with self._lock:
            contact = self._contacts.get(contact_id)
            if contact is None or contact.state != "active" or not contact.help or contact.supervisor:
                return False
            contact.help = False
            contact.supervisor = supervisor_id
            self._touch(contact)
            return True

    async def leave_supervisor(self, contact_id: str, supervisor_id: int) -> bool:
        with self._lock:
            contact = self._contacts.get(contact_id)
            if contact is None or not supervisor_id or contact.supervisor != supervisor_id:
                return False
            contact.supervisor = 0
            self._touch(contact)
            return True

    async def open_wrapup(self, contact_id: str, counsellor_id: int) -> None:
        with self._lock:
            self._wrapups[(contact_id, counsellor_id)] = self._deadline()

    async def take_wrapup(self, contact_id: str, counsellor_id: int) -> bool:
        with self._lock:
            expires = self._wrapups.pop((contact_id, counsellor_id), 0.0)
            return expires > time.time()

    async def tell_once(self, contact_id: str, notice: str) -> bool:
        with self._lock:
            conv = self._conversations.get(contact_id)
            if contact_id not in self._contacts or conv is None or notice in conv.told:
                return False
            conv.told.add(notice)
            return True

    async def end(self, contact_id: str) -> Contact | None:
        with self._lock:
            return self._drop_contact(contact_id)

    async def set_visitor_gone(self, contact_id: str, at: float) -> None:
        with self._lock:
            contact = self._contacts.get(contact_id)
            if contact is not None:
                contact.visitor_gone_at = at
                self._touch(contact)

    async def visitors_gone_before(self, before: float) -> list[str]:
        with self._lock:
            self._gc()
            return [c.id for c in self._contacts.values() if 0 < c.visitor_gone_at <= before]
