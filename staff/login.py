"""Staff log-in: the password and the second factor (TOTP) in one step, throttled, for
the console's log-in page and for admin.

Counsellors and supervisors log in with a password and a code from an authenticator app
(django-otp's TOTP devices). It is required when STAFF_2FA is on, which production
enforces (chatservice/checks.py). Pages and WebSocket consumers then check the same
verified session (staff/access.py ``verified_device``); the set-up of an authenticator
is staff/views.py and staff/enrolment.py.
"""

from __future__ import annotations

import contextlib
import hashlib
from typing import Any

from django import forms
from django.conf import settings
from django.contrib.admin import AdminSite
from django.contrib.admin.forms import AdminAuthenticationForm
from django.contrib.auth.forms import AuthenticationForm
from django.core.cache import cache
from django.http import HttpRequest
from django.utils.translation import gettext_lazy as _
from django_otp.plugins.otp_totp.models import TOTPDevice

from contacts.limits import source_of
from staff.access import second_factor_required, verified_device

MAX_FAILURES = 5
LOCKOUT_SECONDS = 15 * 60


def _attempts_key(username: str) -> str:
    # A hash, so not even the cache holds a list of names people tried.
    return "login-failures:" + hashlib.sha256(username.strip().lower().encode()).hexdigest()


def _source_key(request: HttpRequest | None) -> str:
    """The per-source counter's key: a keyed hash of the address, never the address."""
    address = request.META.get("REMOTE_ADDR", "") if request is not None else ""
    source = source_of({"client": (address, 0)})
    return "login-source:" + source if source else ""


def reserve(key: str, limit: int, seconds: int = LOCKOUT_SECONDS) -> bool:
    """Take one of ``limit`` attempts under ``key`` for ``seconds``; False when none is left.

    Atomic in the shared cache (Redis in production: SET NX, then INCR), so parallel
    requests on any number of processes each take their own attempt before anything is
    checked: of a hundred simultaneous guesses, ``limit`` are checked and the rest refused.
    The window starts at the first attempt and is not extended by later ones.
    """
    for _attempt in range(3):
        cache.add(key, 0, seconds)
        try:
            count = int(cache.incr(key))
        except ValueError:  # expired between add and incr: start a new window
            continue
        if count == 1:
            # If the key expired just between Redis' EXISTS and INCR, INCR made one with
            # no expiry: give it one, or the account would stay locked for good.
            cache.touch(key, seconds)
        return count <= limit
    return False


def release(key: str) -> None:
    """Give back an attempt that succeeded (it was not a failure)."""
    with contextlib.suppress(ValueError):
        cache.decr(key)


class ThrottledMixin:
    """Five failed log-ins for an account name lock it for fifteen minutes, and
    ``STAFF_LOGIN_FAILURES_PER_SOURCE`` failures from one address lock that address.

    Each attempt is counted *before* the password is checked and given back only if the
    log-in succeeds, so guesses in parallel cannot all pass the gate. A successful log-in
    does not reset the failures of others: an attacker racing the real user gets no fresh
    guesses from her log-in; failures expire with the window.
    """

    error_messages = {
        **AuthenticationForm.error_messages,
        "throttled": _("Too many attempts. Wait a quarter of an hour and try again."),
    }
    cleaned_data: dict[str, Any]
    request: HttpRequest | None

    def clean(self) -> dict[str, Any]:
        username = self.cleaned_data.get("username") or ""
        if not username or not self.cleaned_data.get("password"):
            return super().clean()  # type: ignore[misc,no-any-return]
        limits = [(_attempts_key(username), MAX_FAILURES)]
        per_source = int(settings.STAFF_LOGIN_FAILURES_PER_SOURCE)
        source_key = _source_key(self.request)
        if per_source and source_key:
            limits.append((source_key, per_source))
        taken: list[str] = []
        for key, limit in limits:
            if not reserve(key, limit):
                for k in taken:
                    release(k)
                raise forms.ValidationError(self.error_messages["throttled"], code="throttled")
            taken.append(key)
        cleaned: dict[str, Any] = super().clean()  # type: ignore[misc]
        for key in taken:  # it succeeded: not a failure
            release(key)
        return cleaned


class OneStepMixin:
    """With the second factor on, password and code in one step, answering a wrong
    password, a wrong code and a missing code alike, so the answer tells nobody whether
    a password was right. ``enrol_allowed``: an account with no authenticator yet may go
    on to set one up (the console's log-in; admin's may not)."""

    enrol_allowed = True
    fields: dict[str, Any]
    cleaned_data: dict[str, Any]
    error_messages: dict[str, Any]
    username_field: Any

    def setup_second_factor(self) -> None:
        if second_factor_required():
            self.error_messages["invalid_login"] = _(
                "Please enter the correct %(username)s, password and six-digit code for a staff account. "
                "Note that the fields may be case-sensitive."
            )
        else:
            del self.fields["otp_token"]

    def check_second_factor(self, user: Any) -> None:
        if not second_factor_required():
            return
        device = TOTPDevice.objects.filter(user=user, confirmed=True).first()
        token = self.cleaned_data.get("otp_token") or ""
        if device is None and self.enrol_allowed and not token:
            return  # first log-in: on to /accounts/2fa/ to set an authenticator up
        if device is None or not device.verify_is_allowed()[0] or not device.verify_token(token):
            raise forms.ValidationError(
                self.error_messages["invalid_login"],
                code="invalid_login",
                params={"username": self.username_field.verbose_name},
            )
        user.otp_device = device  # django-otp marks the session verified on log-in


OTP_FIELD = forms.CharField(
    label=_("Six-digit code"),
    required=False,
    max_length=6,
    widget=forms.TextInput(attrs={"autocomplete": "one-time-code", "inputmode": "numeric"}),
)


class ThrottledLoginForm(ThrottledMixin, OneStepMixin, AuthenticationForm):
    """The staff log-in form: password and (once set up) the authenticator's code."""

    otp_token = OTP_FIELD

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.error_messages = {**AuthenticationForm.error_messages, **ThrottledMixin.error_messages}
        self.setup_second_factor()

    def confirm_login_allowed(self, user: Any) -> None:
        super().confirm_login_allowed(user)
        self.check_second_factor(user)


class StaffAdminLoginForm(ThrottledMixin, OneStepMixin, AdminAuthenticationForm):
    """Admin's log-in: the same throttle and one step; an account without an
    authenticator is refused like a wrong password."""

    otp_token = OTP_FIELD
    enrol_allowed = False

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.error_messages = {**AdminAuthenticationForm.error_messages, **ThrottledMixin.error_messages}
        self.setup_second_factor()

    def confirm_login_allowed(self, user: Any) -> None:
        super().confirm_login_allowed(user)  # inactive or not staff: invalid_login
        self.check_second_factor(user)


class StaffAdminSite(AdminSite):
    """Django's admin behind the same throttled log-in, and, with the second factor on,
    only for a session that passed it (as django-otp's OTPAdminSite)."""

    login_form = StaffAdminLoginForm
    login_template = "admin/staff_login.html"

    def has_permission(self, request: HttpRequest) -> bool:
        return bool(super().has_permission(request)) and verified_device(request.user, request.session)
