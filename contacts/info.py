"""What a visitor is shown when the service is closed: hours and numbers, in their language."""

from __future__ import annotations

from django.conf import settings
from django.db.models import Q
from django.utils import translation
from django.utils.functional import Promise
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


# Not the centre's words: a rule of this service, said the same everywhere.
TOO_MANY = gettext_lazy(
    "Many chats were started from the same connection as yours just now. Wait a "
    "minute and try again. If you are in danger now, call 112."
)

# The numbers' labels as migration 0002 seeded them, by the number as shown: while the
# centre's Swedish label is still this, a visitor who chose easy-read Swedish reads the
# easy-read version of it (locale/sv_LL).
DEFAULT_LABELS = {
    "112": gettext_lazy("Emergency: call 112"),
    "114 14": gettext_lazy("Police, non-urgent"),
    "020-50 50 50": gettext_lazy(
        "Kvinnofridslinjen (national women's helpline), 24/7, free, not shown on the phone bill"
    ),
    "116 111": gettext_lazy("BRIS, for children and young people"),
    "hedersfortryck.se": gettext_lazy("National helpline against honour-related violence and oppression"),
}


def easy_read_base(language: str) -> str:
    """The language an easy-read variant (settings.EASY_READ) simplifies; "" for any other."""
    variant = settings.EASY_READ.get(language)
    return str(variant[0]) if variant else ""


def easy_read_of(language: str) -> str:
    """A language's easy-read variant, or the language itself when it has none."""
    return next((code for code, (base, _name) in settings.EASY_READ.items() if base == language), language)


def worded(texts: dict[str, str], language: str, default: Promise | None = None) -> str:
    """The centre's text (admin, per language) for ``language``, else its Swedish one.

    An easy-read variant has no rows of its own in admin: it reads the centre's text in
    the language it simplifies, except while that is still the default (or missing),
    when it reads the default in easy-read. Words the centre chose itself are kept: they
    may say what no default can (closed over the holidays, a number of its own)."""
    if texts.get(language):
        return texts[language]
    base = easy_read_base(language)
    fallback = (base and texts.get(base)) or texts.get(settings.LANGUAGE_CODE) or ""
    if base and default is not None:
        with translation.override(base):
            untouched = not fallback or fallback == str(default)
        if untouched:
            with translation.override(language):
                return str(default)
    return fallback


def numbers(language: str) -> list[NumberInfo]:
    rows = EmergencyNumber.objects.filter(active=True).prefetch_related("labels")
    return [
        {
            "number": n.number,
            "dial": n.dial,
            "url": n.url,
            "label": worded({t.language: t.text for t in n.labels.all()}, language, DEFAULT_LABELS.get(n.number)),
        }
        for n in rows
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
    own: dict[str, str] = {}
    shared: dict[str, str] = {}
    for t in ServiceText.objects.filter(centre_or_shared(centre), key=key):
        (own if t.centre_id is not None else shared)[t.language] = t.text
    texts = {lang: own.get(lang) or shared.get(lang) or "" for lang in set(own) | set(shared)}
    return worded(texts, language, DEFAULT_TEXTS.get(key))


# Every reason a visitor can be turned away for (contacts.service.ClosedReason): the
# language file the page switches to carries each one's text (frontend/views.py).
CLOSED_REASONS = ("hours", "paused", "nobody", "full", "too_many")


def closed_text(language: str, reason: str, centre: str = "") -> str:
    if reason == "too_many":
        with translation.override(language):
            return str(TOO_MANY)
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
