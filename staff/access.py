"""Whether a staff session may use a staff page or socket: logged in and, when the
second factor is required (STAFF_2FA, which production enforces in chatservice/checks.py),
past it.

Kept apart from the log-in forms (staff/login.py) because the pages and the consumers
of every app need it, and it imports nothing of contacts: statistics, which know
nothing of contacts, can use ``staff_view`` too.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any
from urllib.parse import quote

from django.conf import settings
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django_otp import DEVICE_ID_SESSION_KEY
from django_otp.models import Device


def second_factor_required() -> bool:
    return bool(settings.STAFF_2FA)


def verified_device(user: Any, session: Any) -> bool:
    """Whether this session passed the second factor for this user (HTTP and sockets)."""
    if not second_factor_required():
        return True
    persistent_id = session.get(DEVICE_ID_SESSION_KEY) if session is not None else None
    if not persistent_id:
        return False
    device = Device.from_persistent_id(persistent_id)
    return device is not None and device.user_id == user.pk and device.confirmed


def staff_view(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
    """Logged in, and past the second factor when it is required."""

    @login_required
    @wraps(view)
    def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        if not verified_device(request.user, request.session):
            return HttpResponseRedirect("/accounts/2fa/?next=" + quote(request.get_full_path()))
        return view(request, *args, **kwargs)

    return wrapper
