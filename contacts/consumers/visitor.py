"""The visitor endpoint /ws/visitor/."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable
from typing import Any

from django.conf import settings

from chatservice import vocabulary
from contacts import groups, protocol
from contacts.consumers.base import CLOSE_FLOOD
from contacts.consumers.delivery import Delivery
from contacts.events import (
    ConvClosing,
    ConvElsewhere,
    ConvEnded,
    ConvHandedOver,
    ConvMessage,
    ConvRequeued,
    ConvStarted,
    ConvSupervisor,
    ConvTransferred,
    ConvTyping,
    QueueChanged,
)
from contacts.frames import ClosedFrame, StartedFrame
from contacts.limits import connections, source_of
from contacts.protocol import FrameError
from contacts.service import Closed
from routing.state import Contact

LANGUAGES = frozenset(code for code, _ in settings.LANGUAGES)
KINDS = frozenset({"", *vocabulary.VISITOR_KINDS})
FEEDBACK = frozenset(vocabulary.FEEDBACK_ANSWERS)


class VisitorConsumer(Delivery):
    endpoint = "visitor"
    handlers = {
        "start": "on_start",
        "resume": "on_resume",
        "send": "on_send",
        "ack": "on_ack",
        "typing": "on_typing",
        "end": "on_end",
        "sync": "on_sync",
        "feedback": "on_feedback",
        "leaving": "on_leaving",
        "visibility": "on_visibility",
    }

    contact_id: str | None = None
    may_give_feedback = False  # once, after a conversation with a counsellor ended here
    joined_sent = False
    tags_contact = False  # one conversation per socket: its frames name none
    _queue_task: asyncio.Task[None] | None = None

    source = ""
    counted = False
    centre = ""  # the centre of this socket's latest contact, for the feedback count

    async def connect(self) -> None:
        self.source = source_of(self.scope)
        if not connections.acquire(self.source):
            await self.close(code=CLOSE_FLOOD)
            return
        self.counted = True
        await self.accept()
        self.service.ensure_ticker()

    def let_go(self) -> list[Awaitable[Any]]:
        if self.counted:
            connections.release(self.source)
            self.counted = False
        if self._queue_task is not None:
            self._queue_task.cancel()
        if self.contact_id is None:
            return []
        cid = self.contact_id
        return [
            self.service.visitor_presence(cid, connected=False),
            self.service.hold("v", cid, False),
            self.leave(groups.visitor(cid)),
            self.leave(groups.WAITING),
        ]

    # --- frames from the page ---
    async def on_start(self, frame: dict[str, Any]) -> None:
        if self.contact_id is not None:
            raise FrameError("already_started")
        language = protocol.choice(frame, "lang", LANGUAGES, settings.LANGUAGE_CODE)
        kind = protocol.choice(frame, "kind", KINDS, "")
        danger = protocol.flag(frame, "danger")
        plain = protocol.flag(frame, "plain")
        centre = await self.service.centre_of_page(protocol.choice(frame, "centre", await self.service.pages(), ""))
        result = await self.service.start_contact(
            channel="chat",
            language=language,
            kind=kind,
            danger=danger,
            plain=plain,
            source=self.source,
            centre=centre,
            on_created=self.attach,
        )
        if isinstance(result, Closed):
            info = result.info
            closed: ClosedFrame = {
                "type": "closed",
                "reason": result.reason,
                "text": info["text"],
                "hours": info["hours"],
                "numbers": info["numbers"],
            }
            if result.elsewhere is not None and result.elsewhere.url:
                closed["elsewhere"] = {"name": result.elsewhere.name, "url": result.elsewhere.url}
            await self.out(closed)
            return
        started: StartedFrame = {"type": "started", "token": result.token, "grace": settings.CHAT["GRACE_SECONDS"]}
        if result.answered_by:
            started["answered_by"] = result.answered_by
        await self.out(started)
        await self.send_queue_status()

    async def on_resume(self, frame: dict[str, Any]) -> None:
        if self.contact_id is not None:
            raise FrameError("already_started")
        last_seq = protocol.seq(frame, "last_seq")
        token = protocol.token(frame)
        contact = await self.service.resume_chat(token) if token is not None else None
        if contact is None:
            await self.out({"type": "expired"})
            return
        await self.attach(contact.id)
        await self.service.visitor_presence(contact.id, connected=True)
        self.delivered[contact.id] = min(last_seq, contact.seq)
        await self.service.ack(contact.id, "visitor", self.delivered[contact.id])
        await self.out({"type": "resumed", "state": "active" if contact.state == "active" else "queued"})
        if contact.state == "active":
            await self.leave(groups.WAITING)
            await self.send_joined(contact)
            await self.deliver(contact.id)
        else:
            await self.send_queue_status()
            # Told while this page was away: said again (the page shows each once).
            for notice in await self.service.waiting_notices(contact.id):
                if notice["type"] == "conv.closing":
                    await self.conv_closing(notice)
                else:
                    await self.conv_elsewhere(notice)

    async def on_send(self, frame: dict[str, Any]) -> None:
        cid = self.require_contact()
        message_id = protocol.client_id(frame)
        body = protocol.message_text(frame, message_id)
        result = await self.service.send(cid, "visitor", body, message_id)
        if result is None:
            raise FrameError("not_in_conversation", message_id)
        self.sent_own(cid, result.seq)
        await self.out({"type": "sent", "id": message_id, "seq": result.seq})

    async def on_ack(self, frame: dict[str, Any]) -> None:
        await self.service.ack(self.require_contact(), "visitor", protocol.seq(frame))

    async def on_typing(self, frame: dict[str, Any]) -> None:
        await self.service.typing(self.require_contact(), "visitor")

    async def on_end(self, frame: dict[str, Any]) -> None:
        cid = self.require_contact()
        quick = protocol.flag(frame, "quick")
        self.may_give_feedback = self.joined_sent and not quick
        await self.detach()
        await self.service.end(cid, "quick_exit" if quick else "visitor")
        await self.out({"type": "ended", "by": "visitor", "undelivered": 0})

    async def on_leaving(self, frame: dict[str, Any]) -> None:
        """The page is being unloaded (reload, Back, a closed tab). It held the only copy
        of the token and wipes it now, so nobody can resume this conversation: end it at
        once, so the counsellor knows instead of waiting out the grace. No reply."""
        if self.contact_id is None:
            return  # a page that never started, or already ended: nothing to tell
        cid = self.contact_id
        await self.detach()
        await self.service.end(cid, "visitor_left")

    async def on_visibility(self, frame: dict[str, Any]) -> None:
        await self.service.visitor_visibility(self.require_contact(), protocol.flag(frame, "hidden"))

    async def on_feedback(self, frame: dict[str, Any]) -> None:
        answer = protocol.choice(frame, "answer", FEEDBACK)
        if not self.may_give_feedback:
            raise FrameError("not_now")
        self.may_give_feedback = False
        await self.service.feedback(answer, self.centre)
        await self.out({"type": "thanks"})

    async def on_sync(self, frame: dict[str, Any]) -> None:
        """Keep-alive and catch-up: whatever nudge was lost, the page ends up right."""
        cid = self.require_contact()
        last_seq = protocol.seq(frame, "last_seq")
        contact = await self.service.contact(cid)
        if contact is None:
            await self.detach()
            await self.out({"type": "ended", "by": "system", "undelivered": 0})
            return
        if contact.visitor_gone_at:
            # An old socket's late disconnect marked this visitor gone while they are here.
            await self.service.visitor_presence(cid, connected=True)
        if contact.state == "active":
            if not self.joined_sent:
                await self.send_joined(contact)
            self.resync(cid, last_seq)
            await self.deliver(cid)
        else:
            await self.send_queue_status()

    # --- helpers ---
    def require_contact(self) -> str:
        if self.contact_id is None:
            raise FrameError("not_started")
        return self.contact_id

    async def attach(self, contact_id: str) -> None:
        self.contact_id = contact_id
        contact = await self.service.contact(contact_id)
        self.centre = contact.centre if contact is not None else self.centre
        self.delivered, self.own = {contact_id: 0}, {}
        self.joined_sent = False
        await self.service.hold("v", contact_id, True)
        await self.join(groups.visitor(contact_id))
        await self.join(groups.WAITING)

    async def detach(self) -> None:
        if self.contact_id is not None:
            await self.service.hold("v", self.contact_id, False)
            await self.leave(groups.visitor(self.contact_id))
            await self.leave(groups.WAITING)
        self.contact_id = None

    async def send_queue_status(self, since: float | None = None) -> None:
        if self.contact_id is None:
            return
        status = await self.service.queue_status(self.contact_id, since)
        if status is not None:
            position, wait = status
            await self.out({"type": "queue", "position": position, "wait": wait})

    async def send_joined(self, contact: Contact) -> None:
        self.joined_sent = True
        if contact.transferred:
            # Told again on a reconnect exactly as at the transfer: a centre that does not
            # name the colleague does not name them now either.
            await self.out({"type": "joined", "name": await self.service.name_after_transfer(contact)})
            return
        counsellor = await self.service.counsellor(contact.counsellor)
        # The name this centre's visitors know the counsellor by (a pseudonym per centre).
        await self.out({"type": "joined", "name": counsellor.name_at(contact.centre) if counsellor else ""})

    async def deliver(self, cid: str) -> None:
        if cid != self.contact_id:
            return
        if not self.joined_sent:
            # The news that a counsellor joined may have been lost: never show their words first.
            contact = await self.service.contact(cid)
            if contact is not None and contact.state == "active":
                await self.send_joined(contact)
        await super().deliver(cid)

    # --- layer events ---
    async def queue_changed(self, event: QueueChanged) -> None:
        await self.debounced("_queue_task", self.send_queue_status)

    async def conv_started(self, event: ConvStarted) -> None:
        if event["contact"] != self.contact_id:
            return
        contact = await self.service.contact(event["contact"])
        if contact is not None and contact.state == "active":
            await self.leave(groups.WAITING)
            # A sync or a message may have announced the counsellor already.
            if not self.joined_sent:
                await self.send_joined(contact)

    async def conv_message(self, event: ConvMessage) -> None:
        if event["contact"] != self.contact_id:
            return
        # Until the page has heard who joined, every message goes the slow way (which says so first).
        await self.deliver_event(event["contact"], event, ready=self.joined_sent)

    async def conv_typing(self, event: ConvTyping) -> None:
        if event["contact"] == self.contact_id and event["sender"] != "visitor":
            await self.out({"type": "typing"})

    async def conv_ended(self, event: ConvEnded) -> None:
        if event["contact"] != self.contact_id:
            return
        await self.deliver(event["contact"])  # anything said before the end still reaches the page
        self.may_give_feedback = self.joined_sent
        await self.detach()
        await self.out({"type": "ended", "by": event["by"], "undelivered": 0})

    async def conv_requeued(self, event: ConvRequeued) -> None:
        if event["contact"] != self.contact_id:
            return
        self.joined_sent = False
        await self.join(groups.WAITING)
        await self.out({"type": "requeued", "reason": event.get("reason", "disconnected")})
        await self.send_queue_status()

    async def conv_supervisor(self, event: ConvSupervisor) -> None:
        if event["contact"] == self.contact_id:
            await self.out({"type": "supervisor", "joined": event["joined"], "name": event["name"]})

    async def conv_handed_over(self, event: ConvHandedOver) -> None:
        if event["contact"] == self.contact_id:
            await self.out({"type": "handed_over", "name": event["name"]})

    async def conv_elsewhere(self, event: ConvElsewhere) -> None:
        if event["contact"] == self.contact_id:
            await self.out({"type": "elsewhere", "name": event["name"], "url": event["url"]})

    async def conv_closing(self, event: ConvClosing) -> None:
        if event["contact"] == self.contact_id:
            await self.out({"type": "closing", "closes": event["closes"]})

    async def conv_transferred(self, event: ConvTransferred) -> None:
        if event["contact"] != self.contact_id:
            return
        contact = await self.service.contact(event["contact"])
        if contact is not None:
            await self.out({"type": "transferred", "name": await self.service.name_after_transfer(contact)})
