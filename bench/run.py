"""Benchmark: this service against a bare Channels pair chat, same machine, same layer,
same Redis, in the same run, so the figures are ratios that hold on a noisy machine.

    python bench/run.py            # the full run (minutes), prints a table
    python bench/run.py --smoke    # a few seconds, as CI runs it so the script cannot rot

Load goes to loopback only, bounded in count and time, and stops by itself.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import subprocess
import sys
import tempfile
import time
import uuid
from contextlib import ExitStack
from pathlib import Path
from typing import Any

import websockets
from websockets.typing import Origin

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from tests.server import daphne_process, login_cookie, prepare, server_env  # noqa: E402

PASSWORD = "bench-password-123"  # noqa: S105 - demo accounts on a throwaway database


def percentile(values: list[float], q: float) -> float:
    if not values:
        return float("nan")
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


async def connect_storm(url: str, path: str, n: int) -> dict[str, Any]:
    """n sockets opening at once: connects per second and errors."""
    ws_url = url.replace("http://", "ws://") + path
    errors = 0
    sockets: list[Any] = []

    async def one(i: int) -> None:
        nonlocal errors
        try:
            sockets.append(await websockets.connect(ws_url.format(i=i), origin=Origin(url), open_timeout=20))
        except Exception:
            errors += 1

    start = time.perf_counter()
    await asyncio.gather(*(one(i) for i in range(n)))
    elapsed = time.perf_counter() - start
    await asyncio.gather(*(s.close() for s in sockets))
    return {"connects_per_s": n / elapsed, "errors": errors}


async def bare_latency(url: str, pairs: int, rate: float, seconds: float) -> dict[str, Any]:
    ws = url.replace("http://", "ws://")
    conns = []
    for i in range(pairs):
        a = await websockets.connect(f"{ws}/ws/pair/r{i}/", origin=Origin(url))
        b = await websockets.connect(f"{ws}/ws/pair/r{i}/", origin=Origin(url))
        conns.append((a, b))
    return await measure(
        [a for a, _b in conns],
        [b for _a, b in conns],
        rate,
        seconds,
        lambda i, t: json.dumps({"t": t}),
        lambda f: f.get("t"),
    )


async def service_latency(url: str, cookies: list[str], pairs: int, rate: float, seconds: float) -> dict[str, Any]:
    """Visitors each in conversation with a counsellor; visitor -> counsellor latency."""
    ws = url.replace("http://", "ws://")
    staff = []
    for cookie in cookies:
        c = await websockets.connect(f"{ws}/ws/console/", origin=Origin(url), additional_headers={"Cookie": cookie})
        await c.send(json.dumps({"type": "duty", "state": "available"}))
        staff.append(c)
    accepted = 0

    async def accept_offers(c: Any) -> None:
        # Routing picks the counsellor: every console accepts whatever it is offered.
        nonlocal accepted
        while accepted < pairs:
            f = json.loads(await c.recv())
            if f["type"] == "offer":
                await c.send(json.dumps({"type": "accept", "contact": f["contact"]}))
            elif f["type"] == "conversation":
                accepted += 1

    acceptors = [asyncio.create_task(accept_offers(c)) for c in staff]
    visitors = []
    for _ in range(pairs):
        v = await websockets.connect(f"{ws}/ws/visitor/", origin=Origin(url))
        await v.send(json.dumps({"type": "start", "lang": "sv"}))
        while json.loads(await asyncio.wait_for(v.recv(), timeout=30))["type"] != "joined":
            pass
        visitors.append(v)
    for task in acceptors:
        task.cancel()
    counter = iter(range(10**9))
    return await measure(
        visitors,
        staff,
        rate,
        seconds,
        lambda i, t: json.dumps({"type": "send", "id": f"m{next(counter)}", "text": repr(t)}),
        lambda f: float(f["text"]) if f.get("type") == "message" and f.get("from") == "visitor" else None,
    )


async def measure(
    senders: list[Any], receivers: list[Any], rate: float, seconds: float, make: Any, stamp: Any
) -> dict[str, Any]:
    latencies: list[float] = []
    sent = 0

    async def receive(sock: Any) -> None:
        while True:
            try:
                f = json.loads(await sock.recv())
            except Exception:
                return
            t = stamp(f)
            if t is not None:
                latencies.append(time.perf_counter() - float(t))

    tasks = [asyncio.create_task(receive(r)) for r in receivers]
    interval = 1 / rate
    end = time.perf_counter() + seconds
    i = 0
    while time.perf_counter() < end:
        await senders[i % len(senders)].send(make(i, time.perf_counter()))
        sent += 1
        i += 1
        await asyncio.sleep(interval)
    await asyncio.sleep(1)
    for t in tasks:
        t.cancel()
    for sock in [*senders, *receivers]:
        await sock.close()
    return {
        "offered_msg_s": rate,
        "delivered": len(latencies) / max(sent, 1),
        "p50_ms": percentile(latencies, 0.5) * 1000,
        "p99_ms": percentile(latencies, 0.99) * 1000,
    }


def latency(name: str, r: dict[str, Any]) -> str:
    return f"{name} p50 {r['p50_ms']:.1f} ms p99 {r['p99_ms']:.1f} ms delivered {r['delivered']:.0%}"


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--smoke", action="store_true", help="a few seconds, small numbers")
    parser.add_argument("--redis", default=os.environ.get("TEST_REDIS_URL", "redis://127.0.0.1:6379/12"))
    args = parser.parse_args()
    storm = 50 if args.smoke else 1000
    pairs = 4 if args.smoke else 100
    rates = [20.0] if args.smoke else [100.0, 300.0, 1000.0]
    seconds = 2.0 if args.smoke else 10.0
    counsellors = 2 if args.smoke else 50

    tmp = Path(tempfile.mkdtemp(prefix="bench-"))
    env = server_env(
        {
            "SQLITE_PATH": str(tmp / "db.sqlite3"),
            "REDIS_URL": args.redis,
            "REDIS_PREFIX": f"bench{uuid.uuid4().hex[:6]}",
            "CONNECTIONS_PER_SOURCE": "100000",
            "FRAMES_PER_SECOND": "1000",
        }
    )
    prepare(env)
    script = (
        "from django.contrib.auth.models import Group, User\n"
        "from routing.models import CounsellorProfile\n"
        "g = Group.objects.get(name='counsellor')\n"
        f"for i in range({counsellors}):\n"
        f"    u = User.objects.create_user(f'bench{{i}}', password='{PASSWORD}')\n"
        "    u.groups.add(g)\n"
        "    CounsellorProfile.objects.create(user=u, display_name=f'B{i}', languages=['sv'], max_chats=2)\n"
    )
    subprocess.run([sys.executable, "manage.py", "shell", "-v", "0", "-c", script], cwd=ROOT, env=env, check=True)
    rows: list[tuple[str, str, str]] = []
    with ExitStack() as stack:
        service = stack.enter_context(daphne_process(env, tmp / "service.log"))
        bare = stack.enter_context(daphne_process(env, tmp / "bare.log", app="bench.bare:application"))
        cookies = [login_cookie(service.url, f"bench{i}", PASSWORD) for i in range(counsellors)]

        async def run() -> None:
            s = await connect_storm(service.url, "/ws/visitor/", storm)
            b = await connect_storm(bare.url, "/ws/pair/s{i}/", storm)
            rows.append(
                (
                    "connect storm",
                    f"{storm} sockets",
                    f"service {s['connects_per_s']:.0f}/s errors {s['errors']}"
                    f" | bare {b['connects_per_s']:.0f}/s errors {b['errors']}",
                )
            )
            for rate in rates:
                r_s = await service_latency(service.url, cookies, pairs, rate, seconds)
                r_b = await bare_latency(bare.url, pairs, rate, seconds)
                rows.append(
                    (
                        "conversations",
                        f"{pairs} chats at {rate:.0f} msg/s",
                        f"{latency('service', r_s)} | {latency('bare', r_b)}",
                    )
                )

        asyncio.run(run())
    print(f"{'scenario':<16} {'load':<26} result")
    for name, load, result in rows:
        print(f"{name:<16} {load:<26} {result}")


if __name__ == "__main__":
    main()
