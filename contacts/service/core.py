"""What every job shares: the store, publishing events, the per-process key cache and shared reads."""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import logging
import secrets
import time
from collections import OrderedDict
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any, Generic, Literal, TypeVar

from channels.layers import get_channel_layer
from django.conf import settings

from contacts import crypto, groups
from contacts.events import Event
from contacts.frames import ClosedInfo
from routing.overflow import Rule
from routing.state import Channel, Contact, Counsellor
from routing.store.base import HeldKind, Store

logger = logging.getLogger(__name__)


EndedBy = Literal[
    "visitor",
    "quick_exit",
    "counsellor",
    "visitor_gone",
    "visitor_left",
    "caller_hung_up",
    "call_ended",
    "blocked",
    "forwarded",  # a waiting call forwarded to another service by its centre's rules
]


def config(name: str) -> Any:
    return settings.CHAT[name]


def call_token(call_sid: str) -> str:
    """A call is found by its CallSid the way a chat is found by its token: only a keyed
    hash of it is ever stored, so the SID cannot be looked up later."""
    return f"call:{call_sid}"


def token_hash(token: str, key: str | None = None) -> str:
    """Tokens are looked up by a keyed hash, so a Redis dump does not hand out sessions."""
    return hmac.new((key or settings.STATE_KEY).encode(), token.encode(), hashlib.sha256).hexdigest()


def token_hashes(token: str) -> list[str]:
    """Every hash a live token may be stored under: STATE_KEY's, then (during a key
    rotation) STATE_KEY_PREVIOUS's."""
    keys = [settings.STATE_KEY, settings.STATE_KEY_PREVIOUS]
    return [token_hash(token, key) for key in keys if key]


@dataclass(frozen=True)
class Started:
    contact_id: str
    token: str
    # Set when the contact's own centre could not answer and its overflow rules handed
    # it to another: the name of the centre that will answer, for the visitor to be told.
    answered_by: str = ""


ClosedReason = Literal["hours", "paused", "nobody", "full", "too_many"]


@dataclass(frozen=True)
class Closed:
    reason: ClosedReason
    info: ClosedInfo
    # An overflow rule that sends the contact out of this service: for chat a link to
    # another service, for a call a number to forward it to (routing/overflow.py).
    elsewhere: Rule | None = None


T = TypeVar("T")


class SharedRead(Generic[T]):
    """One read of the store shared by every caller in this process that needs data at
    least as new as a moment it names (``time.monotonic()``).

    A queue change nudges every waiting visitor and every console at once. Each used to
    read every counsellor (and each console the whole queue) for itself: with 100
    consoles and 200 waiting that was 11 CPU-seconds per arrival. Now the first socket
    to refresh reads, and every socket nudged before that read began shares the result.
    """

    def __init__(self, read: Callable[[], Awaitable[T]]) -> None:
        self._read = read
        self._done: tuple[float, T] | None = None
        self._running: tuple[float, asyncio.Future[T]] | None = None

    async def get(self, since: float) -> T:
        if self._done is not None and self._done[0] >= since:
            return self._done[1]
        running = self._running
        if running is not None and running[0] >= since and running[1].get_loop() is asyncio.get_running_loop():
            return await asyncio.shield(running[1])
        started = time.monotonic()
        task = asyncio.ensure_future(self._read())
        # Consumed here, so a read whose callers were all cancelled logs nothing.
        task.add_done_callback(lambda t: t.cancelled() or t.exception())
        self._running = (started, task)
        try:
            value = await asyncio.shield(task)
        finally:
            if self._running is not None and self._running[1] is task:
                self._running = None
        if self._done is None or self._done[0] < started:
            self._done = (started, value)
        return value


@dataclass
class QueueView:
    """The queue as one read saw it. ``memo`` lets the consoles build their frame's list
    once per read rather than once per console."""

    contacts: list[Contact]
    memo: dict[Any, Any] = field(default_factory=dict)


# Conversation keys unwrapped in this process, so a message does not cost a read of its
# contact and an AES-GCM unwrap at every delivery. Ids are random and never reused.
KEY_CACHE_SIZE = 20_000


# A process whose heartbeat (every tick) is this old is taken for dead. Long enough that
# a busy event loop is not mistaken for a dead one (and if it is, it says so again).
PROCESS_DEAD_SECONDS = 15


class ServiceCore:
    def __init__(self, store: Store) -> None:
        self.store = store
        self._ticker: asyncio.Task[None] | None = None
        self._ticker_loop: asyncio.AbstractEventLoop | None = None
        self._last_sweep = 0.0
        # This process's name in the store, and the sockets it holds (with a count: one
        # counsellor may have two consoles open here). If the process is killed without
        # warning, the others see its heartbeat stop and mark these owners gone.
        self.process = secrets.token_hex(8)
        self._held: dict[tuple[HeldKind, str], int] = {}
        self.staff_view: SharedRead[tuple[list[Counsellor], float]] = SharedRead(self._read_staff)
        self.queue_view: SharedRead[QueueView] = SharedRead(self._read_queue)
        self._keys: OrderedDict[str, bytes] = OrderedDict()
        self._keys_under: tuple[str, str] = ("", "")
        # A conversation's channel and centre never change once it is answered: routing
        # (centres.Centre.channels_apart) reads each once per process, not on every route
        # of every arrival.
        self._channels: OrderedDict[str, tuple[Channel, str]] = OrderedDict()

    async def _read_staff(self) -> tuple[list[Counsellor], float]:
        counsellors = await self.store.counsellors()
        return counsellors, await self.store.mean_handle_time(config("DEFAULT_HANDLE_SECONDS"))

    async def _read_queue(self) -> QueueView:
        return QueueView(await self.store.queue())

    def _key_cache(self) -> OrderedDict[str, bytes]:
        # Emptied when the server keys change, as a restart with new keys would.
        server_keys = (settings.STATE_KEY, settings.STATE_KEY_PREVIOUS)
        if server_keys != self._keys_under:
            self._keys.clear()
            self._keys_under = server_keys
        return self._keys

    def conversation_key(self, contact: Contact) -> bytes:
        """The contact's message key, unwrapped once per process (raises Unreadable)."""
        key = self._key_cache().get(contact.id)
        if key is None:
            key = crypto.unwrap(contact.id, contact.key)
            self._keys[contact.id] = key
            if len(self._keys) > KEY_CACHE_SIZE:
                self._keys.popitem(last=False)
        return key

    # --- events ---
    async def publish(self, group: str, event: Event) -> None:
        layer = get_channel_layer()
        if layer is None:
            return
        try:
            await layer.group_send(group, event)
        except Exception:
            # A lost nudge is recovered by sync/replay; a crash here would lose the change.
            logger.warning("could not publish %s", event.get("type"), exc_info=True)

    async def publish_conversation(self, contact: Contact, event: Event) -> None:
        await self.publish(groups.visitor(contact.id), event)
        for uid in {contact.counsellor, contact.offered_to, contact.supervisor} - {0}:
            await self.publish(groups.staff(uid), event)

    async def queue_changed(self) -> None:
        await self.publish(groups.STAFF_ALL, {"type": "queue.changed"})
        await self.publish(groups.WAITING, {"type": "queue.changed"})
        await self.publish(groups.SUPERVISORS, {"type": "queue.changed"})

    # --- reads for the adapters: consumers and webhooks never hold the store ---
    async def contact(self, contact_id: str) -> Contact | None:
        return await self.store.get_contact(contact_id)

    async def counsellor(self, counsellor_id: int) -> Counsellor | None:
        return await self.store.get_counsellor(counsellor_id)

    async def queue(self) -> list[Contact]:
        return await self.store.queue()

    async def position(self, contact_id: str) -> int | None:
        return await self.store.position(contact_id)
