"""The partners' reports: a page for staff, CSV, and a read-only JSON API with a token."""

from __future__ import annotations

import csv
import re
from datetime import date
from typing import Any
from urllib.parse import urlencode

from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET

from audit.log import record
from staff.access import staff_view
from staff.roles import PARTNER_GROUP, SUPERVISOR_GROUP, has_role, is_supervisor
from stats import reports

KINDS = {"month": 1, "quarter": 3, "year": 12}  # months per period
MAX_BACK = 40  # periods back from the current one
OFFSET = re.compile(r"-?[0-9]{1,4}")  # ASCII digits only: int() would also take "١" or "1_0"


def may_read(user: Any) -> bool:
    return bool(user.is_superuser) or has_role(user, SUPERVISOR_GROUP, PARTNER_GROUP)


class BadPeriod(Exception):
    """A period that cannot be reported; the message is for the person who asked."""


def fixed_only() -> str:
    return _(
        "Reports cover only whole months, quarters and years: period=month, quarter or year, "
        "with offset=-1 for the one before. Other dates could be subtracted from them to "
        "work out small numbers."
    )


def bad_period() -> str:
    return _("Choose period=month, quarter or year, given once, with offset 0, -1, -2 … at most %(max)s back.") % {
        "max": MAX_BACK
    }


def not_ended() -> str:
    return _("That period has no month that has ended yet. A month is reported once it is over.")


def period(request: HttpRequest) -> tuple[date, date]:
    """The period asked for: ?period=month|quarter|year and ?offset=0, -1, … counting
    back from the current one (default: last month, this quarter, this year).

    Only whole months that have ended are reported; this quarter or year means its
    months so far. Raises BadPeriod for anything else (docs/statistics.md): free dates
    would let one report be subtracted from another, and the current month changes
    while it is read.
    """
    if "from" in request.GET or "to" in request.GET:
        raise BadPeriod(fixed_only())
    if any(len(request.GET.getlist(name)) > 1 for name in ("period", "offset")):
        raise BadPeriod(bad_period())
    kind = request.GET.get("period", "month")
    if kind == "custom":
        raise BadPeriod(fixed_only())
    if kind not in KINDS:
        raise BadPeriod(bad_period())
    text = request.GET.get("offset", "-1" if kind == "month" else "0")
    if not OFFSET.fullmatch(text):
        raise BadPeriod(bad_period())
    return fixed_period(kind, int(text), timezone.localdate())


def fixed_period(kind: str, offset: int, today: date) -> tuple[date, date]:
    """The months of the ``kind`` period ``offset`` back from the one ``today`` is in,
    up to the last month that has ended."""
    if kind not in KINDS or not -MAX_BACK <= offset <= 0:
        raise BadPeriod(bad_period())
    months = KINDS[kind]
    # Months counted from year 0, so no date is made before it is known to exist.
    first = today.year * 12 + (today.month - 1) // months * months + offset * months
    last = min(first + months - 1, today.year * 12 + today.month - 2)  # the last month that has ended
    if first < 12:
        raise BadPeriod(bad_period())
    if last < first:
        raise BadPeriod(not_ended())
    return date(first // 12, first % 12 + 1, 1), reports.month_span(date(last // 12, last % 12 + 1, 1))[1]


def neighbours(kind: str, offset: int) -> dict[str, str]:
    """Links to the period before and after, where there is one."""
    out = {}
    for name, other in (("earlier", offset - 1), ("later", offset + 1)):
        try:
            fixed_period(kind, other, timezone.localdate())
        except BadPeriod:
            continue
        out[name] = f"?period={kind}&offset={other}"
    return out


def staff_report(request: HttpRequest) -> tuple[tuple[date, date], dict[str, Any]] | HttpResponse:
    """The period and report a staff request asks for, or the refusal to send instead."""
    if not may_read(request.user):
        return HttpResponse(status=403)
    try:
        found = period(request)
        centre = chosen_centre(request)
    except BadPeriod as refusal:
        return HttpResponse(str(refusal), status=400, content_type="text/plain; charset=utf-8")
    return found, reports.build(*found, centre=centre)


def chosen_centre(request: HttpRequest) -> str | None:
    """``?centre=<address>`` for one centre's report (the default centre's is "default");
    none: all centres together."""
    asked = request.GET.get("centre")
    if asked is None:
        return None
    live = "" if asked == "default" else asked
    if live not in reports.counted_centres():
        raise BadPeriod(_("No statistics for that centre."))
    return live


@staff_view
@require_GET
def report_page(request: HttpRequest) -> HttpResponse:
    result = staff_report(request)
    if isinstance(result, HttpResponse):
        return result
    _found, data = result
    for table in data["tables"]:
        numbers = [v for _c, _l, v in table.rows if isinstance(v, int)]
        top = max(numbers, default=0) or 1
        table.bars = [
            (code, label, value, int(200 * value / top) if isinstance(value, int) else 0)
            for code, label, value in table.rows
        ]
    kind = request.GET.get("period", "month")
    offset = int(request.GET.get("offset", "-1" if kind == "month" else "0"))
    centre = request.GET.get("centre", "")
    centres = reports.counted_centres()
    context = {
        "report": data,
        # With more than one centre: each centre's report, or all of them together.
        "centres": [("default" if c == "" else c) for c in centres] if len(centres) > 1 else [],
        "centre": centre,
        # urlencode, not string joining: a centre address or a date typed into the
        # address bar must not break or add to the links built from it.
        "centre_query": "&" + urlencode({"centre": centre}) if centre else "",
        "query_without_centre": urlencode(
            [(k, v) for k, v in request.GET.items() if k in ("period", "offset", "start", "end")]
        ),
        "query": request.GET.urlencode(),
        "kind": kind,
        # A partner reads the reports only; the way back to the dashboard is for supervisors.
        "dashboard": is_supervisor(request.user),
        **neighbours(kind, offset),
    }
    return render(request, "stats/report.html", context)


@staff_view
@require_GET
def report_csv(request: HttpRequest) -> HttpResponse:
    result = staff_report(request)
    if isinstance(result, HttpResponse):
        return result
    found, data = result
    record(request.user, "export", "csv", centre=chosen_centre(request))
    response = HttpResponse(content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="statistics-{found[0]}-{found[1]}.csv"'
    # For Excel in a Swedish locale, which is what the partners open it with: without the
    # byte-order mark it reads the file as Windows-1252 (Enköping, "–" garbled), and its
    # list separator there is ";" (a "," file lands in one column). Every count is a whole
    # number or a mark ("<5", "–"), so no decimal separator is needed (docs/statistics.md).
    response.write("\ufeff")
    writer = csv.writer(response, delimiter=";")
    writer.writerow(["table", "code", "label", "count"])
    for table in data["tables"]:
        for code, label, value in table.rows:
            writer.writerow([table.key, code, label, value])
        writer.writerow([table.key, "total", "", table.total])
    series = data["series"]
    for label, cells in series["rows"]:
        for (code, _label), value in zip(series["channels"], cells, strict=True):
            writer.writerow([f"{series['unit']}ly_by_channel", f"{label}/{code}", "", value])
    return response


@require_GET
def api(request: HttpRequest) -> JsonResponse:
    """For the partners' own systems: Authorization: Token <token>."""
    header = request.headers.get("Authorization", "")
    token = header.removeprefix("Token ").strip() if header.startswith("Token ") else ""
    if not token or reports.partner_for(token) is None:
        return JsonResponse({"error": "a valid partner token is required"}, status=401)
    try:
        found = period(request)
        centre = chosen_centre(request)
    except BadPeriod as refusal:
        return JsonResponse({"error": str(refusal)}, status=400)
    record(None, "export", "api", centre=centre)
    report = reports.as_json(reports.build(*found, centre=centre))
    return JsonResponse(report, json_dumps_params={"ensure_ascii": False})
