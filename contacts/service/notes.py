"""The staff side channel: whispers inside a conversation, and messages between staff.

Nothing here is stored: not in the database, not in the live state, not in a log. A note
goes out once over the channel layer, sealed, to the staff sockets it is for; each page
that shows it sends a receipt back to the sending socket, which tells its page whether
anyone got it (a note nobody received is never lost silently: the sender is told).
A visitor's group is never among the recipients.
"""

from __future__ import annotations

import secrets
import time
from typing import Literal

from channels.layers import get_channel_layer

from contacts import crypto, groups
from contacts.events import StaffNote
from contacts.service.sweep import Sweep

Role = Literal["counsellor", "supervisor"]
NoteTo = Literal["counsellor", "supervisors", "counsellors"]


class Notes(Sweep):
    async def whisper(
        self, sender: int, role: Role, name: str, contact_id: str, text: str, reply_to: str
    ) -> tuple[str, int] | None:
        """A whisper in ``contact_id`` from its counsellor or its joined supervisor, to the
        other staff in it: the note's id and how many other staff it went to (0: nobody
        to hear it, and nothing sent), or None if the conversation is not the sender's."""
        contact = await self.store.get_contact(contact_id)
        if contact is None or contact.state != "active":
            return None
        if (role == "counsellor" and contact.counsellor != sender) or (
            role == "supervisor" and contact.supervisor != sender
        ):
            return None
        others = {contact.counsellor, contact.supervisor} - {0, sender}
        if not others:
            return "", 0
        note_id = await self._send_note(
            others, "whisper", contact_id, [contact.centre], sender, role, name, text, reply_to
        )
        return note_id, len(others)

    async def note(
        self,
        sender: int,
        role: Role,
        name: str,
        to: NoteTo,
        centres: tuple[str, ...],
        text: str,
        reply_to: str,
        counsellor: int = 0,
    ) -> str | None:
        """A message outside any conversation, to one counsellor (``to="counsellor"``), a
        centre's supervisors or its counsellors, within ``centres`` (the sender's): the note's
        id, or None if the counsellor named is unknown or another centre's (nothing sent)."""
        if to == "counsellor":
            target = await self.store.get_counsellor(counsellor)
            if target is None or target.id == sender or not set(target.centres or ("",)) & set(centres):
                return None
            shared = sorted(set(target.centres or ("",)) & set(centres))
            return await self._send_note({counsellor}, "counsellor", "", shared, sender, role, name, text, reply_to)
        group = groups.SUPERVISORS if to == "supervisors" else groups.STAFF_ALL
        return await self._send_note(set(), to, "", sorted(centres), sender, role, name, text, reply_to, group=group)

    async def _send_note(
        self,
        staff: set[int],
        to: Literal["whisper", "counsellor", "supervisors", "counsellors"],
        contact_id: str,
        centres: list[str],
        sender: int,
        role: Role,
        name: str,
        text: str,
        reply_to: str,
        group: str = "",
    ) -> str:
        note_id = secrets.token_hex(8)
        event: StaffNote = {
            "type": "staff.note",
            "id": note_id,
            "contact": contact_id,
            "to": to,
            "centres": centres,
            "sender": sender,
            "role": role,
            "name": name,
            "sealed": crypto.seal_note(note_id, text),
            "ts": time.time(),
            "reply_to": reply_to,
        }
        if group:
            await self.publish(group, event)
        # The sender's own group too: their other tabs show what they wrote.
        for uid in staff | {sender}:
            await self.publish(groups.staff(uid), event)
        return note_id

    def opened_note(self, event: StaffNote) -> str | None:
        try:
            return crypto.open_note(str(event["id"]), str(event["sealed"]))
        except (crypto.Unreadable, KeyError, UnicodeDecodeError):
            return None

    async def note_received(self, reply_to: str, note_id: str) -> None:
        """Tell the sending socket that a page showed its note."""
        layer = get_channel_layer()
        if layer is None or not reply_to:
            return
        try:
            await layer.send(reply_to, {"type": "staff.note_received", "id": note_id})
        except Exception:
            # A lost receipt makes the sender think the note was not delivered: they may
            # send it again, which is the safe side of losing it.
            return
