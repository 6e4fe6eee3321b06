"""The queue: a contact from its arrival until a counsellor accepts it."""

from __future__ import annotations

import time
from dataclasses import replace

from routing.policy import queue_key, serves_centre
from routing.state import Contact
from routing.store.base import QueueStore
from routing.store.memory.state import MemoryState


class MemoryQueue(MemoryState, QueueStore):
    async def add_contact(self, contact: Contact, token_hash: str) -> None:
        with self._lock:
            self._touch(replace(contact))
            self._tokens[token_hash] = (contact.id, self._deadline())

    async def get_contact(self, contact_id: str) -> Contact | None:
        with self._lock:
            self._gc()
            contact = self._contacts.get(contact_id)
            return replace(contact) if contact else None

    async def hand_over(self, contact_id: str, centre: str, now: float) -> bool:
        with self._lock:
            self._gc()
            contact = self._contacts.get(contact_id)
            if contact is None or contact.state != "queued":
                return False
            contact.centre = centre
            contact.routed_at = now
            return True

    async def contact_for_token(self, token_hash: str) -> str | None:
        with self._lock:
            self._gc()
            found = self._tokens.get(token_hash)
            return found[0] if found else None

    def _waiting(self) -> list[Contact]:
        self._gc()
        waiting = [c for c in self._contacts.values() if c.state in ("queued", "offered")]
        return sorted(waiting, key=queue_key)

    async def queue(self) -> list[Contact]:
        with self._lock:
            return [replace(c) for c in self._waiting()]

    async def position(self, contact_id: str) -> int | None:
        with self._lock:
            for index, contact in enumerate(self._waiting(), start=1):
                if contact.id == contact_id:
                    return index
            return None

    async def offer(self, contact_id: str, counsellor_id: int, expires_at: float) -> bool:
        with self._lock:
            contact = self._contacts.get(contact_id)
            counsellor = self._counsellor(counsellor_id)
            if contact is None or contact.state != "queued" or counsellor is None:
                return False
            if (
                counsellor.state != "available"
                or counsellor.gone_at
                or counsellor.offers
                or counsellor.load >= counsellor.capacity
                # In the same step as the offer: a hand-over may have moved the contact
                # to another centre since the routing decision was made.
                or not serves_centre(counsellor, contact)
            ):
                return False
            contact.state = "offered"
            contact.offered_to = counsellor_id
            contact.offer_expires = expires_at
            counsellor.offers += 1
            self._touch(contact)
            self._save_counsellor(counsellor)
            return True

    async def withdraw_offer(self, contact_id: str, counsellor_id: int, *, away: bool) -> bool:
        with self._lock:
            contact = self._contacts.get(contact_id)
            if contact is None or contact.state != "offered" or contact.offered_to != counsellor_id:
                return False
            contact.state = "queued"
            contact.offered_to = 0
            contact.offer_expires = 0.0
            self._touch(contact)
            counsellor = self._counsellor(counsellor_id)
            if counsellor is not None:
                counsellor.offers = max(0, counsellor.offers - 1)
                if away and counsellor.state == "available":
                    counsellor.state = "away"
                self._save_counsellor(counsellor)
            return True

    async def accept(self, contact_id: str, counsellor_id: int, now: float) -> bool:
        with self._lock:
            contact = self._contacts.get(contact_id)
            counsellor = self._counsellor(counsellor_id)
            if contact is None or counsellor is None or counsellor.state == "off":
                return False
            if contact.not_for == counsellor_id or not serves_centre(counsellor, contact):
                return False
            offered_here = contact.state == "offered" and contact.offered_to == counsellor_id
            if not (offered_here or contact.state == "queued"):
                return False
            if counsellor.load >= counsellor.capacity:
                return False
            if offered_here:
                counsellor.offers = max(0, counsellor.offers - 1)
            contact.state = "active"
            contact.offered_to = 0
            contact.offer_expires = 0.0
            contact.counsellor = counsellor_id
            contact.requeued = False
            contact.transferred = False
            if not contact.answered_at:
                contact.answered_at = now
            counsellor.active = (*counsellor.active, contact_id)
            counsellor.free_since = now
            self._touch(contact)
            self._save_counsellor(counsellor)
            return True

    def _requeue(self, contact_id: str, counsellor_id: int) -> Contact | None:
        contact = self._contacts.get(contact_id)
        if contact is None or contact.state != "active" or contact.counsellor != counsellor_id:
            return None
        contact.state = "queued"
        contact.counsellor = 0
        contact.requeued = True
        contact.help = False
        contact.supervisor = 0
        self._touch(contact)
        counsellor = self._counsellor(counsellor_id)
        if counsellor is not None:
            counsellor.active = tuple(a for a in counsellor.active if a != contact_id)
            self._save_counsellor(counsellor)
        return contact

    async def requeue(self, contact_id: str, counsellor_id: int, *, not_for: int = 0) -> bool:
        with self._lock:
            contact = self._requeue(contact_id, counsellor_id)
            if contact is not None and not_for:
                contact.not_for = not_for
            return contact is not None

    async def retarget(self, contact_id: str, counsellor_id: int, *, language: str = "", skill: str = "") -> bool:
        with self._lock:
            contact = self._requeue(contact_id, counsellor_id)
            if contact is None:
                return False
            contact.language = language or contact.language
            contact.skill = skill
            contact.routed_at = time.time()
            return True

    async def expired_offers(self, now: float) -> list[tuple[str, int]]:
        with self._lock:
            self._gc()
            return [
                (c.id, c.offered_to) for c in self._contacts.values() if c.state == "offered" and c.offer_expires <= now
            ]
