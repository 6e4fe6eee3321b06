"""The visitor page, the counsellor console and the language catalogs."""

from __future__ import annotations

from collections.abc import Collection
from datetime import UTC, datetime
from typing import Any

from django.conf import settings
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.utils import translation
from django.views.decorators.http import require_GET

from centres.directory import CentreInfo, load_directory
from centres.look import DEFAULT_COLOUR, look
from chatservice.middleware import csp_allowing_style
from contacts.hours import EMPTY, load_schedules
from contacts.info import (
    CLOSED_REASONS,
    centre_or_shared,
    closed_info,
    closed_text,
    easy_read_base,
    numbers,
    weekly_hours,
)
from frontend.strings import CONSOLE, SUPERVISOR, VISITOR, catalog
from routing import overflow
from staff.access import staff_view
from staff.profiles import centres_and_names, centres_of
from staff.roles import is_counsellor, is_national, is_partner, is_supervisor
from stats import vocab

# The visitor page's choices: the page languages and their easy-read variants.
LANGUAGE_CODES = {code for code, _ in settings.LANGUAGES} | set(settings.EASY_READ)
RTL = {"ar", "fa", "ku", "he"}


def offered_languages(centre: CentreInfo | None) -> list[str]:
    """The centre's page languages, in the service's order (none chosen: all). Swedish,
    the default, is always among them: it is what the page falls back to, and the public
    sector's language (språklagen), so every centre can be read in it."""
    chosen = set(centre.languages) if centre is not None and centre.languages else set(LANGUAGE_CODES)
    base = [code for code, _ in settings.LANGUAGES if code in chosen or code == settings.LANGUAGE_CODE]
    # A language's easy-read variant comes with it.
    return base + [variant for variant, (of, _name) in settings.EASY_READ.items() if of in base]


def pick_language(request: HttpRequest, offered: Collection[str] = LANGUAGE_CODES) -> str:
    """Only an explicit choice (?lang=) of a language offered, or the default: the visitor
    page does not follow the browser's language header, so that what a shared phone
    shows is predictable."""
    code = request.GET.get("lang", settings.LANGUAGE_CODE)
    return code if code in offered else settings.LANGUAGE_CODE


def menu(offered: Collection[str] = LANGUAGE_CODES) -> list[tuple[str, str]]:
    """The language menu, each name in its own language, an easy-read variant right
    after the language it simplifies."""
    choices = []
    for code, _name in settings.LANGUAGES:
        if code not in offered:
            continue
        choices.append((code, translation.get_language_info(code)["name_local"]))
        choices += [
            (variant, name)
            for variant, (base, name) in settings.EASY_READ.items()
            if base == code and variant in offered
        ]
    return choices


def page_language(code: str) -> dict[str, Any]:
    """What the page needs to know of its language: ``lang`` the catalog's code; ``base``
    the language a screen reader is told and the chat is routed in (the same, except for
    easy-read Swedish, which is Swedish to both); ``plain`` whether it is easy-read."""
    base = easy_read_base(code) or code
    return {"lang": code, "base": base, "plain": base != code, "dir": "rtl" if base in RTL else "ltr"}


def duration_words(seconds: int) -> str:
    """A block's length as a counsellor reads it ("2 hours"), in the active language."""
    from django.utils.translation import ngettext

    if seconds % 3600 == 0:
        hours = seconds // 3600
        return ngettext("%(n)d hour", "%(n)d hours", hours) % {"n": hours}
    minutes = max(1, seconds // 60)
    return ngettext("%(n)d minute", "%(n)d minutes", minutes) % {"n": minutes}


@require_GET
def visitor(request: HttpRequest, centre: str = "") -> HttpResponse:
    directory = load_directory()
    found = directory.by_page(centre) if centre else directory.get("")
    if centre and found is None:
        raise Http404
    offered = offered_languages(found)
    language = pick_language(request, offered)
    colours = found.look if found is not None else look(DEFAULT_COLOUR)
    live = found.live if found is not None else ""
    now = datetime.now(UTC)
    # Every line's hours in one read, however many centres the overflow rules visit.
    schedules = load_schedules()
    schedule = schedules.get(directory.line(live, "chat") if found is not None else None, EMPTY)
    is_open = schedule.accepting(now, directory.closing(live, "chat"))
    elsewhere = None
    if not is_open:
        # Closed here, but the centre's rules may hand a chat to a partner centre that
        # is open (the page then offers the chat as usual), or give a link to another.
        def situation(slug: str) -> overflow.Situation:
            hours = schedules.get(directory.line(slug, "chat"), EMPTY)
            return overflow.Situation("chat", closed=not hours.accepting(now, directory.closing(slug, "chat")))

        destination = overflow.resolve(live, directory.rules_by_centre("chat"), situation)
        if destination.rule is not None and destination.rule.url:
            elsewhere = {"name": destination.rule.name, "url": destination.rule.url}
        elif destination.centre != live:
            is_open = True
    chosen = page_language(language)
    with translation.override(language):
        strings = catalog(VISITOR, language)
        # The page names the centre it belongs to (the catalog keeps {centre} for the
        # script, which fills it in again when the language changes).
        strings["intro_text"] = strings["intro_text"].replace("{centre}", found.name if found is not None else "")
        context = {
            "lang": chosen["base"],
            "dir": chosen["dir"],
            "choice": language,
            "languages": menu(offered),
            "centre": found,
            "look_css": colours.css(),
            "t": strings,
            "catalog": catalog(VISITOR, language),
            "is_open": is_open,
            "info": closed_info(schedule, language, "hours", live),
            "elsewhere": elsewhere,
            "config": {
                "centre": found.slug if found is not None and centre else "",
                "centreName": found.name if found is not None else "",
                "quickExitUrl": settings.CHAT["QUICK_EXIT_URL"],
                **chosen,
                "closed": not is_open,
                "maxChars": settings.CHAT["MAX_MESSAGE_CHARS"],
                "idleSeconds": settings.CHAT["IDLE_PROMPT_SECONDS"],
            },
        }
        response = render(request, "frontend/visitor.html", context)
    response["Content-Security-Policy"] = csp_allowing_style(colours.css())
    return response


@require_GET
def visitor_catalog(request: HttpRequest, code: str) -> JsonResponse:
    if code not in LANGUAGE_CODES:
        raise Http404
    # A centre's page (/<slug>/) asks with ?centre=<slug>, so that switching language
    # lists that centre's hours, not the default centre's.
    directory = load_directory()
    slug = request.GET.get("centre", "")
    found = directory.by_page(slug) if slug else directory.get("")
    if slug and found is None:
        raise Http404
    live = found.live if found is not None else ""
    line = directory.line(live, "chat") if found is not None else None
    # What the server wrote on the page in the first language (help numbers' labels, the
    # hours, the closed texts) comes along, so that switching changes everything at once.
    info = {
        "numbers": numbers(code),
        "hours": weekly_hours(load_schedules().get(line, EMPTY), code),
        "texts": {reason: closed_text(code, reason, live) for reason in CLOSED_REASONS},
    }
    return JsonResponse(
        {**page_language(code), "strings": catalog(VISITOR, code), "info": info},
        json_dumps_params={"ensure_ascii": False},
    )


@staff_view
@require_GET
def console(request: HttpRequest) -> HttpResponse:
    if not is_counsellor(request.user):
        # Log-in lands here (LOGIN_REDIRECT_URL): a supervisor's place is the dashboard,
        # a partner's the reports.
        if is_supervisor(request.user):
            return redirect("supervisor")
        if is_partner(request.user):
            return redirect("stats")
        if request.user.is_superuser:
            return redirect("admin:index")
        return render(request, "frontend/not_counsellor.html", status=403)
    from contacts.models import CannedResponse

    counsellor: Any = request.user  # a logged-in user with a profile: is_counsellor read it
    language = translation.get_language() or settings.LANGUAGE_CODE
    # The shared answers, and those of the counsellor's centres, which take a shortcut
    # over from the shared one in the same language.
    mine = centres_of(counsellor.pk)
    rows = CannedResponse.objects.filter(centre_or_shared(*mine))
    chosen: dict[tuple[str, str], CannedResponse] = {}
    for c in sorted(rows, key=lambda c: c.centre_id is not None):
        chosen[(c.shortcut, c.language)] = c
    canned = [
        {"shortcut": c.shortcut, "language": c.language, "title": c.title, "text": c.text}
        for _key, c in sorted(chosen.items())
    ]
    context = {
        "lang": language,
        "dir": "rtl" if language in RTL else "ltr",
        "catalog": catalog(CONSOLE, language),
        "t": catalog(CONSOLE, language),
        "config": {
            "lang": language,
            "canned": canned,
            "me": counsellor.counsellor.display_name,
            # The pseudonym used at each centre, where one is set (staff.Membership).
            "names": {c: alias for c, alias in zip(*centres_and_names(counsellor.pk), strict=False) if alias},
            "blockDuration": duration_words(int(settings.CHAT["BLOCK_SECONDS"])),
            "blockDurations": {
                live: duration_words(info.block_seconds)
                for live, info in load_directory().centres.items()
                if live in mine and info.block_seconds
            },
            "maxChars": settings.CHAT["MAX_MESSAGE_CHARS"],
            "idleSeconds": settings.CHAT["IDLE_PROMPT_SECONDS"],
            "languages": settings.CONTACT_LANGUAGES,
        },
        "vocab": {
            "kinds": vocab.KINDS,
            "ages": vocab.AGE_BANDS,
            "municipalities": vocab.MUNICIPALITIES,
            "topics": vocab.TOPICS,
        },
    }
    return render(request, "frontend/console.html", context)


@staff_view
@require_GET
def supervisor(request: HttpRequest) -> HttpResponse:
    if not is_supervisor(request.user):
        return render(request, "frontend/not_counsellor.html", status=403)
    language = translation.get_language() or settings.LANGUAGE_CODE
    # A national supervisor sees every centre's load and controls nothing: the page shows
    # no control the socket would refuse (it still refuses them: the server decides).
    read_only = is_national(request.user)
    context = {
        "lang": language,
        "dir": "rtl" if language in RTL else "ltr",
        "t": catalog(SUPERVISOR, language),
        "catalog": catalog(SUPERVISOR, language),
        "read_only": read_only,
        "config": {
            "readOnly": read_only,
            "alertWaitSeconds": settings.CHAT["ALERT_WAIT_SECONDS"],
            "alertQueueLength": settings.CHAT["ALERT_QUEUE_LENGTH"],
            "maxChars": settings.CHAT["MAX_MESSAGE_CHARS"],
        },
    }
    return render(request, "frontend/supervisor.html", context)


AUDIT_PAGE_ROWS = 500


@staff_view
@require_GET
def audit_log(request: HttpRequest) -> HttpResponse:
    """The staff audit log for supervisors: who did what, when; nothing about a visitor."""
    from audit.models import AuditEvent
    from centres.models import Centre
    from staff.scope import audit_scope

    if not is_supervisor(request.user):
        return render(request, "frontend/not_counsellor.html", status=403)
    scope = audit_scope(request.user)
    events = AuditEvent.objects.select_related("centre")
    if scope is not None:
        events = events.filter(scope)
    return render(
        request,
        "frontend/audit.html",
        {
            "events": events[:AUDIT_PAGE_ROWS],
            "days": settings.AUDIT_RETENTION_DAYS,
            "rows": AUDIT_PAGE_ROWS,
            # One centre: a column that would say the same on every row says nothing.
            "centres": Centre.objects.count() > 1,
        },
    )
