"""Offers and routing: counsellors coming on and off duty, offers made, accepted, declined, withdrawn."""

from __future__ import annotations

import time

from audit.log import arecord
from centres.directory import current_directory
from contacts import groups
from contacts.service.core import KEY_CACHE_SIZE, ServiceCore, config
from routing import policy
from routing.state import Channel, Contact, Counsellor, CounsellorState
from stats import acount
from stats.counters import wait_band


class Routing(ServiceCore):
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
        if chosen and state == "available" and me is not None and me.rest_until:
            await self.store.set_rest(counsellor_id, 0.0)  # choosing "available" is saying ready
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
        counsellor = await self.store.get_counsellor(counsellor_id)
        if counsellor is None or not policy.serves_centre(counsellor, before):
            return None  # another centre's contact: not even by its id, picked from a crafted frame
        if before.channel == "phone" and not counsellor.phone:
            return None  # a call needs a work phone to ring
        mixed = (await current_directory()).mixed()
        await self.mark_channels(counsellor, mixed)
        if not policy.channels_allow(counsellor, before, mixed=mixed):
            return None  # a call beside a chat, or a chat beside a call, where the centre says no
        if not policy.room_at(counsellor, before):
            return None  # as many of this centre's conversations as the membership allows
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
            await acount("contacts.answered", centre=contact.centre, channel=contact.channel)
            await acount("wait", centre=contact.centre, band=wait_band(contact.answered_at - contact.enqueued_at))
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
            mixed = (await current_directory()).mixed()
            counsellors = await self.counsellors_for_routing(mixed)
            if not any(policy.can_take_more(c, now=at) for c in counsellors):
                break
            plan = policy.plan_offers(
                await self.store.queue(),
                counsellors,
                now=at,
                overflow_after=config("OVERFLOW_SECONDS"),
                mixed=mixed,
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

    async def counsellors_for_routing(self, mixed: frozenset[str] | None = None) -> list[Counsellor]:
        if mixed is None:
            mixed = (await current_directory()).mixed()
        counsellors = await self.store.counsellors()
        for c in counsellors:
            # What a counsellor is in only matters for someone who could otherwise take more.
            if policy.can_take_more(c, now=time.time()):
                await self.mark_channels(c, mixed)
        return counsellors

    async def mark_channels(self, counsellor: Counsellor, mixed: frozenset[str]) -> None:
        """Set ``on_call``, ``apart`` and ``load_at`` from the conversations the counsellor is in."""
        per_centre: dict[str, int] = {}
        for cid in counsellor.active:
            found = await self.channel_of(cid)
            if found is None:
                continue
            channel, centre = found
            counsellor.on_call = counsellor.on_call or channel == "phone"
            counsellor.apart = counsellor.apart or centre not in mixed
            per_centre[centre] = per_centre.get(centre, 0) + 1
        counsellor.load_at = per_centre  # a new dict: the memory store's copy shares the old one

    async def channel_of(self, contact_id: str) -> tuple[Channel, str] | None:
        """The conversation's channel and centre (None once it is gone), read from the
        store once: neither changes after it is answered."""
        found = self._channels.get(contact_id)
        if found is None:
            contact = await self.store.get_contact(contact_id)
            if contact is None:
                return None
            if contact.state != "active":
                return (contact.channel, contact.centre)  # may still be handed to another centre
            found = self._channels[contact_id] = (contact.channel, contact.centre)
            if len(self._channels) > KEY_CACHE_SIZE:
                self._channels.popitem(last=False)
        return found

    async def counsellor_seen(self, counsellor_id: int) -> None:
        """A console's keep-alive: its counsellor is here, whatever a sweep thought."""
        await self.store.set_counsellor_gone(counsellor_id, 0.0)
