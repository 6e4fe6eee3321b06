"""Headers that keep a visit from leaving traces on the device or leaking elsewhere."""

from __future__ import annotations

import base64
import hashlib
from collections.abc import Callable

from django.http import HttpRequest, HttpResponse

CSP = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "connect-src 'self'; font-src 'self'; object-src 'none'; base-uri 'none'; "
    "form-action 'self'; frame-ancestors 'none'"
)


def csp_allowing_style(css: str) -> str:
    """The CSP with this one <style> text allowed by its hash, and no other: a centre's
    colours reach its page's first paint without a second request or 'unsafe-inline'."""
    digest = base64.b64encode(hashlib.sha256(css.encode()).digest()).decode()
    return CSP.replace("style-src 'self'", f"style-src 'self' 'sha256-{digest}'")


STAFF_PATHS = ("/admin/", "/accounts/", "/console/", "/supervisor/", "/stats/")


class PrivacyHeadersMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        # Nothing a visitor or counsellor saw may stay in a shared device's cache.
        if not request.path.startswith("/static/"):
            response["Cache-Control"] = "no-store"
        if not request.path.startswith("/admin/"):
            response.setdefault("Content-Security-Policy", CSP)
        if not request.path.startswith(STAFF_PATHS):
            # A visitor's page must not tell any other site where they have been.
            response["Referrer-Policy"] = "no-referrer"
        response.setdefault("Cross-Origin-Opener-Policy", "same-origin")
        response.setdefault("Permissions-Policy", "camera=(), microphone=(), geolocation=(), interest-cohort=()")
        return response
