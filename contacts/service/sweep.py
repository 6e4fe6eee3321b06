"""The per-process tick: heartbeat, expiring offers and graces, routing what is due."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime

from channels.db import database_sync_to_async

from centres.directory import current_directory
from chatservice import metrics
from contacts import groups
from contacts.events import ConvClosing, ConvElsewhere
from contacts.hours import closing_time, current_schedule
from contacts.service.core import PROCESS_DEAD_SECONDS, ClosedReason, config
from contacts.service.supervision import Supervision
from routing import overflow
from routing.state import Channel, Contact

logger = logging.getLogger(__name__)


# The rules a waiting contact can follow from the queue: to a partner centre, or (a chat)
# to a link. A forward is followed by a call's own hold loop.
MOVES = ("centre", "link")


class Sweep(Supervision):
    async def _heartbeat(self, now: float) -> None:
        if not await self.store.heartbeat(self.process, now):
            # Declared dead while alive (a stalled event loop): say again who is here.
            for kind, member in list(self._held):
                await self.store.hold(self.process, kind, member, True, now)
                if kind == "v":
                    await self.store.set_visitor_gone(member, 0.0)
                else:
                    await self.store.set_counsellor_gone(int(member), 0.0)
        visitors, _counsellors = await self.store.release_dead(now - PROCESS_DEAD_SECONDS)
        for contact_id in visitors:
            # Their socket died with its process: the counsellor sees them away, and the
            # grace period runs from the process's last heartbeat.
            contact = await self.store.get_contact(contact_id)
            if contact is not None and contact.counsellor:
                await self.publish(
                    groups.staff(contact.counsellor),
                    {"type": "visitor.presence", "contact": contact_id, "connected": False},
                )

    async def tick(self, now: float | None = None) -> None:
        """Timers: offers nobody answered, visitors and counsellors who did not come back,
        contacts that have waited past the language overflow."""
        now = time.time() if now is None else now
        await self._heartbeat(now)
        for contact_id, counsellor_id in await self.store.expired_offers(now):
            await self.withdraw(contact_id, counsellor_id, away=True)
        for contact_id in await self.store.visitors_gone_before(now - config("GRACE_SECONDS")):
            await self.end(contact_id, "visitor_gone")
        if now - self._last_sweep >= 60:
            if int(now // 3600) != int(self._last_sweep // 3600):
                from audit.log import prune

                await database_sync_to_async(prune)()  # hourly: the audit log's fixed retention
            self._last_sweep = now
            await self.store.sweep()
            await self.record_sample(now)
        for counsellor_id in await self.store.counsellors_gone_before(now - config("COUNSELLOR_GRACE_SECONDS")):
            await self.requeue_all(counsellor_id)
            await self.store.set_counsellor_state(counsellor_id, "off", now)
            await self.store.set_counsellor_gone(counsellor_id, 0.0)
            await self.queue_changed()
        await self.tell_closing(now)
        await self.follow_overflow(now)
        await self.route(now)

    async def tell_closing(self, now: float) -> None:
        """Tell each visitor waiting at a line in its closing window (open, but taking
        no new contacts before it closes), once, when it closes: they may stay, and
        should know. Whatever the overflow rules say happens at closing still happens."""
        directory = await current_directory()
        if not any(any(c.closing.values()) for c in directory.centres.values()):
            return
        closes: dict[tuple[str, Channel], str] = {}

        async def closing_at(centre: str, channel: Channel) -> str:
            if (centre, channel) not in closes:
                closes[centre, channel] = await self.closes_soon(centre, channel, now)
            return closes[centre, channel]

        for contact in await self.store.queue():
            # Chats only: a caller on hold hears the hold message, not a frame.
            if contact.channel != "chat" or contact.state not in ("queued", "offered") or contact.visitor_gone_at:
                continue
            when = await closing_at(contact.centre, contact.channel)
            if when and await self.store.tell_once(contact.id, "closing"):
                await self.publish(
                    groups.visitor(contact.id), ConvClosing(type="conv.closing", contact=contact.id, closes=when)
                )

    async def closes_soon(self, centre: str, channel: Channel, now: float) -> str:
        """When the centre's line closes ("HH:MM"), if it is in its closing window now
        (open, but taking no new contacts); "" otherwise."""
        directory = await current_directory()
        minutes = directory.closing(centre, channel)
        if not minutes:
            return ""
        at = datetime.fromtimestamp(now, UTC)
        schedule = await current_schedule(await self.line_of(centre, channel))
        return closing_time(schedule, at) if schedule.is_open(at) and not schedule.accepting(at, minutes) else ""

    async def closing_notice(self, contact: Contact, now: float) -> str:
        """For a caller on hold: when their centre closes, the first time their line is
        in its closing window (one hold loop says it, once); "" otherwise."""
        when = await self.closes_soon(contact.centre, contact.channel, now)
        return when if when and await self.store.tell_once(contact.id, "closing") else ""

    async def follow_overflow(self, now: float) -> None:
        """Contacts waiting at a centre that closed meanwhile, or longer than its rules
        allow, go to the partner centre those rules name, if it can take them there and
        then. The visitor is told who will answer; nothing else goes with them. A chat
        whose rule is a link to another service is given the link, once, and keeps its
        place: nobody is sent away from a queue, they choose (a call's forward is its
        hold loop's, ``forward_waiting_call``)."""
        directory = await current_directory()
        if not any(rule.action in MOVES for c in directory.centres.values() for rs in c.rules.values() for rule in rs):
            return
        shut: dict[tuple[str, Channel], ClosedReason | None] = {}

        async def reason(centre: str, channel: Channel) -> ClosedReason | None:
            if (centre, channel) not in shut:
                shut[centre, channel] = await self.closed_reason(channel, centre)
            return shut[centre, channel]

        moved = False
        for contact in await self.store.queue():
            here = directory.get(contact.centre)
            if contact.state != "queued" or contact.visitor_gone_at or here is None:
                continue
            rules = here.rules.get(contact.channel, ())
            if not any(rule.action in MOVES for rule in rules):
                continue
            rule = await self._rule_now(contact, rules, now, reason)
            if rule is not None and rule.action == "link":
                if rule.url and await self.store.tell_once(contact.id, "elsewhere"):
                    await self.publish(
                        groups.visitor(contact.id),
                        ConvElsewhere(type="conv.elsewhere", contact=contact.id, name=rule.name, url=rule.url),
                    )
                continue
            if rule is None or rule.action != "centre" or await reason(rule.centre, contact.channel) is not None:
                continue
            if await self.store.hand_over(contact.id, rule.centre, now):
                moved = True
                await self.publish(
                    groups.visitor(contact.id),
                    {"type": "conv.handed_over", "contact": contact.id, "name": directory.name(rule.centre)},
                )
        if moved:
            await self.queue_changed()

    @staticmethod
    async def _rule_now(
        contact: Contact,
        rules: tuple[overflow.Rule, ...],
        now: float,
        reason: Callable[[str, Channel], Awaitable[ClosedReason | None]],
    ) -> overflow.Rule | None:
        """The overflow rule a waiting contact falls under now, if any."""
        closed = await reason(contact.centre, contact.channel) in ("hours", "paused", "nobody")
        waited = now - max(contact.enqueued_at, contact.routed_at)
        return overflow.first_rule(rules, overflow.Situation(contact.channel, closed=closed, waited=waited))

    async def waiting_notices(self, contact_id: str, now: float | None = None) -> list[ConvClosing | ConvElsewhere]:
        """What a waiting chat is told while it waits and that still holds: its centre
        closes soon, a link to another service. The tick tells each once, to whichever
        socket is there; a visitor whose socket was away then (a train, a shared phone's
        lock screen) is told again on their resume, or would never see the link."""
        now = time.time() if now is None else now
        contact = await self.store.get_contact(contact_id)
        if contact is None or contact.channel != "chat" or contact.state not in ("queued", "offered"):
            return []
        out: list[ConvClosing | ConvElsewhere] = []
        when = await self.closes_soon(contact.centre, contact.channel, now)
        if when:
            out.append(ConvClosing(type="conv.closing", contact=contact.id, closes=when))
        here = (await current_directory()).get(contact.centre)
        rules = here.rules.get(contact.channel, ()) if here is not None else ()
        if contact.state == "queued" and any(rule.action == "link" for rule in rules):
            rule = await self._rule_now(
                contact, rules, now, lambda centre, channel: self.closed_reason(channel, centre)
            )
            if rule is not None and rule.action == "link" and rule.url:
                out.append(ConvElsewhere(type="conv.elsewhere", contact=contact.id, name=rule.name, url=rule.url))
        return out

    async def forward_waiting_call(self, contact: Contact, now: float) -> overflow.Rule | None:
        """A waiting call that its centre's rules now forward to a number (the centre
        closed meanwhile, or nobody answered within N seconds): the rule, once the
        contact has left the queue; None: it keeps waiting. Asked on each hold loop."""
        if contact.channel != "phone" or contact.state != "queued":
            return None
        here = (await current_directory()).get(contact.centre)
        rules = here.rules.get("phone", ()) if here is not None else ()
        if not any(rule.action == "forward" for rule in rules):
            return None
        reason = await self.closed_reason("phone", contact.centre)
        waited = now - max(contact.enqueued_at, contact.routed_at)
        situation = overflow.Situation("phone", closed=reason in ("hours", "paused", "nobody"), waited=waited)
        rule = overflow.first_rule(rules, situation)
        if rule is None or rule.action != "forward":
            return None
        # Ended first: whichever process's hold loop gets here first forwards the call.
        if await self.end(contact.id, "forwarded") is None:
            return None
        return rule

    def ensure_ticker(self) -> None:
        """Start this process's timer loop on the running event loop, once."""
        loop = asyncio.get_running_loop()
        if self._ticker is not None and not self._ticker.done() and self._ticker_loop is loop:
            return
        self._ticker_loop = loop
        self._ticker = loop.create_task(self._tick_forever())

    async def _tick_forever(self) -> None:
        while True:
            await asyncio.sleep(config("TICK_SECONDS"))
            try:
                await self.tick()
            except asyncio.CancelledError:
                raise
            except Exception:
                # Redis away for a moment: keep ticking, recover when it is back.
                metrics.TICK_FAILURES.inc()
                logger.warning("tick failed", exc_info=True)

    async def stop_ticker(self) -> None:
        if self._ticker is not None:
            self._ticker.cancel()
            # Bounded: a library call that swallows the cancellation must not hang a
            # shutdown (seen once in the suite, never reproduced).
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await asyncio.wait_for(asyncio.shield(self._ticker), timeout=5)
            self._ticker = None
