"""The state every concern of the in-process store shares, and its expiry.

One object holds it all because an operation of one concern may change another's
records in the same atomic step (ending a contact frees its counsellor), which
separate objects with separate locks could not do.
"""

from __future__ import annotations

import threading
import time

from routing.state import Contact, Counsellor, Message
from routing.store.base import HeldKind


class Conversation:
    __slots__ = ("client_ids", "expires", "messages", "told")

    def __init__(self, expires: float) -> None:
        self.messages: list[Message] = []
        self.client_ids: dict[str, int] = {}
        self.expires = expires
        self.told: set[str] = set()  # notices the visitor was given (tell_once)


class MemoryState:
    def __init__(self, *, ttl: int) -> None:
        self.ttl = ttl
        self._lock = threading.Lock()
        self._forget_everything()

    def _forget_everything(self) -> None:
        """The empty store: at the start, and when a test flushes it (under the lock)."""
        self._contacts: dict[str, Contact] = {}
        self._conversations: dict[str, Conversation] = {}
        self._tokens: dict[str, tuple[str, float]] = {}
        self._counsellors: dict[int, tuple[Counsellor, float]] = {}
        self._handle_mean: float | None = None
        self._wrapups: dict[tuple[str, int], float] = {}
        self._samples: dict[int, tuple[int, int]] = {}
        self._blocked: dict[str, tuple[float, str]] = {}  # source -> (until, by)
        self._starts: dict[str, tuple[float, int]] = {}  # source -> (window ends, starts)
        self._procs: dict[str, float] = {}
        self._dead: set[str] = set()
        self._held: dict[tuple[HeldKind, str], set[str]] = {}
        self._asked: dict[str, float] = {}  # contact id -> when its counsellor asked for help

    def _deadline(self) -> float:
        return time.time() + self.ttl

    def _gc(self) -> None:
        now = time.time()
        for cid, conv in list(self._conversations.items()):
            if conv.expires <= now:
                self._drop_contact(cid)
        for token, (_, expires) in list(self._tokens.items()):
            if expires <= now:
                del self._tokens[token]
        for uid, (_, expires) in list(self._counsellors.items()):
            if expires <= now:
                del self._counsellors[uid]
        for key, expires in list(self._wrapups.items()):
            if expires <= now:
                del self._wrapups[key]
        for source, (until, _by) in list(self._blocked.items()):
            if until <= now:
                del self._blocked[source]
        for source, (ends, _n) in list(self._starts.items()):
            if ends <= now:
                del self._starts[source]

    def _touch(self, contact: Contact) -> None:
        self._contacts[contact.id] = contact
        conv = self._conversations.setdefault(contact.id, Conversation(0))
        conv.expires = self._deadline()

    def _drop_contact(self, cid: str) -> Contact | None:
        contact = self._contacts.pop(cid, None)
        self._conversations.pop(cid, None)
        self._asked.pop(cid, None)
        for token, (target, _) in list(self._tokens.items()):
            if target == cid:
                del self._tokens[token]
        if contact is not None:
            for uid in {contact.counsellor, contact.offered_to} - {0}:
                found = self._counsellors.get(uid)
                if found is None:
                    continue
                counsellor = found[0]
                if cid in counsellor.active:
                    counsellor.active = tuple(a for a in counsellor.active if a != cid)
                    counsellor.free_since = time.time()
                if contact.state == "offered" and contact.offered_to == uid:
                    counsellor.offers = max(0, counsellor.offers - 1)
        return contact

    def _counsellor(self, uid: int) -> Counsellor | None:
        found = self._counsellors.get(uid)
        if found is None or found[1] <= time.time():
            return None
        return found[0]

    def _save_counsellor(self, counsellor: Counsellor) -> None:
        self._counsellors[counsellor.id] = (counsellor, self._deadline())
