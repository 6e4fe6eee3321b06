"""Twilio voice webhooks: thin adapters from TwiML to the same service as chat.

Every request must carry a valid ``X-Twilio-Signature`` for the configured public URL
(not the Host header), or it gets 403 and changes nothing. Nothing from the request is
read but ``CallSid`` (kept only as a keyed hash), ``Digits``, ``CallStatus``,
``DialCallStatus`` and ``To``, the service's own number that was dialled (it says which
centre's line the call is for, centres/models.py): never ``From``, ``Caller`` or the
caller's city, postcode or country. The call flow is a redirect loop (docs/telephony.md): the caller hears their
place in the queue, waits ``PHONE_HOLD_SECONDS``, and is connected once a counsellor
has accepted in the console.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Awaitable, Callable
from functools import wraps
from typing import Any
from urllib.parse import urlencode

from asgiref.sync import sync_to_async
from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.utils import translation
from django.utils.translation import gettext as _
from django.views.decorators.csrf import csrf_exempt
from twilio.request_validator import RequestValidator
from twilio.twiml.voice_response import Gather, VoiceResponse

from contacts.hours import Schedule, current_schedule
from contacts.info import numbers, weekly_hours
from contacts.service import Closed, get_service
from routing.overflow import Rule
from staff.profiles import work_phone

logger = logging.getLogger(__name__)

VOICES = {"sv": "sv-SE", "en": "en-GB", "ar": "arb"}
MENU = {"1": "sv", "2": "en", "3": "ar"}
FINAL_STATUSES = {"completed", "busy", "failed", "no-answer", "canceled"}

View = Callable[[HttpRequest], Awaitable[HttpResponse]]


def twiml(response: VoiceResponse) -> HttpResponse:
    return HttpResponse(str(response), content_type="text/xml")


def signed(view: View) -> Any:  # Any: django-stubs types path() for sync views only
    """403 unless Twilio signed this exact request for our public URL."""

    @wraps(view)
    async def wrapper(request: HttpRequest) -> HttpResponse:
        if request.method != "POST" or not settings.TWILIO_AUTH_TOKEN or not settings.PUBLIC_BASE_URL:
            return HttpResponse(status=403)
        url = settings.PUBLIC_BASE_URL + request.get_full_path()
        signature = request.headers.get("X-Twilio-Signature", "")
        params = {key: request.POST.get(key, "") for key in request.POST}
        if not RequestValidator(settings.TWILIO_AUTH_TOKEN).validate(url, params, signature):
            return HttpResponse(status=403)
        return await view(request)

    return csrf_exempt(wrapper)


def url(name: str) -> str:
    return f"{settings.PUBLIC_BASE_URL}/phone/{name}/"


def say(response: VoiceResponse | Gather, language: str, text: str) -> None:
    response.say(text, language=VOICES.get(language, "sv-SE"))


def closed_message(closed: Closed, schedule: Schedule) -> VoiceResponse:
    """Hours and emergency numbers in Swedish and English, then hang up."""
    response = VoiceResponse()
    for language in ("sv", "en"):
        with translation.override(language):
            if closed.reason == "hours":
                say(response, language, _("The service is closed right now."))
                for row in weekly_hours(schedule, language):
                    say(response, language, f"{row['day']}: {', '.join(row['periods'])}.")
            else:
                say(response, language, _("Nobody can answer right now. Please call again later."))
            for n in numbers(language):
                if n["dial"]:
                    # Digit by digit, so that a number is read out as one, not as a quantity.
                    say(response, language, f"{n['label']}: {' '.join(n['dial'])}.")
    response.hangup()
    return response


async def closed_twiml(closed: Closed) -> HttpResponse:
    schedule = await current_schedule()
    return twiml(await sync_to_async(closed_message)(closed, schedule))


def forward(rule: Rule) -> VoiceResponse:
    """A centre's overflow rule forwards the call (to the national line, say): tell the
    caller who will answer, then connect them. Nothing of the call goes with it."""
    response = VoiceResponse()
    for language in ("sv", "en"):
        with translation.override(language):
            text = _("We cannot answer right now. You are being connected to %(name)s.") % {"name": rule.name}
            say(response, language, text)
    # callerId as for a counsellor's phone: the service's number when one is set.
    response.dial(rule.number, caller_id=settings.TWILIO_CALLER_ID or None, record="do-not-record")
    return response


def menu(centre: str = "") -> VoiceResponse:
    response = VoiceResponse()
    # The centre rides in the signed URL: Twilio signs what it posts back to, so it
    # cannot be changed on the way.
    action = url("language") + (f"?{urlencode({'centre': centre})}" if centre else "")
    gather = Gather(num_digits=1, timeout=5, action=action, method="POST")
    prompts = {
        "sv": "För svenska, tryck 1.",
        "en": "For English, press 2.",
        "ar": "للغة العربية، اضغط 3.",
    }
    for language in MENU.values():
        # Each option in its own language: a caller who knows only one must understand it.
        say(gather, language, prompts[language])
    response.append(gather)
    response.redirect(action, method="POST")  # no input: Swedish
    return response


def waiting(language: str, position: int | None, closes: str = "") -> VoiceResponse:
    response = VoiceResponse()
    with translation.override(language):
        if closes:
            # The line's closing-time rule: said once, the caller may stay on.
            text = _(
                "We close at %(time)s. You can stay in the queue, but we may not have time to answer "
                "everyone. If you are in danger, call 112."
            ) % {"time": closes}
            say(response, language, text)
        if position is not None:
            text = _("You are number %(position)s in the queue. Please hold.") % {"position": position}
            say(response, language, text)
    response.pause(length=settings.CHAT["PHONE_HOLD_SECONDS"])
    response.redirect(url("wait"), method="POST")
    return response


@signed
async def incoming(request: HttpRequest) -> HttpResponse:
    service = get_service()
    service.ensure_ticker()
    centre = await service.call_centre(request.POST.get("To", ""))
    closed = await service.availability("sv", "phone", centre)
    if closed is not None:
        await service.count_not_taken(closed, "phone", centre)
        target, still = await service.overflow(closed, "phone", centre)
        if still is None:
            return twiml(menu(target))  # a partner centre answers; its queue, its counsellors
        if still.elsewhere is not None and still.elsewhere.number:
            return twiml(await sync_to_async(forward)(still.elsewhere))
        return await closed_twiml(still)
    return twiml(menu(centre))


@signed
async def language(request: HttpRequest) -> HttpResponse:
    chosen = MENU.get(request.POST.get("Digits", ""), "sv")
    call_sid = request.POST.get("CallSid", "")
    if not call_sid:
        return twiml(VoiceResponse())
    service = get_service()
    centre = request.GET.get("centre", "")
    result = await service.start_call(call_sid, chosen, centre if centre in await service.centres() else "")
    if isinstance(result, Closed):
        await service.count_not_taken(result, "phone", centre)
        if result.elsewhere is not None and result.elsewhere.number:
            return twiml(await sync_to_async(forward)(result.elsewhere))
        return await closed_twiml(result)
    position = await get_service().position(result.id)
    return twiml(waiting(result.language, position))


def hang_up() -> HttpResponse:
    response = VoiceResponse()
    response.hangup()
    return twiml(response)


@signed
async def wait(request: HttpRequest) -> HttpResponse:
    service = get_service()
    contact = await service.call_contact(request.POST.get("CallSid", ""))
    if contact is None:
        return hang_up()
    response = VoiceResponse()
    if contact.state != "active":
        now = time.time()
        rule = await service.forward_waiting_call(contact, now)
        if rule is not None:
            return twiml(await sync_to_async(forward)(rule))
        closes = await service.closing_notice(contact, now)
        return twiml(waiting(contact.language, await service.position(contact.id), closes))
    number = await sync_to_async(work_phone)(contact.counsellor)
    with translation.override(contact.language):
        say(response, contact.language, _("You are being connected to a counsellor."))
    # callerId: the counsellor's phone shows the service's number, never the caller's.
    dial = response.dial(
        caller_id=settings.TWILIO_CALLER_ID or None,
        record="do-not-record",
        timeout=settings.CHAT["PHONE_DIAL_TIMEOUT_SECONDS"],
        action=url("dialled"),
        method="POST",
    )
    dial.number(number)
    return twiml(response)


@signed
async def dialled(request: HttpRequest) -> HttpResponse:
    """Twilio's report on the <Dial> to the counsellor."""
    service = get_service()
    contact = await service.call_contact(request.POST.get("CallSid", ""))
    if contact is None:
        return hang_up()
    if request.POST.get("DialCallStatus", "") == "completed":
        await service.end(contact.id, "call_ended")
        return hang_up()
    await service.call_not_answered(contact)
    return twiml(waiting(contact.language, await service.position(contact.id)))


@signed
async def status(request: HttpRequest) -> HttpResponse:
    """The call's status callback: a caller who hangs up leaves the queue at once.
    An unknown call gets an empty 204 (a success) and changes nothing, so Twilio does not
    retry."""
    call_sid = request.POST.get("CallSid", "")
    if request.POST.get("CallStatus", "") in FINAL_STATUSES:
        service = get_service()
        contact = await service.call_contact(call_sid)
        if contact is not None:
            await service.end(contact.id, "caller_hung_up")
        if settings.TWILIO_DELETE_CALLS and call_sid:
            threading.Thread(target=delete_call_record, args=(call_sid,), daemon=True).start()
    return HttpResponse(status=204)


def delete_call_record(call_sid: str) -> None:
    """Ask Twilio to delete the call record, which holds the caller's number."""
    from twilio.rest import Client

    try:
        client = Client(settings.TWILIO_ACCOUNT_SID, settings.TWILIO_AUTH_TOKEN)
        # The API domain's base is the one place the library builds its URLs from.
        client.api.base_url = settings.TWILIO_API_URL
        client.calls(call_sid).delete()
    except Exception:
        logger.warning("could not delete a call record at Twilio")  # no SID in the log
