"""Liveness and readiness for load balancers and orchestrators. They say nothing about
any contact: only whether this process, its database and its Redis answer."""

from __future__ import annotations

from django.db import connection
from django.http import HttpRequest, JsonResponse
from django.views.decorators.http import require_GET

from routing.store import get_store


@require_GET
def live(request: HttpRequest) -> JsonResponse:
    return JsonResponse({"status": "ok"})


@require_GET
async def ready(request: HttpRequest) -> JsonResponse:
    checks: dict[str, str] = {}
    try:
        from asgiref.sync import sync_to_async

        def ping_db() -> None:
            with connection.cursor() as cursor:
                cursor.execute("SELECT 1")

        await sync_to_async(ping_db)()
        checks["database"] = "ok"
    except Exception:
        checks["database"] = "unavailable"
    try:
        await get_store().counsellors()
        checks["state"] = "ok"
    except Exception:
        checks["state"] = "unavailable"
    ok = all(v == "ok" for v in checks.values())
    return JsonResponse({"status": "ok" if ok else "unavailable", **checks}, status=200 if ok else 503)
