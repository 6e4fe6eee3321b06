"""The second step of logging in, /accounts/2fa/: the authenticator's code, or, the
first time, setting the authenticator up (the rules are in staff/enrolment.py)."""

from __future__ import annotations

from base64 import b32encode
from io import BytesIO
from typing import Any
from urllib.parse import quote

from django import forms
from django.conf import settings
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import render
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext_lazy as _
from django_otp import login as otp_login
from django_otp.plugins.otp_totp.models import TOTPDevice

from staff import enrolment
from staff.login import ThrottledMixin, release, reserve


class CodeForm(forms.Form):
    code = forms.RegexField(regex=r"^\d{6}$", label=_("Six-digit code"), max_length=6)


def _qr_svg(uri: str) -> str:
    import qrcode
    import qrcode.image.svg

    image = qrcode.make(uri, image_factory=qrcode.image.svg.SvgPathImage)
    out = BytesIO()
    image.save(out)
    return out.getvalue().decode()


class EnrolCodeForm(forms.Form):
    enrolment_code = forms.CharField(label=_("Enrolment code from your administrator"), max_length=32)


ENROL_CODE_FAILURES = 5  # wrong enrolment codes per account per quarter of an hour


@login_required
def second_factor(request: HttpRequest) -> HttpResponse:
    """Enter the authenticator's code or, the first time, set the authenticator up
    (staff/enrolment.py: a new key per attempt, bound to this session, and with
    STAFF_ENROL_CODE_REQUIRED a one-time code from an administrator first)."""
    next_url = request.GET.get("next") or request.POST.get("next") or settings.LOGIN_REDIRECT_URL
    if not url_has_allowed_host_and_scheme(next_url, allowed_hosts={request.get_host()}):
        next_url = settings.LOGIN_REDIRECT_URL
    context: dict[str, Any] = {"next": next_url, "setup": False}
    device = TOTPDevice.objects.filter(user=request.user, confirmed=True).first()
    if device is not None:
        form = CodeForm(request.POST or None)
        if request.method == "POST" and form.is_valid():
            if device.verify_token(form.cleaned_data["code"]):
                request.session.pop(enrolment.PENDING_KEY_SESSION, None)
                otp_login(request, device)
                return HttpResponseRedirect(next_url)
            form.add_error("code", _("That code did not match. Try the newest one."))
        return render(request, "registration/second_factor.html", {**context, "form": form})

    context["setup"] = True
    session = request.session
    if enrolment.code_required() and not session.get(enrolment.ENROL_PROVED_SESSION):
        enrol_form = EnrolCodeForm(request.POST or None)
        if request.method == "POST" and enrol_form.is_valid():
            key = f"enrol-failures:{request.user.pk}"
            if not reserve(key, ENROL_CODE_FAILURES):
                enrol_form.add_error(None, ThrottledMixin.error_messages["throttled"])
            elif (code := enrolment.valid_code(request.user, enrol_form.cleaned_data["enrolment_code"])) is not None:
                release(key)
                session[enrolment.ENROL_PROVED_SESSION] = code.pk
                return HttpResponseRedirect(request.path + "?next=" + quote(next_url))
            else:
                enrol_form.add_error("enrolment_code", _("That enrolment code is not valid. Ask your administrator."))
        return render(request, "registration/second_factor.html", {**context, "enrol_form": enrol_form})

    form = CodeForm(request.POST or None)
    if request.method == "POST" and session.get(enrolment.PENDING_KEY_SESSION):
        if form.is_valid():
            enrolled = enrolment.confirm(request, form.cleaned_data["code"])
            if enrolled is not None:
                otp_login(request, enrolled)
                return HttpResponseRedirect(next_url)
            form.add_error("code", _("That code did not match. Try the newest one."))
        # The key was shown once; the app that scanned it has it. A new one: reload.
        return render(request, "registration/second_factor.html", {**context, "form": form, "retry": True})
    key = enrolment.new_pending_key(session)
    shown = enrolment.unsaved_device(request.user, key)
    context.update(form=CodeForm(), qr=_qr_svg(shown.config_url), secret=b32encode(shown.bin_key).decode())
    return render(request, "registration/second_factor.html", context)
