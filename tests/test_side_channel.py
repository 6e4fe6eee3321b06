"""The staff side channel: whispers the visitor never receives, and messages between staff
that are delivered live or reported undelivered, never stored, never logged."""

from __future__ import annotations

import logging
from typing import Any

import pytest
from asgiref.sync import sync_to_async

# Imported before any test runs: the first import sets Django's logging up, which
# replaces the root logger's handlers, caplog's among them.
import chatservice.asgi  # noqa: F401
from contacts.service import Service
from tests.conftest import Socket, console, make_supervisor, supervisor_socket, visitor
from tests.test_centres_routing import two_centres
from tests.test_chat_flow import chat_between

pytestmark = [pytest.mark.usefixtures("open_all_day")]

WHISPER = "VISKNING-4417 hon verkar rädd"
NOTE = "KOLLEGA-8812 kan du ta nästa?"


async def joined(service: Service, counsellor: Any, supervisor: Any) -> tuple[Socket, Socket, Socket, str]:
    """A conversation whose counsellor asked for help and a supervisor joined."""
    boss = await supervisor_socket(supervisor)
    staff, v, cid = await chat_between(service, counsellor)
    await staff.send(type="help", contact=cid)
    await staff.expect("help_requested", contact=cid)
    await boss.send(type="join", contact=cid)
    await boss.expect("conversation", contact=cid)
    await staff.expect("supervisor", contact=cid, joined=True)
    await v.expect("supervisor")
    return staff, boss, v, cid


async def test_a_whisper_reaches_the_staff_and_never_the_visitor(service: Service, sara: Any, maria: Any) -> None:
    staff, boss, v, cid = await joined(service, sara, maria)
    await staff.send(type="whisper", contact=cid, id="w1", text=WHISPER)
    got = await boss.expect("whisper", contact=cid)
    assert got["text"] == WHISPER and got["role"] == "counsellor" and got["name"] == "Sara" and not got["mine"]
    await staff.expect("note_delivered", id="w1")
    await boss.send(type="whisper", contact=cid, id="s1", text=WHISPER + " svar")
    assert (await staff.expect("whisper", contact=cid))["text"] == WHISPER + " svar"
    await boss.expect("note_delivered", id="s1")
    # The conversation goes on; the whisper is no message in it.
    await staff.send(type="send", contact=cid, id="c1", text="Jag finns här")
    assert (await v.expect("message"))["text"] == "Jag finns här"
    await v.send(type="sync", last_seq=0)
    replayed = await v.frames()
    assert [f["text"] for f in replayed if f["type"] == "message"] == ["Jag finns här"]
    assert all(m.body != WHISPER for m in await service.messages_after(cid, 0))
    # Nor after the visitor's page reconnects and resumes.
    token = next(f for f in v.seen if f["type"] == "started")["token"]
    await v.close()
    again = await visitor(start=False)
    await again.send(type="resume", token=token, last_seq=0)
    await again.expect("resumed")
    await again.frames()
    assert "VISKNING" not in str(v.seen + again.seen)
    for s in (staff, boss, again):
        await s.close()


async def test_a_whisper_with_nobody_else_in_the_conversation_is_refused(service: Service, sara: Any) -> None:
    staff, v, cid = await chat_between(service, sara)
    await staff.send(type="whisper", contact=cid, id="w1", text=WHISPER)
    assert await staff.expect("error") == {"type": "error", "code": "not_available", "detail": "w1"}
    await v.send(type="sync", last_seq=0)
    await v.frames()
    assert "VISKNING" not in str(v.seen)
    for s in (staff, v):
        await s.close()


async def test_only_a_conversations_own_staff_may_whisper_in_it(
    service: Service, sara: Any, omar: Any, maria: Any
) -> None:
    staff, boss, v, cid = await joined(service, sara, maria)
    # A reloaded console is told a supervisor is in, so it offers the whisper box again.
    reloaded = await console(sara)
    assert next(f for f in reloaded.seen if f["type"] == "hello")["conversations"][0]["supervisor"] is True
    await reloaded.close()
    other = await console(omar)
    await other.send(type="whisper", contact=cid, id="w1", text=WHISPER)
    assert (await other.expect("error"))["code"] == "not_yours"
    outsider = await sync_to_async(make_supervisor)("erik", "Erik")
    erik = await supervisor_socket(outsider)
    await erik.send(type="whisper", contact=cid, id="w2", text=WHISPER)
    assert (await erik.expect("error"))["code"] == "not_yours"
    frames = await staff.frames(wait=0.5) + await boss.frames(wait=0.1) + await v.frames(wait=0.1)
    assert not [f for f in frames if f["type"] == "whisper"]
    for s in (staff, boss, v, other, erik):
        await s.close()


async def test_a_counsellor_writes_to_a_colleague_and_to_the_supervisors(
    service: Service, sara: Any, omar: Any, maria: Any
) -> None:
    boss = await supervisor_socket(maria)
    a, b = await console(sara), await console(omar)
    await a.send(type="note", to="counsellor", counsellor=omar.pk, id="n1", text=NOTE)
    got = await b.expect("note")
    assert got["text"] == NOTE and got["name"] == "Sara" and got["sender"] == sara.pk and got["to"] == "counsellor"
    await a.expect("note_delivered", id="n1")
    await a.send(type="note", to="supervisors", id="n2", text=NOTE + " chef")
    assert (await boss.expect("note"))["text"] == NOTE + " chef"
    await a.expect("note_delivered", id="n2")
    # The supervisor answers one counsellor, then all of them.
    await boss.send(type="note", to="counsellor", counsellor=sara.pk, id="s1", text="Ja")
    assert (await a.expect("note", role="supervisor"))["text"] == "Ja"
    await boss.expect("note_delivered", id="s1")
    await boss.send(type="note", to="counsellors", id="s2", text="Möte kl 15")
    await a.expect("note", text="Möte kl 15")
    await b.expect("note", text="Möte kl 15")
    assert "KOLLEGA" not in str(b.seen[: b.seen.index(got)])  # nothing before it arrived
    for s in (a, b, boss):
        await s.close()


async def test_a_note_to_a_colleague_who_is_gone_is_reported_undelivered(
    service: Service, sara: Any, omar: Any, maria: Any
) -> None:
    a, b = await console(sara), await console(omar)
    await b.close()
    await a.send(type="note", to="counsellor", counsellor=omar.pk, id="n1", text=NOTE)
    assert await a.expect("note_undelivered", timeout=5) == {"type": "note_undelivered", "id": "n1"}
    # No supervisor's dashboard open either.
    await a.send(type="note", to="supervisors", id="n2", text=NOTE)
    await a.expect("note_undelivered", id="n2", timeout=5)
    assert not [f for f in a.seen if f["type"] == "note_delivered"]
    await a.close()


async def test_no_note_crosses_centres(service: Service) -> None:
    from staff.models import Membership

    made = await sync_to_async(two_centres)({"action": "centre"})

    def una_supervisor() -> Any:
        user = make_supervisor("ulla", "Ulla")
        Membership.objects.create(user=user, centre=made["una"])
        return user

    sara, aino = await console(made["sara"]), await console(made["aino"])
    ulla = await supervisor_socket(await sync_to_async(una_supervisor)())
    await sara.send(type="note", to="counsellor", counsellor=made["aino"].pk, id="n1", text=NOTE)
    assert await sara.expect("error") == {"type": "error", "code": "not_available", "detail": "n1"}
    await sara.send(type="note", to="supervisors", id="n2", text=NOTE)
    await sara.expect("note_undelivered", id="n2", timeout=5)  # Una's supervisor is not Nexus's
    await ulla.send(type="note", to="counsellor", counsellor=made["sara"].pk, id="s1", text=NOTE)
    assert (await ulla.expect("error"))["code"] == "not_available"
    await ulla.send(type="note", to="counsellors", id="s2", text="Una: möte")
    await aino.expect("note", text="Una: möte")
    await ulla.expect("note_delivered", id="s2")
    frames = await sara.frames(wait=0.5) + await ulla.frames(wait=0.1)
    assert not [f for f in frames if f["type"] == "note" and not f["mine"]]
    assert "Una: möte" not in str(sara.seen) and "KOLLEGA" not in str(aino.seen + ulla.seen)
    for s in (sara, aino, ulla):
        await s.close()


async def test_a_national_supervisor_sends_no_notes(service: Service, sara: Any) -> None:
    from django.contrib.auth.models import Group

    from staff.roles import NATIONAL_GROUP

    def national() -> Any:
        user = make_supervisor("nina", "Nina")
        user.groups.set([Group.objects.get_or_create(name=NATIONAL_GROUP)[0]])
        return user

    staff = await console(sara)
    nina = await supervisor_socket(await sync_to_async(national)())
    await nina.send(type="note", to="counsellors", id="s1", text=NOTE)
    assert (await nina.expect("error"))["code"] == "not_allowed"
    await staff.send(type="note", to="supervisors", id="n1", text=NOTE)
    await staff.expect("note_undelivered", id="n1", timeout=5)  # a national one reads none either
    assert "KOLLEGA" not in str(nina.seen)
    for s in (staff, nina):
        await s.close()


@pytest.mark.parametrize(
    ("frame", "code"),
    [
        ({"to": "counsellor", "counsellor": "2", "id": "n1", "text": "x"}, "bad_field"),
        ({"to": "counsellor", "counsellor": True, "id": "n1", "text": "x"}, "bad_field"),
        ({"to": "everyone", "id": "n1", "text": "x"}, "bad_field"),
        ({"to": "counsellors", "id": "n1", "text": "x"}, "bad_field"),  # not a counsellor's to send
        ({"to": "supervisors", "id": "n 1", "text": "x"}, "bad_field"),
        ({"to": "supervisors", "id": "n1", "text": "   "}, "empty"),
        ({"to": "supervisors", "id": "n1", "text": 5}, "bad_field"),
        ({"to": "supervisors", "id": "n1", "text": "x" * 5000}, "too_long"),
        ({"to": "supervisors", "id": "n1", "text": "\ud800"}, "bad_field"),
    ],
)
async def test_a_bad_note_is_refused_and_sends_nothing(
    service: Service, sara: Any, omar: Any, maria: Any, frame: dict[str, Any], code: str
) -> None:
    a, b = await console(sara), await console(omar)
    boss = await supervisor_socket(maria)
    await a.send(type="note", **frame)
    assert (await a.expect("error"))["code"] == code
    frames = await b.frames(wait=0.4) + await boss.frames(wait=0.1)
    assert not [f for f in frames if f["type"] == "note"]
    for s in (a, b, boss):
        await s.close()


async def test_a_bad_whisper_is_refused(service: Service, sara: Any, maria: Any, settings: Any) -> None:
    staff, boss, v, cid = await joined(service, sara, maria)
    limit = int(settings.CHAT["MAX_MESSAGE_CHARS"])
    await staff.send(type="whisper", contact=cid, id="w1", text="x" * (limit + 1))
    assert await staff.expect("error") == {"type": "error", "code": "too_long", "detail": "w1"}
    await staff.send(type="whisper", contact="nope", id="w2", text="x")
    assert (await staff.expect("error"))["code"] == "bad_field"
    await staff.send(type="whisper", contact=cid, id="w3", text="<b>fet</b>")
    # Text, never HTML: the frame carries what was written and no "html" to render.
    got = await boss.expect("whisper")
    assert got["text"] == "<b>fet</b>" and "html" not in got
    assert not [f for f in boss.seen if f["type"] == "whisper" and f["text"].startswith("xxx")]
    for s in (staff, boss, v):
        await s.close()


async def test_nothing_of_a_whisper_or_a_note_is_kept(
    service: Service, sara: Any, omar: Any, maria: Any, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    staff, boss, v, cid = await joined(service, sara, maria)
    b = await console(omar)
    await staff.send(type="whisper", contact=cid, id="w1", text=WHISPER)
    await boss.expect("whisper")
    await staff.send(type="note", to="counsellor", counsellor=omar.pk, id="n1", text=NOTE)
    await b.expect("note")
    await staff.send(type="note", to="supervisors", id="n2", text=NOTE)
    await boss.expect("note")

    def database() -> str:
        from django.apps import apps
        from django.core import serializers

        return "".join(serializers.serialize("json", m._default_manager.all()) for m in apps.get_models())

    logging.getLogger("contacts").debug("capture check")
    assert "capture check" in caplog.text  # the logs are really captured
    dump = await sync_to_async(database)()
    assert "Sara" in dump  # the dump really reads the tables
    live = await live_state(service)
    assert cid in live  # the conversation is there, its whisper is not
    for canary in ("VISKNING", "4417", "KOLLEGA", "8812"):
        assert canary not in dump and canary not in live
        assert canary not in caplog.text
        assert not [r for r in caplog.records if canary in str(r.args)]
    for s in (staff, boss, v, b):
        await s.close()


async def live_state(service: Service) -> str:
    """Everything in the live state, as text (Redis: every key and value)."""
    from routing.store.redis import RedisStore

    store = service.store
    if isinstance(store, RedisStore):
        redis = store.redis
        out = []
        async for key in redis.scan_iter(match=f"{store.prefix}:*"):
            kind = await redis.type(key)
            read: Any = {
                "string": redis.get,
                "hash": redis.hgetall,
                "list": lambda k: redis.lrange(k, 0, -1),
                "set": redis.smembers,
                "zset": lambda k: redis.zrange(k, 0, -1),
            }.get(kind)
            out.append(f"{key}={await read(key) if read else kind}")
        return "\n".join(out)
    return repr(vars(store))


async def test_how_long_a_note_waits_for_its_receipt_is_the_installations_choice(
    service: Service, sara: Any, omar: Any, settings: Any
) -> None:
    settings.CHAT = {**settings.CHAT, "NOTE_WAIT_SECONDS": 4}
    a, b = await console(sara), await console(omar)
    await b.close()
    await a.send(type="note", to="counsellor", counsellor=omar.pk, id="n1", text=NOTE)
    assert not [f for f in await a.frames(wait=2.5) if f["type"] == "note_undelivered"]  # not after the default 2 s
    await a.expect("note_undelivered", id="n1", timeout=4)
    await a.close()
