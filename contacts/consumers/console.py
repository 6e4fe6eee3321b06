"""The counsellor console endpoint /ws/console/."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable
from typing import Any, overload

from channels.db import database_sync_to_async
from django.conf import settings

from chatservice import vocabulary
from contacts import groups, protocol
from contacts.consumers.notes import SideChannel
from contacts.events import (
    ConvEnded,
    ConvMessage,
    ConvRequeued,
    ConvStarted,
    ConvSupervisor,
    ConvTyping,
    IntakeChanged,
    OfferMade,
    OfferWithdrawn,
    QueueChanged,
    StaffChanged,
    StaffLogout,
    StaffNote,
    VisitorPresence,
)
from contacts.frames import (
    Colleague,
    ContactInfo,
    ConversationFrame,
    IntakeFrame,
    MeFrame,
    MeInfo,
    OfferFrame,
    QueueItem,
)
from contacts.protocol import FrameError
from routing.state import READY_WHEN_SAID, Contact, Counsellor
from staff.profiles import load_profile
from staff.revocation import StaffAccessMixin
from stats import vocab

DUTY_STATES = frozenset(vocabulary.CHOSEN_DUTY_STATES)
TRANSFER_TARGETS = frozenset(vocabulary.TRANSFER_TARGETS)
CONTACT_LANGUAGES = frozenset(code for code, _ in settings.CONTACT_LANGUAGES)
SKILLS = frozenset(vocabulary.SKILLS)
WRAPUP_KINDS = vocab.codes(vocab.KINDS)
WRAPUP_AGES = vocab.codes(vocab.AGE_BANDS)
WRAPUP_MUNICIPALITIES = vocab.codes(vocab.MUNICIPALITIES)
WRAPUP_TOPICS = vocab.codes(vocab.TOPICS)
NOTE_TARGETS = frozenset({"counsellor", "supervisors"})  # a counsellor writes to these
QUEUE_ITEMS_SHOWN = 50  # the console lists the head of the queue and counts the rest
CENTRES_REMEMBERED = 1_000  # conversations whose centre a console keeps for their wrap-up


class CounsellorConsumer(StaffAccessMixin, SideChannel):
    endpoint = "console"
    labels_authors = True
    staff_role = "counsellor"  # staff/revocation.py re-checks the session
    handlers = {
        "duty": "on_duty",
        "accept": "on_accept",
        "pick": "on_accept",
        "decline": "on_decline",
        "send": "on_send",
        "ack": "on_ack",
        "typing": "on_typing",
        "end": "on_end",
        "sync": "on_sync",
        "ping": "on_ping",
        "ready": "on_ready",
        "transfer": "on_transfer",
        "wrapup": "on_wrapup",
        "help": "on_help",
        "block": "on_block",
        "whisper": "on_whisper",
        "note": "on_note",
    }

    _queue_task: asyncio.Task[None] | None = None
    centres: tuple[str, ...] = ("",)  # the centres whose queue this console shows

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.centre_of: dict[str, str] = {}  # this console's conversations: their centres

    async def connect(self) -> None:
        profile = await database_sync_to_async(load_profile)(self.scope.get("user"), self.scope.get("session"))
        if profile is None:
            await self.close(code=4403)
            return
        self.uid = profile.id
        self.centres = profile.centres or ("",)
        await self.service.hold("c", profile.id, True)
        me = await self.service.counsellor_online(profile)
        self.name = me.name
        await self.join(groups.staff(self.uid))
        await self.join(groups.STAFF_ALL)
        await self.accept()
        self.watch_access()
        self.service.ensure_ticker()
        conversations: list[ConversationFrame] = []
        for cid in me.active:
            contact = await self.service.contact(cid)
            if contact is not None:
                conversations.append(self.conversation_info(contact))
        await self.out({"type": "hello", "me": self.me_info(me), "conversations": conversations})
        for intake in await self.service.intakes(self.centres):
            await self.out(IntakeFrame(type="intake", **intake))
        await self.send_queue()
        for contact in await self.service.queue():
            # An offer made while this console was reloading is still this counsellor's.
            if contact.state == "offered" and contact.offered_to == self.uid:
                await self.offer_made(OfferMade(type="offer.made", contact=contact.id))

    def let_go(self) -> list[Awaitable[Any]]:
        self.stop_watching()
        self.stop_notes()
        if self._queue_task is not None:
            self._queue_task.cancel()
        if not self.uid:
            return []
        return [
            self.service.counsellor_offline(self.uid),
            self.service.hold("c", self.uid, False),
            self.leave(groups.staff(self.uid)),
            self.leave(groups.STAFF_ALL),
        ]

    # --- frames from the console ---
    async def on_duty(self, frame: dict[str, Any]) -> None:
        state = protocol.choice(frame, "state", DUTY_STATES)
        await self.service.set_duty(self.uid, state, chosen=True)  # type: ignore[arg-type]

    async def on_accept(self, frame: dict[str, Any]) -> None:
        cid = protocol.contact_id(frame)
        contact = await self.service.accept(self.uid, cid)
        if contact is None:
            raise FrameError("not_available", cid)
        self.track(cid)

    async def on_decline(self, frame: dict[str, Any]) -> None:
        await self.service.decline(self.uid, protocol.contact_id(frame))

    async def on_send(self, frame: dict[str, Any]) -> None:
        # Whose conversation it is, the store checks as it appends (one step, no read).
        cid = protocol.contact_id(frame)
        message_id = protocol.client_id(frame)
        body = protocol.message_text(frame, message_id)
        prompt = protocol.flag(frame, "prompt")  # the "are you still there?" button
        result = await self.service.send(cid, "counsellor", body, message_id, author=self.uid)
        if result is None:
            await self.mine_or_ended(frame)  # not_yours, if that is why
            raise FrameError("not_in_conversation", message_id)
        if prompt and not result.duplicate:
            await self.service.idle_prompted(cid)
        self.sent_own(cid, result.seq)
        await self.out({"type": "sent", "contact": cid, "id": message_id, "seq": result.seq})

    async def on_ack(self, frame: dict[str, Any]) -> None:
        cid = protocol.contact_id(frame)
        if not await self.service.ack(cid, "counsellor", protocol.seq(frame), author=self.uid):
            await self.mine_or_ended(frame)

    async def on_typing(self, frame: dict[str, Any]) -> None:
        cid = await self.mine_or_ended(frame)
        if cid is not None:
            await self.service.typing(cid, "counsellor")

    async def on_end(self, frame: dict[str, Any]) -> None:
        await self.service.end(await self.mine(frame), "counsellor")

    async def on_sync(self, frame: dict[str, Any]) -> None:
        if await self.service.contact(protocol.contact_id(frame)) is None:
            # Gone from the live state (ended, expired, or Redis lost it): say so plainly.
            cid = protocol.contact_id(frame)
            await self.out({"type": "ended", "contact": cid, "by": "system", "undelivered": 0})
            return
        cid = await self.mine(frame)
        last_seq = protocol.seq(frame, "last_seq")
        self.resync(cid, last_seq)
        await self.deliver(cid)

    async def on_transfer(self, frame: dict[str, Any]) -> None:
        cid = await self.mine(frame)
        target = protocol.choice(frame, "to", TRANSFER_TARGETS)
        if target == "counsellor":
            to_id = frame.get("counsellor")
            if isinstance(to_id, bool) or not isinstance(to_id, int):
                raise FrameError("bad_field", "counsellor")
            ok = await self.service.transfer_to_counsellor(self.uid, cid, to_id)
        elif target == "language":
            language = protocol.choice(frame, "language", CONTACT_LANGUAGES)
            ok = await self.service.transfer_to_queue(self.uid, cid, language=language)
        else:
            skill = protocol.choice(frame, "skill", SKILLS)
            ok = await self.service.transfer_to_queue(self.uid, cid, skill=skill)
        if not ok:
            raise FrameError("not_available", cid)

    async def on_block(self, frame: dict[str, Any]) -> None:
        """End an abusive conversation and turn the same source away for a while."""
        await self.service.block(await self.mine(frame))

    async def on_help(self, frame: dict[str, Any]) -> None:
        cid = await self.mine(frame)
        if not await self.service.request_help(self.uid, cid):
            raise FrameError("not_available", cid)
        await self.out({"type": "help_requested", "contact": cid})

    async def on_wrapup(self, frame: dict[str, Any]) -> None:
        cid = protocol.contact_id(frame)
        fields = {}
        for key, allowed in (("kind", WRAPUP_KINDS), ("age", WRAPUP_AGES), ("municipality", WRAPUP_MUNICIPALITIES)):
            value = protocol.choice(frame, key, allowed | {""}, "")
            if value:
                fields[key] = value
        topics = frame.get("topics", [])
        if not isinstance(topics, list) or len(topics) > len(WRAPUP_TOPICS):
            raise FrameError("bad_field", "topics")
        if not all(isinstance(t, str) and t in WRAPUP_TOPICS for t in topics):
            raise FrameError("bad_field", "topics")
        centre = self.centre_of.pop(cid, "")
        if not await self.service.wrapup(self.uid, cid, fields, sorted(set(topics)), centre):
            raise FrameError("not_yours", cid)
        await self.out({"type": "wrapped", "contact": cid})

    async def on_whisper(self, frame: dict[str, Any]) -> None:
        """A line for the joined supervisor only, never for the visitor."""
        await self.whisper_from_page(frame)

    async def on_note(self, frame: dict[str, Any]) -> None:
        """A message to a colleague of this counsellor's centres, or to its supervisors."""
        to = protocol.choice(frame, "to", NOTE_TARGETS)
        await self.note_from_page(frame, to, self.centres)

    def reads_note(self, event: StaffNote) -> bool:
        if event["to"] == "whisper":
            return event["contact"] in self.delivered  # a conversation on this console
        if event["to"] in ("counsellor", "counsellors"):
            return bool(set(event["centres"]) & set(self.centres))
        return False  # to the supervisors: only the sender's own tabs show it

    async def on_ready(self, frame: dict[str, Any]) -> None:
        """Ready for the next contact after a breather."""
        await self.service.ready(self.uid)

    async def on_ping(self, frame: dict[str, Any]) -> None:
        await self.service.counsellor_seen(self.uid)
        await self.out({"type": "pong"})

    # --- helpers ---
    async def mine_or_ended(self, frame: dict[str, Any]) -> str | None:
        """As ``mine``, but None for a conversation that has just ended: the page's ack
        or typing crossed the visitor's end, and the ``ended`` that says why (and opens
        the wrap-up) is on its way. A ``not_yours`` here made the page end it "by the
        system" first, with no wrap-up."""
        return await self.mine(frame, ended_ok=True)

    @overload
    async def mine(self, frame: dict[str, Any]) -> str: ...
    @overload
    async def mine(self, frame: dict[str, Any], *, ended_ok: bool) -> str | None: ...
    async def mine(self, frame: dict[str, Any], *, ended_ok: bool = False) -> str | None:
        """The contact named in the frame, if it is in conversation with this counsellor
        (``ended_ok``: None if it is gone from the live state)."""
        cid = protocol.contact_id(frame)
        contact = await self.service.contact(cid)
        if contact is None and ended_ok:
            return None
        if contact is None or contact.state != "active" or contact.counsellor != self.uid:
            raise FrameError("not_yours", cid)
        return cid

    @staticmethod
    def me_info(me: Counsellor) -> MeInfo:
        return {
            "name": me.name,
            "state": me.state,
            "capacity": me.capacity,
            "load": me.load,
            "languages": list(me.languages),
            "rest_until": 0
            if me.rest_until <= time.time()
            else -1
            if me.rest_until >= READY_WHEN_SAID
            else int(me.rest_until * 1000),
        }

    @staticmethod
    def contact_info(contact: Contact) -> ContactInfo:
        return {
            "contact": contact.id,
            "centre": contact.centre,
            "channel": contact.channel,
            "language": contact.language,
            "kind": contact.kind,
            "danger": contact.danger,
            "plain": contact.plain,
            "skill": contact.skill,
            "waited": int(time.time() - contact.enqueued_at),
            # With the frame's "now", the page counts the wait on by itself (the queue
            # frame is built once and shared, so "waited" alone would stand still).
            "enqueued": int(contact.enqueued_at * 1000),
        }

    def conversation_info(self, contact: Contact) -> ConversationFrame:
        # Remembered for the wrap-up, which comes after the contact is gone from live state.
        self.centre_of[contact.id] = contact.centre
        if len(self.centre_of) > CENTRES_REMEMBERED:
            # A conversation handed on is never wrapped up here: forget the oldest.
            del self.centre_of[next(iter(self.centre_of))]
        return ConversationFrame(
            type="conversation",
            visitor="away" if contact.visitor_gone_at else "connected",
            supervisor=bool(contact.supervisor),
            **self.contact_info(contact),
        )

    async def send_me(self) -> None:
        me = await self.service.counsellor(self.uid)
        if me is not None:
            await self.out(MeFrame(type="me", **self.me_info(me)))

    async def send_queue(self, since: float | None = None) -> None:
        at = time.monotonic() if since is None else since
        view = await self.service.queue_view.get(at)
        counsellors, _mean = await self.service.staff_view.get(at)
        memo = ("items", self.centres)
        if memo not in view.memo:
            # The head of the queue, built once per read for every console of the same
            # centres: the whole list (30 KB with 200 waiting) to every console at every
            # change was most of the cost of a busy queue. The count says how many more
            # there are. Another centre's contacts are never listed, not even counted.
            mine = [c for c in view.contacts if c.centre in self.centres]
            view.memo[memo] = (
                [QueueItem(offered=c.state == "offered", **self.contact_info(c)) for c in mine[:QUEUE_ITEMS_SHOWN]],
                len(mine),
            )
        items: list[QueueItem]
        items, total = view.memo[memo]
        counsellors = [c for c in counsellors if set(c.centres or ("",)) & set(self.centres)]
        on_duty = sum(1 for c in counsellors if c.state != "off")
        # Who a conversation can be handed to: colleagues on shift, with their load.
        colleagues: list[Colleague] = [
            {
                "id": c.id,
                "name": c.name,
                "state": c.state,
                "load": c.load,
                "capacity": c.capacity,
                "languages": list(c.languages),
                "skills": list(c.skills),
            }
            for c in counsellors
            if c.state != "off" and c.id != self.uid and not c.gone_at
        ]
        await self.out(
            {
                "type": "queue",
                "items": items,
                "total": total,
                "on_duty": on_duty,
                "colleagues": colleagues,
                "now": int(time.time() * 1000),
            }
        )

    # --- layer events ---
    async def queue_changed(self, event: QueueChanged) -> None:
        await self.debounced("_queue_task", self.send_queue)

    async def staff_changed(self, event: StaffChanged) -> None:
        await self.send_me()

    async def intake_changed(self, event: IntakeChanged) -> None:
        centre = str(event.get("centre") or "")
        if centre not in self.centres:
            return  # another centre paused: nothing this counsellor's queue notices
        await self.out(
            {
                "type": "intake",
                "centre": centre,
                "centre_name": str(event.get("centre_name") or ""),
                "chat_paused": bool(event.get("chat_paused")),
                "phone_paused": bool(event.get("phone_paused")),
                "max_queue": int(event.get("max_queue") or 0),
            }
        )

    async def staff_logout(self, event: StaffLogout) -> None:
        await self.close(code=4401)  # logged out or deactivated: this session is over

    async def offer_made(self, event: OfferMade) -> None:
        contact = await self.service.contact(event["contact"])
        if contact is not None and contact.state == "offered" and contact.offered_to == self.uid:
            expires_in = max(0, int(contact.offer_expires - time.time()))
            now = int(time.time() * 1000)
            await self.out(OfferFrame(type="offer", expires_in=expires_in, now=now, **self.contact_info(contact)))

    async def offer_withdrawn(self, event: OfferWithdrawn) -> None:
        await self.out({"type": "offer_withdrawn", "contact": event["contact"]})

    async def conv_started(self, event: ConvStarted) -> None:
        contact = await self.service.contact(event["contact"])
        if contact is not None and contact.counsellor == self.uid:
            self.track(contact.id)
            await self.out(self.conversation_info(contact))
            await self.deliver(contact.id)
            await self.send_me()

    async def conv_message(self, event: ConvMessage) -> None:
        cid = event["contact"]
        counsellor = event.get("counsellor")
        if counsellor is None:  # a nudge from a process that does not say (mid-upgrade)
            contact = await self.service.contact(cid)
            counsellor = contact.counsellor if contact is not None else 0
        if counsellor != self.uid:
            return
        await self.deliver_event(cid, event)

    async def conv_typing(self, event: ConvTyping) -> None:
        if event["sender"] == "visitor":
            await self.out({"type": "typing", "contact": event["contact"]})

    async def conv_ended(self, event: ConvEnded) -> None:
        cid = event["contact"]
        self.forget(cid)
        await self.out({"type": "ended", "contact": cid, "by": event["by"], "undelivered": event["undelivered"]})
        await self.send_me()

    async def conv_requeued(self, event: ConvRequeued) -> None:
        self.forget(event["contact"])
        await self.out({"type": "ended", "contact": event["contact"], "by": "requeued", "undelivered": 0})

    async def conv_supervisor(self, event: ConvSupervisor) -> None:
        await self.out(
            {"type": "supervisor", "contact": event["contact"], "joined": event["joined"], "name": event["name"]}
        )

    async def visitor_presence(self, event: VisitorPresence) -> None:
        await self.out(
            {
                "type": "visitor",
                "contact": event["contact"],
                "state": event.get("state") or ("connected" if event["connected"] else "away"),
            }
        )
