"""The supervisor dashboard endpoint /ws/supervisor/."""

from __future__ import annotations

import asyncio
import re
import time
from collections.abc import Awaitable
from typing import Any

from channels.db import database_sync_to_async

from contacts import groups, protocol
from contacts.consumers.notes import SideChannel
from contacts.events import ConvEnded, ConvMessage, ConvRequeued, HelpChanged, QueueChanged, StaffLogout, StaffNote
from contacts.frames import DashboardFrame, IntakeSavedFrame
from contacts.protocol import FrameError
from staff.profiles import load_supervisor
from staff.revocation import StaffAccessMixin

MAX_QUEUE_CAP = 10_000  # a cap beyond any real queue, and well inside the database column
NOTE_TARGETS = frozenset({"counsellor", "counsellors"})  # a supervisor writes to these
BLOCK_ID = re.compile(r"^[0-9a-f]{32}$")  # a block is known by its source's keyed hash


class SupervisorConsumer(StaffAccessMixin, SideChannel):
    """The supervisor's dashboard: load, never content, until a counsellor asks for help
    and the supervisor joins that one conversation."""

    endpoint = "supervisor"
    labels_authors = True
    staff_role = "supervisor"
    note_role = "supervisor"
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
        "whisper": "on_whisper",
        "note": "on_note",
    }

    uid = 0
    name = ""
    # The centres this supervisor sees and controls; None: a national supervisor, who
    # sees every centre's load and controls nothing (no content, no centre's settings).
    centres: tuple[str, ...] | None = ("",)
    _dashboard_task: asyncio.Task[None] | None = None

    async def connect(self) -> None:
        found = await database_sync_to_async(load_supervisor)(self.scope.get("user"), self.scope.get("session"))
        if found is None:
            await self.close(code=4403)
            return
        self.uid, self.name, self.centres = found
        await self.join(groups.SUPERVISORS)
        await self.join(groups.staff(self.uid))
        await self.accept()
        self.watch_access()
        self.service.ensure_ticker()
        await self.send_dashboard()

    def let_go(self) -> list[Awaitable[Any]]:
        self.stop_watching()
        self.stop_notes()
        if self._dashboard_task is not None:
            self._dashboard_task.cancel()
        if not self.uid:
            return []
        return [self.leave(groups.SUPERVISORS), self.leave(groups.staff(self.uid))]

    async def send_dashboard(self, since: float | None = None) -> None:
        data = await self.service.dashboard(time.monotonic() if since is None else since, self.centres)
        # Each centre's intake it sees; a national supervisor sees every centre's.
        intakes = await self.service.intakes(self.centres)
        await self.out(DashboardFrame(type="dashboard", intake=intakes[0], intakes=intakes, **data))

    # --- frames ---
    def own_centres(self) -> tuple[str, ...]:
        """The centres this supervisor controls; a national supervisor controls none."""
        if self.centres is None:
            raise FrameError("not_allowed", "a national supervisor sees the load only")
        return self.centres

    async def on_intake(self, frame: dict[str, Any]) -> None:
        own = self.own_centres()
        centre = frame.get("centre", own[0])
        if not isinstance(centre, str) or centre not in own:
            raise FrameError("not_allowed", "another centre's intake")
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
        intake = await self.service.set_intake(changes, by=self.uid, centre=centre)
        # The supervisor who pressed Save is told what now holds, not left to guess.
        await self.out(IntakeSavedFrame(type="intake_saved", **intake))

    async def on_off_duty(self, frame: dict[str, Any]) -> None:
        uid = frame.get("counsellor")
        if isinstance(uid, bool) or not isinstance(uid, int):
            raise FrameError("bad_field", "counsellor")
        counsellor = await self.service.counsellor(uid)
        if counsellor is None or not set(counsellor.centres or ("",)) & set(self.own_centres()):
            raise FrameError("not_available", str(uid))  # unknown, or another centre's
        await self.service.set_off_duty(uid, by=self.uid)

    async def on_lift_block(self, frame: dict[str, Any]) -> None:
        self.own_centres()
        block_id = frame.get("block")
        if not isinstance(block_id, str) or not BLOCK_ID.match(block_id):
            raise FrameError("bad_field", "block")
        if not await self.service.lift_block(block_id, by=self.uid):
            raise FrameError("not_available", block_id)
        await self.out({"type": "block_lifted", "block": block_id})

    async def on_clear_abandoned(self, frame: dict[str, Any]) -> None:
        await self.out(
            {"type": "cleared", "count": await self.service.clear_abandoned(by=self.uid, centres=self.own_centres())}
        )

    async def on_join(self, frame: dict[str, Any]) -> None:
        cid = protocol.contact_id(frame)
        contact = await self.service.join_supervisor(self.uid, cid, self.name, self.own_centres())
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
        self.sent_own(cid, result.seq)
        await self.out({"type": "sent", "contact": cid, "id": message_id, "seq": result.seq})

    async def on_ack(self, frame: dict[str, Any]) -> None:
        await self.mine(frame)
        protocol.seq(frame)

    async def on_sync(self, frame: dict[str, Any]) -> None:
        cid = await self.mine(frame)
        last_seq = protocol.seq(frame, "last_seq")
        self.resync(cid, last_seq)
        await self.deliver(cid)

    async def on_whisper(self, frame: dict[str, Any]) -> None:
        """A line for the conversation's counsellor only, in one this supervisor joined."""
        await self.mine(frame)
        await self.whisper_from_page(frame)

    async def on_note(self, frame: dict[str, Any]) -> None:
        """To one counsellor of this supervisor's centres, or to all of them; a national
        supervisor sees load only and writes to no one."""
        own = self.own_centres()
        to = protocol.choice(frame, "to", NOTE_TARGETS)
        await self.note_from_page(frame, to, own)

    def reads_note(self, event: StaffNote) -> bool:
        if event["to"] == "whisper":
            return event["contact"] in self.delivered  # a conversation this supervisor joined
        if event["to"] == "supervisors":
            # A centre's supervisors only; a national one reads no centre's staff notes.
            return self.centres is not None and bool(set(event["centres"]) & set(self.centres))
        return False

    async def on_ping(self, frame: dict[str, Any]) -> None:
        await self.out({"type": "pong"})

    async def mine(self, frame: dict[str, Any]) -> str:
        cid = protocol.contact_id(frame)
        contact = await self.service.contact(cid)
        if contact is None or contact.supervisor != self.uid:
            raise FrameError("not_yours", cid)
        return cid

    # --- layer events ---
    # Only those the dashboard uses: BaseConsumer.dispatch drops any other event (a
    # conversation's typing, presence, offers) without a handler, so none is written.
    async def queue_changed(self, event: QueueChanged) -> None:
        await self.debounced("_dashboard_task", self.send_dashboard)

    async def help_changed(self, event: HelpChanged) -> None:
        await self.debounced("_dashboard_task", self.send_dashboard)

    async def staff_logout(self, event: StaffLogout) -> None:
        await self.close(code=4401)

    async def conv_message(self, event: ConvMessage) -> None:
        if event["contact"] in self.delivered:
            await self.deliver(event["contact"])

    async def conv_ended(self, event: ConvEnded) -> None:
        if self.delivered.pop(event["contact"], None) is not None:
            await self.out({"type": "ended", "contact": event["contact"], "by": event["by"], "undelivered": 0})

    async def conv_requeued(self, event: ConvRequeued) -> None:
        await self.conv_ended(ConvEnded(type="conv.ended", contact=event["contact"], by="requeued", undelivered=0))
