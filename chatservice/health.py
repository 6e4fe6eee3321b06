"""Liveness and readiness for load balancers and orchestrators. They say nothing about
any contact: only whether this process, its database and its Redis answer.

``HealthCheckMiddleware`` runs first and answers the two probe paths and the metrics
itself, before Django's host check and any redirect: a probe or a Prometheus scrape
comes to the process's own address (a pod IP, 127.0.0.1:8001) with whatever Host header
it sends, and must get an answer rather than a 400 and an error in the log.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable

from asgiref.sync import markcoroutinefunction, sync_to_async
from django.db import connection
from django.http import HttpRequest, HttpResponse, HttpResponseNotAllowed, JsonResponse

from routing.store import get_store


def live(request: HttpRequest) -> JsonResponse:
    return JsonResponse({"status": "ok"})


async def ready(request: HttpRequest) -> JsonResponse:
    checks: dict[str, str] = {}
    try:

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


class HealthCheckMiddleware:
    sync_capable = False
    async_capable = True

    def __init__(self, get_response: Callable[[HttpRequest], Awaitable[HttpResponse]]) -> None:
        self.get_response = get_response
        markcoroutinefunction(self)

    async def __call__(self, request: HttpRequest) -> HttpResponse:
        if request.path not in ("/health/live", "/health/ready", "/metrics"):
            return await self.get_response(request)
        if request.method not in ("GET", "HEAD"):
            return HttpResponseNotAllowed(["GET", "HEAD"])
        if request.path == "/health/live":
            response: HttpResponse = live(request)
        elif request.path == "/health/ready":
            response = await ready(request)
        else:
            from chatservice.metrics import metrics

            response = await metrics(request)
        response["Cache-Control"] = "no-store"
        return response
