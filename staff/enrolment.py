"""Setting up the second factor so that nobody else can share it.

- The key being set up lives only in the session of the person setting it up: every
  visit to the set-up page makes a new one, it is shown to that session only, and only
  that session can confirm it. Nothing is written to the database until a code from the
  app confirms the key, so reading the page with someone's password gives nothing that
  the real user will later enrol.
- With ``STAFF_ENROL_CODE_REQUIRED`` (on by default in production) the first set-up
  also needs a one-time enrolment code that an administrator issued and handed over
  out of band (admin action on users, or ``manage.py enrolment_code``): a stolen
  password alone can then never enrol an authenticator. Only a keyed hash of the code
  is stored; it is used up by the enrolment and expires after ``ENROL_CODE_SECONDS``.
- An administrator can reset a user's second factor: their devices are deleted, their
  sessions ended and their open consoles and dashboards closed, and a new enrolment
  code is issued.
"""

from __future__ import annotations

import secrets
from datetime import timedelta
from typing import Any

from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.sessions.models import Session
from django.db import transaction
from django.utils import timezone
from django.utils.crypto import constant_time_compare, salted_hmac
from django_otp.oath import TOTP
from django_otp.plugins.otp_totp.models import TOTPDevice

from staff.models import EnrolmentCode

ENROL_CODE_SECONDS = 7 * 24 * 3600
ENROL_CODE_ALPHABET = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"  # no 0/O or 1/I to misread
ENROL_CODE_LENGTH = 16  # 80 bits
# The session keys and the hash's salt keep the names they had in frontend/: a set-up
# under way and the codes already issued stay valid across the upgrade.
PENDING_KEY_SESSION = "frontend_totp_pending"  # the key being set up, in hex
ENROL_PROVED_SESSION = "frontend_enrol_code"  # the id of the enrolment code this session gave


def code_required() -> bool:
    return bool(settings.STAFF_ENROL_CODE_REQUIRED)


def _normal(code: str) -> str:
    return "".join(ch for ch in code.upper() if ch.isalnum())


def _digest(code: str) -> str:
    return salted_hmac("frontend.enrolment-code", _normal(code), algorithm="sha256").hexdigest()


def issue_code(user: Any) -> str:
    """A new enrolment code for this user (any earlier one stops working); shown once."""
    raw = "".join(secrets.choice(ENROL_CODE_ALPHABET) for _ in range(ENROL_CODE_LENGTH))
    EnrolmentCode.objects.update_or_create(
        user=user,
        defaults={"digest": _digest(raw), "expires": timezone.now() + timedelta(seconds=ENROL_CODE_SECONDS)},
    )
    return "-".join(raw[i : i + 4] for i in range(0, len(raw), 4))


def valid_code(user: Any, code: str) -> EnrolmentCode | None:
    found = EnrolmentCode.objects.filter(user=user, expires__gt=timezone.now()).first()
    if found is None or not constant_time_compare(found.digest, _digest(code)):
        return None
    return found


def new_pending_key(session: Any) -> str:
    """A fresh key for this set-up attempt, kept in this session only."""
    key = secrets.token_hex(20)
    session[PENDING_KEY_SESSION] = key
    return key


def unsaved_device(user: Any, key: str) -> TOTPDevice:
    """A device object for showing the key (QR code); never saved from here."""
    return TOTPDevice(user=user, name="authenticator", key=key, confirmed=False)


def confirm(request: Any, token: str) -> TOTPDevice | None:
    """Enrol this session's pending key if ``token`` comes from it; the new device, or None.

    Refused if the user has meanwhile enrolled elsewhere, or (when required) if this
    session's enrolment code is gone, expired or used. The code is used up here, in the
    same transaction that creates the device.
    """
    user, session = request.user, request.session
    key = session.get(PENDING_KEY_SESSION)
    if not key:
        return None
    totp = TOTP(bytes.fromhex(key))
    try:
        matched = totp.verify(int(token), tolerance=1)
    except ValueError:
        matched = False
    if not matched:
        return None
    with transaction.atomic():
        get_user_model().objects.select_for_update().filter(pk=user.pk).first()  # one enrolment at a time
        if TOTPDevice.objects.filter(user=user, confirmed=True).exists():
            return None
        if code_required():
            proved = session.get(ENROL_PROVED_SESSION)
            code = (
                EnrolmentCode.objects.select_for_update()
                .filter(pk=proved, user=user, expires__gt=timezone.now())
                .first()
                if proved
                else None
            )
            if code is None:
                return None
            code.delete()
        TOTPDevice.objects.filter(user=user).delete()  # unconfirmed leftovers
        device = TOTPDevice.objects.create(
            user=user, name="authenticator", key=key, confirmed=True, last_t=totp.t(), drift=totp.drift
        )
    session.pop(PENDING_KEY_SESSION, None)
    session.pop(ENROL_PROVED_SESSION, None)
    return device


def sessions_of(user_id: int) -> list[str]:
    """The keys of every database session logged in as this user."""
    keys = []
    for row in Session.objects.filter(expire_date__gt=timezone.now()).iterator():
        if row.get_decoded().get("_auth_user_id") == str(user_id):
            keys.append(row.session_key)
    return keys


def reset_second_factor(user: Any) -> str:
    """Delete the user's authenticators, end their sessions, close their sockets; a new
    enrolment code to hand them."""
    from django_otp import devices_for_user

    from staff.signals import close_staff_sockets

    with transaction.atomic():
        for device in devices_for_user(user, confirmed=None):
            device.delete()
        Session.objects.filter(session_key__in=sessions_of(user.pk)).delete()
        code = issue_code(user)
    close_staff_sockets(user.pk)
    return code


def reset_second_factor_action(modeladmin: Any, request: Any, queryset: Any) -> Any:
    """Admin action on users: reset their second factor and show each a new enrolment
    code, once, on this page only (not in a message, which would be stored)."""
    from django.template.response import TemplateResponse
    from django.utils.cache import patch_cache_control

    codes = [(user.get_username(), reset_second_factor(user)) for user in queryset]
    for user in queryset:
        modeladmin.log_change(request, user, "Reset the second factor and issued an enrolment code.")
    response = TemplateResponse(
        request,
        "admin/enrolment_codes.html",
        {**modeladmin.admin_site.each_context(request), "codes": codes, "title": "Enrolment codes"},
    )
    patch_cache_control(response, no_store=True)
    return response


reset_second_factor_action.short_description = (  # type: ignore[attr-defined]
    "Reset second factor: remove authenticators, end sessions, issue a one-time enrolment code"
)
reset_second_factor_action.allowed_permissions = ("change",)  # type: ignore[attr-defined]
