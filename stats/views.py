"""The partners' reports: a page for staff, CSV, and a read-only JSON API with a token."""

from __future__ import annotations

import csv
from datetime import date, timedelta
from typing import Any

from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import render
from django.utils import timezone
from django.views.decorators.http import require_GET

from frontend.staff import staff_view
from stats import reports

MAX_DAYS = 3 * 366


def may_read(user: Any) -> bool:
    from routing.models import SUPERVISOR_GROUP

    return bool(user.is_superuser or user.groups.filter(name=SUPERVISOR_GROUP).exists())


def period(request: HttpRequest) -> tuple[date, date] | None:
    """The period asked for: ?period=month|quarter|year (the current one, or ?offset=-1
    for the one before), or ?from=YYYY-MM-DD&to=YYYY-MM-DD. None if it makes no sense."""
    today = timezone.localdate()
    kind = request.GET.get("period", "month")
    try:
        offset = int(request.GET.get("offset", "0"))
    except ValueError:
        return None
    if not -40 <= offset <= 0:
        return None
    if kind == "custom":
        try:
            start = date.fromisoformat(request.GET.get("from", ""))
            end = date.fromisoformat(request.GET.get("to", ""))
        except ValueError:
            return None
    elif kind in ("month", "quarter", "year"):
        months = {"month": 1, "quarter": 3, "year": 12}[kind]
        first_month = ((today.month - 1) // months) * months  # 0-based month of the period start
        index = today.year * 12 + first_month + offset * months
        start = date(index // 12, index % 12 + 1, 1)
        after = index + months
        end = date(after // 12, after % 12 + 1, 1) - timedelta(days=1)
    else:
        return None
    if end < start or (end - start).days > MAX_DAYS:
        return None
    return start, end


def staff_report(request: HttpRequest) -> tuple[tuple[date, date], dict[str, Any]] | HttpResponse:
    """The period and report a staff request asks for, or the refusal to send instead."""
    if not may_read(request.user):
        return HttpResponse(status=403)
    found = period(request)
    if found is None:
        return HttpResponse("Choose a period of at most three years.", status=400, content_type="text/plain")
    return found, reports.build(*found)


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
    query = request.GET.urlencode()
    return render(request, "stats/report.html", {"report": data, "query": query, "get": request.GET})


@staff_view
@require_GET
def report_csv(request: HttpRequest) -> HttpResponse:
    result = staff_report(request)
    if isinstance(result, HttpResponse):
        return result
    found, data = result
    response = HttpResponse(content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="statistics-{found[0]}-{found[1]}.csv"'
    writer = csv.writer(response)
    writer.writerow(["table", "code", "label", "count"])
    for table in data["tables"]:
        for code, label, value in table.rows:
            writer.writerow([table.key, code, label, value])
        writer.writerow([table.key, "total", "", table.total])
    weekly = data["weekly"]
    for week, cells in zip(weekly["weeks"], weekly["cells"], strict=True):
        for (code, _label), value in zip(weekly["channels"], cells, strict=True):
            writer.writerow(["weekly_by_channel", f"{week}/{code}", "", value])
    return response


@require_GET
def api(request: HttpRequest) -> JsonResponse:
    """For the partners' own systems: Authorization: Token <token>."""
    header = request.headers.get("Authorization", "")
    token = header.removeprefix("Token ").strip() if header.startswith("Token ") else ""
    if not token or reports.partner_for(token) is None:
        return JsonResponse({"error": "a valid partner token is required"}, status=401)
    found = period(request)
    if found is None:
        return JsonResponse({"error": "choose a period of at most three years"}, status=400)
    return JsonResponse(reports.as_json(reports.build(*found)), json_dumps_params={"ensure_ascii": False})
