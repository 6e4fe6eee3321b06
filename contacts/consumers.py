"""WebSocket adapters for visitors and counsellors (docs/protocol.md).

Thin on purpose: parse and check a frame, call the service, shape the reply. Layer
events are nudges named ``kind.action``; a handler re-reads the store rather than trust
a payload, so a dropped or repeated event changes nothing.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import re
import time
import traceback
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

from channels.consumer import get_handler_name
from channels.db import database_sync_to_async
from channels.exceptions import StopConsumer
from channels.generic.websocket import AsyncWebsocketConsumer
from django.conf import settings
from django.utils import translation

from chatservice import metrics
from contacts import groups, protocol
from contacts.limits import Bucket, connections, source_of
from contacts.protocol import FrameError
from contacts.service import Closed, Service, get_service
from contacts.text import counsellor_html
from frontend.revocation import StaffAccessMixin
from routing import state
from routing.state import Contact, Counsellor, Message
from stats import vocab

Handler = Callable[[dict[str, Any]], Awaitable[None]]
LANGUAGES = frozenset(code for code, _ in settings.LANGUAGES)
KINDS = frozenset({"", "self", "relative", "professional"})
DUTY_STATES = frozenset({"available", "break", "off"})
FEEDBACK = frozenset({"yes", "somewhat", "no"})
MAX_QUEUE_CAP = 10_000  # a cap beyond any real queue, and well inside the database column
TRANSFER_TARGETS = frozenset({"counsellor", "language", "skill"})
CONTACT_LANGUAGES = frozenset(code for code, _ in settings.CONTACT_LANGUAGES)
SKILLS = frozenset(state.SKILLS)
WRAPUP_KINDS = vocab.codes(vocab.KINDS)
WRAPUP_AGES = vocab.codes(vocab.AGE_BANDS)
WRAPUP_MUNICIPALITIES = vocab.codes(vocab.MUNICIPALITIES)
WRAPUP_TOPICS = vocab.codes(vocab.TOPICS)
QUEUE_REFRESH_SECONDS = 0.5  # at most two position updates a second per socket
QUEUE_ITEMS_SHOWN = 50  # the console lists the head of the queue and counts the rest
# Close codes (docs/protocol.md). An application may only send 1000 or 3000-4999 (RFC
# 6455; autobahn refuses anything else and the handler used to crash on its own close),
# so the transport's own codes are mirrored at 4000 + code.
BLOCK_ID = re.compile(r"^[0-9a-f]{32}$")  # a block is known by its source's keyed hash
CLOSE_TOO_LARGE = 4009
CLOSE_INTERNAL = 4011
CLOSE_FLOOD = 4429

logger = logging.getLogger(__name__)


def where(exc: BaseException) -> str:
    """file:line where ``exc`` was raised: enough to find the bug, and no content. An
    exception's message may quote the frame (a UnicodeEncodeError quotes the character),
    so neither the message nor the traceback is ever logged."""
    frames = traceback.extract_tb(exc.__traceback__)
    return f"{Path(frames[-1].filename).name}:{frames[-1].lineno}" if frames else "?"


class BaseConsumer(AsyncWebsocketConsumer):  # type: ignore[misc]
    handlers: dict[str, str] = {}
    endpoint = "other"  # the metrics' label for this kind of socket
    labels_authors = False  # staff pages: message frames say whose line it is ("mine", "name")
    _bucket: Bucket | None = None
    _open = False
    _transport_gone = False

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.names: dict[int, str] = {}  # staff pseudonyms by uid, for labelling lines

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        # Whatever happens inside, the socket's per-address slot and its presence are
        # given back: a handler that died used to keep them until a restart, and thirty
        # crafted frames then shut a shared address (or, without proxy headers, every
        # visitor) out of the chat.
        try:
            await super().__call__(scope, receive, send)
        except Exception as exc:
            self.failed("socket", exc)
            await self.close_quietly(CLOSE_INTERNAL)
        finally:
            await self.release()

    _released = False

    async def release(self) -> None:
        """Give back what this socket holds, once, however the socket ended."""
        if self._released:
            return
        self._released = True
        for step in self.let_go():
            try:
                await step
            except Exception as exc:
                # Each step on its own: a failed presence update (Redis away) must not
                # keep the slot or the group membership.
                self.failed("release", exc)

    def let_go(self) -> list[Awaitable[Any]]:
        """The steps that give back what this socket holds (each subclass its own)."""
        return []

    async def disconnect(self, code: int) -> None:
        return None  # release() does the work, on this path and on every other

    def failed(self, what: str, exc: BaseException) -> None:
        """One line, no content, for something a handler did not expect."""
        metrics.frame_error("internal")
        logger.error("%s socket: %s failed with %s at %s", self.endpoint, what, type(exc).__name__, where(exc))

    async def close_quietly(self, code: int) -> None:
        with contextlib.suppress(Exception):
            await self.close(code=code)

    async def accept(self, subprotocol: str | None = None, headers: Any = None) -> None:
        await super().accept(subprotocol, headers)
        if not self._open:
            self._open = True
            metrics.SOCKETS.labels(self.endpoint).inc()

    async def dispatch(self, message: dict[str, Any]) -> None:
        # Channels' own dispatch first hops to the one thread that all database calls of
        # a process share (to close stale connections), for every frame and every nudge:
        # a chat message then waited behind a counter's commit, and under load the
        # queue of those hops was the service's bottleneck. Every database call here
        # goes through database_sync_to_async, which closes stale connections on that
        # thread itself, so events need not visit it.
        kind = message.get("type")
        handler = getattr(self, get_handler_name(message), None)
        if handler is None:
            # A layer event this endpoint has no use for (or one from a newer process).
            return
        try:
            await handler(message)
        except (StopConsumer, asyncio.CancelledError):
            raise
        except Exception as exc:
            # A nudge that failed is recovered by the client's next sync; the socket goes on.
            self.failed(handler.__name__, exc)
            if kind == "websocket.connect":
                await self.close_quietly(CLOSE_INTERNAL)
            elif kind == "websocket.disconnect":
                raise StopConsumer() from None

    async def websocket_disconnect(self, message: dict[str, Any]) -> None:
        self._transport_gone = True
        if self._open:
            self._open = False
            metrics.SOCKETS.labels(self.endpoint).dec()
        try:
            await self.disconnect(message.get("code", 1000))
        finally:
            await self.release()
        raise StopConsumer()

    @property
    def bucket(self) -> Bucket:
        if self._bucket is None:
            self._bucket = Bucket()
        return self._bucket

    @property
    def service(self) -> Service:
        return get_service()

    async def out(self, frame: dict[str, Any]) -> None:
        if frame["type"] == "error":
            metrics.frame_error(frame["code"])
        if self._transport_gone:
            return
        try:
            await self.send(text_data=json.dumps(frame, ensure_ascii=False, separators=(",", ":")))
        except Exception:
            # The socket closed while a reply was on its way (the peer's close frame is in,
            # its disconnect not yet): nobody is there to read it. The handler goes on, so
            # the disconnect that follows still marks the visitor gone and frees the slot.
            self._transport_gone = True

    async def receive(self, text_data: str | None = None, bytes_data: bytes | None = None) -> None:
        if not self.bucket.take():
            if self.bucket.refused > 50:
                await self.close_quietly(CLOSE_FLOOD)  # a flood, not a fast typist
                return
            await self.out({"type": "error", "code": "rate_limited"})
            return
        size = len(text_data.encode("utf-8", "surrogatepass")) if text_data is not None else len(bytes_data or b"")
        if size > int(settings.CHAT["MAX_FRAME_BYTES"]):
            # Nothing that large is a chat frame: say so and close this socket only.
            await self.out({"type": "error", "code": "too_large"})
            await self.close_quietly(CLOSE_TOO_LARGE)
            return
        name = "frame"
        try:
            frame = protocol.parse(text_data, bytes_data)
            name = self.handlers.get(frame["type"], "")
            if not name:
                raise FrameError("unknown_type")
            handler: Handler = getattr(self, name)
            await handler(frame)
        except FrameError as err:
            await self.out(err.frame())
        except Exception as exc:
            # Not the client's fault, or a fault we did not foresee: say so, change nothing
            # more, keep the socket (the page resends what was not confirmed).
            self.failed(name, exc)
            await self.out({"type": "error", "code": "internal"})

    async def join(self, group: str) -> None:
        await self.channel_layer.group_add(group, self.channel_name)

    async def leave(self, group: str) -> None:
        await self.channel_layer.group_discard(group, self.channel_name)

    async def debounced(self, attr: str, coro: Callable[[float], Awaitable[None]]) -> None:
        """Run ``coro`` soon, once, however many nudges arrive meanwhile. It is given the
        time of the latest nudge: what it reads must be at least that new, and a read
        another socket of this process started after it can be shared."""
        setattr(self, attr + "_since", time.monotonic())
        if getattr(self, attr, None) is not None:
            return

        async def later() -> None:
            await asyncio.sleep(QUEUE_REFRESH_SECONDS)
            setattr(self, attr, None)
            with contextlib.suppress(Exception):
                await coro(getattr(self, attr + "_since"))

        setattr(self, attr, asyncio.get_running_loop().create_task(later()))

    async def message_frame(self, contact: str | None, m: Message) -> dict[str, Any]:
        frame: dict[str, Any] = {
            "type": "message",
            "seq": m.seq,
            "from": m.sender,
            "text": m.body,
            "ts": int(m.ts * 1000),
        }
        if m.sender == "counsellor":
            frame["html"] = counsellor_html(m.body)
        if contact:
            frame["contact"] = contact
        if self.labels_authors and m.sender in ("counsellor", "supervisor"):
            # After a transfer a colleague's lines are in the history: label them by author.
            uid = getattr(self, "uid", 0)
            frame["mine"] = bool(m.author) and m.author == uid
            if m.author and m.author != uid:
                if m.author not in self.names:
                    self.names[m.author] = await self.service.staff_name(m.author)
                frame["name"] = self.names[m.author]
        return frame


class VisitorConsumer(BaseConsumer):
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
    delivered = 0  # highest seq this socket has handed to the page
    joined_sent = False
    own: set[int]
    _queue_task: asyncio.Task[None] | None = None

    source = ""
    counted = False

    async def connect(self) -> None:
        self.own = set()
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
        result = await self.service.start_contact(
            channel="chat", language=language, kind=kind, danger=danger, source=self.source, on_created=self.attach
        )
        if isinstance(result, Closed):
            await self.out({"type": "closed", "reason": result.reason, **result.info})
            return
        await self.out({"type": "started", "token": result.token, "grace": settings.CHAT["GRACE_SECONDS"]})
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
        self.delivered = min(last_seq, contact.seq)
        await self.service.ack(contact.id, "visitor", self.delivered)
        await self.out({"type": "resumed", "state": "active" if contact.state == "active" else "queued"})
        if contact.state == "active":
            await self.leave(groups.WAITING)
            await self.send_joined(contact)
            await self.deliver()
        else:
            await self.send_queue_status()

    async def on_send(self, frame: dict[str, Any]) -> None:
        cid = self.require_contact()
        message_id = protocol.client_id(frame)
        body = protocol.message_text(frame, message_id)
        result = await self.service.send(cid, "visitor", body, message_id)
        if result is None:
            raise FrameError("not_in_conversation", message_id)
        self.own.add(result.seq)
        if result.seq == self.delivered + 1:
            self.delivered = result.seq  # its own nudge then needs no work at all
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
        await self.service.feedback(answer)
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
            self.delivered = min(last_seq, self.delivered)
            await self.deliver()
        else:
            await self.send_queue_status()

    # --- helpers ---
    def require_contact(self) -> str:
        if self.contact_id is None:
            raise FrameError("not_started")
        return self.contact_id

    async def attach(self, contact_id: str) -> None:
        self.contact_id = contact_id
        self.delivered = 0
        self.joined_sent = False
        self.own = set()
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
        counsellor = await self.service.counsellor(contact.counsellor)
        await self.out({"type": "joined", "name": counsellor.name if counsellor else ""})

    async def deliver(self) -> None:
        if self.contact_id is None:
            return
        if not self.joined_sent:
            # The news that a counsellor joined may have been lost: never show their words first.
            contact = await self.service.contact(self.contact_id)
            if contact is not None and contact.state == "active":
                await self.send_joined(contact)
        for m in await self.service.messages_after(self.contact_id, self.delivered):
            if m.seq not in self.own:
                await self.out(await self.message_frame(None, m))
            self.delivered = m.seq

    # --- layer events ---
    async def queue_changed(self, event: dict[str, Any]) -> None:
        await self.debounced("_queue_task", self.send_queue_status)

    async def conv_started(self, event: dict[str, Any]) -> None:
        if event["contact"] != self.contact_id:
            return
        contact = await self.service.contact(event["contact"])
        if contact is not None and contact.state == "active":
            await self.leave(groups.WAITING)
            # A sync or a message may have announced the counsellor already.
            if not self.joined_sent:
                await self.send_joined(contact)

    async def conv_message(self, event: dict[str, Any]) -> None:
        if event["contact"] != self.contact_id:
            return
        seq = event.get("seq")
        if isinstance(seq, int) and self.joined_sent and seq <= self.delivered:
            return  # shown already (or the visitor's own message)
        m = self.service.carried(event)
        if m is not None and self.joined_sent and m.seq == self.delivered + 1:
            if m.seq not in self.own:
                await self.out(await self.message_frame(None, m))
            self.delivered = m.seq
            return
        await self.deliver()

    async def conv_typing(self, event: dict[str, Any]) -> None:
        if event["contact"] == self.contact_id and event["sender"] != "visitor":
            await self.out({"type": "typing"})

    async def conv_ended(self, event: dict[str, Any]) -> None:
        if event["contact"] != self.contact_id:
            return
        await self.deliver()  # anything said before the end still reaches the page
        self.may_give_feedback = self.joined_sent
        await self.detach()
        await self.out({"type": "ended", "by": event["by"], "undelivered": 0})

    async def conv_requeued(self, event: dict[str, Any]) -> None:
        if event["contact"] != self.contact_id:
            return
        self.joined_sent = False
        await self.join(groups.WAITING)
        await self.out({"type": "requeued", "reason": event.get("reason", "disconnected")})
        await self.send_queue_status()

    async def conv_supervisor(self, event: dict[str, Any]) -> None:
        if event["contact"] == self.contact_id:
            await self.out({"type": "supervisor", "joined": event["joined"], "name": event["name"]})

    async def conv_transferred(self, event: dict[str, Any]) -> None:
        if event["contact"] != self.contact_id:
            return
        contact = await self.service.contact(event["contact"])
        if contact is not None:
            counsellor = await self.service.counsellor(contact.counsellor)
            await self.out({"type": "transferred", "name": counsellor.name if counsellor else ""})


class CounsellorConsumer(StaffAccessMixin, BaseConsumer):
    endpoint = "console"
    labels_authors = True
    staff_role = "counsellor"  # frontend/revocation.py re-checks the session
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
        "transfer": "on_transfer",
        "wrapup": "on_wrapup",
        "help": "on_help",
        "block": "on_block",
    }

    uid = 0
    delivered: dict[str, int]
    own: set[tuple[str, int]]
    _queue_task: asyncio.Task[None] | None = None

    async def connect(self) -> None:
        profile = await database_sync_to_async(load_profile)(self.scope.get("user"), self.scope.get("session"))
        if profile is None:
            await self.close(code=4403)
            return
        self.uid = profile.id
        self.delivered = {}
        self.own = set()
        await self.service.hold("c", profile.id, True)
        me = await self.service.counsellor_online(profile)
        await self.join(groups.staff(self.uid))
        await self.join(groups.STAFF_ALL)
        await self.accept()
        self.watch_access()
        self.service.ensure_ticker()
        conversations = []
        for cid in me.active:
            contact = await self.service.contact(cid)
            if contact is not None:
                conversations.append(self.conversation_info(contact))
        await self.out({"type": "hello", "me": self.me_info(me), "conversations": conversations})
        await self.out({"type": "intake", **await self.service.intake()})
        await self.send_queue()
        for contact in await self.service.queue():
            # An offer made while this console was reloading is still this counsellor's.
            if contact.state == "offered" and contact.offered_to == self.uid:
                await self.offer_made({"contact": contact.id})

    def let_go(self) -> list[Awaitable[Any]]:
        self.stop_watching()
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
        self.delivered.setdefault(cid, 0)

    async def on_decline(self, frame: dict[str, Any]) -> None:
        await self.service.decline(self.uid, protocol.contact_id(frame))

    async def on_send(self, frame: dict[str, Any]) -> None:
        # Whose conversation it is, the store checks as it appends (one step, no read).
        cid = protocol.contact_id(frame)
        message_id = protocol.client_id(frame)
        body = protocol.message_text(frame, message_id)
        result = await self.service.send(cid, "counsellor", body, message_id, author=self.uid)
        if result is None:
            await self.mine(frame)  # not_yours, if that is why
            raise FrameError("not_in_conversation", message_id)
        self.own.add((cid, result.seq))
        if cid in self.delivered and result.seq == self.delivered[cid] + 1:
            self.delivered[cid] = result.seq  # its own nudge then needs no work at all
        await self.out({"type": "sent", "contact": cid, "id": message_id, "seq": result.seq})

    async def on_ack(self, frame: dict[str, Any]) -> None:
        cid = protocol.contact_id(frame)
        if not await self.service.ack(cid, "counsellor", protocol.seq(frame), author=self.uid):
            raise FrameError("not_yours", cid)

    async def on_typing(self, frame: dict[str, Any]) -> None:
        await self.service.typing(await self.mine(frame), "counsellor")

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
        self.delivered[cid] = min(last_seq, self.delivered.get(cid, last_seq))
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
        if not await self.service.wrapup(self.uid, cid, fields, sorted(set(topics))):
            raise FrameError("not_yours", cid)
        await self.out({"type": "wrapped", "contact": cid})

    async def on_ping(self, frame: dict[str, Any]) -> None:
        await self.service.counsellor_seen(self.uid)
        await self.out({"type": "pong"})

    # --- helpers ---
    async def mine(self, frame: dict[str, Any]) -> str:
        """The contact named in the frame, if it is in conversation with this counsellor."""
        cid = protocol.contact_id(frame)
        contact = await self.service.contact(cid)
        if contact is None or contact.state != "active" or contact.counsellor != self.uid:
            raise FrameError("not_yours", cid)
        return cid

    @staticmethod
    def me_info(me: Counsellor) -> dict[str, Any]:
        return {
            "name": me.name,
            "state": me.state,
            "capacity": me.capacity,
            "load": me.load,
            "languages": list(me.languages),
        }

    @staticmethod
    def contact_info(contact: Contact) -> dict[str, Any]:
        return {
            "contact": contact.id,
            "channel": contact.channel,
            "language": contact.language,
            "kind": contact.kind,
            "danger": contact.danger,
            "skill": contact.skill,
            "waited": int(time.time() - contact.enqueued_at),
            # With the frame's "now", the page counts the wait on by itself (the queue
            # frame is built once and shared, so "waited" alone would stand still).
            "enqueued": int(contact.enqueued_at * 1000),
        }

    def conversation_info(self, contact: Contact) -> dict[str, Any]:
        return {
            "type": "conversation",
            **self.contact_info(contact),
            "visitor": "away" if contact.visitor_gone_at else "connected",
        }

    async def send_me(self) -> None:
        me = await self.service.counsellor(self.uid)
        if me is not None:
            await self.out({"type": "me", **self.me_info(me)})

    async def send_queue(self, since: float | None = None) -> None:
        at = time.monotonic() if since is None else since
        view = await self.service.queue_view.get(at)
        counsellors, _mean = await self.service.staff_view.get(at)
        if "items" not in view.memo:
            # The head of the queue, built once per read for every console: the whole
            # list (30 KB with 200 waiting) to every console at every change was most
            # of the cost of a busy queue. The count says how many more there are.
            view.memo["items"] = [
                {**self.contact_info(c), "offered": c.state == "offered"} for c in view.contacts[:QUEUE_ITEMS_SHOWN]
            ]
        items = view.memo["items"]
        on_duty = sum(1 for c in counsellors if c.state != "off")
        # Who a conversation can be handed to: colleagues on shift, with their load.
        colleagues = [
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
                "total": len(view.contacts),
                "on_duty": on_duty,
                "colleagues": colleagues,
                "now": int(time.time() * 1000),
            }
        )

    async def deliver(self, cid: str) -> None:
        start = self.delivered.get(cid, 0)
        for m in await self.service.messages_after(cid, start):
            if (cid, m.seq) not in self.own:
                await self.out(await self.message_frame(cid, m))
            self.delivered[cid] = m.seq

    # --- layer events ---
    async def queue_changed(self, event: dict[str, Any]) -> None:
        await self.debounced("_queue_task", self.send_queue)

    async def staff_changed(self, event: dict[str, Any]) -> None:
        await self.send_me()

    async def intake_changed(self, event: dict[str, Any]) -> None:
        await self.out(
            {
                "type": "intake",
                "chat_paused": bool(event.get("chat_paused")),
                "phone_paused": bool(event.get("phone_paused")),
                "max_queue": int(event.get("max_queue") or 0),
            }
        )

    async def staff_logout(self, event: dict[str, Any]) -> None:
        await self.close(code=4401)  # logged out or deactivated: this session is over

    async def offer_made(self, event: dict[str, Any]) -> None:
        contact = await self.service.contact(event["contact"])
        if contact is not None and contact.state == "offered" and contact.offered_to == self.uid:
            expires_in = max(0, int(contact.offer_expires - time.time()))
            await self.out(
                {
                    "type": "offer",
                    **self.contact_info(contact),
                    "expires_in": expires_in,
                    "now": int(time.time() * 1000),
                }
            )

    async def offer_withdrawn(self, event: dict[str, Any]) -> None:
        await self.out({"type": "offer_withdrawn", "contact": event["contact"]})

    async def conv_started(self, event: dict[str, Any]) -> None:
        contact = await self.service.contact(event["contact"])
        if contact is not None and contact.counsellor == self.uid:
            self.delivered.setdefault(contact.id, 0)
            await self.out(self.conversation_info(contact))
            await self.deliver(contact.id)
            await self.send_me()

    async def conv_message(self, event: dict[str, Any]) -> None:
        cid = event["contact"]
        counsellor = event.get("counsellor")
        if counsellor is None:  # a nudge from a process that does not say (mid-upgrade)
            contact = await self.service.contact(cid)
            counsellor = contact.counsellor if contact is not None else 0
        if counsellor != self.uid:
            return
        seq = event.get("seq")
        if isinstance(seq, int) and cid in self.delivered and seq <= self.delivered[cid]:
            return  # shown already (or this console's own message)
        m = self.service.carried(event)
        if m is not None and cid in self.delivered and m.seq == self.delivered[cid] + 1:
            if (cid, m.seq) not in self.own:
                await self.out(await self.message_frame(cid, m))
            self.delivered[cid] = m.seq
            return
        await self.deliver(cid)

    async def conv_typing(self, event: dict[str, Any]) -> None:
        if event["sender"] == "visitor":
            await self.out({"type": "typing", "contact": event["contact"]})

    async def conv_ended(self, event: dict[str, Any]) -> None:
        cid = event["contact"]
        self.delivered.pop(cid, None)
        await self.out({"type": "ended", "contact": cid, "by": event["by"], "undelivered": event["undelivered"]})
        await self.send_me()

    async def conv_requeued(self, event: dict[str, Any]) -> None:
        self.delivered.pop(event["contact"], None)
        await self.out({"type": "ended", "contact": event["contact"], "by": "requeued", "undelivered": 0})

    async def conv_transferred(self, event: dict[str, Any]) -> None:
        return None  # the new counsellor gets conv.started, the old one conv.ended

    async def conv_supervisor(self, event: dict[str, Any]) -> None:
        await self.out(
            {"type": "supervisor", "contact": event["contact"], "joined": event["joined"], "name": event["name"]}
        )

    async def visitor_presence(self, event: dict[str, Any]) -> None:
        await self.out(
            {
                "type": "visitor",
                "contact": event["contact"],
                "state": event.get("state") or ("connected" if event["connected"] else "away"),
            }
        )


class SupervisorConsumer(StaffAccessMixin, BaseConsumer):
    """The supervisor's dashboard: load, never content, until a counsellor asks for help
    and the supervisor joins that one conversation."""

    endpoint = "supervisor"
    labels_authors = True
    staff_role = "supervisor"
    handlers = {
        "intake": "on_intake",
        "off_duty": "on_off_duty",
        "clear_abandoned": "on_clear_abandoned",
        "lift_block": "on_lift_block",
        "join": "on_join",
        "leave": "on_leave",
        "send": "on_send",
        "ack": "on_ack",
        "sync": "on_sync",
        "ping": "on_ping",
    }

    uid = 0
    name = ""
    delivered: dict[str, int]
    own: set[tuple[str, int]]
    _dashboard_task: asyncio.Task[None] | None = None

    async def connect(self) -> None:
        found = await database_sync_to_async(load_supervisor)(self.scope.get("user"), self.scope.get("session"))
        if found is None:
            await self.close(code=4403)
            return
        self.uid, self.name = found
        self.delivered, self.own = {}, set()
        await self.join(groups.SUPERVISORS)
        await self.join(groups.staff(self.uid))
        await self.accept()
        self.watch_access()
        self.service.ensure_ticker()
        await self.send_dashboard()

    def let_go(self) -> list[Awaitable[Any]]:
        self.stop_watching()
        if self._dashboard_task is not None:
            self._dashboard_task.cancel()
        if not self.uid:
            return []
        return [self.leave(groups.SUPERVISORS), self.leave(groups.staff(self.uid))]

    async def send_dashboard(self, since: float | None = None) -> None:
        data = await self.service.dashboard(time.monotonic() if since is None else since)
        data["intake"] = await self.service.intake()
        await self.out({"type": "dashboard", **data})

    # --- frames ---
    async def on_intake(self, frame: dict[str, Any]) -> None:
        changes: dict[str, Any] = {}
        for key in ("chat_paused", "phone_paused"):
            if key in frame:
                changes[key] = protocol.flag(frame, key)
        if "max_queue" in frame:
            changes["max_queue"] = protocol.seq(frame, "max_queue")
            if changes["max_queue"] > MAX_QUEUE_CAP:
                raise FrameError("bad_field", "max_queue")
        if not changes:
            raise FrameError("bad_frame", "nothing to change")
        intake = await self.service.set_intake(changes, by=self.uid)
        # The supervisor who pressed Save is told what now holds, not left to guess.
        await self.out({"type": "intake_saved", **intake})

    async def on_off_duty(self, frame: dict[str, Any]) -> None:
        uid = frame.get("counsellor")
        if isinstance(uid, bool) or not isinstance(uid, int):
            raise FrameError("bad_field", "counsellor")
        if await self.service.counsellor(uid) is None:
            raise FrameError("not_available", str(uid))
        await self.service.set_off_duty(uid, by=self.uid)

    async def on_lift_block(self, frame: dict[str, Any]) -> None:
        block_id = frame.get("block")
        if not isinstance(block_id, str) or not BLOCK_ID.match(block_id):
            raise FrameError("bad_field", "block")
        if not await self.service.lift_block(block_id, by=self.uid):
            raise FrameError("not_available", block_id)
        await self.out({"type": "block_lifted", "block": block_id})

    async def on_clear_abandoned(self, frame: dict[str, Any]) -> None:
        await self.out({"type": "cleared", "count": await self.service.clear_abandoned(by=self.uid)})

    async def on_join(self, frame: dict[str, Any]) -> None:
        cid = protocol.contact_id(frame)
        contact = await self.service.join_supervisor(self.uid, cid, self.name)
        if contact is None:
            raise FrameError("not_available", cid)
        self.delivered[cid] = 0
        await self.out(
            {"type": "conversation", "contact": cid, "language": contact.language, "channel": contact.channel}
        )
        await self.deliver(cid)

    async def on_leave(self, frame: dict[str, Any]) -> None:
        cid = await self.mine(frame)
        await self.service.leave_supervisor(self.uid, cid, self.name)
        self.delivered.pop(cid, None)
        await self.out({"type": "ended", "contact": cid, "by": "left", "undelivered": 0})

    async def on_send(self, frame: dict[str, Any]) -> None:
        cid = await self.mine(frame)
        message_id = protocol.client_id(frame)
        body = protocol.message_text(frame, message_id)
        result = await self.service.send(cid, "supervisor", body, message_id, author=self.uid)
        if result is None:
            raise FrameError("not_in_conversation", message_id)
        self.own.add((cid, result.seq))
        await self.out({"type": "sent", "contact": cid, "id": message_id, "seq": result.seq})

    async def on_ack(self, frame: dict[str, Any]) -> None:
        await self.mine(frame)
        protocol.seq(frame)

    async def on_sync(self, frame: dict[str, Any]) -> None:
        cid = await self.mine(frame)
        last_seq = protocol.seq(frame, "last_seq")
        self.delivered[cid] = min(last_seq, self.delivered.get(cid, last_seq))
        await self.deliver(cid)

    async def on_ping(self, frame: dict[str, Any]) -> None:
        await self.out({"type": "pong"})

    async def mine(self, frame: dict[str, Any]) -> str:
        cid = protocol.contact_id(frame)
        contact = await self.service.contact(cid)
        if contact is None or contact.supervisor != self.uid:
            raise FrameError("not_yours", cid)
        return cid

    async def deliver(self, cid: str) -> None:
        for m in await self.service.messages_after(cid, self.delivered.get(cid, 0)):
            if (cid, m.seq) not in self.own:
                await self.out(await self.message_frame(cid, m))
            self.delivered[cid] = m.seq

    # --- layer events ---
    async def queue_changed(self, event: dict[str, Any]) -> None:
        await self.debounced("_dashboard_task", self.send_dashboard)

    async def help_changed(self, event: dict[str, Any]) -> None:
        await self.debounced("_dashboard_task", self.send_dashboard)

    async def staff_changed(self, event: dict[str, Any]) -> None:
        return None

    async def staff_logout(self, event: dict[str, Any]) -> None:
        await self.close(code=4401)

    async def conv_message(self, event: dict[str, Any]) -> None:
        if event["contact"] in self.delivered:
            await self.deliver(event["contact"])

    async def conv_ended(self, event: dict[str, Any]) -> None:
        if self.delivered.pop(event["contact"], None) is not None:
            await self.out({"type": "ended", "contact": event["contact"], "by": event["by"], "undelivered": 0})

    async def conv_requeued(self, event: dict[str, Any]) -> None:
        await self.conv_ended({**event, "by": "requeued"})

    async def conv_supervisor(self, event: dict[str, Any]) -> None:
        return None

    async def conv_typing(self, event: dict[str, Any]) -> None:
        return None

    async def conv_started(self, event: dict[str, Any]) -> None:
        return None

    async def conv_transferred(self, event: dict[str, Any]) -> None:
        return None

    async def visitor_presence(self, event: dict[str, Any]) -> None:
        return None

    async def offer_made(self, event: dict[str, Any]) -> None:
        return None

    async def offer_withdrawn(self, event: dict[str, Any]) -> None:
        return None


def load_supervisor(user: Any, session: Any = None) -> tuple[int, str] | None:
    """(id, the name a visitor sees) for a logged-in supervisor, or None."""
    from django.utils.translation import gettext

    from frontend.staff import verified_device
    from routing.models import SUPERVISOR_GROUP

    if user is None or not user.is_authenticated or not user.is_active:
        return None
    if not verified_device(user, session):
        return None
    if not user.groups.filter(name=SUPERVISOR_GROUP).exists():
        return None
    with translation.override(settings.LANGUAGE_CODE):
        return user.pk, user.first_name or gettext("Supervisor")


def load_profile(user: Any, session: Any = None) -> Counsellor | None:
    """The routing record for a logged-in counsellor, or None for anyone else."""
    from frontend.staff import verified_device
    from routing.models import COUNSELLOR_GROUP, CounsellorProfile

    if user is None or not user.is_authenticated or not user.is_active:
        return None
    if not verified_device(user, session):
        return None
    if not user.groups.filter(name=COUNSELLOR_GROUP).exists():
        return None
    profile = CounsellorProfile.objects.filter(user=user).first()
    if profile is None:
        return None
    return Counsellor(
        id=user.pk,
        name=profile.display_name,
        languages=tuple(profile.languages),
        skills=tuple(profile.skills),
        capacity=profile.max_chats,
        phone=bool(profile.takes_calls and profile.work_phone),
    )
