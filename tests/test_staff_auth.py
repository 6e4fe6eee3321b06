"""Staff sign-in: password plus a second factor, throttled, and sockets that close."""

from __future__ import annotations

from base64 import b32decode
from typing import Any

import pytest
from asgiref.sync import sync_to_async
from django.core.cache import cache
from django.test import Client
from django_otp.oath import totp
from django_otp.plugins.otp_totp.models import TOTPDevice

from contacts.service import Service
from tests.conftest import ORIGIN, connect, console, make_counsellor


@pytest.fixture
def two_factor(settings: Any) -> None:
    settings.STAFF_2FA = True


def code_for(device: TOTPDevice) -> str:
    return f"{totp(device.bin_key, step=device.step, t0=device.t0, digits=device.digits):06d}"


@pytest.mark.django_db
def test_the_console_asks_for_the_second_factor_and_sets_it_up(two_factor: None) -> None:
    make_counsellor("anna", "Anna", ["sv"], 2)
    client = Client()
    assert client.post("/accounts/login/", {"username": "anna", "password": "wrong"}).status_code == 200
    from django.contrib.auth.models import User

    user = User.objects.get(username="anna")
    user.set_password("a-long-enough-password")
    user.save()
    response = client.post("/accounts/login/", {"username": "anna", "password": "a-long-enough-password"})
    assert response.status_code == 302, response.context["form"].errors
    response = client.get("/console/")
    assert response.status_code == 302 and response["Location"].startswith("/accounts/2fa/")
    setup = client.get(response["Location"])
    assert b"<svg" in setup.content  # the QR code to scan
    assert not TOTPDevice.objects.filter(user=user).exists()  # the key being set up is in this session only
    key = b32decode(setup.context["secret"])
    assert client.post("/accounts/2fa/", {"code": "000000", "next": "/console/"}).status_code == 200
    done = client.post("/accounts/2fa/", {"code": f"{totp(key):06d}", "next": "/console/"})
    assert done.status_code == 302 and done["Location"] == "/console/"
    assert client.get("/console/").status_code == 200
    device = TOTPDevice.objects.get(user=user)
    assert device.confirmed and device.bin_key == key


@pytest.mark.django_db
def test_login_is_throttled_after_five_wrong_passwords() -> None:
    cache.clear()
    make_counsellor("bo", "Bo", ["sv"], 2)
    from django.contrib.auth.models import User

    user = User.objects.get(username="bo")
    user.set_password("the-right-password-1")
    user.save()
    client = Client()
    for _ in range(5):
        client.post("/accounts/login/", {"username": "bo", "password": "nope"})
    response = client.post("/accounts/login/", {"username": "bo", "password": "the-right-password-1"})
    assert response.status_code == 200 and "sessionid" not in response.cookies
    assert "För många försök".encode() in response.content or b"Too many attempts" in response.content
    cache.clear()


@pytest.mark.usefixtures("open_all_day")
async def test_a_console_without_the_second_factor_is_refused(service: Service, sara: Any, two_factor: None) -> None:
    from tests.conftest import session_cookie

    cookie = await sync_to_async(session_cookie)(sara)  # password only
    ok, _ = await connect("/ws/console/", [*ORIGIN, (b"cookie", cookie)])
    assert not ok


@pytest.mark.usefixtures("open_all_day")
async def test_logging_out_closes_the_console(service: Service, sara: Any) -> None:
    from django.contrib.auth.models import User

    staff = await console(sara)

    def deactivate() -> None:
        User.objects.filter(pk=sara.pk).update(is_active=False)
        user = User.objects.get(pk=sara.pk)
        user.save()  # post_save with is_active False closes every socket of this user

    await sync_to_async(deactivate)()
    output = await staff.comm.receive_output(timeout=2)
    while output["type"] == "websocket.send":  # queue updates that were on their way
        output = await staff.comm.receive_output(timeout=2)
    assert output == {"type": "websocket.close", "code": 4401}
    await staff.close()


def test_production_refuses_to_run_without_the_second_factor() -> None:
    from tests.test_privacy_and_config import GOOD, run_check

    result = run_check({**GOOD, "STAFF_2FA": "false"})
    assert result.returncode != 0 and "chatservice.E007" in result.stderr
