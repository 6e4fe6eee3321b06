"""Faults survived, against real servers: two daphne processes on their own Redis (so
that it can be stopped, paused and restarted) and PostgreSQL.

- a process killed with SIGKILL: its visitor resumes on the other process with nothing
  lost; a visitor who never comes back and a counsellor who never comes back are noticed
  by the surviving process (heartbeats) and their grace periods run;
- Redis paused for seconds: everything waits and then carries on, nothing lost;
- Redis restarted empty: no process crashes; both sides are told the conversation is
  gone, and the service works again by itself.
"""

from __future__ import annotations

import asyncio
import json
import signal
import subprocess
import time
import uuid
from collections.abc import Iterator
from contextlib import ExitStack
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
import websockets
from websockets.asyncio.client import ClientConnection
from websockets.typing import Origin

from tests.server import (
    Daphne,
    daphne_process,
    free_port,
    login_cookie,
    next_frame,
    on_duty,
    prepare,
    server_env,
    wait_for_port,
)

pytestmark = pytest.mark.browser  # real servers: grouped with the slow tests


@dataclass
class Cluster:
    tmp: Path
    env: dict[str, str]
    redis_port: int
    passwords: dict[str, str]
    redis: subprocess.Popen[bytes] | None = None
    daphnes: list[Daphne] = field(default_factory=list)
    stack: ExitStack = field(default_factory=ExitStack)

    def start_redis(self) -> None:
        self.redis = subprocess.Popen(
            [
                "redis-server",
                "--port",
                str(self.redis_port),
                "--bind",
                "127.0.0.1",
                "--save",
                "",
                "--appendonly",
                "no",
                "--dir",
                str(self.tmp),
            ],
            stdout=subprocess.DEVNULL,
        )
        wait_for_port(self.redis_port, self.redis)

    def stop_redis(self) -> None:
        assert self.redis is not None
        self.redis.kill()  # as a crash: no goodbye to the clients
        self.redis.wait(timeout=10)

    def url(self, i: int) -> str:
        return self.daphnes[i].url

    def alive(self) -> list[bool]:
        return [d.proc.poll() is None for d in self.daphnes]


@pytest.fixture(scope="module")
def database() -> Iterator[str]:
    name = f"faults_{uuid.uuid4().hex[:8]}"
    psql = ["psql", "-h", "127.0.0.1", "-U", "postgres", "-d", "test", "-c"]
    subprocess.run([*psql, f"CREATE DATABASE {name}"], check=True, capture_output=True)
    yield name
    subprocess.run([*psql, f"DROP DATABASE IF EXISTS {name} WITH (FORCE)"], capture_output=True)


@pytest.fixture
def cluster(tmp_path: Path, database: str) -> Iterator[Cluster]:
    port = free_port()
    env = server_env(
        {
            "DATABASE_URL": f"postgres://postgres@127.0.0.1:5432/{database}",
            "REDIS_URL": f"redis://127.0.0.1:{port}/0",
            "CHAT_GRACE_SECONDS": "5",
            "COUNSELLOR_GRACE_SECONDS": "30",  # the shortest allowed
            "CONNECTIONS_PER_SOURCE": "1000",
        }
    )
    c = Cluster(tmp_path, env, port, prepare(env))
    c.start_redis()
    with c.stack:
        c.daphnes = [c.stack.enter_context(daphne_process(env, tmp_path / f"{n}.log")) for n in "ab"]
        yield c
        if c.redis is not None and c.redis.poll() is None:
            c.redis.kill()
            c.redis.wait()


async def console(c: Cluster, i: int, user: str) -> ClientConnection:
    cookie = await asyncio.to_thread(login_cookie, c.url(i), user, c.passwords[user])
    ws = await websockets.connect(
        c.url(i).replace("http://", "ws://") + "/ws/console/",
        origin=Origin(c.url(i)),
        additional_headers={"Cookie": cookie},
    )
    await next_frame(ws, "hello")
    return ws


async def visitor(c: Cluster, i: int) -> ClientConnection:
    return await websockets.connect(c.url(i).replace("http://", "ws://") + "/ws/visitor/", origin=Origin(c.url(i)))


async def start_chat(staff: ClientConnection, v: ClientConnection) -> tuple[str, str]:
    """A new visitor, offered to and accepted by this counsellor; (contact, token)."""
    await v.send(json.dumps({"type": "start", "lang": "sv"}))
    token = (await next_frame(v, "started"))["token"]
    offer = await next_frame(staff, "offer", timeout=15)
    await staff.send(json.dumps({"type": "accept", "contact": offer["contact"]}))
    await next_frame(v, "joined")
    return offer["contact"], token


async def say(staff: ClientConnection, contact: str, cid: str, text: str) -> None:
    await staff.send(json.dumps({"type": "send", "contact": contact, "id": cid, "text": text}))
    await next_frame(staff, "sent")


async def closed(ws: ClientConnection, timeout: float = 10) -> bool:
    try:
        while True:
            await asyncio.wait_for(ws.recv(), timeout=timeout)
    except websockets.ConnectionClosed:
        return True
    except TimeoutError:
        return False


async def killed_process_scenario(c: Cluster) -> dict[str, Any]:
    seen: dict[str, Any] = {}
    sara = await console(c, 1, "radgivare")  # on B, survives
    omar = await console(c, 0, "radgivare2")  # on A, dies with it
    await on_duty(sara)
    v1, v2 = await visitor(c, 0), await visitor(c, 0)  # both on A
    c1, token1 = await start_chat(sara, v1)
    c2, _ = await start_chat(sara, v2)
    await on_duty(omar)
    v3 = await visitor(c, 1)  # on B, talking to Omar on A
    c3, _ = await start_chat(omar, v3)
    await say(sara, c1, "s1", "ett")
    first = await next_frame(v1, "message")
    await v1.send(json.dumps({"type": "ack", "seq": first["seq"]}))

    c.daphnes[0].proc.send_signal(signal.SIGKILL)  # no close frames, no disconnect handlers
    killed_at = time.monotonic()
    assert await closed(v1) and await closed(v2) and await closed(omar)
    await say(sara, c1, "s2", "två")  # while the visitor is away

    # The visitor comes back through the other process and misses nothing.
    back = await visitor(c, 1)
    await back.send(json.dumps({"type": "resume", "token": token1, "last_seq": first["seq"]}))
    assert (await next_frame(back, "resumed"))["state"] == "active"
    replay = await next_frame(back, "message")
    await back.send(json.dumps({"type": "send", "id": "v1", "text": "tre"}))
    sent = await next_frame(back, "sent")
    heard = await next_frame(sara, "message")
    seen["v1"] = [(first["seq"], first["text"]), (replay["seq"], replay["text"]), (sent["seq"], heard["text"])]

    # The visitor who never comes back: Sara is told once A's heartbeat is overdue and
    # the visitor's grace has run out.
    ended = await next_frame(sara, "ended", timeout=45)
    seen["v2_ended"] = (ended["contact"] == c2, ended["by"], round(time.monotonic() - killed_at))
    # The counsellor who never comes back: after the counsellor grace, the visitor is
    # put back at the front of the queue, told, and offered to Sara, who has room now.
    requeued = await next_frame(v3, "requeued", timeout=70)
    seen["v3_requeued"] = (requeued["reason"], round(time.monotonic() - killed_at))
    offer = await next_frame(sara, "offer", timeout=20)
    seen["v3_offered_to_sara"] = offer["contact"] == c3
    for ws in (sara, back, v3):
        await ws.close()
    return seen


def test_a_killed_process_loses_nothing_and_its_absentees_are_noticed(cluster: Cluster) -> None:
    seen = asyncio.run(killed_process_scenario(cluster))
    assert seen["v1"] == [(1, "ett"), (2, "två"), (3, "tre")]  # in order, each once
    assert seen["v2_ended"][:2] == (True, "visitor_gone")
    assert seen["v3_requeued"][0] == "disconnected"
    assert seen["v3_offered_to_sara"]
    assert cluster.alive() == [False, True]


async def paused_redis_scenario(c: Cluster) -> dict[str, Any]:
    sara = await console(c, 1, "radgivare")
    await on_duty(sara)
    v = await visitor(c, 0)
    contact, _ = await start_chat(sara, v)
    assert c.redis is not None
    c.redis.send_signal(signal.SIGSTOP)  # unreachable: connections hang, nothing answers
    try:
        await v.send(json.dumps({"type": "send", "id": "v1", "text": "under avbrottet"}))
        await sara.send(json.dumps({"type": "send", "contact": contact, "id": "s1", "text": "svar"}))
        await asyncio.sleep(4)
    finally:
        c.redis.send_signal(signal.SIGCONT)
    # Either may reach the visitor first, so gather frames until both are in.
    got: dict[str, dict[str, Any]] = {}
    while len(got) < 2:
        frame = json.loads(await asyncio.wait_for(v.recv(), timeout=15))
        if frame["type"] in ("sent", "message"):
            assert frame["type"] not in got, frame  # a second one would be a duplicate
            got[frame["type"]] = frame
    sent, answer = got["sent"], got["message"]
    heard = await next_frame(sara, "message", timeout=15)
    await v.send(json.dumps({"type": "send", "id": "v2", "text": "efteråt"}))
    after = await next_frame(sara, "message", timeout=15)
    after_sent = await next_frame(v, "sent", timeout=15)
    for ws in (sara, v):
        await ws.close()
    # Both sides wrote during the pause and share one sequence: which of the two got
    # seq 1 is a race, so the test asserts each message numbered once, none lost.
    return {
        "seqs": sorted([sent["seq"], answer["seq"], after_sent["seq"]]),
        "same_seq_both_sides": heard["seq"] == sent["seq"] and after["seq"] == after_sent["seq"],
        "texts": (heard["text"], answer["text"], after["text"]),
    }


def test_redis_paused_for_seconds_delays_and_loses_nothing(cluster: Cluster) -> None:
    seen = asyncio.run(paused_redis_scenario(cluster))
    assert seen == {
        "seqs": [1, 2, 3],
        "same_seq_both_sides": True,
        "texts": ("under avbrottet", "svar", "efteråt"),
    }
    assert cluster.alive() == [True, True]


async def reconnect_console(c: Cluster, i: int, user: str, deadline: float) -> ClientConnection:
    """As the console page does: retry until the service answers again."""
    while True:
        try:
            return await console(c, i, user)
        except (OSError, websockets.InvalidStatus, websockets.ConnectionClosed, TimeoutError):
            if time.monotonic() > deadline:
                raise
            await asyncio.sleep(1)


async def restarted_redis_scenario(c: Cluster) -> dict[str, Any]:
    seen: dict[str, Any] = {}
    sara = await console(c, 1, "radgivare")
    await on_duty(sara)
    v = await visitor(c, 0)
    contact, token = await start_chat(sara, v)
    c.stop_redis()
    # While Redis is away, the visitor writes: the page keeps the message in its outbox
    # until it is confirmed, and the socket tells it something is wrong.
    await v.send(json.dumps({"type": "send", "id": "v1", "text": "är du kvar?"}))
    seen["visitor_socket_closed"] = await closed(v, timeout=10)
    await asyncio.sleep(3)
    seen["alive_without_redis"] = c.alive()
    c.start_redis()  # empty: every conversation it held is gone

    deadline = time.monotonic() + 30
    # The visitor's page reconnects and resumes: it is told plainly the chat is gone.
    while True:
        try:
            v = await visitor(c, 0)
            await v.send(json.dumps({"type": "resume", "token": token, "last_seq": 0}))
            frame = json.loads(await asyncio.wait_for(v.recv(), timeout=5))
            break
        except (OSError, websockets.ConnectionClosed, TimeoutError):
            assert time.monotonic() < deadline, "the service did not come back"
            await asyncio.sleep(1)
    seen["visitor_told"] = frame["type"]
    # The counsellor's console asks about its open conversation and is told it ended.
    sara = await reconnect_console(c, 1, "radgivare", deadline)
    await sara.send(json.dumps({"type": "sync", "contact": contact, "last_seq": 0}))
    ended = await next_frame(sara, "ended")
    seen["counsellor_told"] = (ended["contact"] == contact, ended["by"])
    # And the service works again by itself: the visitor starts over and is answered.
    # (No "me" to wait for here: the emptied Redis lost her record until the console's
    # next keep-alive writes it again.)
    await sara.send(json.dumps({"type": "duty", "state": "available"}))
    again, _ = await start_chat(sara, v)
    await say(sara, again, "s1", "hej igen")
    seen["new_chat"] = (await next_frame(v, "message"))["text"]
    for ws in (sara, v):
        await ws.close()
    return seen


def test_redis_restarted_empty_both_sides_are_told_and_service_recovers(cluster: Cluster) -> None:
    seen = asyncio.run(restarted_redis_scenario(cluster))
    assert seen["alive_without_redis"] == [True, True]  # no process crashed
    assert seen["visitor_told"] == "expired"
    assert seen["counsellor_told"] == (True, "system")
    assert seen["new_chat"] == "hej igen"
    assert cluster.alive() == [True, True]
