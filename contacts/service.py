"""The one place that changes live state and tells the clients about it.

Consumers (and, later, the phone webhooks) are thin adapters: they parse a frame, check
who is asking, call a function here and shape the reply. Every function here makes one
atomic change in the store, then publishes events. Events are *nudges*: a consumer that
receives one re-reads the store, so an event lost by the channel layer (delivery is at
most once) loses nothing; the next nudge, a client's sync or its reconnect catches up.
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import hmac
import logging
import secrets
import time
from collections import OrderedDict
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any, Generic, Literal, TypeVar

from channels.db import database_sync_to_async
from channels.layers import get_channel_layer
from django.conf import settings

from audit.log import arecord
from chatservice import metrics
from contacts import crypto, groups
from contacts.hours import current_schedule
from contacts.info import ClosedInfo, closed_info
from contacts.models import Intake
from routing import policy
from routing.state import Channel, Contact, Counsellor, CounsellorState, Message, Sender
from routing.store import get_store
from routing.store.base import Appended, HeldKind, Store
from stats import acount
from stats.counters import conversation_band, wait_band

logger = logging.getLogger(__name__)

EndedBy = Literal[
    "visitor", "quick_exit", "counsellor", "visitor_gone", "visitor_left", "caller_hung_up", "call_ended", "blocked"
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


ClosedReason = Literal["hours", "paused", "nobody", "full", "too_many"]


@dataclass(frozen=True)
class Closed:
    reason: ClosedReason
    info: ClosedInfo


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
    memo: dict[str, Any] = field(default_factory=dict)


# Conversation keys unwrapped in this process, so a message does not cost a read of its
# contact and an AES-GCM unwrap at every delivery. Ids are random and never reused.
KEY_CACHE_SIZE = 20_000

# A process whose heartbeat (every tick) is this old is taken for dead. Long enough that
# a busy event loop is not mistaken for a dead one (and if it is, it says so again).
PROCESS_DEAD_SECONDS = 15


class Service:
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
        # A contact's channel never changes: routing (PHONE_EXCLUSIVE) reads each
        # conversation's once per process, not on every route of every arrival.
        self._channels: OrderedDict[str, Channel] = OrderedDict()

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
    async def publish(self, group: str, event: dict[str, Any]) -> None:
        layer = get_channel_layer()
        if layer is None:
            return
        try:
            await layer.group_send(group, event)
        except Exception:
            # A lost nudge is recovered by sync/replay; a crash here would lose the change.
            logger.warning("could not publish %s", event.get("type"), exc_info=True)

    async def publish_conversation(self, contact: Contact, event: dict[str, Any]) -> None:
        await self.publish(groups.visitor(contact.id), event)
        for uid in {contact.counsellor, contact.offered_to, contact.supervisor} - {0}:
            await self.publish(groups.staff(uid), event)

    async def queue_changed(self) -> None:
        await self.publish(groups.STAFF_ALL, {"type": "queue.changed"})
        await self.publish(groups.WAITING, {"type": "queue.changed"})
        await self.publish(groups.SUPERVISORS, {"type": "queue.changed"})

    # --- opening ---
    async def availability(self, language: str, channel: Channel = "chat") -> Closed | None:
        """None when a contact can join the queue now, else why not and what to show."""
        schedule = await current_schedule()
        intake = await database_sync_to_async(Intake.current)()
        reason: ClosedReason
        if not schedule.is_open(datetime.now(UTC)):
            reason = "hours"
        elif intake.chat_paused if channel == "chat" else intake.phone_paused:
            reason = "paused"
        elif policy.counsellors_on_duty(await self.store.counsellors(), channel) == 0:
            reason = "nobody"
        elif intake.max_queue and len(await self.store.queue()) >= intake.max_queue:
            reason = "full"
        else:
            return None
        info = await database_sync_to_async(closed_info)(schedule, language, reason)
        return Closed(reason, info)

    # --- visitor side ---
    async def start_contact(
        self,
        *,
        channel: Channel,
        language: str,
        kind: str = "",
        danger: bool = False,
        source: str = "",
        on_created: Callable[[str], Awaitable[None]] | None = None,
    ) -> Started | Closed:
        """``on_created`` runs before routing: a socket must listen for its contact before
        a counsellor can possibly accept it, or the news of that would go nowhere."""
        if source and not danger and await self.store.is_blocked(source):
            # Told what anyone is told when nobody can answer: the numbers still help.
            # Someone who says they are in danger gets through whatever the block: the
            # same address may be a school's, a shelter's or a mobile network's.
            await acount("contacts.turned_away", channel=channel, reason="blocked")
            schedule = await current_schedule()
            return Closed("nobody", await database_sync_to_async(closed_info)(schedule, language, "nobody"))
        if source and not await self.store.take_start(
            source, int(config("STARTS_PER_SOURCE")), int(config("START_WINDOW_SECONDS"))
        ):
            # One address starting contacts faster than people do (sixty abandoned "in
            # danger" starts a second were seen): the queue stays for the others.
            await acount("contacts.turned_away", channel=channel, reason="too_many")
            schedule = await current_schedule()
            return Closed("too_many", await database_sync_to_async(closed_info)(schedule, language, "too_many"))
        closed = await self.availability(language, channel)
        if closed is not None:
            if closed.reason == "hours":
                await acount("contacts.out_of_hours", channel=channel)
            elif closed.reason == "nobody":
                await acount("contacts.nobody_on_duty", channel=channel)
            else:
                await acount("contacts.turned_away", channel=channel, reason=closed.reason)
            return closed
        token = secrets.token_urlsafe(24)  # 192 bits
        contact_id = secrets.token_hex(8)
        contact = Contact(
            id=contact_id,
            key=crypto.new_conversation_key(contact_id),
            channel=channel,
            language=language,
            kind=kind,
            danger=danger,
            enqueued_at=time.time(),
            source=source,
        )
        await self.store.add_contact(contact, token_hash(token))
        if on_created is not None:
            await on_created(contact.id)
        metrics.contact_started(channel)
        await self.queue_changed()
        await self.route()
        # Counted last: the commit queues on the thread all database calls share, and
        # the visitor's place in the queue (and an offer) must not wait for statistics.
        await acount(
            "contacts", channel=channel, language=language, kind=kind or "unknown", danger="yes" if danger else "no"
        )
        return Started(contact.id, token)

    async def resume(self, token: str) -> Contact | None:
        contact_id = None
        for hashed in token_hashes(token):
            contact_id = await self.store.contact_for_token(hashed)
            if contact_id is not None:
                break
        if contact_id is None:
            return None
        return await self.store.get_contact(contact_id)

    async def resume_chat(self, token: str) -> Contact | None:
        """The chat a visitor's socket may take up again. Never a phone call: a call is
        keyed by ``call:<CallSid>`` the same way, and a socket that knew a CallSid
        could otherwise write into the call or end it."""
        contact = await self.resume(token)
        return contact if contact is not None and contact.channel == "chat" else None

    async def hold(self, kind: HeldKind, member: str | int, held: bool) -> None:
        """A socket of this process took on (or let go of) a visitor's contact ("v") or
        a counsellor's console ("c"). Call before marking the owner present."""
        key = (kind, str(member))
        count = self._held.get(key, 0) + (1 if held else -1)
        if count > 0:
            self._held[key] = count
        else:
            self._held.pop(key, None)
        if (held and count == 1) or (not held and count <= 0):
            await self.store.hold(self.process, kind, key[1], held, time.time())

    async def _heartbeat(self, now: float) -> None:
        if not await self.store.heartbeat(self.process, now):
            # Declared dead while alive (a stalled event loop): say again who is here.
            for kind, member in list(self._held):
                await self.store.hold(self.process, kind, member, True, now)
                if kind == "v":
                    await self.store.set_visitor_gone(member, 0.0)
                else:
                    await self.store.set_counsellor_gone(int(member), 0.0)
        visitors, _counsellors = await self.store.release_dead(now - PROCESS_DEAD_SECONDS)
        for contact_id in visitors:
            # Their socket died with its process: the counsellor sees them away, and the
            # grace period runs from the process's last heartbeat.
            contact = await self.store.get_contact(contact_id)
            if contact is not None and contact.counsellor:
                await self.publish(
                    groups.staff(contact.counsellor),
                    {"type": "visitor.presence", "contact": contact_id, "connected": False},
                )

    async def visitor_presence(self, contact_id: str, connected: bool) -> None:
        await self.store.set_visitor_gone(contact_id, 0.0 if connected else time.time())
        contact = await self.store.get_contact(contact_id)
        if contact is not None and contact.counsellor:
            await self.publish(
                groups.staff(contact.counsellor),
                {"type": "visitor.presence", "contact": contact_id, "connected": connected},
            )

    async def visitor_visibility(self, contact_id: str, hidden: bool) -> None:
        """Tell the counsellor the visitor's page went to the background (another app, a
        locked screen) or came back. Not stored: it is a hint while it lasts, and a phone
        may discard a background tab without another word."""
        contact = await self.store.get_contact(contact_id)
        if contact is not None and contact.counsellor:
            await self.publish(
                groups.staff(contact.counsellor),
                {
                    "type": "visitor.presence",
                    "contact": contact_id,
                    "connected": True,
                    "state": "hidden" if hidden else "connected",
                },
            )

    async def queue_status(self, contact_id: str, since: float | None = None) -> tuple[int, int | None] | None:
        """(position, estimated wait in seconds or None) for a waiting contact, from the
        counsellors as read after ``since`` (monotonic; default: now)."""
        position = await self.store.position(contact_id)
        if position is None:
            return None
        counsellors, mean = await self.staff_view.get(time.monotonic() if since is None else since)
        return position, policy.estimate_wait_seconds(position, counsellors, mean_handle_seconds=mean)

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
            event = {
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
            await self.publish(groups.visitor(contact_id), event)
            for uid in {result.counsellor, result.supervisor} - {0}:
                await self.publish(groups.staff(uid), event)
        return result

    def carried(self, event: dict[str, Any]) -> Message | None:
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

    async def block(self, contact_id: str) -> None:
        contact = await self.store.get_contact(contact_id)
        if contact is None:
            return
        if contact.source:
            counsellor = await self.store.get_counsellor(contact.counsellor)
            by = counsellor.name if counsellor is not None else ""
            await self.store.block_source(contact.source, int(config("BLOCK_SECONDS")), by)
            await self.publish(groups.SUPERVISORS, {"type": "queue.changed"})
            await arecord(contact.counsellor, "block_set")
        await self.end(contact_id, "blocked")

    async def lift_block(self, block_id: str, *, by: int) -> bool:
        """A supervisor ends a block early; new chats from that source get through."""
        lifted = await self.store.lift_block(block_id)
        if lifted:
            await self.publish(groups.SUPERVISORS, {"type": "queue.changed"})
            await arecord(by, "block_lifted")
        return lifted

    async def typing(self, contact_id: str, sender: Sender) -> None:
        contact = await self.store.get_contact(contact_id)
        if contact is not None and contact.state == "active":
            await self.publish_conversation(contact, {"type": "conv.typing", "contact": contact_id, "sender": sender})

    async def end(self, contact_id: str, by: EndedBy) -> Contact | None:
        before = await self.store.get_contact(contact_id)
        unseen = await self.store.messages_after(contact_id, before.visitor_ack) if before else []
        contact = await self.store.end(contact_id)
        self._keys.pop(contact_id, None)
        self._channels.pop(contact_id, None)
        if contact is None:
            return None  # someone else ended it first
        now = time.time()
        if contact.answered_at:
            duration = now - contact.answered_at
            await self.store.record_handle_time(duration)
            await acount("conversation", band=conversation_band(duration))
        else:
            await acount("contacts.left_before_answer", channel=contact.channel)
        if contact.counsellor:
            await self.store.open_wrapup(contact_id, contact.counsellor)
        # What the counsellor wrote that the visitor's page never confirmed: told, not lost silently.
        undelivered = sum(1 for m in unseen if m.sender == "counsellor")
        await self.publish_conversation(
            contact, {"type": "conv.ended", "contact": contact_id, "by": by, "undelivered": undelivered}
        )
        await self.queue_changed()
        await self.route()
        return contact

    # --- counsellor side ---
    async def counsellor_online(self, profile: Counsellor) -> Counsellor:
        counsellor = await self.store.upsert_counsellor(profile)
        await self.store.set_counsellor_gone(profile.id, 0.0)
        counsellor.gone_at = 0.0
        return counsellor

    async def counsellor_offline(self, counsellor_id: int) -> None:
        await self.store.set_counsellor_gone(counsellor_id, time.time())

    async def set_duty(self, counsellor_id: int, state: CounsellorState, *, chosen: bool = False) -> Counsellor | None:
        """``chosen``: the counsellor's own choice (audited), not the service's (a
        declined or unanswered offer sets "away")."""
        me = await self.store.get_counsellor(counsellor_id)
        if state != "available" and me is not None and me.offers:
            # A counsellor stepping away must not sit on an offer.
            for contact in await self.store.queue():
                if contact.state == "offered" and contact.offered_to == counsellor_id:
                    await self.withdraw(contact.id, counsellor_id, away=False)
        counsellor = await self.store.set_counsellor_state(counsellor_id, state, time.time())
        if chosen:
            await arecord(counsellor_id, "duty", state)
        await self.publish(groups.staff(counsellor_id), {"type": "staff.changed"})
        await self.queue_changed()
        await self.route()
        return counsellor

    async def accept(self, counsellor_id: int, contact_id: str) -> Contact | None:
        """Take an offered contact, or pick one from the queue."""
        before = await self.store.get_contact(contact_id)
        if before is None:
            return None
        if before.channel == "phone":
            counsellor = await self.store.get_counsellor(counsellor_id)
            if counsellor is None or not counsellor.phone or counsellor.load > 0:
                return None  # a call needs a work phone to ring and full attention
        if not await self.store.accept(contact_id, counsellor_id, time.time()):
            return None
        contact = await self.store.get_contact(contact_id)
        if contact is None:
            return None
        if before.state == "offered" and before.offered_to != counsellor_id:
            await self.publish(groups.staff(before.offered_to), {"type": "offer.withdrawn", "contact": contact_id})
        await self.publish_conversation(contact, {"type": "conv.started", "contact": contact_id})
        await self.queue_changed()
        if not before.answered_at:
            await acount("contacts.answered", channel=contact.channel)
            await acount("wait", band=wait_band(contact.answered_at - contact.enqueued_at))
        return contact

    async def withdraw(self, contact_id: str, counsellor_id: int, *, away: bool) -> bool:
        if not await self.store.withdraw_offer(contact_id, counsellor_id, away=away):
            return False
        await self.publish(groups.staff(counsellor_id), {"type": "offer.withdrawn", "contact": contact_id})
        if away:
            await self.publish(groups.staff(counsellor_id), {"type": "staff.changed"})
        await self.queue_changed()
        return True

    async def decline(self, counsellor_id: int, contact_id: str) -> bool:
        ok = await self.withdraw(contact_id, counsellor_id, away=False)
        if ok:
            # Passing on an offer means "not me right now": give it to someone else first.
            await self.store.set_counsellor_state(counsellor_id, "away", time.time())
            await self.publish(groups.staff(counsellor_id), {"type": "staff.changed"})
            await self.route()
        return ok

    async def transfer_to_counsellor(self, from_id: int, contact_id: str, to_id: int) -> bool:
        """Hand a conversation to a colleague; the whole conversation goes with it."""
        if from_id == to_id or not await self.store.transfer(contact_id, from_id, to_id, time.time()):
            return False
        await self.store.open_wrapup(contact_id, from_id)
        await self.publish(
            groups.staff(from_id), {"type": "conv.ended", "contact": contact_id, "by": "transferred", "undelivered": 0}
        )
        contact = await self.store.get_contact(contact_id)
        if contact is not None:
            await self.publish_conversation(contact, {"type": "conv.transferred", "contact": contact_id})
            await self.publish(groups.staff(to_id), {"type": "conv.started", "contact": contact_id})
        await self.queue_changed()
        await self.route()
        return True

    async def transfer_to_queue(self, from_id: int, contact_id: str, *, language: str = "", skill: str = "") -> bool:
        """Send a conversation back to the front of the queue for a language or a skill."""
        before = await self.store.get_contact(contact_id)
        if before is None or not await self.store.retarget(contact_id, from_id, language=language, skill=skill):
            return False
        if before.supervisor:
            await self.publish(groups.staff(before.supervisor), {"type": "conv.requeued", "contact": contact_id})
        await self.store.open_wrapup(contact_id, from_id)
        await self.publish(
            groups.staff(from_id), {"type": "conv.ended", "contact": contact_id, "by": "transferred", "undelivered": 0}
        )
        await self.publish(
            groups.visitor(contact_id), {"type": "conv.requeued", "contact": contact_id, "reason": "transfer"}
        )
        await self.queue_changed()
        await self.route()
        return True

    async def wrapup(self, counsellor_id: int, contact_id: str, fields: dict[str, str], topics: list[str]) -> bool:
        """Count the counsellor's optional wrap-up, once per conversation and counsellor."""
        if not await self.store.take_wrapup(contact_id, counsellor_id):
            return False
        if fields:
            await acount("wrapup", 1, **fields)
        for topic in topics:
            await acount("wrapup.topic", topic=topic)
        return True

    # --- supervisors ---
    async def request_help(self, counsellor_id: int, contact_id: str) -> bool:
        if not await self.store.request_help(contact_id, counsellor_id):
            return False
        await self.publish(groups.SUPERVISORS, {"type": "help.changed"})
        return True

    async def join_supervisor(self, supervisor_id: int, contact_id: str, name: str) -> Contact | None:
        if not await self.store.join_supervisor(contact_id, supervisor_id):
            return None
        contact = await self.store.get_contact(contact_id)
        if contact is not None:
            await self.publish_conversation(
                contact, {"type": "conv.supervisor", "contact": contact_id, "joined": True, "name": name}
            )
        await self.publish(groups.SUPERVISORS, {"type": "help.changed"})
        return contact

    async def leave_supervisor(self, supervisor_id: int, contact_id: str, name: str) -> bool:
        contact = await self.store.get_contact(contact_id)
        if contact is None or not await self.store.leave_supervisor(contact_id, supervisor_id):
            return False
        await self.publish_conversation(
            contact, {"type": "conv.supervisor", "contact": contact_id, "joined": False, "name": name}
        )
        return True

    async def set_intake(self, changes: dict[str, Any], *, by: int) -> dict[str, Any]:
        """Save a supervisor's intake change; every dashboard and console hears of it."""
        from audit.log import record

        def save() -> dict[str, Any]:
            before = intake_state(Intake.current())
            Intake.objects.update_or_create(pk=1, defaults=changes)
            after = intake_state(Intake.current())
            for channel in ("chat", "phone"):
                if before[f"{channel}_paused"] != after[f"{channel}_paused"]:
                    record(by, "intake_paused" if after[f"{channel}_paused"] else "intake_resumed", channel)
            if before["max_queue"] != after["max_queue"]:
                record(by, "queue_limit")
            return after

        state: dict[str, Any] = await database_sync_to_async(save)()
        await self.publish(groups.SUPERVISORS, {"type": "queue.changed"})
        await self.publish(groups.STAFF_ALL, {"type": "intake.changed", **state})
        return state

    async def intake(self) -> dict[str, Any]:
        return intake_state(await database_sync_to_async(Intake.current)())

    async def set_off_duty(self, counsellor_id: int, *, by: int) -> None:
        """A supervisor sends home a counsellor who left without logging out: their
        conversations go to the front of the queue, for anyone but that supervisor (who
        reads a conversation only when a counsellor asks for help)."""
        await self.requeue_all(counsellor_id, not_for=by)
        await arecord(by, "off_duty", subject=counsellor_id)
        await self.set_duty(counsellor_id, "off")

    async def clear_abandoned(self, *, by: int) -> int:
        """End every waiting chat whose page is already gone (a flood of abandoned starts,
        or visitors who gave up): nobody is there to answer. Counted as left."""
        gone = [
            c.id for c in await self.store.queue() if c.channel == "chat" and c.state == "queued" and c.visitor_gone_at
        ]
        cleared = sum([await self.end(cid, "visitor_gone") is not None for cid in gone])
        await arecord(by, "abandoned_cleared")
        return cleared

    async def record_sample(self, now: float) -> None:
        """A point for the dashboard's chart. Every process may write the same minute:
        the figures are the same shared state, so the last write is as good as any."""
        queue = await self.store.queue()
        counsellors = await self.store.counsellors()
        available = sum(1 for c in counsellors if policy.can_take_more(c) or (c.state == "available" and c.offers))
        await self.store.record_sample(int(now // 60), len(queue), available)

    async def dashboard_counts(self) -> dict[str, Any]:
        """The live load as counts only (the dashboard's and the metrics' figures)."""
        return self._counts(await self.store.queue(), await self.store.counsellors())

    @staticmethod
    def _counts(queue: list[Contact], counsellors: list[Counsellor]) -> dict[str, Any]:
        by_channel: dict[str, int] = {}
        by_language: dict[str, int] = {}
        for c in queue:
            by_channel[c.channel] = by_channel.get(c.channel, 0) + 1
            by_language[c.language] = by_language.get(c.language, 0) + 1
        states = {s: 0 for s in ("available", "busy", "away", "break", "off")}
        for member in counsellors:
            states[shown_state(member)] += 1
        return {
            "waiting": len(queue),
            "by_channel": by_channel,
            "by_language": by_language,
            "longest_wait": int(time.time() - min(c.enqueued_at for c in queue)) if queue else 0,
            "offers": sum(1 for c in queue if c.state == "offered"),
            # Waiting, but their page is gone: not offered; a flood shows here first.
            "abandoned": sum(1 for c in queue if c.state == "queued" and c.visitor_gone_at),
            "conversations": sum(c.load for c in counsellors),
            "states": states,
        }

    async def dashboard(self, since: float) -> dict[str, Any]:
        """Load, never content: counts from live state (read after ``since``, monotonic)
        and today's counters."""
        now = time.time()
        queue = (await self.queue_view.get(since)).contacts
        counsellors, _mean = await self.staff_view.get(since)
        team = [
            {
                "id": member.id,
                "name": member.name,
                "state": shown_state(member),
                "load": member.load,
                "capacity": member.capacity,
            }
            for member in counsellors
            if member.state != "off"
        ]
        names = {member.id: member.name for member in counsellors}
        help_requests = [
            {"contact": c.id, "counsellor": names.get(c.counsellor, ""), "language": c.language}
            for c in await self.store.help_requests()
        ]
        return {
            **self._counts(queue, counsellors),
            # The page counts waiting time on from these (server clock, milliseconds), so
            # it moves and the long-wait alert fires on time between frames.
            "oldest_enqueued": int(min(c.enqueued_at for c in queue) * 1000) if queue else 0,
            "now": int(now * 1000),
            "team": team,
            "help": help_requests,
            "history": [list(s) for s in await self.store.samples(int(now // 60) - 4 * 60)],
            # Blocks in force: who set them and until when; the id is the keyed hash of a
            # source (no address can be had from it), so that one can be lifted.
            "blocks": [{"id": s, "by": by, "until": int(until)} for s, until, by in await self.store.blocks()],
            "today": await database_sync_to_async(today_figures)(),
        }

    async def requeue_all(self, counsellor_id: int, *, not_for: int = 0) -> None:
        counsellor = await self.store.get_counsellor(counsellor_id)
        if counsellor is None:
            return
        for contact_id in counsellor.active:
            before = await self.store.get_contact(contact_id)
            if before is not None and await self.store.requeue(contact_id, counsellor_id, not_for=not_for):
                await self.publish_conversation(before, {"type": "conv.requeued", "contact": contact_id})

    # --- routing ---
    async def route(self, now: float | None = None) -> int:
        """Offer waiting contacts to free counsellors. Safe to run in every process at once:
        each offer is a conditional update, and a lost race just means someone else won."""
        made = 0
        for _attempt in range(3):
            at = time.time() if now is None else now
            # Runs on every tick and every change in every process: read the queue only
            # when someone could take a contact (most of the time under load, nobody can).
            counsellors = await self.counsellors_for_routing()
            if not any(policy.can_take_more(c) for c in counsellors):
                break
            plan = policy.plan_offers(
                await self.store.queue(),
                counsellors,
                now=at,
                overflow_after=config("OVERFLOW_SECONDS"),
            )
            if not plan:
                break
            lost = 0
            for offer in plan:
                expires = at + config("OFFER_TIMEOUT_SECONDS")
                if await self.store.offer(offer.contact_id, offer.counsellor_id, expires):
                    made += 1
                    await self.publish(
                        groups.staff(offer.counsellor_id), {"type": "offer.made", "contact": offer.contact_id}
                    )
                else:
                    lost += 1
            if not lost:
                break
        if made:
            await self.queue_changed()
        return made

    async def counsellors_for_routing(self) -> list[Counsellor]:
        counsellors = await self.store.counsellors()
        if config("PHONE_EXCLUSIVE"):
            for c in counsellors:
                if not policy.can_take_more(c):
                    continue  # a call only matters for someone who could otherwise take more
                for cid in c.active:
                    if await self.channel_of(cid) == "phone":
                        c.on_call = True
                        break
        return counsellors

    async def channel_of(self, contact_id: str) -> Channel | None:
        """The contact's channel (None once it is gone), read from the store once."""
        channel = self._channels.get(contact_id)
        if channel is None:
            contact = await self.store.get_contact(contact_id)
            if contact is None:
                return None
            channel = self._channels[contact_id] = contact.channel
            if len(self._channels) > KEY_CACHE_SIZE:
                self._channels.popitem(last=False)
        return channel

    # --- phone calls (contacts/phone.py adapts Twilio's webhooks to these) ---
    async def call_contact(self, call_sid: str) -> Contact | None:
        return await self.resume(call_token(call_sid))

    async def start_call(self, call_sid: str, language: str) -> Contact | Closed:
        """The caller chose a language: join the queue, once, however often Twilio asks."""
        existing = await self.call_contact(call_sid)
        if existing is not None:
            return existing
        closed = await self.availability(language, "phone")
        if closed is not None:
            return closed
        contact_id = secrets.token_hex(8)
        contact = Contact(
            id=contact_id,
            key=crypto.new_conversation_key(contact_id),
            channel="phone",
            language=language,
            enqueued_at=time.time(),
        )
        await self.store.add_contact(contact, token_hash(call_token(call_sid)))
        metrics.contact_started("phone")
        await self.queue_changed()
        await self.route()
        await acount("contacts", channel="phone", language=language, kind="unknown", danger="no")
        return contact

    async def call_not_answered(self, contact: Contact) -> None:
        """The counsellor's phone did not answer: the caller goes back to the front of the
        queue, the counsellor to away."""
        counsellor_id = contact.counsellor
        if await self.store.requeue(contact.id, counsellor_id):
            await self.publish(
                groups.staff(counsellor_id),
                {"type": "conv.ended", "contact": contact.id, "by": "not_answered", "undelivered": 0},
            )
            await self.set_duty(counsellor_id, "away")

    async def tick(self, now: float | None = None) -> None:
        """Timers: offers nobody answered, visitors and counsellors who did not come back,
        contacts that have waited past the language overflow."""
        now = time.time() if now is None else now
        await self._heartbeat(now)
        for contact_id, counsellor_id in await self.store.expired_offers(now):
            await self.withdraw(contact_id, counsellor_id, away=True)
        for contact_id in await self.store.visitors_gone_before(now - config("GRACE_SECONDS")):
            await self.end(contact_id, "visitor_gone")
        if now - self._last_sweep >= 60:
            if int(now // 3600) != int(self._last_sweep // 3600):
                from audit.log import prune

                await database_sync_to_async(prune)()  # hourly: the audit log's fixed retention
            self._last_sweep = now
            await self.store.sweep()
            await self.record_sample(now)
        for counsellor_id in await self.store.counsellors_gone_before(now - config("COUNSELLOR_GRACE_SECONDS")):
            await self.requeue_all(counsellor_id)
            await self.store.set_counsellor_state(counsellor_id, "off", now)
            await self.store.set_counsellor_gone(counsellor_id, 0.0)
            await self.queue_changed()
        await self.route(now)

    def ensure_ticker(self) -> None:
        """Start this process's timer loop on the running event loop, once."""
        loop = asyncio.get_running_loop()
        if self._ticker is not None and not self._ticker.done() and self._ticker_loop is loop:
            return
        self._ticker_loop = loop
        self._ticker = loop.create_task(self._tick_forever())

    async def _tick_forever(self) -> None:
        while True:
            await asyncio.sleep(config("TICK_SECONDS"))
            try:
                await self.tick()
            except asyncio.CancelledError:
                raise
            except Exception:
                # Redis away for a moment: keep ticking, recover when it is back.
                metrics.TICK_FAILURES.inc()
                logger.warning("tick failed", exc_info=True)

    async def stop_ticker(self) -> None:
        if self._ticker is not None:
            self._ticker.cancel()
            # Bounded: a library call that swallows the cancellation must not hang a
            # shutdown (seen once in the suite, never reproduced).
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await asyncio.wait_for(asyncio.shield(self._ticker), timeout=5)
            self._ticker = None


def intake_state(intake: Intake) -> dict[str, Any]:
    return {"chat_paused": intake.chat_paused, "phone_paused": intake.phone_paused, "max_queue": intake.max_queue}


def shown_state(member: Counsellor) -> str:
    """Available at full capacity shows as busy."""
    return "busy" if member.state == "available" and member.load >= member.capacity else member.state


def today_figures() -> dict[str, Any]:
    from django.utils import timezone

    from stats.models import DailyCount

    rows = DailyCount.objects.filter(day=timezone.localdate())
    totals = {r.metric: r.count for r in rows if r.dimension == ""}
    waits = {r.value: r.count for r in rows if r.metric == "wait" and r.dimension == "band"}
    return {
        "contacts": totals.get("contacts", 0),
        "answered": totals.get("contacts.answered", 0),
        "left": totals.get("contacts.left_before_answer", 0),
        "out_of_hours": totals.get("contacts.out_of_hours", 0),
        "turned_away": totals.get("contacts.turned_away", 0) + totals.get("contacts.nobody_on_duty", 0),
        "wait_median": band_percentile(waits, 0.5),
        "wait_p90": band_percentile(waits, 0.9),
    }


def band_percentile(counts: dict[str, int], q: float) -> str | None:
    """The wait band that holds the q-th quantile: counters keep bands, never single waits."""
    from stats.counters import WAIT_BANDS

    total = sum(counts.values())
    if not total:
        return None
    running = 0
    for name in WAIT_BANDS:
        running += counts.get(name, 0)
        if running >= q * total:
            return name
    return WAIT_BANDS[-1]


_service: Service | None = None


def get_service() -> Service:
    global _service
    if _service is None:
        _service = Service(get_store())
    return _service


def reset_service() -> None:
    """Forget the process's service and store (tests switch backends between runs)."""
    global _service
    _service = None
    get_store.cache_clear()
