"""Whole conversations through the real ASGI app, on the embedded default and on Redis."""

from __future__ import annotations

import asyncio
import json
import time
from typing import Any

import pytest
from asgiref.sync import sync_to_async
from django.conf import settings

from contacts.service import Service
from tests.conftest import console, visitor

pytestmark = [pytest.mark.usefixtures("open_all_day")]


async def chat_between(service: Service, user: Any, **start: Any) -> tuple[Any, Any, str]:
    """A counsellor on duty and a visitor in conversation with them."""
    staff = await console(user)
    await staff.send(type="duty", state="available")
    await staff.expect("me", state="available")
    v = await visitor(**start)
    await v.expect("started")
    offer = await staff.expect("offer")
    await staff.send(type="accept", contact=offer["contact"])
    await staff.expect("conversation", contact=offer["contact"])
    await v.expect("joined")
    return staff, v, offer["contact"]


async def test_a_visitor_and_a_counsellor_hold_a_conversation(service: Service, sara: Any) -> None:
    staff, v, cid = await chat_between(service, sara, lang="sv", kind="self")
    await v.send(type="send", id="v1", text="Hej, jag behöver prata")
    sent = await v.expect("sent", id="v1")
    got = await staff.expect("message", contact=cid)
    assert got["text"] == "Hej, jag behöver prata" and got["from"] == "visitor" and got["seq"] == sent["seq"] == 1
    await staff.send(type="ack", contact=cid, seq=1)

    await staff.send(type="typing", contact=cid)
    await v.expect("typing")
    await v.send(type="typing")
    await staff.expect("typing", contact=cid)

    await staff.send(type="send", contact=cid, id="c1", text="Hej! Jag heter Sara. Berätta.")
    await staff.expect("sent", id="c1", seq=2)
    msg = await v.expect("message")
    assert msg["seq"] == 2 and msg["from"] == "counsellor" and msg["text"] == "Hej! Jag heter Sara. Berätta."
    await v.send(type="ack", seq=2)

    await staff.send(type="end", contact=cid)
    ended = await v.expect("ended")
    assert ended["by"] == "counsellor"
    assert (await staff.expect("ended", contact=cid))["by"] == "counsellor"
    assert await service.store.get_contact(cid) is None
    await v.close()
    await staff.close()


async def test_the_visitor_sees_the_counsellors_chosen_name_only(service: Service, sara: Any) -> None:
    staff, v, _ = await chat_between(service, sara)
    joined = next(f for f in v.seen if f["type"] == "joined")
    assert joined["name"] == "Sara"
    assert "sara" not in str(v.seen).replace("Sara", "")  # never the account name
    await v.close()
    await staff.close()


async def test_a_message_riding_on_a_nudge_is_shown_only_if_it_is_the_real_next_one(
    service: Service, sara: Any
) -> None:
    """A nudge carries the new message sealed, so an up-to-date socket need not read the
    store. A nudge that carries something that does not open, or is not the next
    message, must show nothing of its own: the socket reads the store instead."""
    from channels.layers import get_channel_layer

    from contacts import crypto, groups

    staff, v, cid = await chat_between(service, sara)
    await staff.send(type="send", contact=cid, id="c1", text="första")
    assert (await v.expect("message"))["text"] == "första"
    contact = await service.store.get_contact(cid)
    assert contact is not None
    key = crypto.unwrap(cid, contact.key)
    layer = get_channel_layer()
    assert layer is not None
    forged = [
        {"seq": 2, "sealed": "AAAA"},  # does not open
        {"seq": 2, "sealed": crypto.seal(key, cid, 3, "fel plats")},  # sealed for another place
        {"seq": 5, "sealed": crypto.seal(key, cid, 5, "för tidigt")},  # not the next one
    ]
    for fields in forged:
        event = {"type": "conv.message", "contact": cid, "counsellor": contact.counsellor, "supervisor": 0}
        await layer.group_send(groups.visitor(cid), {**event, "sender": "counsellor", "ts": 1.0, **fields})
    await staff.send(type="send", contact=cid, id="c2", text="andra")
    assert (await v.expect("message"))["text"] == "andra"
    shown = [f["text"] for f in v.seen if f["type"] == "message"]
    assert shown == ["första", "andra"]
    await v.close()
    await staff.close()


async def test_messages_flow_while_the_database_thread_is_busy(service: Service, sara: Any) -> None:
    """Every database call of a process queues on one shared thread (statistics commits,
    intake reads). A conversation needs no database, so it must not wait in that queue:
    Channels' own dispatch visits the thread before every event, ours does not."""
    import threading

    staff, v, cid = await chat_between(service, sara)
    release = threading.Event()
    busy = asyncio.ensure_future(sync_to_async(release.wait)(10))  # a commit that hangs
    try:
        await asyncio.sleep(0.05)
        await v.send(type="send", id="v1", text="hör du mig?")
        assert (await v.expect("sent", id="v1", timeout=2))["seq"] == 1
        assert (await staff.expect("message", contact=cid, timeout=2))["text"] == "hör du mig?"
        await staff.send(type="send", contact=cid, id="c1", text="ja")
        assert (await v.expect("message", timeout=2))["text"] == "ja"
        assert not busy.done()  # all of that happened while the thread was still taken
    finally:
        release.set()
        await busy
    await v.close()
    await staff.close()


async def test_a_long_queue_lists_its_head_and_counts_the_rest(service: Service, sara: Any) -> None:
    from contacts.consumers.console import QUEUE_ITEMS_SHOWN
    from routing.state import Contact

    for i in range(QUEUE_ITEMS_SHOWN + 7):
        await service.store.add_contact(
            Contact(id=f"w{i:03}", channel="chat", language="sv", enqueued_at=1000 + i), f"t{i}"
        )
    staff = await console(sara)
    queue = await staff.expect("queue")
    assert queue["total"] == QUEUE_ITEMS_SHOWN + 7
    assert [i["contact"] for i in queue["items"]] == [
        f"w{i:03}" for i in range(QUEUE_ITEMS_SHOWN)
    ]  # longest waiting first
    await staff.close()


async def test_sockets_nudged_together_share_one_read_and_a_later_nudge_reads_again(service: Service) -> None:
    """A queue change nudges every waiting visitor and console of a process at once; they
    must not each read every counsellor (that was 11 CPU-seconds per arrival with 100
    consoles), yet none may be shown what was read before its nudge."""
    from contacts.service import SharedRead

    reads: list[float] = []

    async def read() -> int:
        reads.append(time.monotonic())
        await asyncio.sleep(0.05)
        return len(reads)

    shared: SharedRead[int] = SharedRead(read)
    nudged = time.monotonic()
    together = await asyncio.gather(*(shared.get(nudged) for _ in range(200)))
    assert together == [1] * 200 and len(reads) == 1
    assert await shared.get(nudged) == 1  # the same change: nothing to read again
    later = time.monotonic()
    assert await shared.get(later) == 2  # a change after that read began: read again
    assert reads[1] >= later


async def test_queue_position_and_estimate_move_as_the_queue_moves(service: Service, sara: Any) -> None:
    staff = await console(sara)
    await staff.send(type="duty", state="break")  # on shift, not taking contacts
    await staff.expect("me", state="break")
    first = await visitor()
    await first.expect("started")
    q1 = await first.expect("queue")
    assert q1["position"] == 1 and q1["wait"] is None  # nobody taking contacts: no made-up number
    second = await visitor()
    await second.expect("queue", position=2)
    queue = await staff.expect("queue")
    while len(queue["items"]) < 2:
        queue = await staff.expect("queue")
    assert [i["waited"] >= 0 for i in queue["items"]] == [True, True]
    assert set(queue["items"][0]) >= {"contact", "channel", "language", "kind", "danger", "waited"}

    await staff.send(type="duty", state="available")
    offer = await staff.expect("offer")
    await staff.send(type="accept", contact=offer["contact"])
    await first.expect("joined")
    update = await second.expect("queue", position=1)
    assert update["wait"] == 0  # Sara has a second free slot
    for s in (first, second, staff):
        await s.close()


async def test_someone_in_danger_goes_first(service: Service, sara: Any) -> None:
    staff = await console(sara)
    await staff.send(type="duty", state="break")
    await staff.expect("me", state="break")
    calm = await visitor()
    await calm.expect("started")
    urgent = await visitor(danger=True)
    await urgent.expect("started")
    await urgent.expect("queue", position=1)
    await staff.send(type="duty", state="available")
    offer = await staff.expect("offer")
    assert offer["danger"] is True
    for s in (calm, urgent, staff):
        await s.close()


async def test_an_unanswered_offer_goes_to_the_next_counsellor_and_the_silent_one_to_away(
    service: Service, sara: Any, omar: Any
) -> None:
    s1, s2 = await console(sara), await console(omar)
    await s1.send(type="duty", state="available")
    await s1.expect("me", state="available")
    await s2.send(type="duty", state="available")
    await s2.expect("me", state="available")
    v = await visitor()
    await v.expect("started")
    first = await s1.expect("offer")  # Sara has been idle longest
    await service.tick(time.time() + 31)
    await s1.expect("offer_withdrawn", contact=first["contact"])
    await s1.expect("me", state="away")
    second = await s2.expect("offer")
    assert second["contact"] == first["contact"]
    await s2.send(type="accept", contact=second["contact"])
    await v.expect("joined", name="Omar")
    await s1.send(type="accept", contact=first["contact"])  # too late
    assert (await s1.expect("error"))["code"] == "not_available"
    for s in (v, s1, s2):
        await s.close()


async def two_on_duty(*users: Any) -> list[Any]:
    consoles = [await console(u) for u in users]
    for s in consoles:
        await s.send(type="duty", state="available")
        await s.expect("me", state="available")
    return consoles


async def test_a_declined_offer_is_re_offered(service: Service, sara: Any, omar: Any) -> None:
    s1, s2 = await two_on_duty(sara, omar)
    v = await visitor()
    offer = await s1.expect("offer")
    await s1.send(type="decline", contact=offer["contact"])
    assert (await s2.expect("offer"))["contact"] == offer["contact"]
    for s in (v, s1, s2):
        await s.close()


async def test_going_off_duty_mid_offer_passes_the_offer_on(service: Service, sara: Any, omar: Any) -> None:
    s1, s2 = await two_on_duty(sara, omar)
    v = await visitor()
    offer = await s1.expect("offer")
    await s1.send(type="duty", state="off")  # the shift ends while the offer blinks
    assert (await s2.expect("offer"))["contact"] == offer["contact"]
    await s2.send(type="accept", contact=offer["contact"])
    await v.expect("joined")
    for s in (v, s1, s2):
        await s.close()


async def test_a_counsellor_never_holds_more_than_their_capacity(service: Service, omar: Any) -> None:
    staff = await console(omar)  # one chat at a time
    await staff.send(type="duty", state="available")
    await staff.expect("me", state="available")
    a = await visitor()
    offer = await staff.expect("offer")
    await staff.send(type="accept", contact=offer["contact"])
    await staff.expect("conversation")
    b = await visitor()
    await b.expect("started")
    await b.expect("queue", position=1)
    assert not [f for f in await staff.frames() if f["type"] == "offer"]
    queued = (await service.store.queue())[0]
    await staff.send(type="pick", contact=queued.id)
    assert (await staff.expect("error"))["code"] == "not_available"
    await staff.send(type="end", contact=offer["contact"])
    assert (await staff.expect("offer"))["contact"] == queued.id
    for s in (a, b, staff):
        await s.close()


async def test_a_language_nobody_speaks_overflows_to_any_counsellor_after_a_while(service: Service, sara: Any) -> None:
    staff = await console(sara)  # Swedish and English
    await staff.send(type="duty", state="available")
    await staff.expect("me", state="available")
    v = await visitor(lang="ar")
    await v.expect("started")
    assert not [f for f in await staff.frames() if f["type"] == "offer"]
    await service.tick(time.time() + 181)
    offer = await staff.expect("offer")
    assert offer["language"] == "ar"
    await v.close()
    await staff.close()


async def test_reconnect_replays_every_unacknowledged_message_once_in_order(service: Service, sara: Any) -> None:
    staff, v, cid = await chat_between(service, sara)
    token = next(f for f in v.seen if f["type"] == "started")["token"]
    assert len(token) >= 22  # at least 128 bits, URL-safe base64
    for i in range(1, 4):
        await staff.send(type="send", contact=cid, id=f"c{i}", text=f"meddelande {i}")
        await v.expect("message", seq=i)
    await v.send(type="ack", seq=1)
    await v.close()
    assert (await staff.expect("visitor", contact=cid))["state"] == "away"
    await staff.send(type="send", contact=cid, id="c4", text="är du kvar?")
    await staff.expect("sent", id="c4")

    back = await visitor(start=False)
    await back.send(type="resume", token=token, last_seq=1)
    assert (await back.expect("resumed"))["state"] == "active"
    await back.expect("joined", name="Sara")
    replay = [f for f in await back.frames() if f["type"] == "message"]
    assert [(m["seq"], m["text"]) for m in replay] == [
        (2, "meddelande 2"),
        (3, "meddelande 3"),
        (4, "är du kvar?"),
    ]
    assert (await staff.expect("visitor", contact=cid))["state"] == "connected"

    # A message the page sent but never saw confirmed is sent again with the same id:
    await back.send(type="send", id="v-same", text="hej igen")
    first = await back.expect("sent", id="v-same")
    await back.send(type="send", id="v-same", text="hej igen")
    again = await back.expect("sent", id="v-same")
    assert first["seq"] == again["seq"] == 5
    assert len([f for f in await staff.frames() if f["type"] == "message"]) == 1
    await back.close()
    await staff.close()


async def test_a_lost_nudge_is_recovered_by_sync(service: Service, sara: Any) -> None:
    staff, v, cid = await chat_between(service, sara)
    # Written straight to the store: no event reaches the sockets, as if the layer dropped it.
    from contacts import crypto

    stored = await service.store.get_contact(cid)
    assert stored is not None
    key = crypto.unwrap(cid, stored.key)
    await service.store.append_message(
        cid, "counsellor", lambda seq: crypto.seal(key, cid, seq, "tappad"), "x1", time.time()
    )
    assert not [f for f in await v.frames(0.3) if f["type"] == "message"]
    await v.send(type="sync", last_seq=0)
    assert (await v.expect("message"))["text"] == "tappad"
    await v.close()
    await staff.close()


async def test_a_visitor_who_does_not_come_back_ends_the_chat_and_the_counsellor_is_told(
    service: Service, sara: Any
) -> None:
    staff, v, cid = await chat_between(service, sara)
    await staff.send(type="send", contact=cid, id="c1", text="hallå?")
    await staff.expect("sent")
    await v.close()  # never acknowledged
    await staff.expect("visitor", contact=cid, state="away")
    await service.tick(time.time() + 121)
    ended = await staff.expect("ended", contact=cid)
    assert ended["by"] == "visitor_gone" and ended["undelivered"] == 1
    assert await service.store.get_contact(cid) is None
    await staff.close()


async def test_quick_exit_tells_the_counsellor_the_visitor_left_quickly(service: Service, sara: Any) -> None:
    staff, v, cid = await chat_between(service, sara)
    await v.send(type="end", quick=True)
    assert (await staff.expect("ended", contact=cid))["by"] == "quick_exit"
    await v.close()
    await staff.close()


async def test_a_counsellors_ack_or_reply_crossing_the_visitors_end_leaves_her_the_reason_and_the_wrapup(
    service: Service, sara: Any
) -> None:
    """The visitor writes "tack, hej" and closes; Sara's page acks it, starts typing
    and sends a last line as the end crosses them. None of that is "not yours": that made
    her page end the conversation "by the system", with no wrap-up, before the real end
    arrived. The line is refused as not in the conversation; the end says why."""
    staff, v, cid = await chat_between(service, sara)
    await v.send(type="send", id="v1", text="tack, hej")
    seq = (await staff.expect("message", contact=cid))["seq"]
    await v.send(type="end")
    await v.expect("ended")
    await staff.send(type="ack", contact=cid, seq=seq)
    await staff.send(type="typing", contact=cid)
    await staff.send(type="send", contact=cid, id="s9", text="Ta hand om dig!")
    frames = await staff.frames(wait=0.5)
    errors = [f for f in frames if f["type"] == "error"]
    assert errors == [{"type": "error", "code": "not_in_conversation", "detail": "s9"}]
    [ended] = [f for f in frames if f["type"] == "ended"]
    assert ended["by"] == "visitor"
    await staff.send(type="wrapup", contact=cid, kind="", topics=[])
    await staff.expect("wrapped", contact=cid)
    await v.close()
    await staff.close()


async def test_a_counsellor_who_drops_gets_their_contacts_requeued_after_the_grace(
    service: Service, sara: Any, omar: Any
) -> None:
    staff, v, cid = await chat_between(service, sara)
    await staff.close()
    await service.tick(time.time() + 10)  # within the grace: nothing happens
    assert (await service.store.get_contact(cid)).state == "active"  # type: ignore[union-attr]
    await service.tick(time.time() + 61)
    await v.expect("requeued")
    await v.expect("queue", position=1)
    other = await console(omar)
    await other.send(type="duty", state="available")
    assert (await other.expect("offer"))["contact"] == cid
    await v.close()
    await other.close()


async def test_a_counsellor_cannot_act_in_another_counsellors_conversation(
    service: Service, sara: Any, omar: Any
) -> None:
    staff, v, cid = await chat_between(service, sara)
    intruder = await console(omar)
    for frame in (
        {"type": "send", "contact": cid, "id": "x", "text": "hej"},
        {"type": "end", "contact": cid},
        {"type": "sync", "contact": cid, "last_seq": 0},
        {"type": "ack", "contact": cid, "seq": 1},
        {"type": "typing", "contact": cid},
    ):
        await intruder.send(**frame)
        assert (await intruder.expect("error"))["code"] == "not_yours"
    assert (await service.store.get_contact(cid)).state == "active"  # type: ignore[union-attr]
    for s in (v, staff, intruder):
        await s.close()


async def test_closed_hours_show_hours_and_numbers_instead_of_a_queue(service: Service, sara: Any) -> None:
    from contacts.models import EmergencyNumber, EmergencyNumberLabel, OpeningHours

    def setup() -> None:
        OpeningHours.objects.all().delete()
        # Alone, the migrations' seeded numbers are still here (the first transactional
        # test's database is not flushed yet): the test says which numbers there are.
        EmergencyNumber.objects.all().delete()
        n = EmergencyNumber.objects.create(number="112", dial="112")
        EmergencyNumberLabel.objects.create(number=n, language="en", text="Emergency")

    await sync_to_async(setup)()
    from contacts import hours

    hours.invalidate()
    staff = await console(sara)
    await staff.send(type="duty", state="available")
    await staff.expect("me", state="available")
    v = await visitor(lang="en")
    closed = await v.expect("closed")
    assert closed["reason"] == "hours"
    assert closed["numbers"] == [{"number": "112", "dial": "112", "url": "", "label": "Emergency"}]
    assert next(row["day"] for row in closed["hours"]) == "Monday"
    assert await service.store.queue() == []
    await v.close()
    await staff.close()


async def test_nobody_on_duty_gets_the_busy_message(service: Service) -> None:
    v = await visitor(lang="sv")
    closed = await v.expect("closed")
    assert closed["reason"] == "nobody"
    assert await service.store.queue() == []
    await v.close()


async def test_daily_counters_follow_the_conversation(service: Service, sara: Any) -> None:
    from stats.models import DailyCount

    staff, v, cid = await chat_between(service, sara, kind="relative")
    await staff.send(type="end", contact=cid)
    await v.expect("ended")

    def counts() -> dict[tuple[str, str, str], int]:
        return {(r.metric, r.dimension, r.value): r.count for r in DailyCount.objects.all()}

    got = await sync_to_async(counts)()
    assert got[("contacts", "", "")] == 1
    assert got[("contacts", "channel", "chat")] == 1
    assert got[("contacts", "kind", "relative")] == 1
    assert got[("contacts.answered", "", "")] == 1
    assert got[("wait", "band", "0-1m")] == 1
    assert got[("conversation", "band", "0-5m")] == 1
    await v.close()
    await staff.close()


async def test_a_reloaded_console_gets_its_pending_offer_and_conversations_back(service: Service, sara: Any) -> None:
    staff, v, cid = await chat_between(service, sara)
    await v.send(type="send", id="v1", text="första")
    await staff.expect("message", contact=cid)
    second = await visitor()
    offer = await staff.expect("offer")
    await staff.close()

    reloaded = await console(sara)
    hello = next(f for f in reloaded.seen if f["type"] == "hello")
    assert [c["contact"] for c in hello["conversations"]] == [cid]
    assert (await reloaded.expect("offer"))["contact"] == offer["contact"]
    await reloaded.send(type="sync", contact=cid, last_seq=0)
    assert (await reloaded.expect("message", contact=cid))["text"] == "första"
    for s in (v, second, reloaded):
        await s.close()


async def test_markup_is_never_passed_on_and_counsellor_links_are_safe(service: Service, sara: Any) -> None:
    staff, v, cid = await chat_between(service, sara)
    await v.send(type="send", id="v1", text="<img src=x onerror=alert(1)>")
    got = await staff.expect("message", contact=cid)
    assert got["text"] == "<img src=x onerror=alert(1)>" and "html" not in got
    await staff.send(type="send", contact=cid, id="c1", text="Se https://hedersfortryck.se <b>nu</b>")
    msg = await v.expect("message", seq=2)
    assert msg["html"] == (
        'Se <a href="https://hedersfortryck.se" rel="noopener noreferrer" target="_blank">'
        "https://hedersfortryck.se</a> &lt;b&gt;nu&lt;/b&gt;"
    )
    await v.close()
    await staff.close()


async def test_a_conversation_is_handed_to_a_colleague_and_nothing_is_lost(
    service: Service, sara: Any, omar: Any
) -> None:
    staff, v, cid = await chat_between(service, sara)
    colleague = await console(omar)
    await colleague.send(type="duty", state="available")
    await colleague.expect("me", state="available")
    await v.send(type="send", id="v1", text="jag vill prata med någon som kan arabiska")
    await staff.expect("message", contact=cid)
    await staff.send(type="transfer", contact=cid, to="counsellor", counsellor=omar.pk)
    assert (await staff.expect("ended", contact=cid))["by"] == "transferred"
    assert (await v.expect("transferred"))["name"] == "Omar"
    await colleague.expect("conversation", contact=cid)
    history = await colleague.expect("message", contact=cid)
    assert history["text"] == "jag vill prata med någon som kan arabiska"
    await colleague.send(type="send", contact=cid, id="o1", text="مرحبا")
    assert (await v.expect("message", seq=2))["text"] == "مرحبا"
    for s in (v, staff, colleague):
        await s.close()


async def test_a_transfer_to_a_skill_goes_to_the_front_of_the_queue(service: Service, sara: Any) -> None:
    staff, v, cid = await chat_between(service, sara)
    await staff.send(type="transfer", contact=cid, to="skill", skill="witchcraft")
    assert (await staff.expect("error"))["code"] == "bad_field"
    await staff.send(type="transfer", contact=cid, to="skill", skill="nurse")
    assert (await staff.expect("ended", contact=cid))["by"] == "transferred"
    assert (await v.expect("requeued"))["reason"] == "transfer"
    await v.expect("queue", position=1)
    got = await service.store.get_contact(cid)
    assert got is not None and got.skill == "nurse"
    await v.close()
    await staff.close()


async def test_the_wrapup_is_counted_once_and_only_from_the_counsellor(service: Service, sara: Any, omar: Any) -> None:
    from stats.models import DailyCount

    staff, v, cid = await chat_between(service, sara)
    await staff.send(type="end", contact=cid)
    await staff.expect("ended", contact=cid)
    other = await console(omar)
    await other.send(type="wrapup", contact=cid, kind="self", topics=["threats"])
    assert (await other.expect("error"))["code"] == "not_yours"
    await staff.send(type="wrapup", contact=cid, kind="self", age="13-17", municipality="tierp", topics=["threats"])
    await staff.expect("wrapped", contact=cid)
    await staff.send(type="wrapup", contact=cid, kind="self")
    assert (await staff.expect("error"))["code"] == "not_yours"
    await staff.send(type="wrapup", contact=cid, age="200")
    assert (await staff.expect("error"))["code"] == "bad_field"

    def counts() -> dict[tuple[str, str, str], int]:
        return {(r.metric, r.dimension, r.value): r.count for r in DailyCount.objects.filter(metric__startswith="wrap")}

    assert await sync_to_async(counts)() == {
        ("wrapup", "", ""): 1,
        ("wrapup", "kind", "self"): 1,
        ("wrapup", "age", "13-17"): 1,
        ("wrapup", "municipality", "tierp"): 1,
        ("wrapup.topic", "", ""): 1,
        ("wrapup.topic", "topic", "threats"): 1,
    }
    for s in (v, staff, other):
        await s.close()


async def test_sync_recovers_a_lost_join_and_a_lost_end(service: Service, sara: Any) -> None:
    staff, v, cid = await chat_between(service, sara)
    await v.send(type="sync", last_seq=0)
    assert not [f for f in await v.frames(0.3) if f["type"] == "joined"]  # already told once
    await service.store.end(cid)  # ended behind the page's back, as if the event was lost
    await v.send(type="sync", last_seq=0)
    assert (await v.expect("ended"))["by"] == "system"
    await v.close()
    await staff.close()


@pytest.mark.parametrize("backend", ["redis"], indirect=True)
async def test_a_redis_dump_during_a_conversation_holds_no_text(service: Service, sara: Any) -> None:
    import subprocess

    staff, v, cid = await chat_between(service, sara)
    canary = "KANARIEFÅGEL mitt hemliga meddelande العصفور"
    await v.send(type="send", id="v1", text=canary)
    assert (await staff.expect("message", contact=cid))["text"] == canary
    await staff.send(type="send", contact=cid, id="c1", text=canary + " svar")
    assert (await v.expect("message", seq=2))["text"] == canary + " svar"
    dump = subprocess.run(["redis-cli", "-n", "15", "--scan"], capture_output=True, text=True, check=True).stdout
    raw = "".join(
        subprocess.run(["redis-cli", "-n", "15", "--no-raw", "dump", key], capture_output=True).stdout.decode("latin-1")
        for key in dump.split()
    )
    assert "KANARIE" not in raw and "hemliga" not in raw
    messages = await service.store.messages_after(cid, 0)
    assert len(messages) == 2 and all("KANARIE" not in m.body for m in messages)
    # Moved to another place in the conversation, a sealed message does not open.
    from contacts import crypto

    contact = await service.store.get_contact(cid)
    assert contact is not None
    with pytest.raises(crypto.Unreadable):
        crypto.open_message(crypto.unwrap(cid, contact.key), cid, 2, messages[0].body)
    await v.close()
    await staff.close()


async def test_the_visitor_may_answer_one_question_after_the_chat(service: Service, sara: Any) -> None:
    from stats.models import DailyCount

    staff, v, cid = await chat_between(service, sara)
    await v.send(type="feedback", answer="yes")
    assert (await v.expect("error"))["code"] == "not_now"  # not during the chat
    await staff.send(type="end", contact=cid)
    await v.expect("ended")
    await v.send(type="feedback", answer="maybe")
    assert (await v.expect("error"))["code"] == "bad_field"
    await v.send(type="feedback", answer="somewhat")
    await v.expect("thanks")
    await v.send(type="feedback", answer="yes")
    assert (await v.expect("error"))["code"] == "not_now"  # once
    got = await sync_to_async(
        lambda: {r.value: r.count for r in DailyCount.objects.filter(metric="feedback", dimension="answer")}
    )()
    assert got == {"somewhat": 1}
    await v.close()
    await staff.close()


async def test_only_the_conversations_own_staff_receive_its_words(service: Service, sara: Any, omar: Any) -> None:
    """Need to know: another counsellor's console and a supervisor's dashboard get no
    text of a conversation in any frame, not even as a preview (issue 16, item 1)."""
    from tests.conftest import make_supervisor, supervisor_socket

    boss_user = await sync_to_async(make_supervisor)("boss", "Boss")
    colleague = await console(omar)
    await colleague.send(type="duty", state="break")  # on shift: sees the queue, gets no offer
    await colleague.expect("me", state="break")
    boss = await supervisor_socket(boss_user)
    staff, v, cid = await chat_between(service, sara, lang="sv")
    await v.send(type="send", id="v1", text="hemligt-besökarens-ord")
    await staff.expect("message", contact=cid)
    await staff.send(type="send", contact=cid, id="c1", text="hemligt-rådgivarens-ord")
    await v.expect("message")
    await staff.send(type="typing", contact=cid)
    raw = [json.dumps(f, ensure_ascii=False) for f in [*colleague.seen, *await colleague.frames(0.5)]]
    raw += [json.dumps(f, ensure_ascii=False) for f in [*boss.seen, *await boss.frames(0.5)]]
    assert raw, "the other staff sockets saw nothing at all"
    assert not [f for f in raw if "hemligt" in f], "a conversation's words reached staff outside it"
    for s in (colleague, boss, staff, v):
        await s.close()


async def test_silence_ends_nothing_a_prompt_is_counted_once_and_a_lost_visitor_counts_as_left(
    service: Service, sara: Any
) -> None:
    """Idle is not gone (issue 16, item 3): the "are you still there?" prompt is an
    ordinary message to the visitor, counted once however often it is resent; a quiet
    visitor is never ended by the tick; one whose connection stays gone past the grace
    is, and counts as left. Only aggregates: no row names the conversation."""
    from stats.models import DailyCount

    def counted(event: str) -> int:
        return sum(DailyCount.objects.filter(metric="idle", value=event).values_list("count", flat=True))

    staff, v, cid = await chat_between(service, sara)
    await staff.send(type="send", contact=cid, id="c1", text="Är du kvar?", prompt="yes")
    assert (await staff.expect("error"))["code"] == "bad_field"
    for _ in range(2):  # a resend after a reconnect: the same client id
        await staff.send(type="send", contact=cid, id="c1", text="Är du kvar?", prompt=True)
        await staff.expect("sent", id="c1")
    got = await v.expect("message")
    assert got["text"] == "Är du kvar?" and "prompt" not in got
    assert await sync_to_async(counted)("prompted") == 1

    later = time.time() + 3600  # an hour of silence, connection up: nothing ends
    await service.tick(later)
    assert await service.contact(cid) is not None
    await v.close()  # the connection goes and stays gone past the grace
    await asyncio.sleep(0.2)
    await service.tick(time.time() + settings.CHAT["GRACE_SECONDS"] + 1)
    assert await service.contact(cid) is None
    assert (await staff.expect("ended", contact=cid))["by"] == "visitor_gone"
    assert await sync_to_async(counted)("left") == 1
    assert not await sync_to_async(DailyCount.objects.filter(value=cid).exists)()
    await staff.close()
