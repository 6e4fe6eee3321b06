"""Staff sign-in beyond the password: a second factor (TOTP), throttled log-in, and
sockets that close when a session ends.

Counsellors and supervisors log in with a password and then a code from an
authenticator app (django-otp's TOTP devices). It is required when STAFF_2FA is on,
which production enforces (chatservice/checks.py). The WebSocket consumers check the
same verified session (``verified_device``).
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from functools import wraps
from io import BytesIO
from typing import Any
from urllib.parse import quote

from django import forms
from django.conf import settings
from django.contrib.auth.decorators import login_required
from django.contrib.auth.forms import AuthenticationForm
from django.core.cache import cache
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import render
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext_lazy as _
from django_otp import DEVICE_ID_SESSION_KEY
from django_otp import login as otp_login
from django_otp.models import Device
from django_otp.plugins.otp_totp.models import TOTPDevice

MAX_FAILURES = 5
LOCKOUT_SECONDS = 15 * 60


def _attempts_key(username: str) -> str:
    # A hash, so not even the cache holds a list of names people tried.
    return "login-failures:" + hashlib.sha256(username.strip().lower().encode()).hexdigest()


class ThrottledLoginForm(AuthenticationForm):
    """Five wrong passwords for an account lock it for fifteen minutes."""

    error_messages = {
        **AuthenticationForm.error_messages,
        "throttled": _("Too many attempts. Wait a quarter of an hour and try again."),
    }

    def clean(self) -> dict[str, Any]:
        username = self.cleaned_data.get("username") or ""
        key = _attempts_key(username)
        if cache.get(key, 0) >= MAX_FAILURES:
            raise forms.ValidationError(self.error_messages["throttled"], code="throttled")
        try:
            return super().clean()
        except forms.ValidationError:
            cache.set(key, cache.get(key, 0) + 1, LOCKOUT_SECONDS)
            raise


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


class CodeForm(forms.Form):
    code = forms.RegexField(regex=r"^\d{6}$", label=_("Six-digit code"), max_length=6)


def _qr_svg(uri: str) -> str:
    import qrcode
    import qrcode.image.svg

    image = qrcode.make(uri, image_factory=qrcode.image.svg.SvgPathImage)
    out = BytesIO()
    image.save(out)
    return out.getvalue().decode()


@login_required
def second_factor(request: HttpRequest) -> HttpResponse:
    """Set up an authenticator app (first time) or enter its code."""
    next_url = request.GET.get("next") or request.POST.get("next") or settings.LOGIN_REDIRECT_URL
    if not url_has_allowed_host_and_scheme(next_url, allowed_hosts={request.get_host()}):
        next_url = settings.LOGIN_REDIRECT_URL
    device = TOTPDevice.objects.filter(user=request.user, confirmed=True).first()
    setup = device is None
    if setup:
        device = TOTPDevice.objects.filter(user=request.user, confirmed=False).first() or TOTPDevice.objects.create(
            user=request.user, name="authenticator", confirmed=False
        )
    form = CodeForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        if device.verify_token(form.cleaned_data["code"]):
            if setup:
                device.confirmed = True
                device.save()
            otp_login(request, device)
            return HttpResponseRedirect(next_url)
        form.add_error("code", _("That code did not match. Try the newest one."))
    context: dict[str, Any] = {"form": form, "setup": setup, "next": next_url}
    if setup:
        context["qr"] = _qr_svg(device.config_url)
        context["secret"] = device.key
    return render(request, "registration/second_factor.html", context)
