"""Redis with Sentinel, for real: a master, a replica and a sentinel. The master dies
mid-conversation; the sentinel promotes the replica; the service follows it by itself
(store, channel layer and cache) and the conversation goes on."""

from __future__ import annotations

import asyncio
import json
import subprocess
import time
import uuid
from collections.abc import Iterator
from contextlib import ExitStack
from dataclasses import dataclass
from pathlib import Path

import pytest
import websockets
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

MASTER = "chatservice"


@dataclass
class Sentinelled:
    daphne: Daphne
    master: subprocess.Popen[bytes]
    ports: dict[str, int]
    passwords: dict[str, str]
    folder: Path

    def master_port(self) -> int:
        out = subprocess.run(
            ["redis-cli", "-p", str(self.ports["sentinel"]), "sentinel", "get-master-addr-by-name", MASTER],
            capture_output=True,
            text=True,
        ).stdout.split()
        return int(out[1]) if len(out) == 2 else 0

    def replicas(self) -> str:
        return subprocess.run(
            ["redis-cli", "-p", str(self.ports["sentinel"]), "sentinel", "replicas", MASTER],
            capture_output=True,
            text=True,
        ).stdout.strip()


def redis(port: int, folder: Path, *args: str) -> list[str]:
    # As deploy/redis/redis.conf: nothing on disk, not even for the replica's first sync.
    return [
        "redis-server",
        "--port",
        str(port),
        "--bind",
        "127.0.0.1",
        "--save",
        "",
        "--appendonly",
        "no",
        "--repl-diskless-sync",
        "yes",
        "--repl-diskless-sync-delay",
        "0",
        "--repl-diskless-load",
        "swapdb",
        "--dir",
        str(folder),
        *args,
    ]


@pytest.fixture
def sentinelled(tmp_path: Path) -> Iterator[Sentinelled]:
    ports = {"master": free_port(), "replica": free_port(), "sentinel": free_port()}
    database = f"sentinel_{uuid.uuid4().hex[:8]}"
    psql = ["psql", "-h", "127.0.0.1", "-U", "postgres", "-d", "test", "-c"]
    subprocess.run([*psql, f"CREATE DATABASE {database}"], check=True, capture_output=True)
    conf = tmp_path / "sentinel.conf"  # the sentinel rewrites its own file
    conf.write_text(
        f"port {ports['sentinel']}\nbind 127.0.0.1\n"
        f"sentinel monitor {MASTER} 127.0.0.1 {ports['master']} 1\n"
        # Not 1 s: on a loaded CI machine a master that is merely slow for a second
        # would be failed over before the test kills it.
        f"sentinel down-after-milliseconds {MASTER} 3000\n"
        f"sentinel failover-timeout {MASTER} 10000\n"
    )
    with ExitStack() as stack:
        procs = []
        for cmd, port in [
            (redis(ports["master"], tmp_path), ports["master"]),
            (redis(ports["replica"], tmp_path, "--replicaof", "127.0.0.1", str(ports["master"])), ports["replica"]),
            (["redis-server", str(conf), "--sentinel"], ports["sentinel"]),
        ]:
            proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL)
            procs.append(proc)
            stack.callback(proc.kill)
            wait_for_port(port, proc)
        env = server_env(
            {
                "DATABASE_URL": f"postgres://postgres@127.0.0.1:5432/{database}",
                # With sentinels, REDIS_URL gives only the database (and user/password).
                "REDIS_URL": "redis://unused-with-sentinel/0",
                "REDIS_SENTINELS": f"127.0.0.1:{ports['sentinel']}",
                "REDIS_SENTINEL_MASTER": MASTER,
            }
        )
        passwords = prepare(env)
        daphne = stack.enter_context(daphne_process(env, tmp_path / "daphne.log"))
        try:
            yield Sentinelled(daphne, procs[0], ports, passwords, tmp_path)
        finally:
            subprocess.run([*psql, f"DROP DATABASE IF EXISTS {database} WITH (FORCE)"], capture_output=True)


async def failover_scenario(s: Sentinelled) -> dict[str, object]:
    seen: dict[str, object] = {}
    url = s.daphne.url
    ws = url.replace("http://", "ws://")
    cookie = await asyncio.to_thread(login_cookie, url, "radgivare", s.passwords["radgivare"])
    staff = await websockets.connect(ws + "/ws/console/", origin=Origin(url), additional_headers={"Cookie": cookie})
    await next_frame(staff, "hello")
    await on_duty(staff)
    v = await websockets.connect(ws + "/ws/visitor/", origin=Origin(url))
    await v.send(json.dumps({"type": "start", "lang": "sv"}))
    token = (await next_frame(v, "started"))["token"]
    offer = await next_frame(staff, "offer")
    contact = offer["contact"]
    await staff.send(json.dumps({"type": "accept", "contact": contact}))
    await next_frame(v, "joined")
    await staff.send(json.dumps({"type": "send", "contact": contact, "id": "c1", "text": "före"}))
    first = await next_frame(v, "message")
    await v.send(json.dumps({"type": "ack", "seq": first["seq"]}))
    await asyncio.sleep(0.5)  # let the replica catch up (replication is asynchronous)
    # The sentinel learns of the replica from the master's INFO, every 10 s; killing the
    # master before that leaves it nothing to promote.
    deadline = time.monotonic() + 20
    while not s.replicas():
        assert time.monotonic() < deadline, "the sentinel never saw the replica"
        await asyncio.sleep(0.2)

    s.master.kill()
    deadline = time.monotonic() + 30
    while s.master_port() != s.ports["replica"]:
        assert time.monotonic() < deadline, "the sentinel did not promote the replica"
        await asyncio.sleep(0.2)
    seen["promoted"] = True

    # The visitor carries on, reconnecting and resuming if its socket was closed.
    while True:
        try:
            await v.send(json.dumps({"type": "send", "id": "v1", "text": "efter"}))
            sent = await next_frame(v, "sent", timeout=5)
            break
        except (websockets.ConnectionClosed, TimeoutError):
            assert time.monotonic() < deadline + 15, "the service did not follow the failover"
            await asyncio.sleep(0.5)
            v = await websockets.connect(ws + "/ws/visitor/", origin=Origin(url))
            await v.send(json.dumps({"type": "resume", "token": token, "last_seq": first["seq"]}))
            await next_frame(v, "resumed")
    seen["sent_seq"] = sent["seq"]
    while True:  # the console may need its own catch-up after the failover
        try:
            heard = await next_frame(staff, "message", timeout=5)
            break
        except (websockets.ConnectionClosed, TimeoutError):
            assert time.monotonic() < deadline + 30, "the counsellor never heard the visitor"
            if staff.state.name == "CLOSED":
                staff = await websockets.connect(
                    ws + "/ws/console/", origin=Origin(url), additional_headers={"Cookie": cookie}
                )
                await next_frame(staff, "hello")
            await staff.send(json.dumps({"type": "sync", "contact": contact, "last_seq": first["seq"]}))
    seen["heard"] = heard["text"]
    # A staff log-in (Django's cache, through the sentinel too) works after the failover.
    cookie2 = await asyncio.to_thread(login_cookie, url, "radgivare2", s.passwords["radgivare2"])
    seen["second_login"] = "sessionid" in cookie2
    for sock in (staff, v):
        await sock.close()
    return seen


def test_the_service_follows_a_sentinel_failover(sentinelled: Sentinelled) -> None:
    try:
        seen = asyncio.run(failover_scenario(sentinelled))
    except (AssertionError, TimeoutError) as failure:
        # A CI failure should say what the server saw, not only where the client waited.
        log = (sentinelled.folder / "daphne.log").read_text(errors="replace")[-4000:]
        raise AssertionError(f"{failure!r}\n--- daphne.log (tail) ---\n{log}") from failure
    assert seen == {"promoted": True, "sent_seq": 2, "heard": "efter", "second_login": True}
    assert sentinelled.daphne.proc.poll() is None
    assert list(sentinelled.folder.glob("*.rdb")) == []  # replication wrote nothing to disk
