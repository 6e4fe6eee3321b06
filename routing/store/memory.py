"""In-process backend for the embedded default: one server process, no Redis.

Every method runs to completion without awaiting anything, so on one event loop each
is atomic just as a Lua script is in Redis; a lock guards against sync callers in
worker threads. Expiry is checked lazily, as Redis would do it.
"""

from __future__ import annotations

import threading
import time
from dataclasses import replace

from routing.policy import queue_key
from routing.state import Contact, Counsellor, CounsellorState, Message, Sender
from routing.store.base import (
    HANDLE_EMA_WEIGHT,
    MAX_MESSAGES,
    SAMPLE_MINUTES,
    Appended,
    Body,
    HeldKind,
    Store,
    body_for,
)


class _Conversation:
    __slots__ = ("client_ids", "expires", "messages")

    def __init__(self, expires: float) -> None:
        self.messages: list[Message] = []
        self.client_ids: dict[str, int] = {}
        self.expires = expires


class MemoryStore(Store):
    def __init__(self, *, ttl: int) -> None:
        self.ttl = ttl
        self._lock = threading.Lock()
        self._contacts: dict[str, Contact] = {}
        self._conversations: dict[str, _Conversation] = {}
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

    # --- expiry ---
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
        conv = self._conversations.setdefault(contact.id, _Conversation(0))
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

    # --- contacts and the queue ---
    async def add_contact(self, contact: Contact, token_hash: str) -> None:
        with self._lock:
            self._touch(replace(contact))
            self._tokens[token_hash] = (contact.id, self._deadline())

    async def get_contact(self, contact_id: str) -> Contact | None:
        with self._lock:
            self._gc()
            contact = self._contacts.get(contact_id)
            return replace(contact) if contact else None

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
            if contact.not_for == counsellor_id:
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
            target.active = (*target.active, contact_id)
            target.free_since = now
            self._save_counsellor(target)
            if source is not None:
                source.active = tuple(a for a in source.active if a != contact_id)
                source.free_since = now
                self._save_counsellor(source)
            self._touch(contact)
            return True

    async def retarget(self, contact_id: str, counsellor_id: int, *, language: str = "", skill: str = "") -> bool:
        with self._lock:
            contact = self._requeue(contact_id, counsellor_id)
            if contact is None:
                return False
            contact.language = language or contact.language
            contact.skill = skill
            contact.routed_at = time.time()
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

    async def end(self, contact_id: str) -> Contact | None:
        with self._lock:
            return self._drop_contact(contact_id)

    async def set_visitor_gone(self, contact_id: str, at: float) -> None:
        with self._lock:
            contact = self._contacts.get(contact_id)
            if contact is not None:
                contact.visitor_gone_at = at
                self._touch(contact)

    async def expired_offers(self, now: float) -> list[tuple[str, int]]:
        with self._lock:
            self._gc()
            return [
                (c.id, c.offered_to) for c in self._contacts.values() if c.state == "offered" and c.offer_expires <= now
            ]

    async def visitors_gone_before(self, before: float) -> list[str]:
        with self._lock:
            self._gc()
            return [c.id for c in self._contacts.values() if 0 < c.visitor_gone_at <= before]

    # --- the conversation ---
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

    # --- counsellors ---
    async def upsert_counsellor(self, counsellor: Counsellor) -> Counsellor:
        with self._lock:
            existing = self._counsellor(counsellor.id)
            if existing is None:
                stored = replace(counsellor)
            else:
                stored = replace(
                    existing,
                    name=counsellor.name,
                    languages=counsellor.languages,
                    skills=counsellor.skills,
                    capacity=counsellor.capacity,
                    phone=counsellor.phone,
                )
            self._save_counsellor(stored)
            return replace(stored)

    async def get_counsellor(self, counsellor_id: int) -> Counsellor | None:
        with self._lock:
            found = self._counsellor(counsellor_id)
            return replace(found) if found else None

    async def counsellors(self) -> list[Counsellor]:
        with self._lock:
            self._gc()
            return [replace(c) for c, _ in sorted(self._counsellors.values(), key=lambda x: x[0].id)]

    async def set_counsellor_state(self, counsellor_id: int, state: CounsellorState, now: float) -> Counsellor | None:
        with self._lock:
            counsellor = self._counsellor(counsellor_id)
            if counsellor is None:
                return None
            if state == "available" and counsellor.state != "available":
                counsellor.free_since = now
            counsellor.state = state
            self._save_counsellor(counsellor)
            return replace(counsellor)

    async def set_counsellor_gone(self, counsellor_id: int, at: float) -> None:
        with self._lock:
            counsellor = self._counsellor(counsellor_id)
            if counsellor is not None:
                counsellor.gone_at = at
                self._save_counsellor(counsellor)

    async def counsellors_gone_before(self, before: float) -> list[int]:
        with self._lock:
            self._gc()
            return [c.id for c, _ in self._counsellors.values() if 0 < c.gone_at <= before]

    async def remove_counsellor(self, counsellor_id: int) -> None:
        with self._lock:
            self._counsellors.pop(counsellor_id, None)

    # --- aggregates ---
    async def record_handle_time(self, seconds: float) -> None:
        with self._lock:
            if self._handle_mean is None:
                self._handle_mean = seconds
            else:
                self._handle_mean += HANDLE_EMA_WEIGHT * (seconds - self._handle_mean)

    async def mean_handle_time(self, default: float) -> float:
        with self._lock:
            return default if self._handle_mean is None else self._handle_mean

    async def block_source(self, source: str, seconds: int, by: str = "") -> None:
        with self._lock:
            self._blocked[source] = (time.time() + seconds, by)

    async def is_blocked(self, source: str) -> bool:
        with self._lock:
            return self._blocked.get(source, (0.0, ""))[0] > time.time()

    async def blocks(self) -> list[tuple[str, float, str]]:
        with self._lock:
            now = time.time()
            return sorted(
                ((s, until, by) for s, (until, by) in self._blocked.items() if until > now), key=lambda b: b[1]
            )

    async def lift_block(self, source: str) -> bool:
        with self._lock:
            found = self._blocked.pop(source, None)
            return found is not None and found[0] > time.time()

    async def take_start(self, source: str, limit: int, window: int) -> bool:
        with self._lock:
            now = time.time()
            ends, n = self._starts.get(source, (0.0, 0))
            if ends <= now:
                ends, n = now + window, 0
            self._starts[source] = (ends, n + 1)
            return n + 1 <= limit

    async def record_sample(self, minute: int, waiting: int, available: int) -> None:
        with self._lock:
            self._samples[minute] = (waiting, available)
            for old in [m for m in self._samples if m < minute - SAMPLE_MINUTES]:
                del self._samples[old]

    async def samples(self, since_minute: int) -> list[tuple[int, int, int]]:
        with self._lock:
            return [(m, w, a) for m, (w, a) in sorted(self._samples.items()) if m >= since_minute]

    async def sweep(self) -> int:
        with self._lock:
            before = len(self._contacts)
            self._gc()  # dropping an expired contact also frees its counsellor here
            return before - len(self._contacts)

    # --- which process holds which socket ---
    async def hold(self, process: str, kind: HeldKind, member: str, held: bool, now: float) -> None:
        with self._lock:
            members = self._held.setdefault((kind, process), set())
            if held:
                members.add(member)
            else:
                members.discard(member)
            self._procs[process] = now

    async def heartbeat(self, process: str, now: float) -> bool:
        with self._lock:
            known = process in self._procs and process not in self._dead
            self._dead.discard(process)
            self._procs[process] = now
            return known

    async def release_dead(self, before: float) -> tuple[list[str], list[int]]:
        with self._lock:
            dead = {p: at for p, at in self._procs.items() if at < before}
            for p in dead:
                del self._procs[p]
                self._dead.add(p)

            def held_elsewhere(kind: HeldKind, member: str) -> bool:
                return any(member in self._held.get((kind, p), set()) for p in self._procs)

            gone_v: list[str] = []
            gone_c: list[int] = []
            for p, at in dead.items():
                for cid in sorted(self._held.pop(("v", p), set())):
                    contact = self._contacts.get(cid)
                    if contact is not None and contact.visitor_gone_at == 0 and not held_elsewhere("v", cid):
                        contact.visitor_gone_at = at
                        gone_v.append(cid)
                for uid in sorted(self._held.pop(("c", p), set())):
                    counsellor = self._counsellor(int(uid))
                    if counsellor is not None and counsellor.gone_at == 0 and not held_elsewhere("c", uid):
                        counsellor.gone_at = at
                        self._save_counsellor(counsellor)
                        gone_c.append(int(uid))
            return gone_v, gone_c

    async def flush(self) -> None:
        with self._lock:
            self._procs.clear()
            self._dead.clear()
            self._held.clear()
            self._contacts.clear()
            self._conversations.clear()
            self._tokens.clear()
            self._counsellors.clear()
            self._wrapups.clear()
            self._samples.clear()
            self._starts.clear()
            self._blocked.clear()
            self._handle_mean = None
