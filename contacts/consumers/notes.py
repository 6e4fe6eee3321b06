"""The staff side channel on a staff socket (console and dashboard): sending a whisper or
a note, showing one, and telling the page whether anyone got what it sent. Written once
for both staff endpoints; each says who it is and which notes it shows."""

from __future__ import annotations

import asyncio
import contextlib
from collections import deque
from typing import Any, Literal

from contacts import protocol
from contacts.consumers.delivery import Delivery
from contacts.events import StaffNote, StaffNoteReceived
from contacts.frames import NoteFrame, WhisperFrame
from contacts.protocol import FrameError
from contacts.service.core import config

SEEN_NOTES = 64  # a note may reach a socket by two groups; each is shown once


class SideChannel(Delivery):
    note_role: Literal["counsellor", "supervisor"] = "counsellor"
    name = ""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._notes_waiting: dict[str, tuple[str, asyncio.Task[None]]] = {}
        self._notes_seen: deque[str] = deque(maxlen=SEEN_NOTES)

    def reads_note(self, event: StaffNote) -> bool:
        """Whether this endpoint shows someone else's note (each endpoint says)."""
        return False

    async def whisper_from_page(self, frame: dict[str, Any]) -> None:
        cid = protocol.contact_id(frame)
        client_id = protocol.client_id(frame)
        body = protocol.message_text(frame, client_id)
        sent = await self.service.whisper(self.uid, self.note_role, self.name, cid, body, self.channel_name)
        if sent is None:
            raise FrameError("not_yours", cid)
        note_id, others = sent
        if not others:
            # Nobody else is in the conversation: a whisper would reach no one.
            raise FrameError("not_available", client_id)
        self.await_receipt(note_id, client_id)

    async def note_from_page(self, frame: dict[str, Any], to: str, centres: tuple[str, ...]) -> None:
        client_id = protocol.client_id(frame)
        body = protocol.message_text(frame, client_id)
        counsellor = 0
        if to == "counsellor":
            value = frame.get("counsellor")
            if isinstance(value, bool) or not isinstance(value, int):
                raise FrameError("bad_field", "counsellor")
            counsellor = value
        note_id = await self.service.note(
            self.uid,
            self.note_role,
            self.name,
            to,  # type: ignore[arg-type]
            centres,
            body,
            self.channel_name,
            counsellor=counsellor,
        )
        if note_id is None:
            raise FrameError("not_available", client_id)  # unknown, or another centre's
        self.await_receipt(note_id, client_id)

    def await_receipt(self, note_id: str, client_id: str) -> None:
        async def later() -> None:
            # How long the sender waits for a page to say it showed the note before being
            # told nobody got it: a receipt is one hop over the channel layer and back.
            await asyncio.sleep(float(config("NOTE_WAIT_SECONDS")))
            if self._notes_waiting.pop(note_id, None) is not None:
                await self.out({"type": "note_undelivered", "id": client_id})

        task = asyncio.get_running_loop().create_task(later())
        self._notes_waiting[note_id] = (client_id, task)

    def stop_notes(self) -> None:
        for _client_id, task in self._notes_waiting.values():
            task.cancel()
        self._notes_waiting.clear()

    # --- layer events ---
    async def staff_note(self, event: StaffNote) -> None:
        if event.get("reply_to") == self.channel_name or event.get("id") in self._notes_seen:
            return  # the socket that sent it knows; a second copy by another group
        mine = event.get("sender") == self.uid
        if not mine and not self.reads_note(event):
            return
        text = self.service.opened_note(event)
        if text is None:
            return  # unreadable (another STATE_KEY): no receipt, so the sender is told
        self._notes_seen.append(event["id"])
        if event["to"] == "whisper":
            whisper: WhisperFrame = {
                "type": "whisper",
                "contact": event["contact"],
                "id": event["id"],
                "role": event["role"],
                "name": event["name"],
                "mine": mine,
                "text": text,
                "ts": int(event["ts"] * 1000),
            }
            await self.out(whisper)
        else:
            note: NoteFrame = {
                "type": "note",
                "id": event["id"],
                "to": event["to"],
                "sender": event["sender"],
                "role": event["role"],
                "name": event["name"],
                "mine": mine,
                "text": text,
                "ts": int(event["ts"] * 1000),
            }
            await self.out(note)
        if not mine:
            with contextlib.suppress(Exception):
                await self.service.note_received(event["reply_to"], event["id"])

    async def staff_note_received(self, event: StaffNoteReceived) -> None:
        waiting = self._notes_waiting.pop(str(event.get("id")), None)
        if waiting is not None:
            client_id, task = waiting
            task.cancel()
            await self.out({"type": "note_delivered", "id": client_id})
