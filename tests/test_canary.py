"""The anonymity promise, checked end to end on the production stack.

A real daphne as deploy/ runs it (``-v 0 --proxy-headers``) with ENVIRONMENT=production:
PostgreSQL (a fresh database), Redis, collected static files, every production check,
the second factor with a one-time enrolment code, logs at DEBUG, and phone deletes on
(the Twilio API being a fake on 127.0.0.1, never the internet). A visitor reaches it
through a "proxy" that forwards a distinctive canary address in ``X-Forwarded-For``,
writes canary text in several scripts, then leaves by quick exit (while the counsellor
and the supervisor who joined whisper canary text about it, and send each other notes); a call arrives with a
canary caller number and a canary CallSid, and its record is deleted at the fake Twilio.
Afterwards a pg_dump of the database, a dump of every Redis key and value, and every
line the server logged hold none of it, in any format.
"""

from __future__ import annotations

import asyncio
import http.server
import json
import re
import secrets
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import websockets
from django_otp.oath import totp
from twilio.request_validator import RequestValidator
from websockets.typing import Origin

from tests.server import ROOT, Server, daphne_command, daphne_process, fetch, next_frame, on_duty, server_env

pytestmark = pytest.mark.browser  # starts real servers: grouped with the slow tests

CANARY_ADDRESS = "203.0.113.77"  # TEST-NET-3: what the proxy says the visitor came from
CANARY_TEXTS = ["KANARIEFÅGEL-7731", "عصفور الكناري ٧٧٣١", "КАНАРЕЙКА-7731"]
# What staff write to each other beside a conversation: ephemeral like the rest of it.
STAFF_CANARIES = ["VISKNING-4417", "ANTECKNING-5528", "SVAR-6639"]
CANARY_NUMBER = "+46701234567"
NUMBER_FORMS = ["+46701234567", "46701234567", "0701234567", "070-123 45 67", "070 123 45 67"]
CALL_SID = "CA" + uuid.uuid4().hex
ACCOUNT_SID = "AC" + uuid.uuid4().hex
TOKEN = "canary-twilio-token"
BASE = "https://chat.example.se"
PASSWORD = "canary-" + secrets.token_urlsafe(12)
# What nginx in front adds to every request (deploy/nginx): the client's address, and
# that the connection was TLS (production's cookies are Secure and its CSRF check wants
# an https Origin).
FORWARDED = {"X-Forwarded-For": CANARY_ADDRESS, "X-Forwarded-Proto": "https"}


class FakeTwilio(http.server.BaseHTTPRequestHandler):
    """Twilio's REST API, as far as deleting a call record goes."""

    deleted: list[str] = []

    def do_DELETE(self) -> None:
        FakeTwilio.deleted.append(self.path)
        self.send_response(204)
        self.end_headers()

    def log_message(self, format: str, *args: object) -> None:
        pass


@pytest.fixture(scope="module")
def fake_twilio() -> Iterator[str]:
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), FakeTwilio)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()


@pytest.fixture(scope="module")
def database() -> Iterator[str]:
    name = f"canary_{uuid.uuid4().hex[:8]}"
    subprocess.run(
        ["psql", "-h", "127.0.0.1", "-U", "postgres", "-d", "test", "-c", f"CREATE DATABASE {name}"],
        check=True,
        capture_output=True,
    )
    yield name
    subprocess.run(
        [
            "psql",
            "-h",
            "127.0.0.1",
            "-U",
            "postgres",
            "-d",
            "test",
            "-c",
            f"DROP DATABASE IF EXISTS {name} WITH (FORCE)",
        ],
        capture_output=True,
    )


COUNSELLOR = """
from datetime import time
from django.contrib.auth.models import Group, User
from contacts.models import OpeningHours
from staff.models import CounsellorProfile
from staff.roles import COUNSELLOR_GROUP, SUPERVISOR_GROUP
user = User.objects.create_user("radgivare", password={password!r})
user.groups.add(Group.objects.get(name=COUNSELLOR_GROUP))
CounsellorProfile.objects.create(user=user, display_name="Sara", languages=["sv"], max_chats=2)
boss = User.objects.create_user("arbetsledare", password={password!r}, first_name="Maria")
boss.groups.add(Group.objects.get_or_create(name=SUPERVISOR_GROUP)[0])
for day in range(7):
    OpeningHours.objects.create(weekday=day, opens=time(0, 0), closes=time(23, 59, 59, 999999))
"""


def manage(env: dict[str, str], *args: str) -> str:
    return subprocess.run(
        [sys.executable, "manage.py", *args], cwd=ROOT, env=env, check=True, capture_output=True, text=True
    ).stdout


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory, database: str, fake_twilio: str) -> Iterator[Server]:
    tmp = tmp_path_factory.mktemp("canary")
    prefix = f"canary{uuid.uuid4().hex[:6]}"
    env = server_env(
        {
            "ENVIRONMENT": "production",
            "SECRET_KEY": secrets.token_urlsafe(50),
            "STATE_KEY": secrets.token_hex(32),
            "ALLOWED_HOSTS": "127.0.0.1",
            "DATABASE_URL": f"postgres://postgres@127.0.0.1:5432/{database}",
            "REDIS_URL": "redis://127.0.0.1:6379/14",
            "REDIS_PREFIX": prefix,
            "STATIC_ROOT": str(tmp / "static"),
            "TWILIO_ACCOUNT_SID": ACCOUNT_SID,
            "TWILIO_AUTH_TOKEN": TOKEN,
            "PUBLIC_BASE_URL": BASE,
            "TWILIO_CALLER_ID": "+46185551000",
            "TWILIO_DELETE_CALLS": "true",
            "TWILIO_API_URL": fake_twilio,
            "LOG_LEVEL": "DEBUG",  # the most the logs could ever say
        }
    )
    for name in ("STAFF_2FA", "STAFF_ENROL_CODE_REQUIRED", "DEBUG", "SQLITE_PATH"):
        env.pop(name, None)  # production's own defaults: second factor and enrolment code on
    manage(env, "migrate", "--noinput", "-v", "0")
    manage(env, "collectstatic", "--noinput", "-v", "0")
    manage(env, "shell", "-c", COUNSELLOR.format(password=PASSWORD))
    # Exactly the flags of the systemd unit (deploy/systemd/chatservice@.service).
    unit = daphne_command()
    flags = tuple(unit[1 : unit.index("-b")])
    assert flags == ("-v", "0", "--proxy-headers"), unit
    log = tmp / "daphne.log"
    with daphne_process(env, log, extra_args=flags[2:]) as process:
        yield Server(process.url, process.port, env, {"radgivare": PASSWORD}, log)


class Browser:
    """A staff member's browser behind the TLS proxy: cookies by hand, since production
    marks them Secure and urllib's jar would not send those over the test's plain http."""

    def __init__(self, url: str) -> None:
        self.url = url
        self.cookies: dict[str, str] = {}
        self.opener = urllib.request.build_opener(NoRedirects)

    def request(self, path: str, fields: dict[str, str] | None = None) -> tuple[int, str, str]:
        headers = {"X-Forwarded-Proto": "https", "Cookie": self.cookie_header()}
        if fields is not None:
            headers["Origin"] = "https://" + self.url.removeprefix("http://")
            fields = {"csrfmiddlewaretoken": self.cookies.get("csrftoken", ""), **fields}
        data = urllib.parse.urlencode(fields).encode() if fields is not None else None
        try:
            response = self.opener.open(urllib.request.Request(self.url + path, data=data, headers=headers))
        except urllib.error.HTTPError as redirect:  # NoRedirects raises on 3xx
            response = redirect
        for header in response.headers.get_all("Set-Cookie") or []:
            name, _, rest = header.partition("=")
            self.cookies[name] = rest.split(";")[0]
        return response.status, response.headers.get("Location", ""), response.read().decode()

    def cookie_header(self) -> str:
        return "; ".join(f"{k}={v}" for k, v in self.cookies.items())


class NoRedirects(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args: Any, **kwargs: Any) -> None:
        return None


def staff_log_in(server: Server, username: str = "radgivare", home: str = "/console/") -> str:
    """Password, then the one-time enrolment code, then the authenticator's code, as a
    new member of staff does on the first day. The verified session's Cookie header."""
    browser = Browser(server.url)
    browser.request("/accounts/login/")
    status, location, _ = browser.request("/accounts/login/", {"username": username, "password": PASSWORD})
    assert status == 302, "the password log-in failed"
    status, location, _ = browser.request(home)
    assert status == 302 and location.startswith("/accounts/2fa/"), "production asked for no second factor"
    code = manage(server.env, "enrolment_code", username).split()[0]
    status, _, page = browser.request(location)
    assert "enrolment_code" in page, "production asked for no enrolment code"
    status, location, _ = browser.request(location, {"enrolment_code": code})
    assert status == 302, "the enrolment code was refused"
    _, _, page = browser.request(location)
    secret = re.search(r"<code>([A-Z2-7=]+)</code>", page)
    assert secret, "the set-up page shows no key"
    import base64

    key = base64.b32decode(secret.group(1))
    status, landing, _ = browser.request(location, {"code": f"{totp(key):06d}"})
    assert status == 302 and landing == home, "the authenticator's code was refused"
    assert browser.request(home)[0] == 200
    return browser.cookie_header()


async def chat_and_call(server: Server) -> None:
    ws_url = server.url.replace("http://", "ws://")
    origin = Origin(server.url)
    cookie = await asyncio.to_thread(staff_log_in, server)
    boss_cookie = await asyncio.to_thread(staff_log_in, server, "arbetsledare", "/supervisor/")
    async with (
        websockets.connect(
            ws_url + "/ws/console/",
            origin=origin,
            additional_headers={"Cookie": cookie, "X-Forwarded-Proto": "https"},
        ) as staff,
        websockets.connect(
            ws_url + "/ws/supervisor/",
            origin=origin,
            additional_headers={"Cookie": boss_cookie, "X-Forwarded-Proto": "https"},
        ) as boss,
    ):
        await next_frame(staff, "hello")
        await next_frame(boss, "dashboard")
        await on_duty(staff)
        async with websockets.connect(
            ws_url + "/ws/visitor/",
            origin=origin,
            additional_headers=FORWARDED,
        ) as visitor:
            await visitor.send(json.dumps({"type": "start", "lang": "sv"}))
            await next_frame(visitor, "started")
            offer = await next_frame(staff, "offer")
            await staff.send(json.dumps({"type": "accept", "contact": offer["contact"]}))
            await next_frame(visitor, "joined")
            for i, text in enumerate(CANARY_TEXTS):
                await visitor.send(json.dumps({"type": "send", "id": f"v{i}", "text": text}))
                await next_frame(staff, "message")
            await staff.send(
                json.dumps({"type": "send", "contact": offer["contact"], "id": "c1", "text": CANARY_TEXTS[0] + " svar"})
            )
            await next_frame(visitor, "message")
            # The counsellor asks for help; the supervisor joins; they whisper and write notes.
            cid = offer["contact"]
            await staff.send(json.dumps({"type": "help", "contact": cid}))
            while not (await next_frame(boss, "dashboard")).get("help"):
                pass
            await boss.send(json.dumps({"type": "join", "contact": cid}))
            await next_frame(boss, "conversation")
            await staff.send(json.dumps({"type": "whisper", "contact": cid, "id": "w1", "text": STAFF_CANARIES[0]}))
            assert (await next_frame(boss, "whisper"))["text"] == STAFF_CANARIES[0]
            await staff.send(json.dumps({"type": "note", "to": "supervisors", "id": "n1", "text": STAFF_CANARIES[1]}))
            note = await next_frame(boss, "note")
            assert note["text"] == STAFF_CANARIES[1]
            await boss.send(
                json.dumps(
                    {
                        "type": "note",
                        "to": "counsellor",
                        "counsellor": note["sender"],
                        "id": "s1",
                        "text": STAFF_CANARIES[2],
                    }
                )
            )
            assert (await next_frame(staff, "note"))["text"] == STAFF_CANARIES[2]
            await next_frame(boss, "note_delivered")
            await visitor.send(json.dumps({"type": "end", "quick": True}))
            ended = await next_frame(staff, "ended")
            assert ended["by"] == "quick_exit"

        # A call, with the caller's number in every field Twilio puts it in.
        call_sid = CALL_SID
        for step, extra in [("incoming", {}), ("language", {"Digits": "1"}), ("status", {"CallStatus": "completed"})]:
            params = {
                "CallSid": call_sid,
                "From": CANARY_NUMBER,
                "Caller": CANARY_NUMBER,
                "To": "+46185551000",
                "CallerCity": "UPPSALA",
                **extra,
            }
            url = f"{BASE}/phone/{step}/"
            signature = RequestValidator(TOKEN).compute_signature(url, params)
            request = urllib.request.Request(
                server.url + f"/phone/{step}/",
                data=urllib.parse.urlencode(params).encode(),
                headers={"X-Twilio-Signature": signature, **FORWARDED},
            )
            await asyncio.to_thread(fetch, request)
        # And a forged one, which the server refuses (and must not log the number for).
        forged = urllib.request.Request(
            server.url + "/phone/incoming/",
            data=urllib.parse.urlencode({"From": CANARY_NUMBER, "CallSid": CALL_SID}).encode(),
            headers=FORWARDED,
        )
        with pytest.raises(urllib.error.HTTPError):
            await asyncio.to_thread(fetch, forged)
        await staff.send(json.dumps({"type": "duty", "state": "off"}))


def everything_kept(server: Server, database: str) -> dict[str, str]:
    prefix = server.env["REDIS_PREFIX"]
    dump = subprocess.run(
        ["pg_dump", "-h", "127.0.0.1", "-U", "postgres", database], capture_output=True, text=True, check=True
    ).stdout
    keys = subprocess.run(
        ["redis-cli", "-n", "14", "--scan", "--pattern", f"{prefix}:*"], capture_output=True, text=True, check=True
    ).stdout.split()
    values = [
        subprocess.run(["redis-cli", "-n", "14", "--no-raw", "dump", k], capture_output=True).stdout.decode("latin-1")
        for k in keys
    ]
    return {"database": dump, "redis": "\n".join(keys + values), "log": Path(server.log).read_text(errors="replace")}


def test_no_trace_of_the_visitor_or_the_caller_anywhere(server: Server, database: str) -> None:
    asyncio.run(chat_and_call(server))
    # The deletion runs in a thread after the final status: wait for it to arrive.
    deadline = time.monotonic() + 20
    while not FakeTwilio.deleted and time.monotonic() < deadline:
        time.sleep(0.1)
    assert FakeTwilio.deleted == [f"/2010-04-01/Accounts/{ACCOUNT_SID}/Calls/{CALL_SID}.json"]
    kept = everything_kept(server, database)
    assert "stats_dailycount" in kept["database"]  # the dump is real and has the counters
    assert "otp_totp_totpdevice" in kept["database"]  # the second factor was really enrolled
    for where, text in kept.items():
        assert CANARY_ADDRESS not in text, f"the visitor's address is in the {where}"
        assert CALL_SID not in text, f"the CallSid is in the {where}"
        assert ACCOUNT_SID not in text, f"the AccountSid is in the {where}"
        for canary in CANARY_TEXTS:
            assert canary not in text, f"message text is in the {where}"
        for canary in STAFF_CANARIES:
            assert canary not in text, f"a whisper or a note is in the {where}"
        for form in NUMBER_FORMS:
            assert form not in text, f"the caller's number is in the {where}"
    # Everything of the conversation and the call is already gone; what is left expires.
    prefix = server.env["REDIS_PREFIX"]
    for key in subprocess.run(
        ["redis-cli", "-n", "14", "--scan", "--pattern", f"{prefix}:*"], capture_output=True, text=True, check=True
    ).stdout.split():
        assert not key.startswith((f"{prefix}:c:", f"{prefix}:m:", f"{prefix}:tok:")), key
        ttl = int(subprocess.run(["redis-cli", "-n", "14", "ttl", key], capture_output=True, text=True).stdout)
        assert ttl > 0 or ":layer" in key, key
