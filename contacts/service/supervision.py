"""The supervisor's work: help requests, joining, intake control, blocks, the dashboard."""

from __future__ import annotations

import time
from typing import Any

from channels.db import database_sync_to_async

from audit.log import arecord
from centres.directory import current_directory
from contacts import groups
from contacts.events import IntakeChanged
from contacts.frames import BlockInfo, DashboardData, HelpRequest, IntakeState, LoadCounts, TeamMember
from contacts.models import Intake
from contacts.service.core import config
from contacts.service.transfer import Transfer
from routing import policy
from routing.state import Contact, Counsellor


def intake_state(intake: Intake, name: str = "") -> IntakeState:
    return {
        "centre": intake.centre,
        "centre_name": name,
        "chat_paused": intake.chat_paused,
        "phone_paused": intake.phone_paused,
        "max_queue": intake.max_queue,
    }


def shown_state(member: Counsellor) -> str:
    """Available at full capacity shows as busy."""
    return "busy" if member.state == "available" and member.load >= member.capacity else member.state


def today_figures(centres: tuple[str, ...] | None = None) -> dict[str, Any]:
    """Today's counters at ``centres`` (None: every centre), summed over them."""
    from django.utils import timezone

    from stats.models import DailyCount

    rows = DailyCount.objects.filter(day=timezone.localdate())
    if centres is not None:
        rows = rows.filter(centre__in=centres)
    totals: dict[str, int] = {}
    waits: dict[str, int] = {}
    for r in rows:
        if r.dimension == "":
            totals[r.metric] = totals.get(r.metric, 0) + r.count
        elif r.metric == "wait" and r.dimension == "band":
            waits[r.value] = waits.get(r.value, 0) + r.count
    return {
        "contacts": totals.get("contacts", 0),
        "answered": totals.get("contacts.answered", 0),
        "left": totals.get("contacts.left_before_answer", 0),
        "out_of_hours": totals.get("contacts.out_of_hours", 0),
        "turned_away": totals.get("contacts.turned_away", 0) + totals.get("contacts.nobody_on_duty", 0),
        "wait_median": band_percentile(waits, 0.5),
        "wait_p90": band_percentile(waits, 0.9),
    }


def band_percentile(counts: dict[str, int], q: float) -> str | None:
    """The wait band that holds the q-th quantile: counters keep bands, never single waits."""
    from stats.counters import WAIT_BANDS

    total = sum(counts.values())
    if not total:
        return None
    running = 0
    for name in WAIT_BANDS:
        running += counts.get(name, 0)
        if running >= q * total:
            return name
    return WAIT_BANDS[-1]


class Supervision(Transfer):
    async def block(self, contact_id: str) -> None:
        contact = await self.store.get_contact(contact_id)
        if contact is None:
            return
        if contact.source:
            counsellor = await self.store.get_counsellor(contact.counsellor)
            by = counsellor.name if counsellor is not None else ""
            await self.store.block_source(contact.source, await self.block_seconds(contact.centre), by)
            await self.publish(groups.SUPERVISORS, {"type": "queue.changed"})
            await arecord(contact.counsellor, "block_set", centre=contact.centre)
        await self.end(contact_id, "blocked")

    async def block_seconds(self, centre: str) -> int:
        """How long a block set in ``centre``'s conversation lasts: the centre's own
        length (centres.Centre.block_minutes), else CHAT_BLOCK_SECONDS."""
        found = (await current_directory()).get(centre)
        return found.block_seconds if found is not None and found.block_seconds else int(config("BLOCK_SECONDS"))

    async def lift_block(self, block_id: str, *, by: int) -> bool:
        """A supervisor ends a block early; new chats from that source get through."""
        lifted = await self.store.lift_block(block_id)
        if lifted:
            await self.publish(groups.SUPERVISORS, {"type": "queue.changed"})
            await arecord(by, "block_lifted")
        return lifted

    # --- supervisors ---
    async def request_help(self, counsellor_id: int, contact_id: str) -> bool:
        if not await self.store.request_help(contact_id, counsellor_id):
            return False
        await self.publish(groups.SUPERVISORS, {"type": "help.changed"})
        return True

    async def join_supervisor(
        self, supervisor_id: int, contact_id: str, name: str, centres: tuple[str, ...] = ("",)
    ) -> Contact | None:
        """Join a conversation whose counsellor asked for help, in one of ``centres``."""
        before = await self.store.get_contact(contact_id)
        if before is None or before.centre not in centres:
            return None  # another centre's conversation: not even by its id
        if not await self.store.join_supervisor(contact_id, supervisor_id):
            return None
        contact = await self.store.get_contact(contact_id)
        if contact is not None:
            await self.publish_conversation(
                contact, {"type": "conv.supervisor", "contact": contact_id, "joined": True, "name": name}
            )
        await self.publish(groups.SUPERVISORS, {"type": "help.changed"})
        return contact

    async def leave_supervisor(self, supervisor_id: int, contact_id: str, name: str) -> bool:
        contact = await self.store.get_contact(contact_id)
        if contact is None or not await self.store.leave_supervisor(contact_id, supervisor_id):
            return False
        await self.publish_conversation(
            contact, {"type": "conv.supervisor", "contact": contact_id, "joined": False, "name": name}
        )
        return True

    async def set_intake(self, changes: dict[str, Any], *, by: int, centre: str = "") -> IntakeState:
        """Save a supervisor's intake change for one centre; every dashboard and console
        hears of it (each shows only its own centres')."""
        from audit.log import record

        name = (await current_directory()).name(centre)

        def save() -> IntakeState:
            before = intake_state(Intake.current(centre))
            Intake.objects.update_or_create(centre=centre, defaults=changes)
            after = intake_state(Intake.current(centre), name)
            for channel, was, now in (
                ("chat", before["chat_paused"], after["chat_paused"]),
                ("phone", before["phone_paused"], after["phone_paused"]),
            ):
                if was != now:
                    record(by, "intake_paused" if now else "intake_resumed", channel, centre=centre)
            if before["max_queue"] != after["max_queue"]:
                record(by, "queue_limit", centre=centre)
            return after

        state: IntakeState = await database_sync_to_async(save)()
        await self.publish(groups.SUPERVISORS, {"type": "queue.changed"})
        await self.publish(groups.STAFF_ALL, IntakeChanged(type="intake.changed", **state))
        return state

    async def intake(self, centre: str = "") -> IntakeState:
        return (await self.intakes((centre,)))[0]

    async def intakes(self, centres: tuple[str, ...] | None = None) -> list[IntakeState]:
        """The intake of each of ``centres`` (None: every centre), in that order; a
        centre that never paused has no row and takes contacts."""
        directory = await current_directory()
        rows = await database_sync_to_async(Intake.by_centre)()
        wanted = centres if centres is not None else tuple(directory.centres) or ("",)
        return [intake_state(rows.get(c) or Intake(centre=c), directory.name(c)) for c in wanted]

    async def set_off_duty(self, counsellor_id: int, *, by: int) -> None:
        """A supervisor sends home a counsellor who left without logging out: their
        conversations go to the front of the queue, for anyone but that supervisor (who
        reads a conversation only when a counsellor asks for help)."""
        await self.requeue_all(counsellor_id, not_for=by)
        await arecord(by, "off_duty", subject=counsellor_id)
        await self.set_duty(counsellor_id, "off")

    async def clear_abandoned(self, *, by: int, centres: tuple[str, ...] | None = None) -> int:
        """End every waiting chat whose page is already gone (a flood of abandoned starts,
        or visitors who gave up), in ``centres`` (None: all): nobody is there to answer.
        Counted as left."""
        gone = [
            c.id
            for c in await self.store.queue()
            if c.channel == "chat"
            and c.state == "queued"
            and c.visitor_gone_at
            and (centres is None or c.centre in centres)
        ]
        cleared = sum([await self.end(cid, "visitor_gone") is not None for cid in gone])
        await arecord(by, "abandoned_cleared", centre=centres[0] if centres is not None and len(centres) == 1 else None)
        return cleared

    async def record_sample(self, now: float) -> None:
        """A point for the dashboard's chart. Every process may write the same minute:
        the figures are the same shared state, so the last write is as good as any."""
        queue = await self.store.queue()
        counsellors = await self.store.counsellors()
        available = sum(
            1 for c in counsellors if policy.can_take_more(c, now=now) or (c.state == "available" and c.offers)
        )
        await self.store.record_sample(int(now // 60), len(queue), available)

    async def dashboard_counts(self) -> LoadCounts:
        """The live load as counts only (the dashboard's and the metrics' figures)."""
        return self._counts(await self.store.queue(), await self.store.counsellors())

    @staticmethod
    def _counts(queue: list[Contact], counsellors: list[Counsellor]) -> LoadCounts:
        by_channel: dict[str, int] = {}
        by_language: dict[str, int] = {}
        for c in queue:
            by_channel[c.channel] = by_channel.get(c.channel, 0) + 1
            by_language[c.language] = by_language.get(c.language, 0) + 1
        states = {s: 0 for s in ("available", "busy", "away", "break", "off")}
        for member in counsellors:
            states[shown_state(member)] += 1
        return {
            "waiting": len(queue),
            "by_channel": by_channel,
            "by_language": by_language,
            "longest_wait": int(time.time() - min(c.enqueued_at for c in queue)) if queue else 0,
            "offers": sum(1 for c in queue if c.state == "offered"),
            # Waiting, but their page is gone: not offered; a flood shows here first.
            "abandoned": sum(1 for c in queue if c.state == "queued" and c.visitor_gone_at),
            "conversations": sum(c.load for c in counsellors),
            "states": states,
        }

    async def dashboard(self, since: float, centres: tuple[str, ...] | None = None) -> DashboardData:
        """Load, never content: counts from live state (read after ``since``, monotonic)
        and today's counters, for ``centres`` (None: every centre)."""
        now = time.time()
        queue = (await self.queue_view.get(since)).contacts
        counsellors, _mean = await self.staff_view.get(since)
        if centres is not None:
            queue = [c for c in queue if c.centre in centres]
            counsellors = [m for m in counsellors if set(m.centres or ("",)) & set(centres)]
        team: list[TeamMember] = [
            {
                "id": member.id,
                "name": member.name,
                "state": shown_state(member),
                "load": member.load,
                "capacity": member.capacity,
            }
            for member in counsellors
            if member.state != "off"
        ]
        names = {member.id: member.name for member in counsellors}
        help_requests: list[HelpRequest] = [
            {"contact": c.id, "counsellor": names.get(c.counsellor, ""), "language": c.language}
            for c in await self.store.help_requests()
            if centres is None or c.centre in centres
        ]
        history = [list(s) for s in await self.store.samples(int(now // 60) - 4 * 60)]
        # Blocks in force: who set them and until when; the id is the keyed hash of a
        # source (no address can be had from it), so that one can be lifted.
        blocks: list[BlockInfo] = [
            {"id": s, "by": by, "until": int(until)} for s, until, by in await self.store.blocks()
        ]
        return DashboardData(
            **self._counts(queue, counsellors),
            # The page counts waiting time on from these (server clock, milliseconds), so
            # it moves and the long-wait alert fires on time between frames.
            oldest_enqueued=int(min(c.enqueued_at for c in queue) * 1000) if queue else 0,
            now=int(now * 1000),
            team=team,
            help=help_requests,
            history=history,
            blocks=blocks,
            today=await database_sync_to_async(today_figures)(centres),
        )
