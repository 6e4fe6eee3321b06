"""The anonymity promise, checked end to end on the production stack.

A real daphne with PostgreSQL, Redis and the project's logging. A visitor connects from
a distinctive loopback address and writes canary text in several scripts, then leaves
by quick exit; a call arrives with a canary caller number. Afterwards a pg_dump of the
database, a dump of every Redis key and value, and every line the server logged hold
none of it, in any format.
"""

from __future__ import annotations

import asyncio
import json
import subprocess
import urllib.parse
import urllib.request
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
import websockets
from twilio.request_validator import RequestValidator
from websockets.typing import Origin

from tests.server import Server, fetch, login_cookie, next_frame, running_server

pytestmark = pytest.mark.browser  # starts real servers: grouped with the slow tests

CANARY_ADDRESS = "127.55.66.77"
CANARY_TEXTS = ["KANARIEFÅGEL-7731", "عصفور الكناري ٧٧٣١", "КАНАРЕЙКА-7731"]
CANARY_NUMBER = "+46701234567"
NUMBER_FORMS = ["+46701234567", "46701234567", "0701234567", "070-123 45 67", "070 123 45 67"]
TOKEN = "canary-twilio-token"
BASE = "https://chat.example.se"


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


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory, database: str) -> Iterator[Server]:
    prefix = f"canary{uuid.uuid4().hex[:6]}"
    env = {
        "DATABASE_URL": f"postgres://postgres@127.0.0.1:5432/{database}",
        "REDIS_URL": "redis://127.0.0.1:6379/14",
        "REDIS_PREFIX": prefix,
        "TWILIO_AUTH_TOKEN": TOKEN,
        "PUBLIC_BASE_URL": BASE,
        "TWILIO_CALLER_ID": "+46185551000",
        "LOG_LEVEL": "DEBUG",  # the most the logs could ever say
    }
    with running_server(tmp_path_factory.mktemp("canary"), env) as s:
        s.env["REDIS_PREFIX"] = prefix
        yield s


async def chat_and_call(server: Server) -> None:
    ws_url = server.url.replace("http://", "ws://")
    origin = Origin(server.url)
    cookie = await asyncio.to_thread(login_cookie, server.url, "radgivare", server.passwords["radgivare"])
    async with websockets.connect(
        ws_url + "/ws/console/",
        origin=origin,
        additional_headers={"Cookie": cookie},
    ) as staff:
        await next_frame(staff, "hello")
        await staff.send(json.dumps({"type": "duty", "state": "available"}))
        async with websockets.connect(
            ws_url + "/ws/visitor/",
            origin=origin,
            local_addr=(CANARY_ADDRESS, 0),
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
            await visitor.send(json.dumps({"type": "end", "quick": True}))
            ended = await next_frame(staff, "ended")
            assert ended["by"] == "quick_exit"

        # A call, with the caller's number in every field Twilio puts it in.
        call_sid = "CA" + uuid.uuid4().hex
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
                headers={"X-Twilio-Signature": signature},
            )
            await asyncio.to_thread(fetch, request)
        # And a forged one, which the server refuses (and must not log the number for).
        forged = urllib.request.Request(
            server.url + "/phone/incoming/", data=urllib.parse.urlencode({"From": CANARY_NUMBER}).encode()
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
    kept = everything_kept(server, database)
    assert "stats_dailycount" in kept["database"]  # the dump is real and has the counters
    for where, text in kept.items():
        assert CANARY_ADDRESS not in text, f"the visitor's address is in the {where}"
        for canary in CANARY_TEXTS:
            assert canary not in text, f"message text is in the {where}"
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
