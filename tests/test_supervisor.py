"""The supervisor sees load, never content; controls intake; steps in when asked."""

from __future__ import annotations

from typing import Any

import pytest
from asgiref.sync import sync_to_async

from contacts.service import Service
from tests.conftest import Has, connect, console, make_counsellor, supervisor_socket, visitor
from tests.test_chat_flow import chat_between

pytestmark = [pytest.mark.usefixtures("open_all_day")]


async def test_the_dashboard_shows_load_live_and_no_content(service: Service, sara: Any, maria: Any) -> None:
    boss = await supervisor_socket(maria)
    staff, v, _ = await chat_between(service, sara, lang="sv")
    await v.send(type="send", id="v1", text="hemlig text")
    await staff.expect("message")
    await staff.send(type="duty", state="break")
    await staff.expect("me", state="break")
    waiting = await visitor(lang="en")
    await waiting.expect("started")
    board = await boss.expect("dashboard", waiting=1)
    while board["conversations"] != 1:
        board = await boss.expect("dashboard")
    assert board["by_channel"] == {"chat": 1} and board["by_language"] == {"en": 1}
    assert board["offers"] == 0 and board["longest_wait"] >= 0
    assert board["team"] == [{"id": sara.pk, "name": "Sara", "state": "break", "load": 1, "capacity": 2}]
    assert board["today"]["contacts"] == 2 and board["today"]["answered"] == 1
    assert board["today"]["wait_median"] == "0-1m"
    assert "hemlig" not in str(boss.seen)  # load, never content
    for s in (boss, staff, v, waiting):
        await s.close()


async def test_paused_intake_and_a_full_queue_turn_new_visitors_away(service: Service, sara: Any, maria: Any) -> None:
    boss = await supervisor_socket(maria)
    staff = await console(sara)
    await staff.send(type="duty", state="break")
    await staff.expect("me", state="break")
    await boss.send(type="intake", chat_paused=True)
    await boss.expect("dashboard", intake=Has(centre="", chat_paused=True, phone_paused=False, max_queue=0))
    paused = await visitor(lang="en")
    assert (await paused.expect("closed"))["reason"] == "paused"
    await boss.send(type="intake", chat_paused=False, max_queue=1)
    await boss.expect("dashboard", intake=Has(centre="", chat_paused=False, phone_paused=False, max_queue=1))
    first = await visitor()
    await first.expect("started")
    second = await visitor()
    closed = await second.expect("closed")
    assert closed["reason"] == "full" and closed["numbers"] is not None
    assert len(await service.store.queue()) == 1
    for s in (boss, staff, paused, first, second):
        await s.close()


async def test_a_supervisor_joins_when_asked_and_the_visitor_is_told(service: Service, sara: Any, maria: Any) -> None:
    boss = await supervisor_socket(maria)
    staff, v, cid = await chat_between(service, sara)
    await boss.send(type="join", contact=cid)
    assert (await boss.expect("error"))["code"] == "not_available"  # nobody asked
    await v.send(type="send", id="v1", text="jag är rädd")
    await staff.expect("message")
    await staff.send(type="help", contact=cid)
    await staff.expect("help_requested", contact=cid)
    board = await boss.expect("dashboard", help=[{"contact": cid, "counsellor": "Sara", "language": "sv"}])
    await boss.send(type="join", contact=board["help"][0]["contact"])
    await boss.expect("conversation", contact=cid)
    assert (await boss.expect("message", contact=cid))["text"] == "jag är rädd"  # sees the conversation now
    assert (await v.expect("supervisor"))["name"] == "Maria"
    assert (await staff.expect("supervisor", contact=cid))["joined"] is True
    await boss.send(type="send", contact=cid, id="s1", text="Hej, jag heter Maria och är arbetsledare.")
    got = await v.expect("message", **{"from": "supervisor"})
    assert got["text"] == "Hej, jag heter Maria och är arbetsledare."
    await staff.expect("message", contact=cid, **{"from": "supervisor"})
    await v.send(type="send", id="v2", text="tack")
    await boss.expect("message", contact=cid, text="tack")
    await boss.send(type="leave", contact=cid)
    assert (await v.expect("supervisor"))["joined"] is False
    for s in (boss, staff, v):
        await s.close()


async def test_a_supervisor_sets_a_gone_counsellor_off_duty(service: Service, sara: Any, omar: Any, maria: Any) -> None:
    boss = await supervisor_socket(maria)
    staff, v, cid = await chat_between(service, sara)
    await boss.send(type="off_duty", counsellor=sara.pk)
    await v.expect("requeued")
    await staff.expect("me", state="off")
    other = await console(omar)
    await other.send(type="duty", state="available")
    assert (await other.expect("offer"))["contact"] == cid
    for s in (boss, staff, v, other):
        await s.close()


async def test_only_supervisors_reach_the_dashboard(service: Service, sara: Any) -> None:
    from asgiref.sync import sync_to_async

    from tests.conftest import ORIGIN, session_cookie

    ok, _ = await connect("/ws/supervisor/")
    assert not ok
    cookie = await sync_to_async(session_cookie)(sara)  # a counsellor, not a supervisor
    ok, _ = await connect("/ws/supervisor/", [*ORIGIN, (b"cookie", cookie)])
    assert not ok


async def test_a_counsellor_cannot_control_intake(service: Service, sara: Any) -> None:
    staff = await console(sara)
    await staff.send(type="intake", chat_paused=True)
    assert (await staff.expect("error"))["code"] == "unknown_type"
    await staff.close()


async def test_the_chart_is_made_of_minute_counts(service: Service, sara: Any, maria: Any) -> None:
    import time

    staff = await console(sara)
    await staff.send(type="duty", state="break")
    await staff.expect("me", state="break")
    v = await visitor()
    await v.expect("started")
    await service.record_sample(time.time())
    boss = await supervisor_socket(maria)
    board = next(f for f in boss.seen if f["type"] == "dashboard")
    minute, waiting, available = board["history"][-1]
    assert minute == int(time.time() // 60) and waiting == 1 and available == 0
    for s in (boss, staff, v):
        await s.close()


async def test_an_impossible_queue_cap_is_refused_and_changes_nothing(service: Service, maria: Any) -> None:
    boss = await supervisor_socket(maria)
    await boss.send(type="intake", max_queue=2**40)
    assert (await boss.expect("error"))["code"] == "bad_field"
    await boss.send(type="intake", max_queue=3)
    await boss.expect("dashboard", intake=Has(centre="", chat_paused=False, phone_paused=False, max_queue=3))
    await boss.close()


async def test_a_supervisor_on_counsellor_duty_cannot_take_the_chat_of_a_colleague_sent_home(
    service: Service, sara: Any, omar: Any
) -> None:
    """Sending a colleague off duty puts their conversations back in the queue for
    someone else, never with their history to the supervisor who did it (issue 18, item 7)."""
    from django.contrib.auth.models import Group

    from staff.roles import SUPERVISOR_GROUP

    group, _ = await Group.objects.aget_or_create(name=SUPERVISOR_GROUP)
    await omar.groups.aadd(group)  # Omar is a counsellor and a supervisor
    staff, v, cid = await chat_between(service, sara)
    await v.send(type="send", id="v1", text="det här är bara för Sara")
    await staff.expect("message", contact=cid)
    boss = await supervisor_socket(omar)
    omar_console = await console(omar)
    await omar_console.send(type="duty", state="available")
    await omar_console.expect("me", state="available")
    await boss.send(type="off_duty", counsellor=sara.pk)
    await v.expect("requeued")
    await omar_console.send(type="pick", contact=cid)
    assert (await omar_console.expect("error"))["code"] == "not_available"
    frames = await omar_console.frames(1.5)  # several ticks: no offer, no message, no conversation
    assert not [f for f in frames if f["type"] in {"offer", "conversation", "message"}], frames
    # Someone else still answers the visitor.
    await staff.close()
    lina = await sync_to_async(make_counsellor)("lina", "Lina", ["sv"], 2)
    other = await console(lina)
    await other.send(type="duty", state="available")
    assert (await other.expect("offer"))["contact"] == cid
    for s in (boss, omar_console, v, other):
        await s.close()


async def test_paused_intake_is_said_honestly_and_confirmed_everywhere(service: Service, sara: Any, maria: Any) -> None:
    """A paused intake told visitors "nobody can answer", and the supervisor got no word
    that it took (issue 13, item 10)."""
    staff = await console(sara)
    assert (await staff.expect("intake"))["chat_paused"] is False
    await staff.send(type="duty", state="available")
    boss = await supervisor_socket(maria)
    await boss.send(type="intake", chat_paused=True)
    saved = await boss.expect("intake_saved")
    assert saved == {
        "type": "intake_saved",
        "centre": "",  # the default centre's
        "centre_name": saved["centre_name"],
        "chat_paused": True,
        "phone_paused": False,
        "max_queue": 0,
    }
    assert (await staff.expect("intake"))["chat_paused"] is True  # the console's banner
    texts = {}
    for reason in ("paused", "full"):
        if reason == "full":
            await boss.send(type="intake", chat_paused=False, max_queue=1)
            await boss.expect("intake_saved", max_queue=1)
            await staff.send(type="duty", state="break")
            first = await visitor(lang="en")
            await first.expect("started")
        v = await visitor(lang="en")
        closed = await v.expect("closed")
        assert closed["reason"] == reason
        texts[reason] = closed["text"]
        await v.close()
    await boss.send(type="intake", max_queue=0)
    await staff.send(type="duty", state="off")
    await staff.expect("me", state="off")
    nobody = await visitor(lang="en")
    texts["nobody"] = (await nobody.expect("closed"))["text"]
    assert len(set(texts.values())) == 3, texts  # three situations, three honest texts
    assert "paused" in texts["paused"] and "full" in texts["full"]
    for s in (boss, staff, nobody, first):
        await s.close()


async def test_a_block_lets_danger_through_and_a_supervisor_lifts_it(service: Service, sara: Any, maria: Any) -> None:
    """A block turned away everyone behind the same address for a day, also someone in
    danger while a counsellor was free (issue 13, item 11)."""
    from tests.conftest import visitor as visitor_socket

    shared = ("127.44.55.66", 5000)  # a school's address
    staff, abusive, cid = await chat_between(service, sara, danger=False)
    # chat_between's visitor has no address; block one that has.
    await staff.send(type="end", contact=cid)
    abuser = await visitor_socket(client=shared)
    offer = await staff.expect("offer")
    await staff.send(type="accept", contact=offer["contact"])
    await abuser.expect("joined")
    await staff.send(type="block", contact=offer["contact"])
    await staff.expect("ended", contact=offer["contact"], by="blocked")
    blocked = await visitor_socket(client=shared)
    assert (await blocked.expect("closed"))["reason"] == "nobody"
    in_danger = await visitor_socket(client=shared, danger=True)
    await in_danger.expect("started")  # a person in danger reaches a person
    assert (await staff.expect("offer"))["danger"] is True
    boss = await supervisor_socket(maria)
    board = boss.seen[-1]  # the dashboard it opened with
    assert [(b["by"], len(b["id"])) for b in board["blocks"]] == [("Sara", 32)]
    assert "127.44.55.66" not in str(board)
    await boss.send(type="lift_block", block=board["blocks"][0]["id"])
    await boss.expect("block_lifted")
    assert (await boss.expect("dashboard", blocks=[]))["blocks"] == []
    again = await visitor_socket(client=shared)
    await again.expect("started")
    await boss.send(type="lift_block", block="0" * 32)
    assert (await boss.expect("error"))["code"] == "not_available"
    for s in (staff, abusive, abuser, blocked, in_danger, boss, again):
        await s.close()
