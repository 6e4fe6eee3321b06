"""Shared fixtures. Named people, whose roles the tests rely on:

- ``sara``: a counsellor who speaks Swedish and English, two chats at a time.
- ``omar``: a counsellor who speaks Swedish and Arabic, one chat at a time.
- visitors are anonymous sockets; they have no fixture of their own.
"""

from __future__ import annotations

import asyncio
import json
import os
import uuid
from collections.abc import AsyncIterator, Iterator
from datetime import time
from typing import Any

import pytest
from asgiref.sync import sync_to_async
from channels.testing import WebsocketCommunicator
from django.test import Client

from contacts import hours
from contacts.service import Service, get_service, reset_service
from routing.store.testing import flush

REDIS_URL = os.environ.get("TEST_REDIS_URL", "redis://127.0.0.1:6379/15")
ORIGIN = [(b"origin", b"http://localhost"), (b"host", b"localhost")]


@pytest.fixture(params=["memory", "redis"])
def backend(request: pytest.FixtureRequest, settings: Any) -> Iterator[str]:
    """Run the test once on the embedded default and once on Redis (store and layer)."""
    if request.param == "redis":
        prefix = f"t{uuid.uuid4().hex[:8]}"
        settings.REDIS_URL = REDIS_URL
        settings.REDIS_PREFIX = prefix
        settings.CHANNEL_LAYERS = {
            "default": {
                "BACKEND": "channels_redis.pubsub.RedisPubSubChannelLayer",
                "CONFIG": {"hosts": [{"address": REDIS_URL}], "prefix": f"{prefix}:layer"},
            }
        }
    else:
        settings.REDIS_URL = ""
        settings.CHANNEL_LAYERS = {"default": {"BACKEND": "channels.layers.InMemoryChannelLayer"}}
    reset_service()
    hours.invalidate()
    from contacts.limits import connections

    connections._open.clear()
    yield request.param
    reset_service()
    hours.invalidate()


@pytest.fixture
async def service(backend: str) -> AsyncIterator[Service]:
    svc = get_service()
    yield svc
    await svc.stop_ticker()
    await flush(svc.store)
    await svc.store.close()


def always_open() -> None:
    from contacts.models import OpeningHours

    OpeningHours.objects.all().delete()
    for day in range(7):
        OpeningHours.objects.create(weekday=day, opens=time(0), closes=time(23, 59, 59, 999999))
    hours.invalidate()


@pytest.fixture
def open_all_day(transactional_db: None) -> None:
    always_open()


def make_counsellor(username: str, display: str, languages: list[str], capacity: int, work_phone: str = "") -> Any:
    from django.contrib.auth.models import Group, User

    from staff.models import CounsellorProfile
    from staff.roles import COUNSELLOR_GROUP

    user = User.objects.create_user(username=username, password=uuid.uuid4().hex)
    group, _ = Group.objects.get_or_create(name=COUNSELLOR_GROUP)
    user.groups.add(group)
    CounsellorProfile.objects.create(
        user=user,
        display_name=display,
        languages=languages,
        max_chats=capacity,
        takes_calls=bool(work_phone),
        work_phone=work_phone,
    )
    return user


def session_cookie(user: Any) -> bytes:
    client = Client()
    client.force_login(user)
    return f"sessionid={client.cookies['sessionid'].value}".encode()


@pytest.fixture
def sara(transactional_db: None) -> Any:
    return make_counsellor("sara", "Sara", ["sv", "en"], 2)


@pytest.fixture
def lina(transactional_db: None) -> Any:
    """A counsellor on phone duty (Swedish, English, Arabic) with a work phone."""
    return make_counsellor("lina", "Lina", ["sv", "en", "ar"], 2, work_phone="+4618555000")


@pytest.fixture
def omar(transactional_db: None) -> Any:
    return make_counsellor("omar", "Omar", ["sv", "ar"], 1)


class Socket:
    """A WebSocket client for tests: send frames, wait for a frame of a given type."""

    def __init__(self, comm: WebsocketCommunicator) -> None:
        self.comm = comm
        self.seen: list[dict[str, Any]] = []

    async def send(self, **frame: Any) -> None:
        await self.comm.send_to(text_data=json.dumps(frame))

    async def send_raw(self, text: str) -> None:
        await self.comm.send_to(text_data=text)

    async def _next(self, timeout: float) -> dict[str, Any] | None:
        # receive_json_from() with a timeout would cancel the app on expiry, so poll with
        # receive_nothing(), which only looks.
        if await self.comm.receive_nothing(timeout=timeout, interval=0.01):
            return None
        frame: dict[str, Any] = await self.comm.receive_json_from()
        self.seen.append(frame)
        return frame

    async def expect(self, type_: str, timeout: float = 3.0, **match: Any) -> dict[str, Any]:
        """The next frame of this type (and matching fields); other frames are skipped."""
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout
        while loop.time() < deadline:
            frame = await self._next(0.05)
            if frame and frame["type"] == type_ and all(frame.get(k) == v for k, v in match.items()):
                return frame
        raise AssertionError(f"no {type_} {match} frame; saw {[f['type'] for f in self.seen[-10:]]}")

    async def first(self, timeout: float = 5.0) -> dict[str, Any]:
        """The next frame, whatever its type: for a reply that may be one of several."""
        frame = await self._next(timeout)
        if frame is None:
            raise AssertionError(f"no frame in {timeout} s")
        return frame

    async def frames(self, wait: float = 0.6) -> list[dict[str, Any]]:
        """Every frame that arrives until none has come for ``wait`` seconds."""
        out = []
        while (frame := await self._next(wait)) is not None:
            out.append(frame)
        return out

    async def close(self) -> None:
        await self.comm.disconnect()


async def connect(
    path: str, headers: list[tuple[bytes, bytes]] | None = None, client: tuple[str, int] | None = None
) -> tuple[bool, Socket]:
    from chatservice.asgi import application

    comm = WebsocketCommunicator(application, path, headers=headers or ORIGIN)
    if client is not None:
        comm.scope["client"] = client
    connected, _ = await comm.connect(timeout=5)
    return connected, Socket(comm)


class Has(dict[str, Any]):
    """Matches a frame's field that holds at least these items (the rest may be anything):
    ``expect("dashboard", intake=Has(chat_paused=True))``."""

    def __eq__(self, other: object) -> bool:
        return isinstance(other, dict) and all(other.get(k) == v for k, v in self.items())

    __hash__ = None


async def visitor(start: bool = True, client: tuple[str, int] | None = None, **fields: Any) -> Socket:
    """A visitor's socket; by default it has already asked to start a chat."""
    ok, sock = await connect("/ws/visitor/", client=client)
    assert ok
    if start:
        await sock.send(type="start", **fields)
    return sock


async def console(user: Any) -> Socket:
    cookie = await sync_to_async(session_cookie)(user)
    ok, sock = await connect("/ws/console/", [*ORIGIN, (b"cookie", cookie)])
    assert ok, "the console socket was refused"
    await sock.expect("hello")
    return sock


def make_supervisor(username: str, first_name: str) -> Any:
    from django.contrib.auth.models import Group, User

    from staff.roles import SUPERVISOR_GROUP

    user = User.objects.create_user(username=username, password=uuid.uuid4().hex, first_name=first_name)
    group, _ = Group.objects.get_or_create(name=SUPERVISOR_GROUP)
    user.groups.add(group)
    return user


@pytest.fixture
def maria(transactional_db: None) -> Any:
    """A supervisor."""
    return make_supervisor("maria", "Maria")


async def supervisor_socket(user: Any) -> Socket:
    cookie = await sync_to_async(session_cookie)(user)
    ok, sock = await connect("/ws/supervisor/", [*ORIGIN, (b"cookie", cookie)])
    assert ok, "the supervisor socket was refused"
    await sock.expect("dashboard")
    return sock


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    """Debian's Chromium driven by Playwright (it cannot download a browser of its own here)."""
    from playwright.sync_api import sync_playwright

    from tests.server import CHROMIUM_ARGS, chromium_path

    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=chromium_path(), args=CHROMIUM_ARGS)
        yield b
        b.close()
