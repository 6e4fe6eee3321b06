"""Two centres on one installation, on the socket and through signed Twilio webhooks: a
contact arriving while its centre is closed goes where the centre's rules say, and the
staff of the first centre see nothing of it (issue 15)."""

from __future__ import annotations

import asyncio
import logging
import uuid
from datetime import time
from typing import Any

import pytest
from asgiref.sync import sync_to_async
from django.test import AsyncClient
from twilio.request_validator import RequestValidator

from contacts.service import Service
from tests.conftest import console, make_counsellor, visitor

pytestmark = [pytest.mark.django_db(transaction=True)]

TOKEN = "twilio-test-auth-token"
BASE = "https://chat.example.se"
NEXUS_NUMBER = "+46185551000"
CANARY = "+46701234567"
ALL_DAY = (time(0), time(23, 59, 59, 999999))


@pytest.fixture(autouse=True)
def twilio_settings(settings: Any) -> None:
    settings.TWILIO_AUTH_TOKEN = TOKEN
    settings.PUBLIC_BASE_URL = BASE
    settings.TWILIO_CALLER_ID = NEXUS_NUMBER


def two_centres(rule: dict[str, Any]) -> dict[str, Any]:
    """Nexus (the default centre) closed, with one overflow rule on both its lines; Una
    Norrbotten open all day; Aino works for Una, Sara for Nexus."""
    from centres import directory
    from centres.models import Centre, Line, OverflowRule
    from contacts import hours
    from contacts.models import OpeningHours
    from staff.models import Membership

    OpeningHours.objects.all().delete()
    nexus = Centre.objects.filter(default=True).first() or Centre.objects.create(
        name="Nexus Uppsala", slug="nexus", default=True
    )
    Centre.objects.filter(pk=nexus.pk).update(name="Nexus Uppsala")
    web, _ = Line.objects.get_or_create(centre=nexus, kind="web", defaults={"name": "Chatt"})
    phone = Line.objects.create(centre=nexus, kind="phone", name="Telefon", number=NEXUS_NUMBER)
    una = Centre.objects.create(name="Una Norrbotten", slug="una")
    una_web = Line.objects.create(centre=una, kind="web", name="Chatt")
    for day in range(7):
        OpeningHours.objects.create(line=una_web, weekday=day, opens=ALL_DAY[0], closes=ALL_DAY[1])
    for line in (web, phone):
        fields = dict(rule)
        if fields.get("action") == "centre":
            fields["centre"] = una
        if fields.get("action") == "forward" and line.kind != "phone":
            continue
        OverflowRule.objects.create(line=line, condition="closed", **fields)
    sara = make_counsellor(f"sara{uuid.uuid4().hex[:6]}", "Sara", ["sv", "en"], 2)
    aino = make_counsellor(f"aino{uuid.uuid4().hex[:6]}", "Aino", ["sv", "en"], 2, work_phone="+46920555000")
    Membership.objects.create(user=aino, centre=una)
    directory.invalidate()
    hours.invalidate()
    return {"sara": sara, "aino": aino, "una": una}


def default_centre_open(is_open: bool) -> None:
    """Nexus's own opening hours (the default centre's): all day, or none."""
    from contacts import hours
    from contacts.models import OpeningHours

    OpeningHours.objects.filter(line__isnull=True).delete()
    if is_open:
        for day in range(7):
            OpeningHours.objects.create(weekday=day, opens=ALL_DAY[0], closes=ALL_DAY[1])
    hours.invalidate()


async def on_duty(user: Any) -> Any:
    staff = await console(user)
    await staff.send(type="duty", state="available")
    await staff.expect("me", state="available")
    return staff


async def test_a_visitor_at_a_closed_centre_is_told_who_answers_and_only_that_centre_sees_them(
    service: Service,
) -> None:
    made = await sync_to_async(two_centres)({"action": "centre"})
    sara, aino = await on_duty(made["sara"]), await on_duty(made["aino"])
    chat = await visitor(lang="sv")
    started = await chat.expect("started")
    assert started["answered_by"] == "Una Norrbotten"
    offer = await aino.expect("offer")
    [contact] = await service.queue()
    assert contact.centre == "una" and offer["contact"] == contact.id
    # Nexus's counsellor: no offer, nothing in the queue, not even a count.
    frames = await sara.frames(wait=0.8)
    assert not [f for f in frames if f["type"] == "offer"]
    queues = [f for f in frames if f["type"] == "queue"]
    assert all(f["total"] == 0 and not f["items"] for f in queues)
    # A crafted pick of the other centre's contact by its id changes nothing.
    await sara.send(type="pick", contact=contact.id)
    refused = await sara.expect("error")
    assert refused["code"] == "not_available"
    await aino.send(type="accept", contact=contact.id)
    joined = await chat.expect("joined")
    assert joined["name"] == "Aino"
    for sock in (chat, sara, aino):
        await sock.close()


async def signed_post(client: AsyncClient, path: str, **extra: str) -> Any:
    params = {
        "CallSid": "CA" + "7" * 32,
        "From": CANARY,
        "Caller": CANARY,
        "To": NEXUS_NUMBER,
        "CallStatus": "in-progress",
        **extra,
    }
    signature = RequestValidator(TOKEN).compute_signature(BASE + path, params)
    return await client.post(path, params, headers={"X-Twilio-Signature": signature})


async def test_a_call_to_a_closed_centre_is_forwarded_to_the_national_line_and_its_number_kept_nowhere(
    service: Service, caplog: pytest.LogCaptureFixture
) -> None:
    import xml.etree.ElementTree as ET

    caplog.set_level(logging.DEBUG)
    await sync_to_async(two_centres)({"action": "forward", "number": "020577070", "service_name": "Rätt att välja"})
    response = await signed_post(AsyncClient(), "/phone/incoming/")
    assert response.status_code == 200
    doc = ET.fromstring(response.content)
    dial = doc.find("Dial")
    assert dial is not None and "".join(dial.itertext()).strip() == "020577070"
    assert dial.get("callerId") == NEXUS_NUMBER  # the service's number, never the caller's
    assert any("Rätt att välja" in (s.text or "") for s in doc.iter("Say"))
    assert await service.queue() == []
    assert CANARY not in response.content.decode() and CANARY[1:] not in caplog.text


async def test_a_call_to_a_closed_centre_joins_the_partner_centres_queue(service: Service) -> None:
    import xml.etree.ElementTree as ET

    made = await sync_to_async(two_centres)({"action": "centre"})
    aino = await console(made["aino"])
    await aino.send(type="duty", state="available")
    await aino.expect("me", state="available")
    client = AsyncClient()
    menu = ET.fromstring((await signed_post(client, "/phone/incoming/")).content)
    gather = menu.find("Gather")
    assert gather is not None and gather.get("action") == f"{BASE}/phone/language/?centre=una"
    held = await signed_post(client, "/phone/language/?centre=una", Digits="1")
    assert held.status_code == 200
    [contact] = await service.queue()
    assert contact.channel == "phone" and contact.centre == "una"
    # The centre rides in the signed URL: changed on the way, the request is refused.
    forged = RequestValidator(TOKEN).compute_signature(BASE + "/phone/language/?centre=una", {"CallSid": "x"})
    refused = await client.post("/phone/language/?centre=", {"CallSid": "x"}, headers={"X-Twilio-Signature": forged})
    assert refused.status_code == 403
    await aino.close()


async def test_a_visitor_nobody_answered_in_time_is_handed_to_the_partner_centre(service: Service) -> None:
    import time as _time

    from centres.models import OverflowRule
    from contacts import hours
    from contacts.models import OpeningHours

    made = await sync_to_async(two_centres)({"action": "centre"})

    def open_nexus_with_a_wait_rule() -> None:
        for day in range(7):
            OpeningHours.objects.create(weekday=day, opens=ALL_DAY[0], closes=ALL_DAY[1])
        rule = OverflowRule.objects.filter(line__kind="web", line__centre__default=True).get()
        rule.condition, rule.after_seconds = "unanswered", 60
        rule.save()
        hours.invalidate()

    await sync_to_async(open_nexus_with_a_wait_rule)()
    sara = await console(made["sara"])
    await sara.send(type="duty", state="break")  # on shift, not taking contacts: nobody answers
    await sara.expect("me", state="break")
    aino = await on_duty(made["aino"])
    chat = await visitor(lang="sv")
    started = await chat.expect("started")
    assert "answered_by" not in started
    [waiting] = await service.queue()
    assert waiting.centre == ""
    await service.tick(_time.time() + 30)
    assert (await service.contact(waiting.id)).centre == ""  # type: ignore[union-attr]
    await service.tick(_time.time() + 61)
    assert (await service.contact(waiting.id)).centre == "una"  # type: ignore[union-attr]
    handed = await chat.expect("handed_over")
    assert handed["name"] == "Una Norrbotten"
    await aino.expect("offer", contact=waiting.id)
    for sock in (chat, sara, aino):
        await sock.close()


async def test_each_supervisor_sees_their_centre_and_a_national_one_sees_all_and_controls_nothing(
    service: Service,
) -> None:
    from django.contrib.auth.models import Group

    from staff.models import Membership
    from staff.roles import NATIONAL_GROUP, ensure_roles
    from tests.conftest import make_supervisor, supervisor_socket

    made = await sync_to_async(two_centres)({"action": "centre"})

    def supervisors() -> tuple[Any, Any, Any]:
        ensure_roles()
        nexus_boss = make_supervisor(f"maria{uuid.uuid4().hex[:6]}", "Maria")
        una_boss = make_supervisor(f"elin{uuid.uuid4().hex[:6]}", "Elin")
        Membership.objects.create(user=una_boss, centre=made["una"])
        national = make_supervisor(f"nora{uuid.uuid4().hex[:6]}", "Nora")
        national.groups.clear()
        national.groups.add(Group.objects.get(name=NATIONAL_GROUP))
        return nexus_boss, una_boss, national

    nexus_boss, una_boss, national = await sync_to_async(supervisors)()
    await on_duty(made["aino"])
    chat = await visitor(lang="sv")
    await chat.expect("started")
    await asyncio.sleep(0.6)  # past the dashboards' debounce
    waiting = {}
    for name, user in (("nexus", nexus_boss), ("una", una_boss), ("national", national)):
        sock = await supervisor_socket(user)
        frames = [f for f in await sock.frames(wait=0.8)]
        dashboards = [f for f in [*sock.seen] if f["type"] == "dashboard"]
        assert dashboards, frames
        waiting[name] = dashboards[-1]["waiting"] + dashboards[-1]["conversations"]
        if name == "national":
            [contact] = await service.queue()
            await sock.send(type="join", contact=contact.id)
            refused = await sock.expect("error")
            assert refused["code"] == "not_allowed"
            await sock.send(type="intake", chat_paused=True)
            assert (await sock.expect("error"))["code"] == "not_allowed"
        await sock.close()
    assert waiting == {"nexus": 0, "una": 1, "national": 1}
    await chat.close()


async def test_after_a_conversation_the_centres_breather_holds_offers_until_the_counsellor_is_ready(
    service: Service, sara: Any, open_all_day: None
) -> None:
    from centres import directory
    from centres.models import Centre

    def breather_until_ready() -> None:
        centre = Centre.objects.filter(default=True).first() or Centre.objects.create(
            name="Nexus", slug="nexus", default=True
        )
        centre.breather = "ready"
        centre.save()
        directory.invalidate()

    await sync_to_async(breather_until_ready)()
    staff = await on_duty(sara)
    first = await visitor(lang="sv")
    offer = await staff.expect("offer")
    await staff.send(type="accept", contact=offer["contact"])
    await first.expect("joined")
    await staff.send(type="end", contact=offer["contact"])
    resting = await staff.expect("me", rest_until=-1)
    assert resting["state"] == "available"
    second = await visitor(lang="sv")
    await second.expect("started")
    assert not [f for f in await staff.frames(wait=1.0) if f["type"] == "offer"]  # the breather holds
    await staff.send(type="ready")
    await staff.expect("me", rest_until=0)
    await staff.expect("offer")
    for sock in (first, second, staff):
        await sock.close()


async def test_a_centres_supervisor_pauses_their_own_centres_intake_only(service: Service) -> None:
    """Una's supervisor pauses Una's chat intake: Una's page says paused, Nexus still
    takes chats, only Una's counsellor hears of it, and Nexus's intake cannot be
    paused from Una's dashboard even by naming it."""
    from centres.models import Centre
    from contacts import hours
    from contacts.models import OpeningHours
    from staff.models import Membership
    from staff.roles import ensure_roles
    from tests.conftest import make_supervisor, supervisor_socket

    made = await sync_to_async(two_centres)({"action": "centre"})

    def nexus_open_all_day_and_una_boss() -> Any:
        nexus = Centre.objects.get(default=True)
        line = nexus.lines.get(kind="web")
        for day in range(7):
            OpeningHours.objects.create(line=line, weekday=day, opens=ALL_DAY[0], closes=ALL_DAY[1])
        hours.invalidate()
        ensure_roles()
        boss = make_supervisor(f"elin{uuid.uuid4().hex[:6]}", "Elin")
        Membership.objects.create(user=boss, centre=made["una"])
        return boss

    una_boss = await sync_to_async(nexus_open_all_day_and_una_boss)()
    sara, aino = await on_duty(made["sara"]), await on_duty(made["aino"])
    dashboard = await supervisor_socket(una_boss)
    [first] = [f for f in dashboard.seen if f["type"] == "dashboard"][:1]
    assert [i["centre"] for i in first["intakes"]] == ["una"]
    await dashboard.send(type="intake", centre="", chat_paused=True)  # Nexus's: not theirs
    assert (await dashboard.expect("error"))["code"] == "not_allowed"
    await dashboard.send(type="intake", chat_paused=True)  # their own, the only one
    saved = await dashboard.expect("intake_saved")
    assert saved["centre"] == "una" and saved["chat_paused"] and saved["centre_name"] == "Una Norrbotten"

    told = await aino.expect("intake", chat_paused=True)
    assert told["centre"] == "una"
    assert not [f for f in await sara.frames(wait=0.6) if f["type"] == "intake" and f.get("chat_paused")]

    at_una = await visitor(lang="sv", centre="una")
    closed = await at_una.expect("closed")
    assert closed["reason"] == "paused"
    at_nexus = await visitor(lang="sv")
    started = await at_nexus.expect("started")
    assert not started.get("answered_by")  # Nexus itself answers
    assert (await service.intake(""))["chat_paused"] is False
    for sock in (dashboard, sara, aino, at_una, at_nexus):
        await sock.close()


async def test_visitors_waiting_when_their_line_stops_taking_contacts_are_told_once_when_it_closes(
    service: Service,
) -> None:
    from datetime import datetime, timedelta

    from centres import directory
    from centres.models import Centre, Line
    from contacts import hours
    from contacts.models import OpeningHours

    sara = await sync_to_async(make_counsellor)(f"sara{uuid.uuid4().hex[:6]}", "Sara", ["sv"], 1)

    def open_now(closing_minutes: int, closes: time) -> None:
        OpeningHours.objects.all().delete()
        centre = Centre.objects.filter(default=True).first() or Centre.objects.create(
            name="Nexus Uppsala", slug="nexus", default=True
        )
        line, _ = Line.objects.get_or_create(centre=centre, kind="web", defaults={"name": "Chatt"})
        line.closing_minutes = closing_minutes
        line.save()
        weekday = datetime.now(hours.STOCKHOLM).weekday()
        OpeningHours.objects.create(line=line, weekday=weekday, opens=time(0), closes=closes)
        hours.invalidate()
        directory.invalidate()

    await sync_to_async(open_now)(0, ALL_DAY[1])
    staff = await on_duty(sara)
    busy, waiting = await visitor(lang="sv"), await visitor(lang="sv")
    await busy.expect("started")
    token = (await waiting.expect("started"))["token"]
    offer = await staff.expect("offer")
    await staff.send(type="accept", contact=offer["contact"])
    await busy.expect("joined")  # Sara is full: the second visitor waits

    now = datetime.now(hours.STOCKHOLM)
    closes = (now + timedelta(minutes=5)).time()
    if closes < now.time():
        closes = time(23, 59, 59)  # near midnight: still inside the window
    await sync_to_async(open_now)(15, closes)
    await service.tick()
    told = await waiting.expect("closing")
    assert told["closes"] == f"{closes:%H:%M}"
    await service.tick()
    await service.tick()
    assert not [f for f in await waiting.frames(wait=0.5) if f["type"] == "closing"]  # once
    assert not [f for f in await busy.frames(wait=0.2) if f["type"] == "closing"]  # in a conversation already
    await waiting.close()
    back = await visitor(start=False)  # the page reconnects: a reload of the news it had
    await back.send(type="resume", token=token, last_seq=0)
    await back.expect("resumed", state="queued")
    assert (await back.expect("closing"))["closes"] == f"{closes:%H:%M}"
    for sock in (staff, busy, back):
        await sock.close()


async def test_a_counsellor_is_known_by_the_name_she_uses_at_the_centre_that_answers(service: Service) -> None:
    from staff.models import Membership

    made = await sync_to_async(two_centres)({"action": "centre"})
    await sync_to_async(Membership.objects.filter(user=made["aino"]).update)(pseudonym="Anja")
    aino = await on_duty(made["aino"])
    chat = await visitor(lang="sv")  # Nexus closed: Una answers
    await chat.expect("started")
    offer = await aino.expect("offer")
    await aino.send(type="accept", contact=offer["contact"])
    joined = await chat.expect("joined")
    assert joined["name"] == "Anja"  # Una's name for her, not her profile's "Aino"
    me = await service.counsellor(made["aino"].pk)
    assert me is not None and me.name == "Aino" and me.name_at("una") == "Anja" and me.name_at("") == "Aino"
    for sock in (chat, aino):
        await sock.close()


async def test_a_chat_waiting_when_its_centre_closes_is_given_the_rules_link_and_keeps_its_place(
    service: Service,
) -> None:
    """Nexus's chat hands on to another service by a link when closed. A visitor already
    waiting when it closes is given that link once, in a frame of its own, and is not
    sent away: when a counsellor comes back from her break, she still answers them."""
    import time as _time

    made = await sync_to_async(two_centres)(
        {"action": "link", "url": "https://example.org/chatt", "service_name": "Rätt att välja"}
    )

    await sync_to_async(default_centre_open)(True)
    sara = await console(made["sara"])
    await sara.send(type="duty", state="break")  # on shift, taking nothing for now
    await sara.expect("me", state="break")
    chat = await visitor(lang="sv")
    await chat.expect("started")
    [waiting] = await service.queue()
    await service.tick(_time.time())
    assert not [f for f in await chat.frames(wait=0.3) if f["type"] == "elsewhere"]  # open: nothing to say

    await sync_to_async(default_centre_open)(False)
    await service.tick(_time.time())
    told = await chat.expect("elsewhere")
    assert told == {"type": "elsewhere", "name": "Rätt att välja", "url": "https://example.org/chatt"}
    await service.tick(_time.time() + 5)
    assert not [f for f in await chat.frames(wait=0.3) if f["type"] == "elsewhere"]  # once
    [still] = await service.queue()
    assert still.id == waiting.id and still.centre == "" and still.state == "queued"

    await sara.send(type="duty", state="available")
    offer = await sara.expect("offer", contact=waiting.id)
    await sara.send(type="accept", contact=offer["contact"])
    await chat.expect("joined")
    for sock in (chat, sara):
        await sock.close()


async def test_a_waiting_visitor_whose_socket_was_dying_when_told_is_given_the_link_again_on_resume(
    service: Service,
) -> None:
    """A train's tunnel stalls the socket before the server notices: the tick gives the
    link, once, into a connection that never delivers it. The page gives up on the
    stalled socket and resumes on a new one; it is told again there, or the visitor would
    wait on without knowing another service is open."""
    import time as _time

    made = await sync_to_async(two_centres)(
        {"action": "link", "url": "https://example.org/chatt", "service_name": "Rätt att välja"}
    )

    await sync_to_async(default_centre_open)(True)
    sara = await console(made["sara"])
    await sara.send(type="duty", state="break")
    await sara.expect("me", state="break")
    chat = await visitor(lang="sv")
    token = (await chat.expect("started"))["token"]

    await sync_to_async(default_centre_open)(False)
    await service.tick(_time.time())  # told into the stalled socket: the once is used up
    await chat.close()  # unread: the frame never reached the page
    back = await visitor(start=False)
    await back.send(type="resume", token=token, last_seq=0)
    await back.expect("resumed", state="queued")
    told = await back.expect("elsewhere")
    assert told == {"type": "elsewhere", "name": "Rätt att välja", "url": "https://example.org/chatt"}
    await service.tick(_time.time() + 5)
    assert not [f for f in await back.frames(wait=0.3) if f["type"] == "elsewhere"]  # the tick: still once

    await sync_to_async(default_centre_open)(True)  # open again: nothing stale on the next resume
    await back.close()
    again = await visitor(start=False)
    await again.send(type="resume", token=token, last_seq=0)
    await again.expect("resumed", state="queued")
    assert not [f for f in await again.frames(wait=0.3) if f["type"] in ("elsewhere", "closing")]
    for sock in (again, sara):
        await sock.close()


async def test_a_waiting_call_is_forwarded_when_its_centre_closes_meanwhile(service: Service) -> None:
    """A caller already on hold when Nexus closes is forwarded by the "closed" rule at the
    next hold loop, counted as forwarded (not as having left), the number kept nowhere."""
    import xml.etree.ElementTree as ET

    from centres.models import Line
    from contacts import hours
    from contacts.models import OpeningHours
    from stats.models import DailyCount

    await sync_to_async(two_centres)({"action": "forward", "number": "020577070", "service_name": "Rätt att välja"})

    def open_nexus(is_open: bool) -> None:
        for line in Line.objects.filter(centre__default=True):
            OpeningHours.objects.filter(line=line).delete()
            if is_open:
                for day in range(7):
                    OpeningHours.objects.create(line=line, weekday=day, opens=ALL_DAY[0], closes=ALL_DAY[1])
        hours.invalidate()

    await sync_to_async(open_nexus)(True)
    kim = await sync_to_async(make_counsellor)(f"kim{uuid.uuid4().hex[:6]}", "Kim", ["sv"], 2, "+46185550123")
    staff = await on_duty(kim)
    chat = await visitor(lang="sv")  # Kim is chatting: no call is offered to her meanwhile
    offer = await staff.expect("offer")
    await staff.send(type="accept", contact=offer["contact"])
    await chat.expect("joined")

    client = AsyncClient()
    await signed_post(client, "/phone/incoming/")
    held = ET.fromstring((await signed_post(client, "/phone/language/", Digits="1")).content)
    assert held.find("Redirect") is not None
    assert [c.channel for c in await service.queue()] == ["phone"]
    still = ET.fromstring((await signed_post(client, "/phone/wait/")).content)
    assert still.find("Dial") is None  # open: keeps waiting

    await sync_to_async(open_nexus)(False)
    response = await signed_post(client, "/phone/wait/")
    doc = ET.fromstring(response.content)
    dial = doc.find("Dial")
    assert dial is not None and "".join(dial.itertext()).strip() == "020577070"
    assert dial.get("callerId") == NEXUS_NUMBER and CANARY not in response.content.decode()
    assert [c.channel for c in await service.queue()] == []

    def counted(metric: str) -> int:
        return sum(
            DailyCount.objects.filter(metric=metric, dimension="channel", value="phone").values_list("count", flat=True)
        )

    assert await sync_to_async(counted)("contacts.forwarded") == 1
    assert await sync_to_async(counted)("contacts.left_before_answer") == 0
    for sock in (staff, chat):
        await sock.close()


async def test_a_caller_on_hold_hears_once_that_the_centre_closes_soon(service: Service) -> None:
    import xml.etree.ElementTree as ET
    from datetime import datetime, timedelta

    from centres.models import Line
    from contacts import hours
    from contacts.models import OpeningHours

    await sync_to_async(two_centres)({"action": "centre"})

    def nexus_hours(closes: time, closing_minutes: int) -> None:
        for line in Line.objects.filter(centre__default=True):
            line.closing_minutes = closing_minutes
            line.save()
            OpeningHours.objects.filter(line=line).delete()
            weekday = datetime.now(hours.STOCKHOLM).weekday()
            OpeningHours.objects.create(line=line, weekday=weekday, opens=time(0), closes=closes)
        hours.invalidate()
        directory.invalidate()

    from centres import directory

    await sync_to_async(nexus_hours)(ALL_DAY[1], 0)
    kim = await sync_to_async(make_counsellor)(f"kim{uuid.uuid4().hex[:6]}", "Kim", ["sv"], 2, "+46185550123")
    staff = await on_duty(kim)
    chat = await visitor(lang="sv")  # Kim is chatting: the call waits
    offer = await staff.expect("offer")
    await staff.send(type="accept", contact=offer["contact"])
    await chat.expect("joined")
    client = AsyncClient()
    await signed_post(client, "/phone/incoming/")
    await signed_post(client, "/phone/language/", Digits="1")

    now = datetime.now(hours.STOCKHOLM)
    closes = (now + timedelta(minutes=5)).time()
    if closes < now.time():
        closes = time(23, 59, 59)  # near midnight: still inside the window
    await sync_to_async(nexus_hours)(closes, 15)
    said = []
    for _ in range(3):
        doc = ET.fromstring((await signed_post(client, "/phone/wait/")).content)
        said.append(" ".join(s.text or "" for s in doc.iter("Say")))
        assert doc.find("Redirect") is not None  # still on hold: the caller may stay
    assert f"stänger klockan {closes:%H:%M}" in said[0]
    assert not any("stänger" in s for s in said[1:])  # once
    for sock in (staff, chat):
        await sock.close()


async def test_a_centre_sets_its_block_length_and_whether_a_transfer_names_the_colleague(service: Service) -> None:
    """Una blocks for 5 minutes and does not name the colleague who takes over."""
    import time as _time

    from centres import directory
    from centres.models import Centre
    from staff.models import Membership

    made = await sync_to_async(two_centres)({"action": "centre"})  # Nexus closed: Una answers

    def una_rules() -> Any:
        Centre.objects.filter(pk=made["una"].pk).update(block_minutes=5, tell_on_transfer=False)
        colleague = make_counsellor(f"ulla{uuid.uuid4().hex[:6]}", "Ulla", ["sv"], 2)
        Membership.objects.create(user=colleague, centre=made["una"])
        directory.invalidate()
        return colleague

    ulla_user = await sync_to_async(una_rules)()
    aino, ulla = await on_duty(made["aino"]), await on_duty(ulla_user)
    chat = await visitor(lang="sv")
    token = (await chat.expect("started"))["token"]
    offer = await aino.expect("offer", timeout=5)
    await aino.send(type="accept", contact=offer["contact"])
    await chat.expect("joined")
    await aino.send(type="transfer", contact=offer["contact"], to="counsellor", counsellor=ulla_user.pk)
    told = await chat.expect("transferred")
    assert told["name"] == ""  # a colleague took over, unnamed
    await ulla.expect("conversation", contact=offer["contact"])
    # The page reloads (or the phone's network changes): still unnamed on the new socket.
    await chat.close()
    chat = await visitor(start=False)
    await chat.send(type="resume", token=token, last_seq=0)
    await chat.expect("resumed")
    again = await chat.expect("joined")
    assert again["name"] == "", again

    shared = ("127.44.55.67", 5000)
    abuser = await visitor(client=shared)
    await abuser.expect("started")
    second = await aino.expect("offer", timeout=5)
    await aino.send(type="accept", contact=second["contact"])
    await abuser.expect("joined")
    await aino.send(type="block", contact=second["contact"])
    await aino.expect("ended", contact=second["contact"], by="blocked")
    [(_source, until, by)] = await service.store.blocks()
    assert by == "Aino" and 280 < until - _time.time() <= 300  # Una's five minutes, not the hour
    for sock in (chat, aino, ulla, abuser):
        await sock.close()


async def test_a_membership_narrows_what_a_counsellor_takes_at_that_centre(service: Service) -> None:
    """Issue 15: capacity, languages and skills per membership. Aino takes two chats and
    speaks English by her profile, but at Una one chat at a time and Swedish only."""
    from staff.models import Membership

    made = await sync_to_async(two_centres)({"action": "centre"})
    await sync_to_async(Membership.objects.filter(user=made["aino"]).update)(languages=["sv"], max_chats=1)
    aino = await on_duty(made["aino"])
    english = await visitor(lang="en")  # Nexus closed: Una's queue
    await english.expect("started")
    assert not [f for f in await aino.frames(wait=0.8) if f["type"] == "offer"]  # not her language at Una
    first = await visitor(lang="sv")
    await first.expect("started")
    offer = await aino.expect("offer")
    await aino.send(type="accept", contact=offer["contact"])
    await first.expect("joined")
    second = await visitor(lang="sv")
    await second.expect("started")
    assert not [f for f in await aino.frames(wait=0.8) if f["type"] == "offer"]  # one of Una's at a time
    me = await service.counsellor(made["aino"].pk)
    assert me is not None and me.capacity == 2 and me.languages_for("una") == ("sv",) and me.capacity_for("una") == 1
    assert me.languages_for("") == ("sv", "en")  # elsewhere, the profile's
    await aino.send(type="end", contact=offer["contact"])
    nxt = await aino.expect("offer")
    assert nxt["contact"] != offer["contact"]
    for sock in (english, first, second, aino):
        await sock.close()
