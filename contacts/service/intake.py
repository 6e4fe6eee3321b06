"""A contact arriving: opening and limits, the queue, resuming a chat, a phone call's start, presence."""

from __future__ import annotations

import secrets
import time
from collections import Counter
from collections.abc import Awaitable, Callable, Iterable
from dataclasses import replace
from datetime import UTC, datetime

from channels.db import database_sync_to_async

from centres.directory import current_directory
from chatservice import metrics
from contacts import crypto, groups
from contacts.hours import current_schedule
from contacts.info import closed_info, easy_read_of
from contacts.models import Intake
from contacts.service.core import Closed, ClosedReason, Started, call_token, config, token_hash, token_hashes
from contacts.service.routing import Routing
from routing import overflow, policy
from routing.state import Channel, Contact, Counsellor
from routing.store.base import HeldKind
from stats import acount


class Arrivals(Routing):
    # --- opening ---
    async def availability(self, language: str, channel: Channel = "chat", centre: str = "") -> Closed | None:
        """None when a contact can join ``centre``'s queue now, else why not and what to show."""
        reason = await self.closed_reason(channel, centre)
        if reason is None:
            return None
        schedule = await current_schedule(await self.line_of(centre, channel))
        info = await database_sync_to_async(closed_info)(schedule, language, reason, centre)
        return Closed(reason, info)

    async def centres(self) -> set[str]:
        """Every centre's live slug ("" the default)."""
        return set((await current_directory()).centres) | {""}

    async def call_centre(self, dialled: str) -> str:
        """The centre whose line has this Twilio number; the default for any other."""
        found = (await current_directory()).numbers.get(dialled)
        return found[0] if found is not None else ""

    async def pages(self) -> set[str]:
        """The page addresses a visitor may start from (/<slug>/), "" for the front page."""
        return {c.slug for c in (await current_directory()).centres.values()} | {""}

    async def centre_of_page(self, slug: str) -> str:
        """The live slug of the centre whose page is /<slug>/ ("" the front page: the default)."""
        centre = (await current_directory()).by_page(slug) if slug else None
        return centre.live if centre is not None else ""

    async def line_of(self, centre: str, channel: Channel) -> int | None:
        """The line whose opening hours apply (None: the default centre's web line)."""
        directory = await current_directory()
        # A centre without a phone line of its own takes calls in its chat hours.
        return directory.line(centre, channel) or directory.line(centre, "chat")

    async def closed_reason(self, channel: Channel, centre: str = "") -> ClosedReason | None:
        return (await self.closed_reasons(channel, (centre,)))[centre]

    async def closed_reasons(self, channel: Channel, centres: Iterable[str]) -> dict[str, ClosedReason | None]:
        """Why each of ``centres`` cannot take a new contact now (None: it can). One read
        of the intake rows, the counsellors and the queue however many centres are
        asked about: an overflow decision asks about every centre."""
        directory = await current_directory()
        intakes = await database_sync_to_async(Intake.by_centre)()
        now = datetime.now(UTC)
        counsellors: list[Counsellor] | None = None
        waiting: Counter[str] | None = None
        reasons: dict[str, ClosedReason | None] = {}
        for centre in centres:
            schedule = await current_schedule(await self.line_of(centre, channel))
            intake = intakes.get(centre)
            if not schedule.accepting(now, directory.closing(centre, channel)):
                reasons[centre] = "hours"
                continue
            if intake is not None and (intake.chat_paused if channel == "chat" else intake.phone_paused):
                reasons[centre] = "paused"
                continue
            if counsellors is None:
                counsellors = await self.store.counsellors()
            serving = [c for c in counsellors if centre in (c.centres or ("",))]
            if policy.counsellors_on_duty(serving, channel) == 0:
                reasons[centre] = "nobody"
                continue
            if intake is not None and intake.max_queue:
                if waiting is None:
                    waiting = Counter(c.centre for c in await self.store.queue())
                if waiting[centre] >= intake.max_queue:
                    reasons[centre] = "full"
                    continue
            reasons[centre] = None
        return reasons

    async def overflow(self, closed: Closed, channel: Channel, centre: str) -> tuple[str, Closed | None]:
        """Where a contact goes that ``centre`` cannot take: (the centre whose queue it
        joins, None), or (``centre``, why not, with a link or forward if a rule gives
        one). Closed hours, a pause and nobody on duty count as closed; a full queue as
        full. Nothing of the contact but its channel decides."""
        directory = await current_directory()
        if not any(directory.rules_by_centre(channel).values()):
            return centre, closed
        situations: dict[str, overflow.Situation] = {}
        reasons = await self.closed_reasons(channel, [live for live in directory.centres if live != centre])
        reasons[centre] = closed.reason
        for live in directory.centres:
            reason = reasons[live]
            situations[live] = overflow.Situation(
                channel, closed=reason in ("hours", "paused", "nobody"), full=reason == "full"
            )
        destination = overflow.resolve(
            centre,
            directory.rules_by_centre(channel),
            lambda live: situations.get(live, overflow.Situation(channel, closed=True)),
        )
        if destination.rule is not None:
            return centre, replace(closed, elsewhere=destination.rule)
        target = situations.get(destination.centre)
        if destination.centre != centre and target is not None and not (target.closed or target.full):
            return destination.centre, None
        return centre, closed

    async def count_not_taken(self, closed: Closed, channel: Channel, centre: str) -> None:
        """Count an attempt ``centre`` could not take, by why (the report's "could not
        join the queue" table): for a chat's start and a call's arrival alike."""
        if closed.reason == "hours":
            await acount("contacts.out_of_hours", centre=centre, channel=channel)
        elif closed.reason == "nobody":
            await acount("contacts.nobody_on_duty", centre=centre, channel=channel)
        else:
            await acount("contacts.turned_away", centre=centre, channel=channel, reason=closed.reason)

    # --- visitor side ---
    async def start_contact(
        self,
        *,
        channel: Channel,
        language: str,
        kind: str = "",
        danger: bool = False,
        plain: bool = False,
        source: str = "",
        centre: str = "",
        on_created: Callable[[str], Awaitable[None]] | None = None,
    ) -> Started | Closed:
        """``on_created`` runs before routing: a socket must listen for its contact before
        a counsellor can possibly accept it, or the news of that would go nowhere.
        ``plain``: the visitor chose easy-read; what they are told when turned away is in
        their language's easy-read variant, if it has one."""
        shown = easy_read_of(language) if plain else language
        if source and not danger and await self.store.is_blocked(source):
            # Told what anyone is told when nobody can answer: the numbers still help.
            # Someone who says they are in danger gets through whatever the block: the
            # same address may be a school's, a shelter's or a mobile network's.
            await acount("contacts.turned_away", centre=centre, channel=channel, reason="blocked")
            schedule = await current_schedule()
            return Closed("nobody", await database_sync_to_async(closed_info)(schedule, shown, "nobody", centre))
        if source and not await self.store.take_start(
            source, int(config("STARTS_PER_SOURCE")), int(config("START_WINDOW_SECONDS"))
        ):
            # One address starting contacts faster than people do (sixty abandoned "in
            # danger" starts a second were seen): the queue stays for the others.
            await acount("contacts.turned_away", centre=centre, channel=channel, reason="too_many")
            schedule = await current_schedule()
            return Closed("too_many", await database_sync_to_async(closed_info)(schedule, shown, "too_many", centre))
        answered_by = ""
        closed = await self.availability(shown, channel, centre)
        if closed is not None:
            await self.count_not_taken(closed, channel, centre)
            target, still = await self.overflow(closed, channel, centre)
            if still is not None:
                return still
            centre, answered_by = target, (await current_directory()).name(target)
        token = secrets.token_urlsafe(24)  # 192 bits
        contact_id = secrets.token_hex(8)
        contact = Contact(
            id=contact_id,
            key=crypto.new_conversation_key(contact_id),
            channel=channel,
            language=language,
            centre=centre,
            kind=kind,
            danger=danger,
            plain=plain,
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
            "contacts",
            centre=centre,
            channel=channel,
            language=language,
            kind=kind or "unknown",
            danger="yes" if danger else "no",
        )
        return Started(contact.id, token, answered_by)

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

    # --- phone calls (contacts/phone.py adapts Twilio's webhooks to these) ---
    async def call_contact(self, call_sid: str) -> Contact | None:
        return await self.resume(call_token(call_sid))

    async def start_call(self, call_sid: str, language: str, centre: str = "") -> Contact | Closed:
        """The caller chose a language: join ``centre``'s queue, once, however often
        Twilio asks (or where its overflow rules send the call, if it closed meanwhile)."""
        existing = await self.call_contact(call_sid)
        if existing is not None:
            return existing
        closed = await self.availability(language, "phone", centre)
        if closed is not None:
            target, still = await self.overflow(closed, "phone", centre)
            if still is not None:
                return still
            centre = target
        contact_id = secrets.token_hex(8)
        contact = Contact(
            id=contact_id,
            key=crypto.new_conversation_key(contact_id),
            channel="phone",
            language=language,
            centre=centre,
            enqueued_at=time.time(),
        )
        await self.store.add_contact(contact, token_hash(call_token(call_sid)))
        metrics.contact_started("phone")
        await self.queue_changed()
        await self.route()
        await acount("contacts", centre=centre, channel="phone", language=language, kind="unknown", danger="no")
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
