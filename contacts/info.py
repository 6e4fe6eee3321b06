"""What a visitor is shown when the service is closed: hours and numbers, in their language."""

from __future__ import annotations

from django.db.models import Q
from django.utils import translation
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from contacts.frames import ClosedInfo, HoursInfo, NumberInfo
from contacts.hours import Schedule
from contacts.models import WEEKDAYS, EmergencyNumber, ServiceText

# What a visitor is told when the centre has not worded it in admin (ServiceText).
DEFAULT_TEXTS = {
    "closed": gettext_lazy(
        "The chat is closed right now. You can write to us when we are open. If you are in danger: call 112."
    ),
    "busy": gettext_lazy("Nobody can answer right now. Please try again in a while. If you are in danger: call 112."),
    "paused": gettext_lazy(
        "The chat is paused for a short while. Try again a little later, or use the numbers below. "
        "If you are in danger: call 112."
    ),
    "full": gettext_lazy(
        "All counsellors are busy and the queue is full. Try again in a while, or use the numbers below. "
        "If you are in danger: call 112."
    ),
}


def numbers(language: str) -> list[NumberInfo]:
    return [
        {"number": n.number, "dial": n.dial, "url": n.url, "label": n.label(language)}
        for n in EmergencyNumber.objects.filter(active=True).prefetch_related("labels")
    ]


def weekly_hours(schedule: Schedule, language: str) -> list[HoursInfo]:
    with translation.override(language):
        rows: list[HoursInfo] = []
        for day, name in WEEKDAYS:
            periods = schedule.weekly.get(day, ())
            rows.append(
                {
                    "day": str(name),
                    "periods": [f"{p.opens:%H:%M}–{p.closes:%H:%M}" for p in periods] or [_("Closed")],
                }
            )
        return rows


def centre_or_shared(*centres: str) -> Q:
    """The rows of these centres (by live slug, "" the default) and the shared ones."""
    rows = Q(centre__isnull=True) | Q(centre__slug__in=[c for c in centres if c], centre__default=False)
    return rows | Q(centre__default=True) if "" in centres else rows


def service_text(key: str, language: str, centre: str = "") -> str:
    """The centre's own wording before the shared one, in the visitor's language before
    the service's: a visitor reads a shared Arabic text rather than the centre's Swedish."""
    from django.conf import settings

    texts = {
        (t.language, t.centre_id is not None): t.text
        for t in ServiceText.objects.filter(centre_or_shared(centre), key=key)
    }
    for wanted in (language, settings.LANGUAGE_CODE):
        for own in (True, False):
            if texts.get((wanted, own)):
                return texts[(wanted, own)]
    return ""


# Every reason a visitor can be turned away for (contacts.service.ClosedReason): the
# language file the page switches to carries each one's text (frontend/views.py).
CLOSED_REASONS = ("hours", "paused", "nobody", "full", "too_many")


def closed_text(language: str, reason: str, centre: str = "") -> str:
    if reason == "too_many":
        # Not the centre's own words: a rule of this service, said the same everywhere.
        with translation.override(language):
            return _(
                "Many chats were started from the same connection as yours just now. Wait a "
                "minute and try again. If you are in danger now, call 112."
            )
    # Each reason its own words: "nobody can answer" when a supervisor paused intake
    # is not true, and a visitor deciding whether to call instead deserves the truth.
    key = {"hours": "closed", "paused": "paused", "full": "full"}.get(reason, "busy")
    text = service_text(key, language, centre)
    if not text:
        with translation.override(language):
            text = str(DEFAULT_TEXTS[key])
    return text


def closed_info(schedule: Schedule, language: str, reason: str, centre: str = "") -> ClosedInfo:
    return {
        "text": closed_text(language, reason, centre),
        "hours": weekly_hours(schedule, language),
        "numbers": numbers(language),
    }
