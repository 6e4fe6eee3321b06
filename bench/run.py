"""Benchmark: this service against a bare Channels pair chat, same machine, same layer,
same Redis, in the same run, so the figures are ratios that hold on a noisy machine.

    python bench/run.py                     # the full run (about 11 minutes), prints a table
    python bench/run.py --smoke             # about a minute, as CI runs it so the script cannot rot
    python bench/run.py --soak-minutes 60   # the full run with an hour of soak
    python bench/run.py --postgres postgres://postgres@127.0.0.1:5432/postgres
                                            # a scratch PostgreSQL database instead of SQLite
    python bench/run.py --scenarios processes --processes 1,2
                                            # only N daphnes behind the project's nginx

Scenarios: a connect storm; idle capacity (memory per connection, then idle CPU with
as many visitors waiting as join in 45 s); conversations at stepped message rates, with each
channel layer; time to match; the phone webhook under chat load; a soak. The server
runs as the README runs it (one daphne process), with the flood limits raised, since
every client here comes from 127.0.0.1. With --processes, also N daphnes of the service
and N bare daphnes, each group behind deploy/nginx rendered as docs/deployment.md does
(TLS, one upstream entry per daphne, the systemd unit's daphne flags), for each N.
Load goes to loopback only, is bounded in count and time, and stops by itself; the
run's Redis keys (and scratch database) are removed at the end.
"""

from __future__ import annotations

import argparse
import importlib.metadata
import json
import multiprocessing
import os
import platform
import signal
import subprocess
import sys
import tempfile
import time
import urllib.parse
import uuid
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager, ExitStack, contextmanager, nullcontext
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

import redis

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.clients import Clients  # noqa: E402
from tests.nginx import Nginx, configure, nginx_binary, running, unit_flags, worker_pids  # noqa: E402
from tests.server import Daphne, daphne_process, prepare, server_env  # noqa: E402

BARE_APP = "bench.bare:application"
TWILIO_TOKEN = "bench-twilio-token"  # noqa: S105 - signs requests to a throwaway server
PUBLIC_BASE_URL = "https://bench.invalid"
CLOCK_TICKS = os.sysconf("SC_CLK_TCK")
P99_TARGET_MS = 100.0

Row = tuple[str, str, str]


@dataclass(frozen=True)
class Plan:
    """How much of everything; the full run's defaults, or the smoke run's."""

    storm: int = 1000
    idle_visitors: int = 5000
    idle_window: float = 10.0  # seconds over which idle CPU is measured
    fill_seconds: float = 45.0  # how long visitors keep joining the queue in the idle scenario
    counsellors: int = 100  # accounts; all of them are on the console in the idle scenario
    # Conversations need counsellors on duty, and every console re-reads all counsellors
    # and the whole queue on every change of the queue: with 100 consoles the service
    # cannot set up 500 chats in bounded time (see docs/performance.md). So 10 consoles,
    # 50 chats each; the admin allows 1-6, the bench writes the profile directly.
    chat_counsellors: int = 10
    max_chats: int = 50
    chats: int = 500
    # 100, 300 and 1,000 as asked, and lower steps: the service is past capacity at 100.
    # 400 because 300 -> 500 was too coarse to say whether the service reaches 0.8 of bare at 500.
    rates: tuple[float, ...] = (25.0, 50.0, 100.0, 300.0, 400.0, 500.0, 700.0, 1000.0)
    step_seconds: float = 10.0
    match_rate: float = 20.0
    match_seconds: float = 15.0
    phone_rate: float = 10.0
    phone_seconds: float = 15.0
    phone_chat_rate: float = 50.0
    soak_minutes: float = 1.0
    soak_chats: int = 50
    soak_messages: int = 5
    layers: tuple[str, ...] = ("pubsub", "core")
    clients: int = 3  # visitor-side worker processes (plus one for consoles, one for the phone)
    lanes: int = 10  # handshakes or starts in flight per visitor-side worker
    # Several daphnes behind the project's nginx (--processes): how many, and the rates.
    # Finer steps than above, from where one process is still easy: the scaling ratio is
    # a ratio of two such steps, and with 300, 500, 700 it could only say 1, 1.4 or 2.3.
    processes: tuple[int, ...] = (1, 2)
    process_rates: tuple[float, ...] = (100.0, 200.0, 300.0, 400.0, 500.0, 600.0, 700.0, 800.0, 1000.0, 1200.0, 1400.0)


SMOKE = Plan(
    storm=50,
    idle_visitors=50,
    idle_window=1.0,
    fill_seconds=3.0,
    counsellors=4,
    chat_counsellors=2,
    max_chats=2,
    chats=4,
    rates=(20.0,),
    step_seconds=2.0,
    match_rate=2.0,
    match_seconds=2.0,
    phone_rate=5.0,
    phone_seconds=2.0,
    phone_chat_rate=10.0,
    soak_minutes=0.1,
    soak_chats=2,
    soak_messages=2,
    layers=("pubsub",),
    clients=2,
    lanes=4,
    processes=(2,),
    process_rates=(20.0,),
)


# --- measuring the server process ---
def rss_kb(pid: int) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1])
    raise RuntimeError("no VmRSS")


def cpu_seconds(pid: int) -> float:
    """User plus system time of the whole process (all its threads)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / CLOCK_TICKS


def cpu_share(pid: int, seconds: float) -> float:
    """Share of one core the process used over the next ``seconds``."""
    before, t = cpu_seconds(pid), time.monotonic()
    time.sleep(seconds)
    return (cpu_seconds(pid) - before) / (time.monotonic() - t)


def settle(pid: int, below: float = 0.15, longest: float = 180) -> float:
    """Wait until the process is quiet (under ``below`` of a core for a second). Seconds waited."""
    t = time.monotonic()
    while time.monotonic() - t < longest and cpu_share(pid, 1.0) > below:
        pass
    return time.monotonic() - t


def machine_busy_seconds() -> float:
    """CPU time the whole machine spent on anything but idling, all cores together."""
    fields = [int(x) for x in Path("/proc/stat").read_text().splitlines()[0].split()[1:]]
    idle = fields[3] + fields[4]  # idle, iowait
    return (sum(fields[:8]) - idle) / CLOCK_TICKS  # user .. steal; guest time is inside user


class Meter:
    """CPU time by group of processes (daphnes, nginx, Redis, the load clients), and the
    machine's: where the two cores go during a step."""

    def __init__(self, groups: dict[str, list[int]]) -> None:
        self.groups = {name: pids for name, pids in groups.items() if pids}

    def snapshot(self) -> tuple[float, dict[str, float]]:
        out = {name: sum(self._cpu(pid) for pid in pids) for name, pids in self.groups.items()}
        out["machine"] = machine_busy_seconds()
        return time.monotonic(), out

    @staticmethod
    def _cpu(pid: int) -> float:
        try:
            return cpu_seconds(pid)
        except OSError:
            return 0.0  # gone (a nginx worker replaced): its time is lost, not invented

    @staticmethod
    def shares(before: tuple[float, dict[str, float]], after: tuple[float, dict[str, float]]) -> dict[str, float]:
        """Cores used by each group between the two snapshots; "rest" is everything else
        on the machine (other work sharing it)."""
        seconds = after[0] - before[0]
        out = {name: (after[1][name] - before[1][name]) / seconds for name in after[1]}
        out["rest"] = max(0.0, out["machine"] - sum(v for k, v in out.items() if k != "machine"))
        return out


def note(what: str) -> None:
    """Progress on stderr, for whoever watches a long run."""
    print(f"{time.strftime('%H:%M:%S')} {what}", file=sys.stderr, flush=True)


def percentile(values: list[float], q: float) -> float:
    if not values:
        return float("nan")
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


def ms(seconds: float) -> str:
    return f"{seconds * 1000:.0f} ms" if seconds >= 0.01 else f"{seconds * 1000:.1f} ms"


def split(n: int, parts: int) -> list[int]:
    return [n // parts + (1 if i < n % parts else 0) for i in range(parts)]


def merge(counts: list[dict[str, int]]) -> dict[str, int]:
    out: dict[str, int] = {}
    for c in counts:
        for k, v in c.items():
            out[k] = out.get(k, 0) + v
    return out


def describe(counts: dict[str, int]) -> str:
    return ", ".join(f"{v} {k}" for k, v in sorted(counts.items(), key=lambda kv: -kv[1])) or "none"


@dataclass
class Run:
    """The workers and the plan: visitor-side workers ``vw``, the console worker ``cw``
    (consoles and bare receivers), and the phone worker ``pw``."""

    plan: Plan
    clients: Clients
    rows: list[Row] = field(default_factory=list)
    results: dict[str, Any] = field(default_factory=dict)
    redis_pid: int = 0  # the Redis server's process, if on this machine (its CPU is measured)
    profile: Path | None = None  # --profile: py-spy's stacks of the service daphne, per step
    memtrace: Path | None = None  # --memtrace: tracemalloc dumps of the soak's daphne

    @property
    def vw(self) -> list[int]:
        return list(range(self.plan.clients))

    @property
    def cw(self) -> int:
        return self.plan.clients

    @property
    def pw(self) -> int:
        return self.plan.clients + 1

    def row(self, scenario: str, load: str, result: str) -> None:
        self.rows.append((scenario, load, result))
        note(f"{scenario}: {load}: {result}")

    def on_visitor_workers(self, name: str, per_worker: Callable[[int, int], dict[str, Any]], n: int) -> list[Any]:
        """The command on every visitor worker, with n shared out: per_worker(index, share)."""
        shares = split(n, len(self.vw))
        return self.clients.each(self.vw, name, [per_worker(i, shares[i]) for i in self.vw], wait=1800)

    def attempt(self, scenario: str, body: Callable[..., None], *args: Any, **kwargs: Any) -> None:
        """Run a scenario; if it fails, say so in the table and go on with the next."""
        try:
            body(self, *args, **kwargs)
        except Exception as exc:
            self.row(scenario, "failed", f"{type(exc).__name__}: {str(exc).strip().splitlines()[-1][:200]}")
            self.results.setdefault("failures", []).append({"scenario": scenario, "error": str(exc)})
            self.reset()

    def reset(self) -> None:
        for i in [*self.vw, self.cw, self.pw]:
            self.clients.call(i, "reset", wait=120)

    def errors(self) -> dict[str, int]:
        reports = [self.clients.call(i, "report") for i in [*self.vw, self.cw, self.pw]]
        return merge([r["errors"] for r in reports])

    def wait_ended(self, longest: float = 60) -> int:
        """Wait until the consoles hold no conversation; how many they still hold."""
        deadline = time.monotonic() + longest
        while (active := self.clients.call(self.cw, "active")) and time.monotonic() < deadline:
            time.sleep(0.5)
        return int(active)


# --- scenarios ---
def storm(run: Run, service: Daphne, bare: Daphne) -> None:
    n = run.plan.storm
    out: dict[str, dict[str, Any]] = {}
    for name, server, path in (("service", service, "/ws/visitor/"), ("bare", bare, "/ws/pair/s{i}/")):
        at = time.monotonic() + 1.0

        def share_out(i: int, share: int, server: Daphne = server, path: str = path, at: float = at) -> dict[str, Any]:
            first = sum(split(n, len(run.vw))[:i])
            return {"base": server.url, "paths": [path.format(i=first + k) for k in range(share)], "at": at}

        answers = run.on_visitor_workers("storm", share_out, n)
        seconds = max(a["t1"] for a in answers) - min(a["t0"] for a in answers)
        errors = merge([a["errors"] for a in answers])
        out[name] = {"connects_per_s": n / seconds, "seconds": seconds, "errors": sum(errors.values()), "kinds": errors}
        run.clients.each(run.vw, "close_storm", [{} for _ in run.vw])
        time.sleep(1)
    run.results["storm"] = out
    s, b = out["service"], out["bare"]
    run.row(
        "connect storm",
        f"{n} sockets at once",
        f"service {s['connects_per_s']:.0f}/s errors {s['errors']}"
        f" | bare {b['connects_per_s']:.0f}/s errors {b['errors']}",
    )


def idle_capacity(run: Run, env: dict[str, str], cookies: list[str], tmp: Path) -> None:
    """Visitors and counsellors on a fresh daphne: memory per connection, then as many
    visitors waiting as join in ``fill_seconds``, then idle CPU with all of them there."""
    p = run.plan
    c, clients = run.cw, run.clients
    out: dict[str, Any] = {}
    with daphne_process(env, tmp / "idle-service.log") as server:
        pid = server.proc.pid
        # Someone must be on shift, or visitors are told nobody is there; on a break, so
        # that nobody is offered a contact and the queue only grows.
        clients.call(c, "consoles", base=server.url, cookies=cookies[:1], duty="break")
        clients.call(run.vw[0], "visitors", base=server.url, n=1, concurrency=1, wait_joined=False, timeout=30)
        clients.call(run.vw[0], "end_visitors")
        time.sleep(2)
        settle(pid)
        rss0 = rss_kb(pid)
        opened = run.on_visitor_workers(
            "connect_visitors",
            lambda i, share: {"base": server.url, "n": share, "concurrency": p.lanes},
            p.idle_visitors,
        )
        sockets = sum(o["opened"] for o in opened)
        failed = merge([o["failed"] for o in opened])
        note(f"idle: {sockets} visitor sockets open, {describe(failed)} refused")
        settle(pid)
        rss1 = rss_kb(pid)
        # Visitors join the queue, a few at a time per worker, until time is up. Only one
        # console meanwhile: each console re-reads the queue on every arrival.
        t = time.monotonic()
        started = run.on_visitor_workers(
            "start_visitors", lambda i, share: {"concurrency": p.lanes, "seconds": p.fill_seconds, "timeout": 120}, 0
        )
        fill_seconds = time.monotonic() - t
        outcomes = merge([a["outcomes"] for a in started])
        waiting = outcomes.get("queued", 0)
        note(f"idle: {waiting} waiting after {fill_seconds:.0f} s ({describe(outcomes)})")
        done = sorted(d for a in started for d in a["done"])
        last = [d for d in done if d >= done[-1] - 20] if done else []
        end_rate = (len(last) - 1) / (last[-1] - last[0]) if len(last) > 1 and last[-1] > last[0] else 0.0
        settle(pid, longest=120)
        rss2 = rss_kb(pid)
        # The other consoles stay off duty: each "duty" is a change of the queue, and each
        # change makes every waiting visitor re-read all counsellors (see the docs).
        clients.call(c, "consoles", base=server.url, cookies=cookies[1:], duty="")
        settle(pid, longest=120)
        rss3 = rss_kb(pid)
        note("idle: all consoles there, measuring idle CPU")
        connections = sockets + len(cookies)
        cpu_keepalive = cpu_share(pid, p.idle_window)
        for i in [*run.vw, c]:
            clients.call(i, "keepalive", on=False)
        time.sleep(1)
        cpu_silent = cpu_share(pid, p.idle_window)
        # What one more arrival costs, all told, with everybody there.
        before, t = cpu_seconds(pid), time.monotonic()
        clients.call(run.vw[0], "visitors", base=server.url, n=1, concurrency=1, wait_joined=False, timeout=120)
        settle(pid, below=cpu_silent + 0.05, longest=120)
        one_arrival = cpu_seconds(pid) - before - cpu_silent * (time.monotonic() - t)
        for i in [*run.vw, c]:
            clients.call(i, "keepalive", on=True)
        report = clients.call(c, "report")
        out["service"] = {
            "sockets": sockets,
            "failed": failed,
            "connections": connections,
            "rss_kb": [rss0, rss1, rss2, rss3],
            "kb_per_connection": (rss3 - rss0 - (rss2 - rss1)) / connections,
            "kb_per_visitor_socket": (rss1 - rss0) / max(sockets, 1),
            "kb_per_waiting_contact": (rss2 - rss1) / max(waiting, 1),
            "kb_per_console": (rss3 - rss2) / max(len(cookies) - 1, 1),
            "fill_seconds": fill_seconds,
            "waiting": waiting,
            "outcomes": outcomes,
            "starts_per_s_at_end": end_rate,
            "cpu_with_keepalives": cpu_keepalive,
            "cpu_silent": cpu_silent,
            "cpu_seconds_one_arrival": one_arrival,
            "console_queue_frame_bytes": report["max_console_frame"],
        }
        clients.each(run.vw, "close_visitors", [{} for _ in run.vw])
        clients.call(c, "close_consoles")
    with daphne_process(env, tmp / "idle-bare.log", app=BARE_APP) as server:
        pid = server.proc.pid
        clients.call(run.vw[0], "bare", base=server.url, rooms=["warm"], role="both")
        time.sleep(2)
        settle(pid)
        rss0 = rss_kb(pid)
        rooms = connections // 2
        offsets = [sum(split(rooms, len(run.vw))[:i]) for i in run.vw]
        run.on_visitor_workers(
            "bare",
            lambda i, share: {
                "base": server.url,
                "rooms": [f"i{offsets[i] + k}" for k in range(share)],
                "role": "both",
            },
            rooms,
        )
        settle(pid)
        rss1 = rss_kb(pid)
        out["bare"] = {
            "connections": rooms * 2,
            "kb_per_connection": (rss1 - rss0) / (rooms * 2),
            "cpu_silent": cpu_share(pid, p.idle_window),
        }
        clients.each(run.vw, "close_bare", [{} for _ in run.vw])
    run.results["idle"] = out
    s, b = out["service"], out["bare"]
    refused = f", {sum(failed.values())} refused ({describe(failed)})" if failed else ""
    run.row(
        "idle capacity",
        f"{sockets} visitor sockets + {len(cookies)} consoles",
        f"service {s['kb_per_connection']:.0f} KB/connection{refused}"
        f" | bare {b['kb_per_connection']:.0f} KB/connection",
    )
    run.row(
        "idle, waiting",
        f"visitors join for {p.fill_seconds:.0f} s, 1 console",
        f"{waiting} waiting ({describe(outcomes)}), {end_rate:.1f} joins/s at the end;"
        f" {s['kb_per_waiting_contact']:.0f} KB more per waiting visitor",
    )
    run.row(
        "idle, all there",
        f"{sockets} sockets, {waiting} waiting, {len(cookies)} consoles",
        f"service CPU {cpu_keepalive:.0%} of a core with the pages' keep-alives, {cpu_silent:.0%} silent;"
        f" one more arrival costs {one_arrival:.1f} CPU-s; a console's queue frame"
        f" {s['console_queue_frame_bytes'] / 1024:.0f} KB | bare CPU {b['cpu_silent']:.0%}",
    )


def open_chats(run: Run, url: str, label: str) -> None:
    p = run.plan
    note(f"setting up {p.chats} chats ({label})")
    t = time.monotonic()
    answers = run.on_visitor_workers(
        "visitors",
        lambda i, share: {
            "base": url,
            "n": share,
            "concurrency": p.lanes,
            "wait_joined": True,
            "timeout": 300,
        },
        p.chats,
    )
    seconds = time.monotonic() - t
    outcomes = merge([a["outcomes"] for a in answers])
    waits = [w for a in answers for w in a["waits"]]
    syncs = sum(a["syncs"] for a in answers)
    run.results.setdefault("setup", {})[label] = {
        "seconds": seconds,
        "outcomes": outcomes,
        "wait_p50": percentile(waits, 0.5),
        "wait_p99": percentile(waits, 0.99),
        "syncs": syncs,
    }
    run.row(
        "chat set-up",
        f"{p.chats} chats, {p.lanes * len(run.vw)} at a time ({label})",
        f"{describe(outcomes)} in {seconds:.0f} s ({p.chats / seconds:.0f}/s); start to joined"
        f" p50 {ms(percentile(waits, 0.5))} p99 {ms(percentile(waits, 0.99))}; {syncs} syncs sent while waiting",
    )
    if outcomes.get("joined", 0) != p.chats:
        raise RuntimeError(f"chat set-up failed: {outcomes}")


def step(
    run: Run,
    kind: str,
    rate: float,
    seconds: float,
    name: str,
    receivers: list[int] | None = None,
    meter: Meter | None = None,
    port: int = 0,
) -> dict[str, Any]:
    """Messages at ``rate`` for ``seconds`` from the visitor side (only its sockets to
    ``port``, if given); timed at the console side (the ``receivers`` workers, by default
    the console worker). With a ``meter``, also the cores each group of processes used
    over the step."""
    clients = run.clients
    receivers = receivers or [run.cw]
    for i in receivers:
        clients.call(i, "record", step=name)
    at = time.monotonic() + 0.5
    for i in run.vw:
        clients.send(i, "blast", kind=kind, rate=rate / len(run.vw), seconds=seconds, at=at, step=name, port=port)
    time.sleep(max(0.0, at - time.monotonic()))
    before = meter.snapshot() if meter else None
    answers = [clients.result(i, seconds + 120) for i in run.vw]
    cpu = Meter.shares(before, meter.snapshot()) if meter and before else None
    sent = sum(a["sent"] for a in answers)
    deadline = time.monotonic() + 5
    while sum(clients.call(i, "received") for i in receivers) < sent and time.monotonic() < deadline:
        time.sleep(0.2)
    latencies: list[float] = [x for i in receivers for x in clients.call(i, "collect")]
    return {
        **({"cpu": cpu} if cpu else {}),
        "offered": rate,
        "sent": sent,
        "send_late_s": max(a["late"] for a in answers),
        "received": len(latencies),
        "delivered": len(latencies) / max(sent, 1),
        "delivered_per_s": len(latencies) / seconds,
        "p50_ms": percentile(latencies, 0.5) * 1000,
        "p99_ms": percentile(latencies, 0.99) * 1000,
    }


@contextmanager
def profiled(run: Run, server: Daphne | None, label: str, seconds: float) -> Iterator[None]:
    """With --profile, sample the server daphne's Python stacks for the step (py-spy,
    collapsed "raw" format: one line per stack with its count); bench/top_frames.py reads
    them. py-spy takes a share of a core: a profiled run's latencies are not figures."""
    if run.profile is None or server is None:
        yield
        return
    out = run.profile / f"service-{label}.txt"
    spy_bin = str(Path(sys.executable).with_name("py-spy"))
    spy = subprocess.Popen(
        [
            spy_bin,
            "record",
            "--pid",
            str(server.proc.pid),
            "--format",
            "raw",
            "--rate",
            "200",
            "--function",
            "--duration",
            str(int(seconds + 1)),
            "--output",
            str(out),
            "--nonblocking",
        ],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        yield
    finally:
        spy.wait(timeout=seconds + 60)
        note(f"profile of the service at {label}: {out}")


def latency(name: str, r: dict[str, Any]) -> str:
    return (
        f"{name} p50 {r['p50_ms']:.1f} ms p99 {r['p99_ms']:.1f} ms delivered {r['delivered']:.0%}"
        f" ({r['delivered_per_s']:.0f}/s)"
    )


def best(steps: list[dict[str, Any]]) -> float:
    """The highest offered rate delivered in full (99 %) with p99 under the target; 0 if none."""
    ok = [s["offered"] for s in steps if s["p99_ms"] < P99_TARGET_MS and s["delivered"] >= 0.99]
    return max(ok, default=0.0)


def move_chats(run: Run, service: Daphne, label: str) -> None:
    """The visitors of the chats set up on the previous server resume them on this one."""
    p = run.plan
    note(f"moving {p.chats} chats to the {label} server")
    t = time.monotonic()
    answers = run.on_visitor_workers(
        "move_visitors", lambda i, share: {"base": service.url, "concurrency": p.lanes, "timeout": 120}, 0
    )
    seconds = time.monotonic() - t
    outcomes = merge([a["outcomes"] for a in answers])
    waits = [w for a in answers for w in a["waits"]]
    run.results.setdefault("setup", {})[label] = {"seconds": seconds, "outcomes": outcomes, "resumed": True}
    run.row(
        "chat set-up",
        f"{p.chats} chats resume, {p.lanes * len(run.vw)} at a time ({label})",
        f"{describe(outcomes)} in {seconds:.0f} s; resume to joined p50 {ms(percentile(waits, 0.5))}"
        f" p99 {ms(percentile(waits, 0.99))}",
    )
    if outcomes.get("joined", 0) != p.chats:
        raise RuntimeError(f"chats did not resume: {outcomes}")


def over(r: dict[str, Any]) -> bool:
    """Past capacity: the next, higher rate would only pile up more."""
    return bool(r["delivered"] < 0.9 or r["p99_ms"] > 2000)


def conversations(run: Run, layer: str, service: Daphne, bare: Daphne, *, move: bool, phone: bool) -> None:
    p = run.plan
    clients = run.clients
    if move and sum(clients.call(i, "count") for i in run.vw) == p.chats:
        move_chats(run, service, layer)
    else:
        open_chats(run, service.url, layer)
    settle(service.proc.pid, below=0.3, longest=90)
    # The bare pairs: receivers with the consoles, senders on the visitor workers.
    rooms = [f"r{k}" for k in range(p.chats)]
    clients.call(run.cw, "bare", base=bare.url, rooms=rooms, role="receive")
    offsets = [sum(split(p.chats, len(run.vw))[:i]) for i in run.vw]
    run.on_visitor_workers(
        "bare",
        lambda i, share: {"base": bare.url, "rooms": rooms[offsets[i] : offsets[i] + share], "role": "send"},
        p.chats,
    )
    steps: dict[str, list[dict[str, Any]]] = {"service": [], "bare": []}
    for rate in p.rates:
        shown = []
        for kind, server in (("service", service), ("bare", bare)):
            done = steps[kind]
            if done and over(done[-1]):
                shown.append(f"{kind} not run (over capacity at a lower rate)")
                continue
            with profiled(run, server if kind == "service" else None, f"{layer}-{rate:.0f}", p.step_seconds):
                r = step(run, kind, rate, p.step_seconds, f"{kind[0]}{layer}{rate:.0f}")
            # What is still queued in the server must not spill into the next step.
            r["settle_s"] = settle(server.proc.pid, below=0.3, longest=90)
            done.append(r)
            shown.append(latency(kind, r))
        run.row("conversations", f"{p.chats} chats at {rate:.0f} msg/s ({layer})", " | ".join(shown))
    s_best, b_best = best(steps["service"]), best(steps["bare"])
    ratio = f"{s_best / b_best:.2f}" if b_best else "n/a"
    run.row(
        "conversations",
        f"best with p99 < {P99_TARGET_MS:.0f} ms ({layer})",
        f"service {s_best:.0f} msg/s | bare {b_best:.0f} msg/s | ratio {ratio}",
    )
    run.results.setdefault("conversations", {})[layer] = {**steps, "best": {"service": s_best, "bare": b_best}}
    if phone:
        phone_under_load(run, service)
    clients.call(run.cw, "close_bare")
    clients.each(run.vw, "close_bare", [{} for _ in run.vw])


def missed(r: dict[str, Any]) -> bool:
    return bool(r["p99_ms"] >= P99_TARGET_MS or r["delivered"] < 0.99)


def settle_all(pids: list[int]) -> float:
    return sum(settle(pid, below=0.3, longest=90) for pid in pids)


@dataclass
class Stack:
    """One side (this service, or bare Channels) with ``n`` daphnes behind its own nginx."""

    side: str
    n: int
    daphnes: list[Daphne]
    proxy: Nginx
    master: int
    steps: list[dict[str, Any]] = field(default_factory=list)

    @property
    def key(self) -> str:
        """Its name in the CPU figures."""
        return f"{self.side} x{self.n}"

    @property
    def label(self) -> str:
        return f"{self.n} process" + ("es" if self.n > 1 else "")

    @property
    def pids(self) -> list[int]:
        return [d.proc.pid for d in self.daphnes]

    def groups(self) -> dict[str, list[int]]:
        out = {f"{self.key} daphne {i}": [d.proc.pid] for i, d in enumerate(self.daphnes)}
        out[f"{self.key} nginx"] = [self.master, *worker_pids(self.master)]
        return out

    def done(self) -> bool:
        """Only the highest rate under the target is wanted: a stack stops after two
        misses in a row (one could be the shared machine's noise) or one step past capacity."""
        s = self.steps
        return bool(s) and (over(s[-1]) or (len(s) > 1 and missed(s[-1]) and missed(s[-2])))


def by_part(cpu: dict[str, float], stack: Stack) -> dict[str, float]:
    """Cores used for one stack: its daphnes, its nginx, Redis, the load clients (and
    the bench's parent process). The other stacks, idle meanwhile, are not in it."""
    return {
        "daphnes": sum(v for k, v in cpu.items() if k.startswith(f"{stack.key} daphne ")),
        "nginx": cpu.get(f"{stack.key} nginx", 0.0),
        "redis": cpu.get("redis", 0.0),
        "clients": cpu.get("clients", 0.0) + cpu.get("bench", 0.0),
    }


def cpu_line(r: dict[str, Any], stack: Stack) -> str:
    """Where the cores went during one step, for the table."""
    cpu = r["cpu"]
    mine = by_part(cpu, stack)
    each = "+".join(f"{v:.0%}" for k, v in sorted(cpu.items()) if k.startswith(f"{stack.key} daphne "))
    named = sum(mine.values())
    idle = sum(v for k, v in cpu.items() if k not in ("machine", "rest")) - named
    return (
        f"daphnes {mine['daphnes']:.0%} ({each}), nginx {mine['nginx']:.0%}, redis {mine['redis']:.0%},"
        f" clients {mine['clients']:.0%}, the other stacks (idle) {idle:.0%}, rest of machine {cpu['rest']:.0%};"
        f" machine {cpu['machine']:.0%} of {os.cpu_count() or 0}00%"
    )


def per_message(r: dict[str, Any], idle: dict[str, float], stack: Stack) -> dict[str, float]:
    """CPU milliseconds one more message costs in one step (above the chats' idle cost:
    keep-alives, pings), by part, and what the machine's cores could carry at that cost
    with the idle cost paid and nothing else running on them."""
    rate = max(r["delivered_per_s"], 1e-9)
    busy, quiet = by_part(r["cpu"], stack), by_part(idle, stack)
    out = {k: max(0.0, 1000 * (busy[k] - quiet[k]) / rate) for k in busy}
    out["all"] = sum(out.values())
    out["idle_cores"] = sum(quiet.values())
    spare = (os.cpu_count() or 1) - out["idle_cores"]
    out["ceiling_msg_per_s"] = spare * 1000 / out["all"] if out["all"] else 0.0
    return out


def per_message_line(c: dict[str, float]) -> str:
    return (
        f"daphnes {c['daphnes']:.2f} ms, nginx {c['nginx']:.2f} ms, redis {c['redis']:.2f} ms,"
        f" clients {c['clients']:.2f} ms: {c['all']:.2f} ms all told, and {c['idle_cores']:.0%} of a core idle;"
        f" {os.cpu_count()} cores with nothing else on them carry at most {c['ceiling_msg_per_s']:.0f} msg/s"
    )


def established(port: int) -> int:
    """TCP connections established to this local port (IPv4 loopback): how nginx spread them."""
    count = 0
    for line in Path("/proc/net/tcp").read_text().splitlines()[1:]:
        local, state = line.split()[1], line.split()[3]
        if state == "01" and int(local.split(":")[1], 16) == port:
            count += 1
    return count


def processes(
    run: Run, counts: tuple[int, ...], env_for: Callable[[int], dict[str, str]], cookies: list[str], tmp: Path
) -> None:
    """For each N in ``counts``: N daphnes of this service and N bare daphnes, each group
    behind its own nginx run from deploy/nginx as docs/deployment.md runs it (TLS, the
    upstream list, daphne with the systemd unit's flags), one Redis for the channel layer
    and the store. All of them run at once, each N on its own Redis prefix with its own
    chats, and the message steps take turns between them at every rate, so that the
    scaling ratio (N processes over one), like the ratio to bare Channels, compares
    figures taken under the same conditions on a machine that other work shares."""
    p = run.plan
    clients = run.clients
    layer = env_for(counts[0])["CHANNEL_LAYER"]
    # The phone worker has nothing to do here: it takes half the consoles and receivers,
    # so that one client process does not limit what several daphnes can deliver.
    receivers = [run.cw, run.pw]
    with ExitStack() as context:
        stacks: list[Stack] = []
        for n in counts:
            folder = tmp / f"processes{n}"
            folder.mkdir()
            for side, app in (("service", "chatservice.asgi:application"), ("bare", BARE_APP)):
                daphnes = [
                    context.enter_context(
                        daphne_process(env_for(n), folder / f"{side}{i}.log", app=app, extra_args=unit_flags())
                    )
                    for i in range(n)
                ]
                proxy = configure(folder / f"{side}-nginx", [d.port for d in daphnes], folder / "static")
                master = context.enter_context(running(proxy)).pid
                stacks.append(Stack(side, n, daphnes, proxy, master))
        for i in [*run.vw, *receivers]:
            clients.call(i, "trust", cafiles=[str(s.proxy.cert) for s in stacks])
        groups: dict[str, list[int]] = {"redis": [run.redis_pid] if run.redis_pid else []}
        for s in stacks:
            groups.update(s.groups())
        groups["clients"] = [proc.pid for proc in clients.procs if proc.pid]
        groups["bench"] = [os.getpid()]
        meter = Meter(groups)

        for s in stacks:
            note(f"{s.side}, {s.label}: sockets through nginx")
            if s.side == "service":
                for i, share in zip(receivers, [cookies[0::2], cookies[1::2]], strict=True):
                    if share:
                        clients.call(i, "consoles", base=s.proxy.origin, cookies=share, duty="available")
                open_chats(run, s.proxy.origin, f"{layer}, {s.label} behind nginx")
                settle_all(s.pids)
            else:
                rooms = [f"n{s.n}r{k}" for k in range(p.chats)]
                for i, share in zip(receivers, [rooms[0::2], rooms[1::2]], strict=True):
                    clients.call(i, "bare", base=s.proxy.origin, rooms=share, role="receive")
                offsets = [sum(split(p.chats, len(run.vw))[:i]) for i in run.vw]
                senders = [
                    {"base": s.proxy.origin, "rooms": rooms[offsets[i] : offsets[i] + share], "role": "send"}
                    for i, share in zip(run.vw, split(p.chats, len(run.vw)), strict=True)
                ]
                clients.each(run.vw, "bare", senders, wait=1800)
        # What all the chats cost with no messages (keep-alives, pings): a message's cost
        # is what a step costs above this.
        settle_all([pid for s in stacks for pid in s.pids])
        before = meter.snapshot()
        time.sleep(p.idle_window)
        idle = Meter.shares(before, meter.snapshot())

        for k, rate in enumerate(p.process_rates):
            # Each rate: the service's stacks, then bare Channels', in turn; every other
            # rate in the reverse order of N, so that neither N always goes first.
            order = sorted(stacks, key=lambda s: (s.side != "service", s.n if k % 2 == 0 else -s.n))
            if all(s.done() for s in order):
                break
            shown = []
            for s in order:
                if s.done():
                    shown.append(f"{s.side} x{s.n} not run")
                    continue
                name = f"{s.side[0]}n{s.n}r{rate:.0f}"
                r = step(run, s.side, rate, p.step_seconds, name, receivers, meter, port=s.proxy.https)
                r["settle_s"] = settle_all(s.pids)
                s.steps.append(r)
                shown.append(latency(f"{s.side} x{s.n}", r))
            run.row("processes", f"{p.chats} chats per N at {rate:.0f} msg/s", " | ".join(shown))

        out: dict[str, Any] = {}
        for n in counts:
            service, bare = (next(s for s in stacks if s.n == n and s.side == side) for side in ("service", "bare"))
            best_of = {s.side: best(s.steps) for s in (service, bare)}
            ratio = best_of["service"] / best_of["bare"] if best_of["bare"] else None
            # nginx's connections to each daphne (the WebSockets it holds): all take load.
            spread = {s.side: [established(d.port) for d in s.daphnes] for s in (service, bare)}
            run.row(
                "processes",
                f"{service.label}: best with p99 < {P99_TARGET_MS:.0f} ms",
                f"service {best_of['service']:.0f} msg/s | bare {best_of['bare']:.0f} msg/s"
                f" | ratio {'n/a' if ratio is None else f'{ratio:.2f}'}"
                f"; sockets per daphne: service {'+'.join(map(str, spread['service']))},"
                f" bare {'+'.join(map(str, spread['bare']))}",
            )
            costs: dict[str, dict[str, float]] = {}
            for s in (service, bare):
                if not s.steps:
                    continue
                # Where the cores went at the highest rate this stack ran: what limits it.
                top = s.steps[-1]
                run.row("processes", f"{s.label}: CPU, {s.side} at {top['offered']:.0f} msg/s", cpu_line(top, s))
                # What a message costs, from the highest step that kept up (past it, time
                # goes into queues and catching up as well).
                kept = [r for r in s.steps if not missed(r)]
                ref = kept[-1] if kept else s.steps[0]
                costs[s.side] = {**per_message(ref, idle, s), "at": ref["offered"]}
                run.row(
                    "processes",
                    f"{s.label}: CPU per message, {s.side} at {ref['offered']:.0f} msg/s",
                    per_message_line(costs[s.side]),
                )
            out[str(n)] = {
                "service": service.steps,
                "bare": bare.steps,
                "best": best_of,
                "ratio": ratio,
                "sockets_per_daphne": spread,
                "cpu_ms_per_message": costs,
            }
        out["cpu_idle"] = idle
        out["pids"] = groups
        run.results["processes"] = out
        run.reset()


def scaling(run: Run) -> None:
    """Each N's best rate over one process's, for both sides (the issue's target: 2 ≥ 1.6 × 1)."""
    figures = run.results.get("processes", {})
    if "1" not in figures:
        return
    one = figures["1"]["best"]
    out: dict[str, dict[str, float | None]] = {}
    for key, f in figures.items():
        if key == "1" or "best" not in f:
            continue
        out[key] = {side: (f["best"][side] / one[side] if one[side] else None) for side in ("service", "bare")}
        shown = {side: "n/a" if v is None else f"{v:.2f}" for side, v in out[key].items()}
        run.row(
            "processes",
            f"scaling, {key} processes / 1",
            f"service {shown['service']} | bare {shown['bare']} (target for the service: 2 processes ≥ 1.6)",
        )
    figures["scaling"] = out


def phone_under_load(run: Run, service: Daphne) -> None:
    p = run.plan
    clients = run.clients
    args: dict[str, Any] = {
        "base": service.url,
        "token": TWILIO_TOKEN,
        "public": PUBLIC_BASE_URL,
        "rate": p.phone_rate,
        "seconds": p.phone_seconds,
    }
    settle(service.proc.pid, below=0.3, longest=90)
    quiet = clients.call(run.pw, "phone", **args)
    clients.send(run.pw, "phone", **args)
    chat = step(run, "service", p.phone_chat_rate, p.phone_seconds, "phone")
    loaded = clients.result(run.pw, timeout=p.phone_seconds + 120)
    out: dict[str, Any] = {}
    for name, calls in (("quiet", quiet), ("chat", loaded)):
        seconds = [c["seconds"] for c in calls]
        statuses: dict[str, int] = {}
        for c in calls:
            statuses[str(c["status"])] = statuses.get(str(c["status"]), 0) + 1
        out[name] = {"p50": percentile(seconds, 0.5), "p99": percentile(seconds, 0.99), "statuses": statuses}
    out["chat_load"] = chat
    run.results["phone"] = out
    q, c = out["quiet"], out["chat"]
    run.row(
        "phone webhook",
        f"{p.phone_rate:.0f} POST/s, alone",
        f"p50 {ms(q['p50'])} p99 {ms(q['p99'])}, HTTP {describe(q['statuses'])}",
    )
    run.row(
        "phone webhook",
        f"{p.phone_rate:.0f} POST/s + {p.phone_chat_rate:.0f} msg/s chat",
        f"p50 {ms(c['p50'])} p99 {ms(c['p99'])}, HTTP {describe(c['statuses'])}; chat meanwhile p99"
        f" {chat['p99_ms']:.0f} ms, {chat['delivered']:.1%} of messages arrived",
    )


def time_to_match(run: Run, service: Daphne, centres: list[str] | None = None) -> None:
    p = run.plan
    label = f"match, {len(centres)} centres" if centres else "time to match"
    note(label)
    clients = run.clients
    clients.call(run.cw, "duty", state="available")
    time.sleep(2)
    clients.call(run.cw, "match_data")  # forget earlier offers
    arrivals: list[dict[str, Any]] = clients.call(
        run.vw[0], "arrivals", base=service.url, rate=p.match_rate, seconds=p.match_seconds, timeout=60, centres=centres
    )
    time.sleep(1)
    data = clients.call(run.cw, "match_data")
    contact_of = {key: cid for cid, key in data["keys"].items()}
    to_offer, to_joined = [], []
    offer_at: list[tuple[float, float]] = []
    first = min((a["t_start"] for a in arrivals if "t_start" in a), default=0.0)
    for a in arrivals:
        if a.get("outcome") != "joined":
            continue
        to_joined.append(a["t_joined"] - a["t_start"])
        cid = contact_of.get(a["key"])
        if cid is not None and cid in data["offers"]:
            to_offer.append(data["offers"][cid] - a["t_start"])
            offer_at.append((a["t_start"] - first, to_offer[-1]))
    outcomes: dict[str, int] = {}
    for a in arrivals:
        outcomes[a["outcome"]] = outcomes.get(a["outcome"], 0) + 1
    run.results["match" + (f"_{len(centres)}_centres" if centres else "")] = {
        "arrivals": len(arrivals),
        "outcomes": outcomes,
        "offer_p50": percentile(to_offer, 0.5),
        "offer_p99": percentile(to_offer, 0.99),
        "joined_p50": percentile(to_joined, 0.5),
        "joined_p99": percentile(to_joined, 0.99),
        "timed": len(to_offer),
        # (seconds into the run, ms to the offer): a slow stretch shows where it was.
        "offers_at": [(round(t, 2), round(1000 * x)) for t, x in sorted(offer_at)],
    }
    clients.call(run.vw[0], "end_visitors")
    run.wait_ended()
    run.row(
        label,
        f"{p.match_rate:.0f} visitors/s for {p.match_seconds:.0f} s, counsellors free"
        + (f", spread over {len(centres)} centres' pages" if centres else ""),
        f"start to offer p50 {ms(percentile(to_offer, 0.5))} p99 {ms(percentile(to_offer, 0.99))}"
        f" ({len(to_offer)} timed); start to joined p50 {ms(percentile(to_joined, 0.5))}"
        f" p99 {ms(percentile(to_joined, 0.99))}; {describe(outcomes)}",
    )


def soak(run: Run, service: Daphne, store: redis.Redis, prefix: str) -> None:
    p = run.plan
    clients = run.clients
    pid = service.proc.pid
    seconds = p.soak_minutes * 60
    note(f"soak for {p.soak_minutes:g} min")
    rss = [(0.0, rss_kb(pid))]
    t = time.monotonic()
    shares = split(p.soak_chats, len(run.vw))
    for i in run.vw:
        clients.send(i, "soak", base=service.url, concurrency=shares[i], seconds=seconds, messages=p.soak_messages)
    answers: dict[int, Any] = {}
    warmed = False
    # Every 10 s, or a dozen samples in a short (smoke) soak so it can still be plotted.
    every = min(10.0, seconds / 12)
    next_sample = t + every
    while len(answers) < len(run.vw):
        for i in run.vw:
            if i not in answers:
                done, value = clients.poll(i)
                if done:
                    answers[i] = value
        if time.monotonic() >= next_sample:
            rss.append((time.monotonic() - t, rss_kb(pid)))
            next_sample += every
        if run.memtrace and not warmed and time.monotonic() - t >= seconds / 4:
            warmed = True
            memtrace_dump(service, run.memtrace, 1)
        if time.monotonic() - t > seconds + 300:
            raise TimeoutError("the soak did not finish")
        time.sleep(0.2)
    outcomes = merge(list(answers.values()))
    holding = run.wait_ended()
    time.sleep(3)  # a tick or two: offers, gone visitors
    rss.append((time.monotonic() - t, rss_kb(pid)))
    left = leftover_keys(store, prefix)
    if run.memtrace and warmed:
        memtrace_dump(service, run.memtrace, 2)
        print(memtrace_growth(run.memtrace))
    run.results["soak"] = {
        "minutes": p.soak_minutes,
        "chats": p.soak_chats,
        "outcomes": outcomes,
        "rss_kb": rss,
        "consoles_still_holding": holding,
        "keys_left": left,
    }
    conversation_keys = sum(v for k, v in left.items() if not k.startswith("w:"))
    growth_mb = (rss[-1][1] - rss[0][1]) / 1024
    run.row(
        "soak",
        f"{p.soak_minutes:g} min, {p.soak_chats} chats opening and closing",
        f"{outcomes.get('ended', 0)} conversations ({describe({k: v for k, v in outcomes.items() if k != 'ended'})}"
        f" failed); daphne RSS {rss[0][1] / 1024:.0f} -> {rss[-1][1] / 1024:.0f} MB ({growth_mb:+.1f} MB);"
        f" conversation keys left {conversation_keys}, wrap-up tickets left {left.get('w:*', 0)}",
    )


def memtrace_dump(service: Daphne, directory: Path, n: int) -> None:
    """Have the soak's daphne (bench/memtrace.py) write its dump ``n``; wait for it."""
    service.proc.send_signal(signal.SIGUSR2)
    done = directory / f"dump{n}.done"
    deadline = time.monotonic() + 300  # a snapshot of a big heap takes a while
    while not done.exists():
        if time.monotonic() > deadline:
            raise TimeoutError(f"no memtrace dump {n}")
        time.sleep(0.5)


def memtrace_growth(directory: Path, top: int = 15) -> str:
    """What grew between the two dumps: allocation sites (tracemalloc), live objects by type."""
    import tracemalloc

    lines = ["allocated after warm-up and alive at the end of the soak, by where:"]
    snapshot = directory / "dump2.tracemalloc"
    if snapshot.exists():
        stats = tracemalloc.Snapshot.load(str(snapshot)).statistics("traceback")
        lines.append(f"  {sum(s.size for s in stats) / 1024:9.1f} KiB in all")
        for stat in stats[:top]:
            frames = " <- ".join(f"{Path(f.filename).name}:{f.lineno}" for f in reversed(stat.traceback))
            lines.append(f"  {stat.size / 1024:9.1f} KiB {stat.count:7d} blocks  {frames}")
    a = json.loads((directory / "dump1.types.json").read_text())["types"]
    b = json.loads((directory / "dump2.types.json").read_text())["types"]
    grown = sorted(((b.get(k, 0) - a.get(k, 0), k) for k in b.keys() | a.keys()), reverse=True)[:top]
    lines.append("  live objects by type:")
    lines.extend(f"  {d:+9d}  {k}" for d, k in grown if d)
    return "\n".join(lines)


def leftover_keys(store: redis.Redis, prefix: str) -> dict[str, int]:
    """What is left of conversations under the prefix (the layout in routing/store/redis/)."""
    out: dict[str, int] = {}
    for pattern in ("c:*", "m:*", "ids:*", "tok:*", "w:*"):
        out[pattern] = sum(1 for _ in store.scan_iter(match=f"{prefix}:{pattern}", count=1000))
    for index in ("q", "offers", "vgone"):
        out[f"{index} members"] = int(store.zcard(f"{prefix}:{index}"))
    return out


# --- set-up ---
COUNSELLORS = """
import json
from django.contrib.auth import BACKEND_SESSION_KEY, HASH_SESSION_KEY, SESSION_KEY
from django.contrib.auth.models import Group, User
from django.contrib.sessions.backends.db import SessionStore
from staff.models import CounsellorProfile
group = Group.objects.get(name="counsellor")
cookies = []
for i in range({n}):
    user = User(username=f"bench{{i}}")
    user.set_unusable_password()
    user.save()
    user.groups.add(group)
    CounsellorProfile.objects.create(
        user=user, display_name=f"B{{i}}", languages=["sv"], max_chats={max_chats},
        takes_calls=True, work_phone="+46700000000",
    )
    session = SessionStore()
    session[SESSION_KEY] = str(user.pk)
    session[BACKEND_SESSION_KEY] = "django.contrib.auth.backends.ModelBackend"
    session[HASH_SESSION_KEY] = user.get_session_auth_hash()
    session.create()
    cookies.append("sessionid=" + session.session_key)
print(json.dumps(cookies))
"""


# Centres for the many-centres match: every bench counsellor works for every one of
# them (and the default), so capacity is as in the one-centre run and only the number of
# centres changes; each centre's chat is open around the clock.
CENTRES = """
from datetime import time
from centres.models import Centre, Line
from contacts.models import OpeningHours
from staff.models import Membership
from django.contrib.auth.models import User
users = list(User.objects.filter(username__startswith="bench"))
for i in range({n}):
    centre = Centre.objects.create(name=f"Bench centre {{i}}", slug=f"bench{{i}}")
    line = Line.objects.create(centre=centre, kind="web", name="Chatt")
    for day in range(7):
        OpeningHours.objects.create(line=line, weekday=day, opens=time(0), closes=time(23, 59, 59, 999999))
    Membership.objects.bulk_create([Membership(user=u, centre=centre) for u in users])
default = Centre.objects.get(default=True)
Membership.objects.bulk_create([Membership(user=u, centre=default) for u in users])
"""


def make_centres(env: dict[str, str], n: int) -> list[str]:
    """``n`` centres beside the default one; their page addresses."""
    subprocess.run(
        [sys.executable, "manage.py", "shell", "-v", "0", "-c", CENTRES.format(n=n)], cwd=ROOT, env=env, check=True
    )
    return [f"bench{i}" for i in range(n)]


def make_counsellors(env: dict[str, str], n: int, max_chats: int) -> list[str]:
    """Counsellor accounts with a logged-in session each (a login per account would
    spend a second of password hashing each); their Cookie headers."""
    script = COUNSELLORS.format(n=n, max_chats=max_chats)
    out = subprocess.run(
        [sys.executable, "manage.py", "shell", "-v", "0", "-c", script],
        cwd=ROOT,
        env=env,
        check=True,
        capture_output=True,
        text=True,
    ).stdout
    cookies: list[str] = json.loads(out.strip().splitlines()[-1])
    return cookies


@contextmanager
def scratch_database(server_url: str, name: str) -> Iterator[str]:
    """A new PostgreSQL database on that server for this run, dropped afterwards."""
    import psycopg

    with psycopg.connect(server_url, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    try:
        yield urllib.parse.urlsplit(server_url)._replace(path=f"/{name}").geturl()
    finally:
        with psycopg.connect(server_url, autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@contextmanager
def pair(env: dict[str, str], tmp: Path, label: str) -> Iterator[tuple[Daphne, Daphne]]:
    """This service and the bare pair chat, each in its own daphne, on the same settings."""
    with (
        daphne_process(env, tmp / f"{label}-service.log") as service,
        daphne_process(env, tmp / f"{label}-bare.log", app=BARE_APP) as bare,
    ):
        yield service, bare


def redis_pid(store: redis.Redis) -> int:
    """The Redis server's process, if it runs on this machine (its CPU is measured)."""
    pid = int(store.info("server").get("process_id", 0))
    return pid if pid and Path(f"/proc/{pid}").exists() else 0


def version(package: str) -> str:
    try:
        return importlib.metadata.version(package)
    except importlib.metadata.PackageNotFoundError:
        return "not installed"


def machine_facts(store: redis.Redis, postgres: str) -> dict[str, Any]:
    """The machine and the versions, for the table's header and the JSON: figures from
    another machine or another version do not compare."""
    cpuinfo = Path("/proc/cpuinfo").read_text()
    model = next((line.split(":", 1)[1].strip() for line in cpuinfo.splitlines() if line.startswith("model name")), "")
    mem_kb = int(Path("/proc/meminfo").read_text().split()[1])
    try:
        nginx = subprocess.run([nginx_binary(), "-v"], capture_output=True, text=True).stderr.strip()
    except RuntimeError:
        nginx = "not installed"  # only --processes needs it
    debian = Path("/etc/debian_version")
    return {
        "cpus": os.cpu_count(),
        "cpu_model": model,
        "memory_gib": round(mem_kb / 2**20, 1),
        "kernel": platform.release(),
        "debian": debian.read_text().strip() if debian.exists() else "",
        "python": platform.python_version(),
        **{name: version(name) for name in ("django", "channels", "channels-redis", "daphne", "redis", "hiredis")},
        "websockets": version("websockets"),
        "redis_server": str(store.info("server").get("redis_version", "")),
        "nginx": nginx.split("/", 1)[-1],
        "database": "PostgreSQL (scratch database)" if postgres else "SQLite",
        "load_average_start": os.getloadavg(),
    }


def describe_machine(m: dict[str, Any]) -> str:
    load = "/".join(f"{x:.1f}" for x in m["load_average_start"])
    return (
        f"machine: {m['cpus']} CPUs ({m['cpu_model']}), {m['memory_gib']} GiB, Linux {m['kernel']},"
        f" Debian {m['debian']}; load average at the start {load}\n"
        f"versions: Python {m['python']}, Django {m['django']}, channels {m['channels']},"
        f" channels-redis {m['channels-redis']}, daphne {m['daphne']}, redis-py {m['redis']}"
        f" (hiredis {m['hiredis']}), websockets {m['websockets']}, Redis {m['redis_server']},"
        f" nginx {m['nginx']}; {m['database']}"
    )


def table(rows: list[Row]) -> str:
    width = max(len(r[1]) for r in rows)
    lines = [f"{'scenario':<16} {'load':<{width}} result"]
    lines += [f"{name:<16} {load:<{width}} {result}" for name, load, result in rows]
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--smoke", action="store_true", help="about a minute, small numbers")
    parser.add_argument("--redis", default=os.environ.get("TEST_REDIS_URL", "redis://127.0.0.1:6379/12"))
    parser.add_argument("--postgres", default="", help="a PostgreSQL server URL: use a scratch database on it")
    parser.add_argument("--soak-minutes", type=float, help="soak length (full run: 1)")
    parser.add_argument("--layers", help="channel layers for the conversations, e.g. pubsub,core (full run: both)")
    parser.add_argument("--clients", type=int, help="visitor-side client processes (full run: 3)")
    parser.add_argument("--json", type=Path, help="also write the figures here")
    parser.add_argument("--rates", help="message rates for the conversations, e.g. 300,400 (full run: 25 to 1,000)")
    parser.add_argument(
        "--profile", type=Path, help="write py-spy stacks of the service daphne at each rate here (needs py-spy)"
    )
    parser.add_argument(
        "--memtrace",
        type=Path,
        help="run the soak's daphne under tracemalloc and write, then compare, dumps after warm-up and at the end",
    )
    parser.add_argument(
        "--centres", type=int, default=0, help="also time matching with this many centres (with match; e.g. 20)"
    )
    parser.add_argument(
        "--scenarios",
        default="idle,chats,match",
        help="parts to run: idle (idle capacity), chats (storm, conversations, phone), match (time to match, soak),"
        " processes (N daphnes behind nginx; also chosen by --processes)",
    )
    parser.add_argument(
        "--processes",
        help="also run N daphnes behind the project's nginx, for each N given, e.g. 1,2 (smoke: 2)",
    )
    args = parser.parse_args()
    # A plain SIGTERM (timeout, CI) still stops the servers and removes the Redis keys.
    signal.signal(signal.SIGTERM, lambda signum, frame: sys.exit(128 + signum))
    plan = SMOKE if args.smoke else Plan()
    if args.soak_minutes is not None:
        plan = replace(plan, soak_minutes=args.soak_minutes)
    if args.layers:
        plan = replace(plan, layers=tuple(args.layers.split(",")))
    if args.clients:
        plan = replace(plan, clients=args.clients)
    if args.rates:
        plan = replace(plan, rates=tuple(float(r) for r in args.rates.split(",")))
    if args.profile and not Path(sys.executable).with_name("py-spy").exists():
        # Said before minutes of set-up, not as a traceback at the first step.
        parser.error("--profile needs py-spy in this environment: pip install py-spy")
    parts = set(args.scenarios.split(","))
    if args.processes:
        plan = replace(plan, processes=tuple(int(n) for n in args.processes.split(",")))
        parts.add("processes")
    unknown_parts = parts - {"idle", "chats", "match", "processes"}
    if unknown_parts:
        parser.error(f"unknown scenario(s): {', '.join(sorted(unknown_parts))}")
    unknown = set(plan.layers) - {"pubsub", "core"}
    if unknown:
        parser.error(f"unknown layer(s): {', '.join(sorted(unknown))}")

    started = time.monotonic()
    run_id = uuid.uuid4().hex[:6]
    prefix = f"bench{run_id}"
    tmp = Path(tempfile.mkdtemp(prefix="bench-"))
    store = redis.Redis.from_url(args.redis)
    machine = machine_facts(store, args.postgres)
    database: AbstractContextManager[str] = (
        scratch_database(args.postgres, f"bench_{run_id}") if args.postgres else nullcontext("")
    )
    with database as database_url:
        base = {
            "REDIS_URL": args.redis,
            # Every client comes from 127.0.0.1: the per-source limits would refuse the load.
            "CONNECTIONS_PER_SOURCE": "1000000",
            "STARTS_PER_SOURCE": "1000000",
            "FRAMES_PER_SECOND": "10000",
            "TWILIO_AUTH_TOKEN": TWILIO_TOKEN,
            "PUBLIC_BASE_URL": PUBLIC_BASE_URL,
            **({"DATABASE_URL": database_url} if database_url else {"SQLITE_PATH": str(tmp / "db.sqlite3")}),
        }

        def env(suffix: str, layer: str) -> dict[str, str]:
            return server_env({**base, "REDIS_PREFIX": f"{prefix}{suffix}", "CHANNEL_LAYER": layer})

        prepare(env("", "pubsub"))
        cookies = make_counsellors(env("", "pubsub"), plan.counsellors, plan.max_chats)
        clients = Clients(multiprocessing.get_context("spawn"), plan.clients + 2)
        run = Run(plan, clients)
        if args.profile:
            args.profile.mkdir(parents=True, exist_ok=True)
            run.profile = args.profile
        try:
            if "idle" in parts:
                run.attempt("idle capacity", idle_capacity, env("i", plan.layers[0]), cookies, tmp)
            chat_cookies = cookies[: plan.chat_counsellors]
            # Conversations: set up once, on the first layer's servers; for each further
            # layer the servers are replaced and every chat resumes on the new ones, as
            # after a restart (same store, same prefix).
            for n, layer in enumerate(plan.layers if "chats" in parts else []):
                with pair(env("c", layer), tmp, layer) as (service, bare):
                    if n == 0:
                        run.attempt("connect storm", storm, service, bare)
                    duty = "available" if n == 0 else ""  # the store keeps it
                    clients.call(run.cw, "consoles", base=service.url, cookies=chat_cookies, duty=duty)
                    run.attempt("conversations", conversations, layer, service, bare, move=n > 0, phone=n == 0)
                    for i in [*run.vw, run.cw]:
                        clients.call(i, "keepalive", on=False)
                    clients.call(run.cw, "close_consoles")
                for i in [*run.vw, run.cw]:
                    clients.call(i, "keepalive", on=True)
            run.reset()
            # Matching and the soak on a server of their own, with every counsellor free.
            if "match" in parts:
                match_env, match_app = env("m", plan.layers[0]), "chatservice.asgi:application"
                if args.memtrace:
                    args.memtrace.mkdir(parents=True, exist_ok=True)
                    run.memtrace = args.memtrace
                    match_env = {**match_env, "BENCH_MEMTRACE_DIR": str(args.memtrace)}
                    match_app = "bench.memtrace:application"
                with daphne_process(match_env, tmp / "match-service.log", app=match_app) as service:
                    clients.call(run.cw, "consoles", base=service.url, cookies=chat_cookies, duty="available")
                    run.attempt("time to match", time_to_match, service)
                    run.attempt("soak", soak, service, store, f"{prefix}m")
                    run.reset()
                if args.centres:
                    # The same arrivals, the same counsellors, spread over many centres: the
                    # routing cost must not grow with the number of centres.
                    clients.call(run.cw, "close_consoles")
                    slugs = make_centres(env("", "pubsub"), args.centres)
                    with daphne_process(env("n", plan.layers[0]), tmp / "centres-service.log") as service:
                        clients.call(run.cw, "consoles", base=service.url, cookies=chat_cookies, duty="available")
                        run.attempt("match, centres", time_to_match, service, slugs)
                        run.reset()
            if "processes" in parts:
                run.redis_pid = redis_pid(store)
                layer = plan.layers[0]
                run.attempt("processes", processes, plan.processes, lambda n: env(f"p{n}", layer), chat_cookies, tmp)
                scaling(run)
            run.results["client_errors"] = run.errors()
        finally:
            clients.close()
            for key in store.scan_iter(match=f"{prefix}*", count=1000):
                store.unlink(key)
    run.results["minutes"] = (time.monotonic() - started) / 60
    run.results["machine"] = {**machine, "load_average_end": os.getloadavg()}
    print(describe_machine(machine))
    print(table(run.rows))
    print(f"client-side errors: {describe(run.results['client_errors'])}")
    print(f"whole run {run.results['minutes']:.1f} min; server logs in {tmp}")
    if args.json:
        args.json.write_text(json.dumps(run.results, indent=1))


if __name__ == "__main__":
    main()
