"""The end of a conversation and the counsellor's wrap-up."""

from __future__ import annotations

import time

from centres.directory import current_directory
from contacts import groups
from contacts.service.core import EndedBy
from contacts.service.messages import Messages
from routing.state import READY_WHEN_SAID, Contact
from stats import acount
from stats.counters import conversation_band


class Ending(Messages):
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
            await acount("conversation", centre=contact.centre, band=conversation_band(duration))
            if by == "visitor_gone":
                await acount("idle", centre=contact.centre, event="left")
        elif by == "forwarded":
            await acount("contacts.forwarded", centre=contact.centre, channel=contact.channel)
        else:
            await acount("contacts.left_before_answer", centre=contact.centre, channel=contact.channel)
        if contact.counsellor:
            await self.store.open_wrapup(contact_id, contact.counsellor)
            await self.breather(contact)
        # What the counsellor wrote that the visitor's page never confirmed: told, not lost silently.
        undelivered = sum(1 for m in unseen if m.sender == "counsellor")
        await self.publish_conversation(
            contact, {"type": "conv.ended", "contact": contact_id, "by": by, "undelivered": undelivered}
        )
        await self.queue_changed()
        await self.route()
        return contact

    async def idle_prompted(self, contact_id: str) -> None:
        """A counsellor asked a silent visitor whether they are still there: counted,
        nothing else (the words went as an ordinary message)."""
        contact = await self.store.get_contact(contact_id)
        if contact is not None:
            await acount("idle", centre=contact.centre, event="prompted")

    async def breather(self, contact: Contact) -> None:
        """The centre's breather after a conversation: no new offer to its counsellor until
        they say ready, or for some minutes (centres.Centre.breather)."""
        centre = (await current_directory()).get(contact.centre)
        if centre is None or not centre.breather:
            return
        rest = centre.breather if centre.breather >= READY_WHEN_SAID else time.time() + centre.breather
        await self.store.set_rest(contact.counsellor, rest)
        await self.publish(groups.staff(contact.counsellor), {"type": "staff.changed"})

    async def ready(self, counsellor_id: int) -> None:
        """The counsellor says they are ready for the next contact."""
        await self.store.set_rest(counsellor_id, 0.0)
        await self.publish(groups.staff(counsellor_id), {"type": "staff.changed"})
        await self.route()

    async def wrapup(
        self, counsellor_id: int, contact_id: str, fields: dict[str, str], topics: list[str], centre: str = ""
    ) -> bool:
        """Count the counsellor's optional wrap-up, once per conversation and counsellor,
        at the conversation's ``centre`` (the console remembers it)."""
        if not await self.store.take_wrapup(contact_id, counsellor_id):
            return False
        if fields:
            await acount("wrapup", 1, centre=centre, **fields)
        for topic in topics:
            await acount("wrapup.topic", centre=centre, topic=topic)
        return True

    async def feedback(self, answer: str, centre: str = "") -> None:
        """A visitor's answer to "did this help?", counted and nothing else."""
        await acount("feedback", centre=centre, answer=answer)
