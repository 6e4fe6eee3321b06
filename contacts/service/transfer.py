"""Handing a conversation to a colleague or back to the queue for a language or skill."""

from __future__ import annotations

import time

from centres.directory import current_directory
from contacts import groups
from contacts.service.ending import Ending
from routing import policy
from routing.state import Contact


class Transfer(Ending):
    async def name_after_transfer(self, contact: Contact) -> str:
        """The name the visitor is told after a transfer: the colleague's name at the
        contact's centre, or "" (a colleague, unnamed) where the centre does not tell
        (centres.Centre.tell_on_transfer)."""
        centre = (await current_directory()).get(contact.centre)
        if centre is not None and not centre.tell_on_transfer:
            return ""
        counsellor = await self.store.get_counsellor(contact.counsellor)
        return counsellor.name_at(contact.centre) if counsellor is not None else ""

    async def transfer_to_counsellor(self, from_id: int, contact_id: str, to_id: int) -> bool:
        """Hand a conversation to a colleague; the whole conversation goes with it."""
        if from_id == to_id:
            return False
        contact, colleague = await self.store.get_contact(contact_id), await self.store.get_counsellor(to_id)
        if contact is None or colleague is None or not policy.serves_centre(colleague, contact):
            return False  # a conversation stays in its centre: a hand-over carries no history
        if contact.channel == "phone" and not colleague.phone:
            return False  # nobody's work phone to ring
        mixed = (await current_directory()).mixed()
        await self.mark_channels(colleague, mixed)
        if not policy.channels_allow(colleague, contact, mixed=mixed):
            return False  # the colleague is in a call, or chatting, where the centre keeps them apart
        if not policy.room_at(colleague, contact):
            return False  # as many of this centre's conversations as their membership allows
        if not await self.store.transfer(contact_id, from_id, to_id, time.time()):
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
