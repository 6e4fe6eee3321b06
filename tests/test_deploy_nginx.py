"""The project's own nginx configuration, run for real in front of two daphne processes.

Debian's nginx with deploy/nginx/*.template rendered only by their variables (ports, a
certificate made on the spot, the upstream list, directories); two daphne processes in
production mode as the systemd unit runs them (`-v 0 --proxy-headers`), sharing
PostgreSQL and Redis. A visitor from a distinctive loopback address and a counsellor
talk over wss://; one daphne is stopped mid-conversation; afterwards the conversation is
whole and nothing under nginx's log directory holds any client address.
"""

from __future__ import annotations

import asyncio
import json
import re
import secrets
import signal
import ssl
import subprocess
import sys
import time
import urllib.error
import urllib.parse
import urllib.request
import uuid
from collections.abc import Iterator
from contextlib import ExitStack
from dataclasses import dataclass, field
from http.cookiejar import CookieJar
from pathlib import Path
from typing import Any

import pytest
import websockets
from django_otp.oath import totp
from twilio.request_validator import RequestValidator
from websockets.asyncio.client import ClientConnection
from websockets.protocol import State
from websockets.typing import Origin

from tests.nginx import Nginx, configure, running, unit_flags
from tests.server import ROOT, Daphne, daphne_process, free_port, next_frame, on_duty, server_env, wait_for_port

pytestmark = pytest.mark.browser  # real servers: grouped with the slow tests

CANARY_ADDRESS = "127.66.77.88"
PASSWORD = "nginx-test-password-1"
TOTP_KEY = secrets.token_hex(20)
TWILIO_TOKEN = "nginx-test-twilio-token"
METRICS_TOKEN = "nginx-test-metrics-token"


@dataclass
class Stack:
    redis: subprocess.Popen[bytes]
    redis_dir: Path
    proxy: Nginx
    https: int
    http: int
    origin: str
    tls: ssl.SSLContext
    env: dict[str, str]
    logs: Path
    tmp: Path
    daphnes: list[Daphne] = field(default_factory=list)
    ports: list[int] = field(default_factory=list)
    stack: ExitStack = field(default_factory=ExitStack)

    def start_daphne(self, i: int) -> None:
        self.daphnes[i] = self.stack.enter_context(
            daphne_process(self.env, self.tmp / f"daphne{i}.log", port=self.ports[i], extra_args=unit_flags())
        )

    def stop_daphne(self, i: int) -> None:
        proc = self.daphnes[i].proc
        proc.send_signal(signal.SIGTERM)
        proc.wait(timeout=15)


def manage(env: dict[str, str], *args: str) -> str:
    return subprocess.run(
        [sys.executable, "manage.py", *args], cwd=ROOT, env=env, check=True, capture_output=True, text=True
    ).stdout


@pytest.fixture(scope="module")
def stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Stack]:
    tmp = tmp_path_factory.mktemp("nginx")
    ports = [free_port(), free_port()]
    # Rendered and checked (nginx -t) before anything else starts.
    proxy = configure(tmp, ports, static_root=tmp / "static")
    redis_port = free_port()
    redis_dir = tmp / "redis"
    redis_dir.mkdir()
    redis_password = secrets.token_urlsafe(24)
    # The project's Redis configuration and ACL, with only the port, the folder and the
    # password chosen here: the service must do everything it does as that user.
    acl = (ROOT / "deploy" / "redis" / "users.acl.example").read_text().replace("CHANGE-ME", redis_password)
    (tmp / "users.acl").write_text(acl)
    redis = subprocess.Popen(
        [
            "redis-server",
            str(ROOT / "deploy" / "redis" / "redis.conf"),
            "--port",
            str(redis_port),
            "--dir",
            str(redis_dir),
            "--aclfile",
            str(tmp / "users.acl"),
        ],
        stdout=subprocess.DEVNULL,
    )
    wait_for_port(redis_port, redis)
    origin = proxy.origin
    database = f"nginx_{uuid.uuid4().hex[:8]}"
    psql = ["psql", "-h", "127.0.0.1", "-U", "postgres", "-d", "test", "-c"]
    subprocess.run([*psql, f"CREATE DATABASE {database}"], check=True, capture_output=True)

    # Production, as deploy/env.example describes it.
    env = server_env(
        {
            "ENVIRONMENT": "production",
            "SECRET_KEY": secrets.token_urlsafe(50),
            "STATE_KEY": secrets.token_hex(32),
            "ALLOWED_HOSTS": "localhost",
            "CSRF_TRUSTED_ORIGINS": origin,
            "DATABASE_URL": f"postgres://postgres@127.0.0.1:5432/{database}",
            "REDIS_URL": f"redis://chatservice:{redis_password}@127.0.0.1:{redis_port}/0",
            "REDIS_PREFIX": "cs",  # the prefix the ACL allows
            "STATIC_ROOT": str(tmp / "static"),
            "PUBLIC_BASE_URL": origin,
            "TWILIO_AUTH_TOKEN": TWILIO_TOKEN,
            "TWILIO_CALLER_ID": "+46185551000",
            "METRICS_TOKEN": METRICS_TOKEN,
        }
    )
    env.pop("DEBUG", None)
    manage(env, "migrate", "--noinput", "-v", "0")
    manage(env, "collectstatic", "--noinput", "-v", "0")
    manage(
        env,
        "shell",
        "-c",
        "from datetime import time\n"
        "from django.contrib.auth.models import Group, User\n"
        "from django_otp.plugins.otp_totp.models import TOTPDevice\n"
        "from contacts.models import OpeningHours\n"
        "from staff.models import CounsellorProfile\n"
        f"u = User.objects.create_user('lina', password='{PASSWORD}')\n"
        "u.groups.add(Group.objects.get(name='counsellor'))\n"
        "CounsellorProfile.objects.create(user=u, display_name='Lina', languages=['sv'], max_chats=2)\n"
        f"TOTPDevice.objects.create(user=u, name='app', key='{TOTP_KEY}', confirmed=True)\n"
        "for d in range(7):\n"
        "    OpeningHours.objects.create(weekday=d, opens=time(0, 0), closes=time(23, 59, 59, 999999))\n",
    )

    # The certificate made on the spot is trusted by this test's clients only.
    s = Stack(redis, redis_dir, proxy, proxy.https, proxy.http, origin, proxy.tls(), env, proxy.logs, tmp, ports=ports)
    with s.stack:
        s.daphnes = [None, None]  # type: ignore[list-item]
        s.start_daphne(0)
        s.start_daphne(1)
        s.stack.enter_context(running(proxy))
        try:
            deadline = time.monotonic() + 10
            while True:
                try:
                    fetch_https(s, "/health/live")
                    break
                except (urllib.error.URLError, ConnectionError):
                    if time.monotonic() > deadline:
                        raise
                    time.sleep(0.1)
            yield s
        finally:
            subprocess.run([*psql, f"DROP DATABASE IF EXISTS {database} WITH (FORCE)"], capture_output=True)
            redis.terminate()
            redis.wait(timeout=10)


class NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args: Any, **kwargs: Any) -> None:
        return None


def fetch_https(s: Stack, path: str, opener: urllib.request.OpenerDirector | None = None) -> Any:
    opener = opener or urllib.request.build_opener(urllib.request.HTTPSHandler(context=s.tls))
    return opener.open(s.origin + path, timeout=10)


def staff_cookie(s: Stack) -> str:
    """Log in through nginx as a browser would: password and authenticator code, in one step."""
    jar = CookieJar()
    opener = urllib.request.build_opener(
        urllib.request.HTTPSHandler(context=s.tls), urllib.request.HTTPCookieProcessor(jar)
    )

    def post(path: str, page: str, fields: dict[str, str]) -> str:
        csrf = page.split('name="csrfmiddlewaretoken" value="')[1].split('"')[0]
        data = urllib.parse.urlencode({"csrfmiddlewaretoken": csrf, **fields}).encode()
        request = urllib.request.Request(s.origin + path, data=data, headers={"Origin": s.origin})
        return str(opener.open(request, timeout=10).read().decode())

    login = fetch_https(s, "/accounts/login/", opener).read().decode()
    code = f"{totp(bytes.fromhex(TOTP_KEY)):06d}"
    fields = {"username": "lina", "password": PASSWORD, "otp_token": code, "next": "/console/"}
    console = post("/accounts/login/?next=/console/", login, fields)
    assert 'id="console"' in console or "/ws/console/" in console or "console" in console
    return "; ".join(f"{c.name}={c.value}" for c in jar)


async def connect(s: Stack, path: str, **kwargs: Any) -> ClientConnection:
    return await websockets.connect(
        f"wss://localhost:{s.https}{path}",
        host="127.0.0.1",
        ssl=s.tls,
        origin=Origin(s.origin),
        open_timeout=10,
        **kwargs,
    )


async def closed_within(ws: ClientConnection, seconds: float) -> bool:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if ws.state is State.CLOSED:
            return True
        await asyncio.sleep(0.1)
    return False


async def conversation_through_nginx(s: Stack) -> dict[str, Any]:
    cookie = await asyncio.to_thread(staff_cookie, s)
    shown: dict[int, str] = {}  # what the visitor's page shows, by seq
    heard: list[str] = []  # what the counsellor's console shows from the visitor
    staff = await connect(s, "/ws/console/", additional_headers={"Cookie": cookie})
    await next_frame(staff, "hello")
    await on_duty(staff)
    visitor = await connect(s, "/ws/visitor/", local_addr=(CANARY_ADDRESS, 0))
    await visitor.send(json.dumps({"type": "start", "lang": "sv"}))
    token = (await next_frame(visitor, "started"))["token"]
    offer = await next_frame(staff, "offer")
    contact = offer["contact"]
    await staff.send(json.dumps({"type": "accept", "contact": contact}))
    await next_frame(visitor, "joined")
    await staff.send(json.dumps({"type": "send", "contact": contact, "id": "c1", "text": "ett"}))
    first = await next_frame(visitor, "message")
    shown[first["seq"]] = first["text"]
    await visitor.send(json.dumps({"type": "ack", "seq": first["seq"]}))
    await visitor.send(json.dumps({"type": "send", "id": "v1", "text": "två"}))
    shown[(await next_frame(visitor, "sent"))["seq"]] = "två"
    heard.append((await next_frame(staff, "message"))["text"])

    # Stop the daphne that holds the visitor's socket, mid-conversation. Which one that
    # is, nginx chose: stop the first; if the visitor is still connected, it was on the
    # second, so bring the first back and stop the second instead.
    stopped = 0
    s.stop_daphne(0)
    if not await closed_within(visitor, 3):
        s.start_daphne(0)
        stopped = 1
        s.stop_daphne(1)
        assert await closed_within(visitor, 5), "stopping either daphne left the visitor's socket open"

    # Whoever lost their socket comes back through nginx, which sends them to the live
    # process, and catches up as the pages do.
    if staff.state is State.CLOSED:
        staff = await connect(s, "/ws/console/", additional_headers={"Cookie": cookie})
        hello = await next_frame(staff, "hello")
        assert [c["contact"] for c in hello["conversations"]] == [contact]
        await staff.send(json.dumps({"type": "sync", "contact": contact, "last_seq": 2}))
    await staff.send(json.dumps({"type": "send", "contact": contact, "id": "c2", "text": "tre"}))
    await next_frame(staff, "sent")
    visitor = await connect(s, "/ws/visitor/", local_addr=(CANARY_ADDRESS, 0))
    await visitor.send(json.dumps({"type": "resume", "token": token, "last_seq": max(shown)}))
    assert (await next_frame(visitor, "resumed"))["state"] == "active"
    replayed = await next_frame(visitor, "message")
    shown[replayed["seq"]] = replayed["text"]
    await visitor.send(json.dumps({"type": "ack", "seq": replayed["seq"]}))
    await visitor.send(json.dumps({"type": "send", "id": "v2", "text": "fyra"}))
    shown[(await next_frame(visitor, "sent"))["seq"]] = "fyra"
    while True:  # a console that reconnected may first see the replay of "två"
        frame = await next_frame(staff, "message")
        if frame["from"] == "visitor" and frame["text"] not in heard:
            heard.append(frame["text"])
        if frame["text"] == "fyra":
            break
    await staff.send(json.dumps({"type": "end", "contact": contact}))
    await next_frame(visitor, "ended")
    await staff.send(json.dumps({"type": "duty", "state": "off"}))
    await visitor.close()
    await staff.close()
    s.start_daphne(stopped)
    return {"shown": sorted(shown.items()), "heard": heard, "stopped": stopped}


def signed_call(s: Stack) -> str:
    """A Twilio webhook through nginx: the signature covers the public https address."""
    params = {"CallSid": "CA" + uuid.uuid4().hex, "From": "+46701234999", "To": "+46185551000"}
    signature = RequestValidator(TWILIO_TOKEN).compute_signature(s.origin + "/phone/incoming/", params)
    request = urllib.request.Request(
        s.origin + "/phone/incoming/",
        data=urllib.parse.urlencode(params).encode(),
        headers={"X-Twilio-Signature": signature},
    )
    opener = urllib.request.build_opener(urllib.request.HTTPSHandler(context=s.tls))
    with opener.open(request, timeout=10) as response:
        return str(response.read().decode())


def test_https_redirect_and_security_headers(stack: Stack) -> None:
    plain = urllib.request.build_opener(NoRedirect)
    with pytest.raises(urllib.error.HTTPError) as redirect:
        plain.open(urllib.request.Request(f"http://127.0.0.1:{stack.http}/chat/?x=1", headers={"Host": "localhost"}))
    assert redirect.value.code == 301
    assert redirect.value.headers["Location"] == f"{stack.origin}/chat/?x=1"

    page = fetch_https(stack, "/")
    headers = page.headers
    html = page.read().decode()
    assert headers["Strict-Transport-Security"].startswith("max-age=31536000")
    assert "frame-ancestors 'none'" in headers["Content-Security-Policy"]
    assert headers["X-Content-Type-Options"] == "nosniff"
    assert headers["Referrer-Policy"] == "no-referrer"
    assert headers["Cache-Control"] == "no-store"
    assert headers["Server"] == "nginx"  # no version
    # The page's own script, served by nginx from STATIC_ROOT under its hashed name.
    script = re.search(r'src="(/static/[^"]+\.js)"', html)
    assert script, html[:500]
    static = fetch_https(stack, script.group(1))
    assert "immutable" in static.headers["Cache-Control"]
    assert static.headers["X-Content-Type-Options"] == "nosniff"
    assert static.headers["Referrer-Policy"] == "no-referrer"

    # Prometheus scrapes each daphne's own port; from outside, even with the token, no.
    scrape = urllib.request.Request(
        stack.daphnes[0].url + "/metrics", headers={"Authorization": f"Bearer {METRICS_TOKEN}"}
    )
    assert b"chat_queue_waiting" in urllib.request.urlopen(scrape, timeout=10).read()
    outside = urllib.request.Request(stack.origin + "/metrics", headers={"Authorization": f"Bearer {METRICS_TOKEN}"})
    opener = urllib.request.build_opener(urllib.request.HTTPSHandler(context=stack.tls))
    with pytest.raises(urllib.error.HTTPError) as metrics:
        opener.open(outside, timeout=10)
    assert metrics.value.code == 404
    ready = json.loads(fetch_https(stack, "/health/ready").read())
    assert ready == {"status": "ok", "database": "ok", "state": "ok"}
    assert "<Response>" in signed_call(stack)


@pytest.fixture(scope="module")
def conversation(stack: Stack) -> dict[str, Any]:
    # Once per module: the authenticator code of one 30-second step works only once.
    return asyncio.run(conversation_through_nginx(stack))


def test_conversation_over_wss_survives_a_stopped_daphne(conversation: dict[str, Any]) -> None:
    result = conversation
    assert result["shown"] == [(1, "ett"), (2, "två"), (3, "tre"), (4, "fyra")]  # in order, each once
    assert result["heard"] == ["två", "fyra"]


def test_no_client_address_under_the_nginx_log_directory(stack: Stack, conversation: dict[str, Any]) -> None:
    # Let nginx write and close what it has: a graceful reload reopens the logs.
    stack.proxy.reopen_logs()
    time.sleep(0.5)
    files = [p for p in stack.logs.rglob("*") if p.is_file()]
    staff_log = stack.logs / "staff-access.log"
    # The staff pages are logged (so this check reads real log lines) ...
    assert staff_log in files and "/accounts/login/" in staff_log.read_text()
    for path in files:
        text = path.read_text(errors="replace")
        # ... and no line anywhere holds the visitor's or the staff's address.
        assert CANARY_ADDRESS not in text, f"{path.name} holds the visitor's address"
        assert "127.0.0.1" not in text, f"{path.name} holds a client address"
    for daphne_log in stack.tmp.glob("daphne*.log"):
        assert CANARY_ADDRESS not in daphne_log.read_text(errors="replace")


def test_redis_as_configured_holds_nothing_after_and_writes_nothing_to_disk(
    stack: Stack, conversation: dict[str, Any]
) -> None:
    # The sweep runs as the service's Redis user too (the timer's command).
    assert manage(stack.env, "sweep").startswith("repaired")
    url = stack.env["REDIS_URL"]
    left = subprocess.run(
        ["redis-cli", "-u", url, "--no-auth-warning", "--scan", "--pattern", "cs:c:*"],
        capture_output=True,
        text=True,
        check=True,
    )
    assert left.stdout.split() == []  # no conversation outlived its end
    refused = subprocess.run(
        ["redis-cli", "-u", url, "--no-auth-warning", "config", "set", "save", "60 1"], capture_output=True, text=True
    )
    assert "NOPERM" in refused.stdout  # the service's account cannot turn persistence on
    stack.redis.terminate()  # a shutdown with `save ""` writes no RDB file
    stack.redis.wait(timeout=10)
    assert list(stack.redis_dir.iterdir()) == []
