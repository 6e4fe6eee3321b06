"""Load clients for bench/run.py: worker processes, each with one asyncio loop.

On 2 cores one client process cannot keep up with one daphne (the handshakes alone are
CPU work), so the parent starts a few workers, sends each a command and reads its
answer. Socket readers run as tasks, so a worker keeps answering its sockets while it
carries out the next command. Time stamps are ``time.monotonic()``, which Linux shares
between processes: a message stamped in one process can be timed in another.

The clients behave like the pages (frontend/static/frontend/*.js): visitors ack every
counsellor message and sync every 25 s (every 5 s while waiting to be joined, so that
a lost nudge does not stall the set-up); consoles accept every offer made to them, ack
every message, ping every 15 s, sync each conversation every 20 s and send an empty
wrap-up after each conversation.
"""

from __future__ import annotations

import asyncio
import http.client
import json
import multiprocessing
import queue
import ssl
import time
import traceback
import urllib.parse
import uuid
from collections import Counter
from collections.abc import Awaitable, Callable
from concurrent.futures import ThreadPoolExecutor
from multiprocessing.context import SpawnContext, SpawnProcess
from multiprocessing.queues import Queue
from pathlib import Path
from typing import Any

from websockets.asyncio.client import ClientConnection, connect
from websockets.exceptions import ConnectionClosed
from websockets.typing import Origin

Frame = dict[str, Any]
MAX_FRAME = 64 * 2**20  # the console's queue frame lists every waiting contact
VISITOR_SYNC_SECONDS = 25.0  # visitor.js
WAITING_SYNC_SECONDS = 5.0  # while waiting for "joined" (the page waits 25 s)
CONSOLE_PING_SECONDS = 15.0  # console.js
CONSOLE_SYNC_SECONDS = 20.0  # console.js


def now() -> float:
    return time.monotonic()


def dumps(frame: Frame) -> str:
    return json.dumps(frame, separators=(",", ":"))


# The certificates of the bench's own nginx (``do_trust``): a socket to an https:// base
# goes through nginx over TLS, as a browser's does, trusting those and nothing else.
TLS: ssl.SSLContext | None = None


async def open_socket(base: str, path: str, cookie: str = "", timeout: float = 60) -> ClientConnection:
    """A socket as a browser opens it: an Origin, no client pings, no compression."""
    tls: dict[str, Any] = {}
    if base.startswith("https://"):
        # The name in the URL (localhost) is what the certificate says; the address is
        # IPv4 loopback, so that no lookup decides where the load goes.
        tls = {"ssl": TLS, "host": "127.0.0.1"}
    return await connect(
        base.replace("https://", "wss://").replace("http://", "ws://") + path,
        origin=Origin(base),
        **tls,
        additional_headers={"Cookie": cookie} if cookie else None,
        compression=None,
        proxy=None,
        open_timeout=timeout,
        ping_interval=None,
        close_timeout=2,
        max_size=MAX_FRAME,
    )


async def close_quietly(ws: ClientConnection) -> None:
    try:
        await asyncio.wait_for(ws.close(), 5)
    except Exception:
        ws.transport.abort()


class Visitor:
    def __init__(self, worker: Worker, ws: ClientConnection) -> None:
        self.worker = worker
        self.ws = ws
        self.key = uuid.uuid4().hex[:12]
        self.started = asyncio.Event()
        self.joined = asyncio.Event()
        self.ended = asyncio.Event()
        self.closed = ""  # why the service would not take the contact
        self.token = ""  # to resume on another server process
        self.last_seq = 0
        self.t_start = 0.0
        self.t_joined = 0.0
        self.replies = 0
        self.syncs_waiting = 0  # syncs it took to see "joined"
        self.next_sync = now() + VISITOR_SYNC_SECONDS * worker.spread()
        self.reader = asyncio.create_task(self.read())

    async def send(self, frame: Frame) -> bool:
        try:
            await self.ws.send(dumps(frame))
            return True
        except ConnectionClosed:
            self.worker.count("visitor socket closed")
            return False

    async def read(self) -> None:
        try:
            async for raw in self.ws:
                f = json.loads(raw)
                kind = f.get("type")
                if kind in ("started", "queue", "resumed"):
                    self.token = str(f.get("token", self.token))
                    self.started.set()
                elif kind in ("closed", "expired"):
                    self.closed = str(f.get("reason", kind))
                    self.started.set()
                elif kind == "joined":
                    self.t_joined = self.t_joined or now()
                    self.joined.set()
                elif kind == "message":
                    self.last_seq = max(self.last_seq, int(f["seq"]))
                    if f.get("from") == "counsellor":
                        self.replies += 1
                        await self.send({"type": "ack", "seq": self.last_seq})
                elif kind == "sent":
                    self.last_seq = max(self.last_seq, int(f["seq"]))
                elif kind == "ended":
                    self.joined.clear()
                    self.ended.set()
                elif kind == "requeued":
                    self.joined.clear()
                elif kind == "error":
                    self.worker.count(f"visitor error {f.get('code')}")
        except ConnectionClosed:
            pass
        except Exception:
            self.worker.count("visitor reader failed")

    async def start(self, *, wait_joined: bool, timeout: float, send: bool = True, centre: str = "") -> str:
        """Send start (unless ``send`` is false: a resume was sent); wait for the queue
        (and, if asked, for a counsellor). The outcome."""
        if send:
            self.t_start = now()
        deadline = self.t_start + timeout
        start: Frame = {"type": "start", "lang": "sv", **({"centre": centre} if centre else {})}
        if send and not await self.send(start):
            return "socket closed"
        try:
            await asyncio.wait_for(self.started.wait(), timeout)
        except TimeoutError:
            return "no answer to start"
        if self.closed:
            return f"closed ({self.closed})"
        if not wait_joined:
            return "queued"
        while not self.joined.is_set():
            try:
                await asyncio.wait_for(self.joined.wait(), min(WAITING_SYNC_SECONDS, max(0.1, deadline - now())))
            except TimeoutError:
                if now() >= deadline:
                    return "not joined in time"
                self.syncs_waiting += 1
                if not await self.send({"type": "sync", "last_seq": self.last_seq}):
                    return "socket closed"
        return "joined"

    async def end(self, timeout: float = 15) -> bool:
        self.ended.clear()
        if not await self.send({"type": "end"}):
            return False
        try:
            await asyncio.wait_for(self.ended.wait(), timeout)
            return True
        except TimeoutError:
            return False


class Console:
    def __init__(self, worker: Worker, ws: ClientConnection) -> None:
        self.worker = worker
        self.ws = ws
        self.active: dict[str, int] = {}  # contact -> last seq seen
        self.hello = asyncio.Event()
        self.sent = 0
        self.next_ping = now() + CONSOLE_PING_SECONDS * worker.spread()
        self.next_sync = now() + CONSOLE_SYNC_SECONDS * worker.spread()
        self.reader = asyncio.create_task(self.read())

    async def send(self, frame: Frame) -> None:
        try:
            await self.ws.send(dumps(frame))
        except ConnectionClosed:
            self.worker.count("console socket closed")

    async def read(self) -> None:
        w = self.worker
        try:
            async for raw in self.ws:
                w.max_console_frame = max(w.max_console_frame, len(raw))
                f = json.loads(raw)
                kind = f.get("type")
                if kind == "hello":
                    for c in f["conversations"]:
                        self.active.setdefault(c["contact"], 0)
                    self.hello.set()
                elif kind == "offer":
                    w.offers.setdefault(f["contact"], now())
                    await self.send({"type": "accept", "contact": f["contact"]})
                elif kind == "conversation":
                    self.active.setdefault(f["contact"], 0)
                elif kind == "message":
                    cid, seq = f["contact"], int(f["seq"])
                    if seq <= self.active.get(cid, 0):
                        continue  # sent again after a sync: the page shows it once
                    self.active[cid] = seq
                    if f.get("from") == "visitor":
                        await self.send({"type": "ack", "contact": cid, "seq": seq})
                        await w.visitor_said(self, cid, str(f.get("text", "")))
                elif kind == "ended":
                    # Every counsellor wraps up (even a conversation this page never saw
                    # start): a wrap-up ticket left behind is then a leak.
                    self.active.pop(f["contact"], None)
                    if f.get("by") not in ("requeued", "transferred"):
                        await self.send({"type": "wrapup", "contact": f["contact"]})
                elif kind == "me" and f.get("state") == "away":
                    # An offer timed out (its nudge was lost, or the service was too busy
                    # to carry the accept in time): back to available, as a person would.
                    w.count("console went away (offer timed out)")
                    await self.send({"type": "duty", "state": "available"})
                elif kind == "error":
                    w.count(f"console error {f.get('code')}")
        except ConnectionClosed:
            pass
        except Exception:
            w.count("console reader failed")

    async def reply(self, contact: str, text: str) -> None:
        self.sent += 1
        await self.send({"type": "send", "contact": contact, "id": f"r{self.sent}", "text": text})


class Bare:
    """One socket of a bare pair: a sender or a receiver (or both, idle)."""

    def __init__(self, worker: Worker, ws: ClientConnection) -> None:
        self.worker = worker
        self.ws = ws
        self.reader = asyncio.create_task(self.read())

    async def read(self) -> None:
        try:
            async for raw in self.ws:
                f = json.loads(raw)
                self.worker.stamped(str(f.get("s")), float(f.get("t", 0)))
        except ConnectionClosed:
            pass


class Worker:
    def __init__(self) -> None:
        self.visitors: list[Visitor] = []
        self.consoles: list[Console] = []
        self.senders: list[Bare] = []
        self.receivers: list[Bare] = []
        self.storm: list[Bare] = []  # storm sockets, drained and otherwise left alone
        self.step = ""
        self.latencies: list[float] = []
        self.offers: dict[str, float] = {}  # contact -> when its offer reached a console
        self.keys: dict[str, str] = {}  # contact -> the visitor's key, from its first message
        self.errors: Counter[str] = Counter()
        self.max_console_frame = 0
        self.keepalive = True
        self._spread = 0
        self._keeper = asyncio.create_task(self.keep_alive())

    def count(self, what: str) -> None:
        self.errors[what] += 1

    def spread(self) -> float:
        """0..1, evenly over the sockets: timers do not all fire at once."""
        self._spread += 1
        return (self._spread * 0.618034) % 1.0

    def stamped(self, step: str, stamp: float) -> None:
        if step == self.step:
            self.latencies.append(now() - stamp)

    async def visitor_said(self, console: Console, contact: str, text: str) -> None:
        if text.startswith("b:"):
            step, stamp = text[2:].split(":", 1)
            self.stamped(step, float(stamp))
        elif text.startswith("m:"):
            self.keys.setdefault(contact, text[2:])
        elif text.startswith("s:"):
            await console.reply(contact, "r")

    async def keep_alive(self) -> None:
        """The pages' timers: visitor sync, console ping and sync."""
        while True:
            await asyncio.sleep(0.25)
            if not self.keepalive:
                continue
            t = now()
            for v in self.visitors:
                if t >= v.next_sync:
                    v.next_sync = t + VISITOR_SYNC_SECONDS
                    if v.started.is_set() and not v.ended.is_set():
                        await v.send({"type": "sync", "last_seq": v.last_seq})
            for c in self.consoles:
                if t >= c.next_ping:
                    c.next_ping = t + CONSOLE_PING_SECONDS
                    await c.send({"type": "ping"})
                if t >= c.next_sync:
                    c.next_sync = t + CONSOLE_SYNC_SECONDS
                    for cid, seq in list(c.active.items()):
                        await c.send({"type": "sync", "contact": cid, "last_seq": seq})

    # --- commands (bench/run.py calls these by name) ---
    async def do_keepalive(self, on: bool) -> None:
        self.keepalive = on

    async def do_trust(self, cafiles: list[str]) -> None:
        """Trust these certificates (the bench's nginx) for https:// bases, and only them."""
        global TLS
        # Given cadata, the context loads no system certificates.
        TLS = ssl.create_default_context(cadata="".join(Path(f).read_text() for f in cafiles))

    async def do_storm(self, base: str, paths: list[str], at: float) -> Frame:
        """Open these sockets all at once, at ``at``; keep them open."""
        await asyncio.sleep(max(0.0, at - now()))
        errors: Counter[str] = Counter()

        async def one(path: str) -> None:
            try:
                self.storm.append(Bare(self, await open_socket(base, path, timeout=60)))
            except Exception as exc:
                errors[type(exc).__name__] += 1

        t0 = now()
        await asyncio.gather(*(one(p) for p in paths))
        return {"t0": t0, "t1": now(), "errors": dict(errors)}

    async def do_close_storm(self) -> None:
        await asyncio.gather(*(close_quietly(b.ws) for b in self.storm))
        self.storm.clear()

    async def do_consoles(self, base: str, cookies: list[str], duty: str, concurrency: int = 5) -> int:
        """Open a console per session, a few at a time, and set its duty ("" leaves it
        off); like the page, try again when a handshake fails (a busy daphne drops
        handshakes that take over 5 s)."""
        gate = asyncio.Semaphore(concurrency)

        async def one(cookie: str) -> Console:
            async with gate:
                for attempt in range(5):
                    try:
                        c = Console(self, await open_socket(base, "/ws/console/", cookie))
                        await asyncio.wait_for(c.hello.wait(), 120)
                        if duty:
                            await c.send({"type": "duty", "state": duty})
                        return c
                    except Exception:
                        self.count("console connect retried")
                        await asyncio.sleep(1 + attempt)
                raise RuntimeError("a console could not connect in 5 attempts")

        self.consoles.extend(await asyncio.gather(*(one(c) for c in cookies)))
        return len(self.consoles)

    async def do_duty(self, state: str) -> None:
        for c in self.consoles:
            await c.send({"type": "duty", "state": state})

    async def do_active(self) -> int:
        return sum(len(c.active) for c in self.consoles)

    async def do_close_consoles(self) -> None:
        consoles, self.consoles = self.consoles, []
        await asyncio.gather(*(close_quietly(c.ws) for c in consoles))

    async def do_visitors(self, base: str, n: int, concurrency: int, wait_joined: bool, timeout: float) -> Frame:
        """n visitors, ``concurrency`` at a time: connect, start, wait for the queue (and a
        counsellor, if asked). As fast as the service lets them; outcomes and waits."""
        t0 = now()
        outcomes: Counter[str] = Counter()
        waits: list[float] = []
        syncs = 0
        left = list(range(n))

        async def lane() -> None:
            nonlocal syncs
            while left:
                left.pop()
                try:
                    v = Visitor(self, await open_socket(base, "/ws/visitor/"))
                except Exception as exc:
                    outcomes[f"connect failed ({type(exc).__name__})"] += 1
                    continue
                self.visitors.append(v)
                outcome = await v.start(wait_joined=wait_joined, timeout=timeout)
                outcomes[outcome] += 1
                syncs += v.syncs_waiting
                if v.t_joined:
                    waits.append(v.t_joined - v.t_start)

        await asyncio.gather(*(lane() for _ in range(concurrency)))
        return {"outcomes": dict(outcomes), "waits": waits, "syncs": syncs, "seconds": now() - t0}

    async def do_move_visitors(self, base: str, concurrency: int, timeout: float) -> Frame:
        """Every visitor in a conversation resumes it on another server (the one it was on
        has stopped), as the page does after a lost connection: outcomes and waits."""
        gate = asyncio.Semaphore(concurrency)
        outcomes: Counter[str] = Counter()
        waits: list[float] = []

        async def one(old: Visitor) -> Visitor | None:
            async with gate:
                await close_quietly(old.ws)
                try:
                    v = Visitor(self, await open_socket(base, "/ws/visitor/"))
                except Exception as exc:
                    outcomes[f"connect failed ({type(exc).__name__})"] += 1
                    return None
                v.key, v.token, v.last_seq, v.t_start = old.key, old.token, old.last_seq, now()
                if not await v.send({"type": "resume", "token": v.token, "last_seq": v.last_seq}):
                    outcomes["socket closed"] += 1
                    return None
                try:
                    await asyncio.wait_for(v.started.wait(), timeout)
                    outcome = await v.start(wait_joined=True, timeout=timeout, send=False)
                except TimeoutError:
                    outcome = "no answer to resume"
                outcomes[outcome] += 1
                if v.t_joined:
                    waits.append(v.t_joined - v.t_start)
                return v

        olds, self.visitors = self.visitors, []
        moved = await asyncio.gather(*(one(v) for v in olds if v.token))
        self.visitors = [v for v in moved if v is not None]
        return {"outcomes": dict(outcomes), "waits": waits}

    async def do_connect_visitors(self, base: str, n: int, concurrency: int) -> Frame:
        """n visitor sockets, ``concurrency`` handshakes at a time, that start nothing (yet)."""
        t0 = now()
        failed: Counter[str] = Counter()
        left = list(range(n))

        async def lane() -> None:
            while left:
                left.pop()
                try:
                    self.visitors.append(Visitor(self, await open_socket(base, "/ws/visitor/")))
                except Exception as exc:
                    failed[type(exc).__name__] += 1

        await asyncio.gather(*(lane() for _ in range(concurrency)))
        return {"opened": n - sum(failed.values()), "failed": dict(failed), "seconds": now() - t0}

    async def do_start_visitors(self, concurrency: int, seconds: float, timeout: float) -> Frame:
        """Connected visitors start one after another, ``concurrency`` at a time, until
        ``seconds`` have passed or all have started: as fast as the service lets them."""
        end = now() + seconds
        waiting = [v for v in self.visitors if not v.t_start]
        outcomes: Counter[str] = Counter()
        done: list[float] = []

        async def lane() -> None:
            while waiting and now() < end:
                v = waiting.pop()
                outcome = await v.start(wait_joined=False, timeout=timeout)
                outcomes[outcome] += 1
                if outcome == "queued":
                    done.append(now())

        await asyncio.gather(*(lane() for _ in range(concurrency)))
        return {"outcomes": dict(outcomes), "done": done}

    async def do_end_visitors(self, concurrency: int = 50) -> Frame:
        """Each visitor ends its contact (if it has one) and closes its socket."""
        gate = asyncio.Semaphore(concurrency)
        outcomes: Counter[str] = Counter()

        async def one(v: Visitor) -> None:
            async with gate:
                if v.started.is_set() and not v.closed and not v.ended.is_set():
                    outcomes["ended" if await v.end() else "end not confirmed"] += 1
                await close_quietly(v.ws)

        visitors, self.visitors = self.visitors, []
        await asyncio.gather(*(one(v) for v in visitors))
        return dict(outcomes)

    async def do_close_visitors(self) -> None:
        """Close without ending (the contacts then wait out CHAT_GRACE_SECONDS)."""
        visitors, self.visitors = self.visitors, []
        await asyncio.gather(*(close_quietly(v.ws) for v in visitors))

    async def do_bare(self, base: str, rooms: list[str], role: str) -> int:
        """One socket per room as sender or receiver, or both sockets of each room."""

        async def one(room: str, into: list[Bare]) -> None:
            into.append(Bare(self, await open_socket(base, f"/ws/pair/{room}/")))

        jobs = []
        for room in rooms:
            if role in ("send", "both"):
                jobs.append(one(room, self.senders))
            if role in ("receive", "both"):
                jobs.append(one(room, self.receivers))
        gate = asyncio.Semaphore(200)

        async def gated(job: Awaitable[None]) -> None:
            async with gate:
                await job

        await asyncio.gather(*(gated(j) for j in jobs))
        return len(self.senders) + len(self.receivers)

    async def do_close_bare(self) -> None:
        await asyncio.gather(*(close_quietly(b.ws) for b in [*self.senders, *self.receivers]))
        self.senders.clear()
        self.receivers.clear()

    async def do_record(self, step: str) -> None:
        self.step = step
        self.latencies = []

    async def do_received(self) -> int:
        return len(self.latencies)

    async def do_collect(self) -> list[float]:
        out, self.latencies, self.step = self.latencies, [], ""
        return out

    async def do_blast(self, kind: str, rate: float, seconds: float, at: float, step: str, port: int = 0) -> Frame:
        """Send ``rate`` messages a second, round robin over this worker's senders (only
        those connected to ``port``, if given: several servers' chats can be open at
        once), from ``at`` for ``seconds``; each carries the moment it was sent."""
        if kind == "service":
            socks: list[ClientConnection] = [v.ws for v in self.visitors if v.joined.is_set()]
        else:
            socks = [b.ws for b in self.senders]
        if port:
            socks = [ws for ws in socks if ws.remote_address[1] == port]
        if not socks:
            raise RuntimeError(f"no {kind} senders" + (f" connected to port {port}" if port else ""))
        sent = 0
        end = at + seconds
        await asyncio.sleep(max(0.0, at - now()))
        while True:
            due = at + sent / rate
            if due >= end:
                break
            wait = due - now()
            if wait > 0:
                await asyncio.sleep(wait)
            ws = socks[sent % len(socks)]
            stamp = f"{now():.6f}"
            if kind == "service":
                text = dumps({"type": "send", "id": f"b{step}-{sent}", "text": f"b:{step}:{stamp}"})
            else:
                text = dumps({"s": step, "t": float(stamp)})
            try:
                await ws.send(text)
            except ConnectionClosed:
                self.count("sender socket closed")
            sent += 1
        return {"sent": sent, "late": max(0.0, now() - end)}

    async def do_arrivals(
        self, base: str, rate: float, seconds: float, timeout: float, centres: list[str] | None = None
    ) -> list[Frame]:
        """Visitors arriving at ``rate``: start (at each of ``centres``' pages in turn, if
        given), wait for a counsellor, then say who they are (the console learns contact
        id -> visitor key from that first message)."""
        t0 = now()
        out: list[Frame] = []

        async def one(i: int) -> None:
            await asyncio.sleep(max(0.0, t0 + i / rate - now()))
            try:
                v = Visitor(self, await open_socket(base, "/ws/visitor/"))
            except Exception as exc:
                out.append({"outcome": f"connect failed ({type(exc).__name__})"})
                return
            self.visitors.append(v)
            centre = centres[i % len(centres)] if centres else ""
            outcome = await v.start(wait_joined=True, timeout=timeout, centre=centre)
            if outcome == "joined":
                await v.send({"type": "send", "id": "who", "text": f"m:{v.key}"})
            out.append({"key": v.key, "outcome": outcome, "t_start": v.t_start, "t_joined": v.t_joined})

        await asyncio.gather(*(one(i) for i in range(int(rate * seconds))))
        return out

    async def do_match_data(self) -> Frame:
        out = {"offers": self.offers, "keys": self.keys}
        self.offers, self.keys = {}, {}
        return out

    async def do_phone(self, base: str, token: str, public: str, rate: float, seconds: float) -> list[Frame]:
        """POST Twilio's voice webhook ("a call comes in") at ``rate``, signed as Twilio
        signs it. Latency and status of each."""
        from twilio.request_validator import RequestValidator

        validator = RequestValidator(token)
        parsed = urllib.parse.urlsplit(base)
        path = "/phone/incoming/"
        out: list[Frame] = []
        pool = ThreadPoolExecutor(16)

        def post(i: int) -> Frame:
            params = {
                "CallSid": "CA" + uuid.uuid4().hex,
                "AccountSid": "AC" + "0" * 32,
                "From": "+46700000000",
                "To": "+46185551000",
                "CallStatus": "ringing",
                "Direction": "inbound",
            }
            signature = validator.compute_signature(public + path, params)
            body = urllib.parse.urlencode(params)
            headers = {"Content-Type": "application/x-www-form-urlencoded", "X-Twilio-Signature": signature}
            conn = http.client.HTTPConnection(parsed.hostname or "127.0.0.1", parsed.port, timeout=30)
            t = now()
            try:
                conn.request("POST", path, body, headers)
                response = conn.getresponse()
                response.read()
                status = response.status
            except Exception as exc:
                status = 0
                self.count(f"phone {type(exc).__name__}")
            finally:
                conn.close()
            return {"seconds": now() - t, "status": status}

        loop = asyncio.get_running_loop()
        t0 = now()

        async def one(i: int) -> None:
            await asyncio.sleep(max(0.0, t0 + i / rate - now()))
            out.append(await loop.run_in_executor(pool, post, i))

        await asyncio.gather(*(one(i) for i in range(int(rate * seconds))))
        pool.shutdown()
        return out

    async def do_soak(self, base: str, concurrency: int, seconds: float, messages: int) -> Frame:
        """``concurrency`` visitors, each one conversation after another until time is up:
        start, wait for a counsellor, ``messages`` messages each answered, end, close."""
        end = now() + seconds
        outcomes: Counter[str] = Counter()

        async def conversation() -> str:
            try:
                v = Visitor(self, await open_socket(base, "/ws/visitor/"))
            except Exception as exc:
                return f"connect failed ({type(exc).__name__})"
            try:
                outcome = await v.start(wait_joined=True, timeout=60)
                if outcome != "joined":
                    return outcome
                for i in range(messages):
                    await v.send({"type": "send", "id": f"s{i}", "text": f"s:{i}"})
                    deadline = now() + 10
                    while v.replies <= i and now() < deadline:
                        await asyncio.sleep(0.05)
                    if v.replies <= i:
                        return "no reply in 10 s"
                    await asyncio.sleep(0.2)
                return "ended" if await v.end() else "end not confirmed"
            finally:
                await close_quietly(v.ws)

        async def loop() -> None:
            while now() < end:
                outcomes[await conversation()] += 1

        await asyncio.gather(*(loop() for _ in range(concurrency)))
        return dict(outcomes)

    async def do_reset(self) -> None:
        """Close everything (after a scenario failed half-way)."""
        await self.close(keep_running=True)
        self.visitors, self.consoles, self.senders, self.receivers, self.storm = [], [], [], [], []
        self.step, self.latencies, self.offers, self.keys, self.keepalive = "", [], {}, {}, True

    async def do_count(self) -> int:
        return len(self.visitors)

    async def do_report(self) -> Frame:
        out = {"errors": dict(self.errors), "max_console_frame": self.max_console_frame}
        self.errors = Counter()
        return out

    async def close(self, keep_running: bool = False) -> None:
        if not keep_running:
            self._keeper.cancel()
        socks = [v.ws for v in self.visitors] + [c.ws for c in self.consoles]
        socks += [b.ws for b in [*self.storm, *self.senders, *self.receivers]]
        await asyncio.gather(*(close_quietly(ws) for ws in socks))


async def serve(commands: Queue[Any], results: Queue[Any]) -> None:
    worker = Worker()
    loop = asyncio.get_running_loop()
    reader = ThreadPoolExecutor(1)
    parent = multiprocessing.parent_process()

    def next_command() -> tuple[int, str, dict[str, Any]]:
        while True:
            try:
                got: tuple[int, str, dict[str, Any]] = commands.get(timeout=2)
                return got
            except queue.Empty:
                if parent is not None and not parent.is_alive():
                    return 0, "exit", {}  # the run was killed: do not linger

    while True:
        number, name, kwargs = await loop.run_in_executor(reader, next_command)
        if name == "exit":
            break
        try:
            method: Callable[..., Awaitable[Any]] = getattr(worker, f"do_{name}")
            results.put((number, "ok", await method(**kwargs)))
        except Exception:
            results.put((number, "error", traceback.format_exc()))
    await worker.close()
    reader.shutdown()


def worker_main(commands: Queue[Any], results: Queue[Any]) -> None:
    asyncio.run(serve(commands, results))


class Clients:
    """The parent's handle on the worker processes."""

    def __init__(self, ctx: SpawnContext, n: int) -> None:
        self.commands: list[Queue[Any]] = [ctx.Queue() for _ in range(n)]
        self.results: list[Queue[Any]] = [ctx.Queue() for _ in range(n)]
        self.numbers = [0] * n  # of the last command given to each worker
        self.procs: list[SpawnProcess] = [
            ctx.Process(target=worker_main, args=(c, r), daemon=True)
            for c, r in zip(self.commands, self.results, strict=True)
        ]
        for p in self.procs:
            p.start()

    def send(self, i: int, name: str, **kwargs: Any) -> None:
        self.numbers[i] += 1
        self.commands[i].put((self.numbers[i], name, kwargs))

    def _answer(self, i: int, number: int, status: str, value: Any) -> tuple[bool, Any]:
        if number != self.numbers[i]:
            return False, None  # the late answer to a command given up on
        if status != "ok":
            raise RuntimeError(f"client worker {i} failed:\n{value}")
        return True, value

    def result(self, i: int, timeout: float = 600) -> Any:
        deadline = time.monotonic() + timeout
        while True:
            try:
                done, value = self._answer(i, *self.results[i].get(timeout=1))
                if done:
                    return value
            except queue.Empty:
                if not self.procs[i].is_alive():
                    raise RuntimeError(f"client worker {i} died") from None
                if time.monotonic() > deadline:
                    raise TimeoutError(f"client worker {i} did not answer in {timeout:.0f} s") from None

    def poll(self, i: int) -> tuple[bool, Any]:
        """(True, the answer) if worker i has answered, else (False, None); no waiting."""
        while True:
            try:
                done, value = self._answer(i, *self.results[i].get_nowait())
                if done:
                    return True, value
            except queue.Empty:
                if not self.procs[i].is_alive():
                    raise RuntimeError(f"client worker {i} died") from None
                return False, None

    def call(self, i: int, name: str, *, wait: float = 600, **kwargs: Any) -> Any:
        self.send(i, name, **kwargs)
        return self.result(i, wait)

    def each(self, workers: list[int], name: str, args: list[dict[str, Any]], wait: float = 600) -> list[Any]:
        """The same command on several workers at once, each with its own arguments."""
        for i, kwargs in zip(workers, args, strict=True):
            self.send(i, name, **kwargs)
        return [self.result(i, wait) for i in workers]

    def close(self) -> None:
        for i in range(len(self.procs)):
            self.send(i, "exit")
        for p in self.procs:
            p.join(timeout=20)
            if p.is_alive():
                p.kill()
