"""Two real daphne processes sharing Redis and PostgreSQL: one service, no double
assignment, no lost contact, counters that match what happened."""

from __future__ import annotations

import asyncio
import json
import random
import signal
import subprocess
import sys
import time
import uuid
from collections import Counter
from collections.abc import Iterator
from typing import Any

import pytest
import websockets
from websockets.typing import Origin

from tests.server import ROOT, Daphne, daphne_process, login_cookie, next_frame, prepare, server_env

pytestmark = pytest.mark.browser  # real servers: grouped with the slow tests

VISITORS = 120
COUNSELLORS = 10
PASSWORD = "race-test-password-1"
DEMO: dict[str, str] = {}  # the demo accounts' passwords, by user name


@pytest.fixture(scope="module")
def two_processes(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[list[Daphne], dict[str, str]]]:
    tmp = tmp_path_factory.mktemp("race")
    database = f"race_{uuid.uuid4().hex[:8]}"
    psql = ["psql", "-h", "127.0.0.1", "-U", "postgres", "-d", "test", "-c"]
    subprocess.run([*psql, f"CREATE DATABASE {database}"], check=True, capture_output=True)
    env = server_env(
        {
            "DATABASE_URL": f"postgres://postgres@127.0.0.1:5432/{database}",
            "REDIS_URL": "redis://127.0.0.1:6379/13",
            "REDIS_PREFIX": f"race{uuid.uuid4().hex[:6]}",
            "OFFER_TIMEOUT_SECONDS": "10",
            "CONNECTIONS_PER_SOURCE": "1000",  # every test client shares one loopback address
            # A client here accepts, greets and ends a chat in half a second, faster than
            # any person: the per-socket frame limit is not what this test is about.
            "FRAMES_PER_SECOND": "50",
        }
    )
    DEMO.update(prepare(env))
    script = (
        "from django.contrib.auth.models import Group, User\n"
        "from staff.models import CounsellorProfile\n"
        "g = Group.objects.get(name='counsellor')\n"
        f"for i in range({COUNSELLORS}):\n"
        f"    u = User.objects.create_user(f'race{{i}}', password='{PASSWORD}')\n"
        "    u.groups.add(g)\n"
        "    CounsellorProfile.objects.create(user=u, display_name=f'R{i}', languages=['sv'], max_chats=2)\n"
    )
    subprocess.run([sys.executable, "manage.py", "shell", "-c", script], cwd=ROOT, env=env, check=True)
    try:
        with daphne_process(env, tmp / "a.log") as a, daphne_process(env, tmp / "b.log") as b:
            yield [a, b], env
    finally:
        subprocess.run([*psql, f"DROP DATABASE IF EXISTS {database} WITH (FORCE)"], capture_output=True)


async def counsellor(url: str, cookie: str, name: str, log: dict[str, Any], stop: asyncio.Event) -> None:
    """Go on duty, accept every offer, say hello, end when the visitor answers; now and
    then take a break."""
    ws_url = url.replace("http://", "ws://") + "/ws/console/"
    async with websockets.connect(ws_url, origin=Origin(url), additional_headers={"Cookie": cookie}) as ws:
        await next_frame(ws, "hello")
        await ws.send(json.dumps({"type": "duty", "state": "available"}))
        active: set[str] = set()
        seen: dict[str, int] = {}
        synced = time.monotonic()
        while not stop.is_set():
            try:
                frame = json.loads(await asyncio.wait_for(ws.recv(), timeout=0.5))
            except TimeoutError:
                # As the console does every 20 s (here every 3 s, when idle): catch up on
                # any nudge the layer lost. Not more often: the service refuses a console
                # more than FRAMES_PER_SECOND frames, and a refused "send" or "end" would
                # leave this client waiting for good.
                if time.monotonic() - synced > 3:
                    synced = time.monotonic()
                    for cid in active:
                        await ws.send(json.dumps({"type": "sync", "contact": cid, "last_seq": seen.get(cid, 0)}))
                continue
            assert frame != {"type": "error", "code": "rate_limited"}, "the client itself is too fast"
            if frame["type"] == "message":
                seen[frame["contact"]] = max(seen.get(frame["contact"], 0), frame["seq"])
            if frame["type"] == "me" and frame["state"] == "away":
                # An offer timed out on a slow machine: as a counsellor would, come back.
                await ws.send(json.dumps({"type": "duty", "state": "available"}))
            if frame["type"] == "offer":
                await ws.send(json.dumps({"type": "accept", "contact": frame["contact"]}))
            elif frame["type"] == "conversation" and frame["contact"] not in active:
                cid = frame["contact"]
                active.add(cid)
                log["accepted"].append((name, cid))
                # Two counsellors holding one contact at once would show here.
                holders = [n for n, held in log["holding"].items() if cid in held]
                log["overlaps"] += len(holders)
                log["holding"].setdefault(name, set()).add(cid)
                await ws.send(json.dumps({"type": "send", "contact": cid, "id": "c1", "text": "hej"}))
            elif frame["type"] == "message" and frame["from"] == "visitor":
                await ws.send(json.dumps({"type": "end", "contact": frame["contact"]}))
            elif frame["type"] == "ended":
                log["holding"].get(name, set()).discard(frame["contact"])
                active.discard(frame["contact"])
                if random.random() < 0.2:
                    await ws.send(json.dumps({"type": "duty", "state": "break"}))
                    await asyncio.sleep(0.2)
                    await ws.send(json.dumps({"type": "duty", "state": "available"}))
        await ws.send(json.dumps({"type": "duty", "state": "off"}))


async def visitor(url: str, n: int, log: dict[str, Any]) -> None:
    ws_url = url.replace("http://", "ws://") + "/ws/visitor/"
    async with websockets.connect(ws_url, origin=Origin(url)) as ws:
        await asyncio.sleep(random.random() * 2)
        await ws.send(json.dumps({"type": "start", "lang": "sv"}))
        joined = 0
        last_seq = 0
        while True:
            try:
                frame = json.loads(await asyncio.wait_for(ws.recv(), timeout=5))
            except TimeoutError:
                # As the page does every 25 s (and on any gap): catch up on lost nudges.
                await ws.send(json.dumps({"type": "sync", "last_seq": last_seq}))
                continue
            if frame["type"] == "joined":
                joined += 1
            elif frame["type"] == "message":
                last_seq = max(last_seq, frame["seq"])
                await ws.send(json.dumps({"type": "ack", "seq": frame["seq"]}))
                await ws.send(json.dumps({"type": "send", "id": "v1", "text": "tack"}))
            elif frame["type"] in ("ended", "closed"):
                log["visitor_end"][n] = (frame["type"], joined)
                return


async def race(urls: list[str]) -> dict[str, Any]:
    log: dict[str, Any] = {"accepted": [], "holding": {}, "overlaps": 0, "visitor_end": {}}
    cookies = [await asyncio.to_thread(login_cookie, urls[i % 2], f"race{i}", PASSWORD) for i in range(COUNSELLORS)]
    stop = asyncio.Event()
    staff = [
        asyncio.create_task(counsellor(urls[i % 2], cookies[i], f"race{i}", log, stop)) for i in range(COUNSELLORS)
    ]
    await asyncio.sleep(1)
    try:
        await asyncio.wait_for(asyncio.gather(*(visitor(urls[n % 2], n, log) for n in range(VISITORS))), timeout=120)
    except TimeoutError:
        raise AssertionError(
            f"stuck: {len(log['visitor_end'])} visitors done, {len(log['accepted'])} accepted, holding {log['holding']}"
        ) from None
    stop.set()
    await asyncio.gather(*staff)
    return log


def test_two_processes_share_one_queue_without_double_assignment(
    two_processes: tuple[list[Daphne], dict[str, str]],
) -> None:
    processes, env = two_processes
    log = asyncio.run(race([p.url for p in processes]))
    ends = log["visitor_end"]
    assert len(ends) == VISITORS, "a visitor was never answered nor told"
    assert all(kind == "ended" and joined == 1 for kind, joined in ends.values()), Counter(ends.values())
    accepted = Counter(cid for _name, cid in log["accepted"])
    assert len(accepted) == VISITORS and set(accepted.values()) == {1}  # each contact taken once
    assert log["overlaps"] == 0
    counts = subprocess.run(
        [
            sys.executable,
            "manage.py",
            "shell",
            "-v",
            "0",
            "-c",
            "import json; from stats.models import DailyCount as D; "
            "print(json.dumps({r.metric: r.count for r in D.objects.filter(dimension='')}))",
        ],
        cwd=ROOT,
        env=env,
        check=True,
        capture_output=True,
        text=True,
    ).stdout
    totals = json.loads(counts)
    assert totals["contacts"] == VISITORS and totals["contacts.answered"] == VISITORS
    assert "contacts.left_before_answer" not in totals
    # Nothing of any conversation is left in Redis.
    prefix = env["REDIS_PREFIX"]
    keys = subprocess.run(
        ["redis-cli", "-n", "13", "--scan", "--pattern", f"{prefix}:c:*"], capture_output=True, text=True, check=True
    ).stdout.split()
    assert keys == []


async def latest_queue_position(v: Any) -> int:
    """Ask as the page does (sync), and take the last position shown once frames stop:
    an earlier update may still be on its way."""
    await v.send(json.dumps({"type": "sync", "last_seq": 0}))
    position = 0
    while True:
        try:
            frame = json.loads(await asyncio.wait_for(v.recv(), timeout=1.0))
        except TimeoutError:
            return position
        if frame["type"] == "queue":
            position = frame["position"]


async def queue_seen_from_both_processes(a: Daphne, b: Daphne) -> dict[str, Any]:
    """Three visitors wait, on alternating processes, while the only counsellor on duty
    takes a break; supervisors on both processes and every visitor see one queue."""
    seen: dict[str, Any] = {}
    cookie = await asyncio.to_thread(login_cookie, a.url, "race1", PASSWORD)
    ws = {p.url: p.url.replace("http://", "ws://") for p in (a, b)}
    async with websockets.connect(
        ws[a.url] + "/ws/console/", origin=Origin(a.url), additional_headers={"Cookie": cookie}
    ) as staff:
        await next_frame(staff, "hello")
        await staff.send(json.dumps({"type": "duty", "state": "break"}))
        await next_frame(staff, "me")
        visitors = []
        for p in (a, b, a):
            v = await websockets.connect(ws[p.url] + "/ws/visitor/", origin=Origin(p.url))
            await v.send(json.dumps({"type": "start", "lang": "sv"}))
            await next_frame(v, "started")
            visitors.append(v)
        seen["positions"] = [await latest_queue_position(v) for v in visitors]
        boards = []
        for p in (a, b):
            boss = await asyncio.to_thread(login_cookie, p.url, "arbetsledare", DEMO["arbetsledare"], "/supervisor/")
            async with websockets.connect(
                ws[p.url] + "/ws/supervisor/", origin=Origin(p.url), additional_headers={"Cookie": boss}
            ) as board:
                frame = await next_frame(board, "dashboard")
                boards.append((frame["waiting"], frame["states"]["break"], frame["by_channel"]))
        seen["boards"] = boards
        await visitors[0].send(json.dumps({"type": "end"}))  # the first one gives up
        await next_frame(visitors[0], "ended")
        seen["after"] = [await latest_queue_position(v) for v in visitors[1:]]
        for v in visitors[1:]:
            await v.send(json.dumps({"type": "end"}))
            await v.close()
        await visitors[0].close()
        await staff.send(json.dumps({"type": "duty", "state": "off"}))
    return seen


def test_queue_positions_and_dashboards_agree_across_processes(
    two_processes: tuple[list[Daphne], dict[str, str]],
) -> None:
    processes, _env = two_processes
    seen = asyncio.run(queue_seen_from_both_processes(*processes))
    assert seen["positions"] == [1, 2, 3]
    assert seen["boards"] == [(3, 1, {"chat": 3}), (3, 1, {"chat": 3})]
    assert seen["after"] == [1, 2]


async def conversation_across_a_stopped_process(a: Daphne, b: Daphne) -> list[tuple[int, str]]:
    """Visitor on A, counsellor on B; A is stopped mid-conversation; the visitor comes
    back on B with its token. Returns what the visitor's page ended up showing."""
    cookie = await asyncio.to_thread(login_cookie, b.url, "race0", PASSWORD)
    ws_b = b.url.replace("http://", "ws://")
    shown: dict[int, str] = {}
    async with websockets.connect(
        ws_b + "/ws/console/", origin=Origin(b.url), additional_headers={"Cookie": cookie}
    ) as staff:
        await next_frame(staff, "hello")
        await staff.send(json.dumps({"type": "duty", "state": "available"}))
        visitor = await websockets.connect(a.url.replace("http://", "ws://") + "/ws/visitor/", origin=Origin(a.url))
        await visitor.send(json.dumps({"type": "start", "lang": "sv"}))
        token = (await next_frame(visitor, "started"))["token"]
        offer = await next_frame(staff, "offer")
        await staff.send(json.dumps({"type": "accept", "contact": offer["contact"]}))
        await next_frame(visitor, "joined")
        await staff.send(json.dumps({"type": "send", "contact": offer["contact"], "id": "c1", "text": "ett"}))
        first = await next_frame(visitor, "message")
        shown[first["seq"]] = first["text"]
        a.proc.send_signal(signal.SIGTERM)  # process A goes away mid-conversation
        with pytest.raises(websockets.ConnectionClosed):
            await asyncio.wait_for(visitor.recv(), timeout=10)
        await staff.send(json.dumps({"type": "send", "contact": offer["contact"], "id": "c2", "text": "två"}))
        await asyncio.sleep(0.5)
        async with websockets.connect(ws_b + "/ws/visitor/", origin=Origin(b.url)) as back:
            await back.send(json.dumps({"type": "resume", "token": token, "last_seq": max(shown)}))
            assert (await next_frame(back, "resumed"))["state"] == "active"
            replayed = await next_frame(back, "message")
            shown[replayed["seq"]] = replayed["text"]
            await back.send(json.dumps({"type": "send", "id": "v1", "text": "tre"}))
            mine = await next_frame(back, "sent")
            shown[mine["seq"]] = "tre"
            got = await next_frame(staff, "message")
            assert got["text"] == "tre"
            await staff.send(json.dumps({"type": "end", "contact": offer["contact"]}))
            await next_frame(back, "ended")
        await staff.send(json.dumps({"type": "duty", "state": "off"}))
    return sorted(shown.items())


# Last in this module: it stops process A for good.
def test_a_stopped_process_loses_nothing(two_processes: tuple[list[Daphne], dict[str, str]]) -> None:
    processes, _env = two_processes
    shown = asyncio.run(conversation_across_a_stopped_process(*processes))
    assert shown == [(1, "ett"), (2, "två"), (3, "tre")]  # in order, each once
