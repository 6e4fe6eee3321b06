"""Whole calls through the real Twilio webhooks, signed exactly as Twilio signs them."""

from __future__ import annotations

import logging
import subprocess
import xml.etree.ElementTree as ET
from typing import Any

import pytest
from asgiref.sync import sync_to_async
from django.test import AsyncClient
from twilio.request_validator import RequestValidator

from contacts.service import Service
from tests.conftest import console, visitor

pytestmark = [pytest.mark.usefixtures("open_all_day")]

TOKEN = "twilio-test-auth-token"
BASE = "https://chat.example.se"
SERVICE_NUMBER = "+46185551000"
CANARY = "+46701234567"
CANARY_FORMS = ["46701234567", "0701234567", "070-123 45 67", "701234567"]


@pytest.fixture(autouse=True)
def twilio_settings(settings: Any) -> None:
    settings.TWILIO_AUTH_TOKEN = TOKEN
    settings.PUBLIC_BASE_URL = BASE
    settings.TWILIO_CALLER_ID = SERVICE_NUMBER


class Twilio:
    """What Twilio would send for one call: the caller's fields included, as Twilio does."""

    def __init__(self, call_sid: str = "CA" + "1" * 32) -> None:
        self.client = AsyncClient()
        self.call_sid = call_sid

    def params(self, **extra: str) -> dict[str, str]:
        return {
            "CallSid": self.call_sid,
            "AccountSid": "AC" + "0" * 32,
            "From": CANARY,
            "Caller": CANARY,
            "To": SERVICE_NUMBER,
            "CallerCity": "UPPSALA",
            "CallerCountry": "SE",
            "CallStatus": "in-progress",
            **extra,
        }

    async def post(self, step: str, *, signature: str | None = None, sign_url: str | None = None, **extra: str) -> Any:
        params = self.params(**extra)
        url = f"{BASE}/phone/{step}/"
        if signature is None:
            signature = RequestValidator(TOKEN).compute_signature(sign_url or url, params)
        return await self.client.post(f"/phone/{step}/", params, headers={"X-Twilio-Signature": signature})


def twiml(response: Any) -> ET.Element:
    assert response.status_code == 200, response.status_code
    return ET.fromstring(response.content)


async def queue_ids(service: Service) -> list[str]:
    return [c.id for c in await service.store.queue()]


async def on_phone_duty(user: Any) -> Any:
    staff = await console(user)
    await staff.send(type="duty", state="available")
    await staff.expect("me", state="available")
    return staff


async def test_closed_hours_tell_the_hours_and_numbers_then_hang_up(service: Service) -> None:
    from contacts.models import EmergencyNumber, EmergencyNumberLabel, OpeningHours

    def setup() -> None:
        OpeningHours.objects.all().delete()
        n = EmergencyNumber.objects.create(number="112", dial="112")
        EmergencyNumberLabel.objects.create(number=n, language="sv", text="Akut fara")
        EmergencyNumberLabel.objects.create(number=n, language="en", text="Emergency")

    await sync_to_async(setup)()
    from contacts import hours

    hours.invalidate()
    doc = twiml(await Twilio().post("incoming"))
    says = [(s.get("language"), s.text or "") for s in doc.iter("Say")]
    assert {lang for lang, _ in says} == {"sv-SE", "en-GB"}
    assert any("1 1 2" in text for _, text in says)
    assert doc[-1].tag == "Hangup"
    assert await queue_ids(service) == []


async def test_a_call_waits_in_the_same_queue_as_chats_and_reaches_a_counsellor(service: Service, lina: Any) -> None:
    staff = await console(lina)
    await staff.send(type="duty", state="break")
    await staff.expect("me", state="break")
    chat = await visitor()
    await chat.expect("started")
    call = Twilio()
    menu = twiml(await call.post("incoming"))
    gather = menu.find("Gather")
    assert gather is not None and gather.get("action") == f"{BASE}/phone/language/" and gather.get("numDigits") == "1"
    assert [s.get("language") for s in gather.iter("Say")] == ["sv-SE", "en-GB", "arb"]
    held = twiml(await call.post("language", Digits="2"))
    assert "number 2" in (held.find("Say").text or "")  # type: ignore[union-attr]
    assert held.find("Pause") is not None and held.find("Redirect").text == f"{BASE}/phone/wait/"  # type: ignore[union-attr]
    contact = await service.call_contact(call.call_sid)
    assert contact is not None and contact.channel == "phone" and contact.language == "en"

    again = twiml(await call.post("wait"))
    assert "number 2" in (again.find("Say").text or "")  # type: ignore[union-attr]

    await staff.send(type="duty", state="available")
    offer = await staff.expect("offer")  # the chat came first
    assert offer["channel"] == "chat"
    await staff.send(type="accept", contact=offer["contact"])
    await staff.expect("conversation", contact=offer["contact"])
    assert not [f for f in await staff.frames(0.3) if f["type"] == "offer"]  # busy with a chat: no call
    await staff.send(type="end", contact=offer["contact"])
    offer = await staff.expect("offer", channel="phone")
    await staff.send(type="accept", contact=offer["contact"])
    await staff.expect("conversation", contact=offer["contact"])

    connect = twiml(await call.post("wait"))
    dial = connect.find("Dial")
    assert dial is not None
    assert dial.get("callerId") == SERVICE_NUMBER and dial.get("record") == "do-not-record"
    assert dial.find("Number").text == "+4618555000"  # type: ignore[union-attr]
    assert dial.get("action") == f"{BASE}/phone/dialled/"

    done = twiml(await call.post("dialled", DialCallStatus="completed", DialCallDuration="300"))
    assert done[-1].tag == "Hangup"
    assert await service.call_contact(call.call_sid) is None
    await staff.expect("ended", contact=offer["contact"], by="call_ended")
    await chat.close()
    await staff.close()


async def test_a_centre_that_lets_calls_and_chats_mix_offers_a_call_beside_a_chat(service: Service, lina: Any) -> None:
    """Issue 16, item 5: keeping calls and chats apart is the centre's choice. Where it is
    off, a counsellor chatting is offered a call, and one in a call a chat, up to their
    capacity, but never a second call."""
    from centres import directory
    from centres.models import Centre

    def mixing() -> None:
        centre = Centre.objects.filter(default=True).first() or Centre.objects.create(
            name="Nexus", slug="nexus", default=True
        )
        centre.channels_apart = False
        centre.save()
        directory.invalidate()

    await sync_to_async(mixing)()
    staff = await on_phone_duty(lina)  # capacity 2
    chat = await visitor()
    await chat.expect("started")
    offer = await staff.expect("offer", channel="chat")
    await staff.send(type="accept", contact=offer["contact"])
    await staff.expect("conversation", contact=offer["contact"])

    call = Twilio()
    twiml(await call.post("incoming"))
    twiml(await call.post("language", Digits="1"))
    ring = await staff.expect("offer", channel="phone")  # beside the chat
    await staff.send(type="accept", contact=ring["contact"])
    await staff.expect("conversation", contact=ring["contact"])
    await staff.send(type="end", contact=offer["contact"])
    await staff.expect("ended", contact=offer["contact"])

    second = Twilio("CA" + "2" * 32)
    twiml(await second.post("incoming"))
    twiml(await second.post("language", Digits="1"))
    other = await visitor()
    await other.expect("started")
    beside_call = await staff.expect("offer")
    assert beside_call["channel"] == "chat"  # a chat beside the call, the second call waits
    await staff.send(type="accept", contact=beside_call["contact"])
    await staff.expect("conversation", contact=beside_call["contact"])
    assert [c.channel for c in await service.store.queue()] == ["phone"]
    for socket in (chat, other, staff):
        await socket.close()


async def test_no_input_at_the_menu_means_swedish(service: Service, lina: Any) -> None:
    staff = await on_phone_duty(lina)
    call = Twilio()
    menu = twiml(await call.post("incoming"))
    assert menu.find("Redirect").text == f"{BASE}/phone/language/"  # type: ignore[union-attr]
    twiml(await call.post("language"))
    contact = await service.call_contact(call.call_sid)
    assert contact is not None and contact.language == "sv"
    await staff.close()


async def test_a_counsellor_who_does_not_answer_sends_the_caller_back_to_the_front(service: Service, lina: Any) -> None:
    staff = await on_phone_duty(lina)
    call = Twilio()
    twiml(await call.post("language", Digits="1"))
    offer = await staff.expect("offer", channel="phone")
    await staff.send(type="accept", contact=offer["contact"])
    await staff.expect("conversation")
    twiml(await call.post("wait"))
    back = twiml(await call.post("dialled", DialCallStatus="no-answer"))
    assert back.find("Redirect") is not None
    contact = await service.call_contact(call.call_sid)
    assert contact is not None and contact.state == "queued" and contact.requeued
    await staff.expect("me", state="away")
    await staff.close()


async def test_a_caller_who_hangs_up_while_waiting_leaves_the_queue_at_once(service: Service, lina: Any) -> None:
    from stats.models import DailyCount

    staff = await console(lina)
    await staff.send(type="duty", state="break")
    await staff.expect("me", state="break")
    call = Twilio()
    twiml(await call.post("language", Digits="1"))
    assert len(await queue_ids(service)) == 1
    response = await call.post("status", CallStatus="completed")
    assert response.status_code == 204
    assert await queue_ids(service) == []
    left = await sync_to_async(
        lambda: DailyCount.objects.get(metric="contacts.left_before_answer", dimension="channel", value="phone").count
    )()
    assert left == 1
    await staff.close()


@pytest.mark.parametrize(
    "forgery",
    ["missing", "wrong", "tampered", "other_url"],
)
async def test_a_forged_webhook_gets_403_and_changes_nothing(service: Service, lina: Any, forgery: str) -> None:
    staff = await on_phone_duty(lina)
    call = Twilio()
    if forgery == "missing":
        response = await call.client.post("/phone/language/", call.params(Digits="1"))
    elif forgery == "wrong":
        response = await call.post("language", signature="c2lnbmF0dXJl", Digits="1")
    elif forgery == "tampered":
        good = RequestValidator(TOKEN).compute_signature(f"{BASE}/phone/language/", call.params(Digits="1"))
        response = await call.post("language", signature=good, Digits="2")
    else:
        response = await call.post("language", sign_url=f"{BASE}/phone/status/", Digits="1")
    assert response.status_code == 403
    assert await queue_ids(service) == []
    await staff.close()


async def test_a_replayed_step_creates_no_second_queue_entry(service: Service, lina: Any) -> None:
    staff = await console(lina)
    await staff.send(type="duty", state="break")
    await staff.expect("me", state="break")
    call = Twilio()
    for _ in range(3):
        twiml(await call.post("language", Digits="1"))
    assert len(await queue_ids(service)) == 1
    await staff.close()


async def test_a_status_for_an_unknown_call_is_a_harmless_200(service: Service) -> None:
    response = await Twilio("CA" + "9" * 32).post("status", CallStatus="completed")
    assert response.status_code == 204
    doc = twiml(await Twilio("CA" + "8" * 32).post("wait"))
    assert doc[-1].tag == "Hangup"


async def test_the_callers_number_is_found_nowhere(
    service: Service, lina: Any, caplog: pytest.LogCaptureFixture, backend: str
) -> None:
    caplog.set_level(logging.DEBUG)
    staff = await on_phone_duty(lina)
    call = Twilio()
    twiml(await call.post("incoming"))
    twiml(await call.post("language", Digits="1"))
    offer = await staff.expect("offer", channel="phone")
    assert CANARY not in str(offer)
    await staff.send(type="accept", contact=offer["contact"])
    twiml(await call.post("wait"))
    await call.post("wrong-step")
    await call.post("language", signature="forged", Digits="1")
    twiml(await call.post("dialled", DialCallStatus="completed"))
    await call.post("status", CallStatus="completed")

    def database_text() -> str:
        from io import StringIO

        from django.core.management import call_command

        out = StringIO()
        call_command("dumpdata", stdout=out)
        return out.getvalue()

    haystacks = {"database": await sync_to_async(database_text)(), "logs": caplog.text, "console": str(staff.seen)}
    if backend == "redis":
        dump = subprocess.run(
            ["redis-cli", "-n", "15", "--no-raw", "--scan"], capture_output=True, text=True, check=True
        ).stdout
        values = []
        for key in dump.split():
            kind = subprocess.run(["redis-cli", "-n", "15", "type", key], capture_output=True, text=True).stdout
            cmd = {"hash": ["hgetall"], "list": ["lrange"], "string": ["get"], "zset": ["zrange"], "set": ["smembers"]}
            verb = cmd.get(kind.strip(), ["get"])
            extra = ["0", "-1"] if verb[0] in ("lrange", "zrange") else []
            values.append(
                subprocess.run(["redis-cli", "-n", "15", *verb, key, *extra], capture_output=True, text=True).stdout
            )
        haystacks["redis"] = dump + "".join(values)
    for where, text in haystacks.items():
        for form in CANARY_FORMS:
            assert form not in text, f"caller number found in {where}"
        assert call.call_sid not in text, f"call SID found in {where}"
    await staff.close()


async def test_a_counsellor_without_a_work_phone_cannot_take_a_call(service: Service, sara: Any, lina: Any) -> None:
    phone = await console(lina)
    await phone.send(type="duty", state="break")  # on phone duty, but not taking contacts now
    await phone.expect("me", state="break")
    staff = await on_phone_duty(sara)  # no work phone: never offered a call
    call = Twilio()
    twiml(await call.post("language", Digits="1"))
    assert not [f for f in await staff.frames(0.3) if f["type"] == "offer"]
    contact = await service.call_contact(call.call_sid)
    assert contact is not None
    await staff.send(type="pick", contact=contact.id)
    assert (await staff.expect("error"))["code"] == "not_available"
    await staff.close()
    await phone.close()


async def test_nobody_on_phone_duty_means_the_busy_message(service: Service, sara: Any) -> None:
    staff = await on_phone_duty(sara)  # on duty for chat, no work phone
    doc = twiml(await Twilio().post("incoming"))
    assert doc[-1].tag == "Hangup" and doc.find("Gather") is None
    assert await queue_ids(service) == []
    await staff.close()


async def test_a_chat_socket_cannot_take_up_a_phone_call(service: Service, lina: Any) -> None:
    """A call is keyed by ``call:<CallSid>`` as a chat is by its token: a visitor's socket
    that resumed with that key could write into the call or end it (issue 18, item 9)."""
    staff = await on_phone_duty(lina)
    call = Twilio()
    twiml(await call.post("incoming"))
    twiml(await call.post("language", Digits="1"))
    offer = await staff.expect("offer", channel="phone")
    await staff.send(type="accept", contact=offer["contact"])
    await staff.expect("conversation", contact=offer["contact"])
    for token in (f"call:{call.call_sid}", call.call_sid):
        intruder = await visitor(start=False)
        await intruder.send(type="resume", token=token, last_seq=0)
        await intruder.expect("expired")
        await intruder.send(type="send", id="x1", text="hej")
        assert (await intruder.expect("error"))["code"] == "not_started"
        await intruder.send(type="end")
        assert (await intruder.expect("error"))["code"] == "not_started"
        await intruder.close()
    contact = await service.call_contact(call.call_sid)
    assert contact is not None and contact.state == "active" and contact.seq == 0  # untouched
    assert not [f for f in await staff.frames(0.3) if f["type"] in {"message", "ended"}]
    await staff.close()
