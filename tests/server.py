"""Start the real service (daphne) in a subprocess for browser and multi-process tests."""

from __future__ import annotations

import asyncio
import json
import os
import re
import shlex
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.parse
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from http.cookiejar import CookieJar
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def wait_for_port(port: int, proc: subprocess.Popen[bytes], timeout: float = 20) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"daphne exited with {proc.returncode}")
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.2):
                return
        except OSError:
            time.sleep(0.1)
    raise RuntimeError("daphne did not start listening")


@dataclass
class Server:
    url: str
    port: int
    env: dict[str, str]
    passwords: dict[str, str]
    log: Path


@contextmanager
def embedded_server(tmp: Path, extra_env: dict[str, str] | None = None) -> Iterator[Server]:
    """The README's embedded default: SQLite, in-process store and layer, demo accounts."""
    with running_server(tmp, {"SQLITE_PATH": str(tmp / "db.sqlite3"), **(extra_env or {})}) as server:
        yield server


@contextmanager
def running_server(tmp: Path, extra_env: dict[str, str]) -> Iterator[Server]:
    """daphne as the README runs it (-v 0, no access log), migrated, with demo accounts.
    ``extra_env`` decides the rest: DATABASE_URL and REDIS_URL for the production stack."""
    env = server_env(extra_env)
    passwords = prepare(env)
    with daphne_process(env, tmp / "daphne.log") as process:
        yield Server(f"http://127.0.0.1:{process.port}", process.port, env, passwords, tmp / "daphne.log")


def server_env(extra_env: dict[str, str]) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k not in {"DATABASE_URL", "REDIS_URL"}}
    env.update({"SECRET_KEY": "browser-test-" + "x" * 40, "STATE_KEY": "cd" * 32, "PYTHONUNBUFFERED": "1"})
    # Every test client starts its chats from the one loopback address, far faster than
    # people behind one address do; a test of the start limit sets its own.
    env["STARTS_PER_SOURCE"] = "100000"
    env.update(extra_env)
    return env


def prepare(env: dict[str, str]) -> dict[str, str]:
    """Migrate and create the demo accounts; their passwords by user name."""
    python = sys.executable
    subprocess.run([python, "manage.py", "migrate", "--noinput", "-v", "0"], cwd=ROOT, env=env, check=True)
    out = subprocess.run(
        [python, "manage.py", "demo", "--always-open"], cwd=ROOT, env=env, check=True, capture_output=True, text=True
    ).stdout
    return dict(re.findall(r"^\s+\w+\s+(\w+)\s+/\s+(\S+)", out, re.MULTILINE))


@dataclass
class Daphne:
    port: int
    proc: subprocess.Popen[bytes]

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"


@contextmanager
def daphne_process(
    env: dict[str, str],
    log: Path,
    app: str = "chatservice.asgi:application",
    port: int | None = None,
    extra_args: tuple[str, ...] = (),
) -> Iterator[Daphne]:
    """One daphne process as the README runs it (``extra_args``: as deploy/ runs it)."""
    port = port or free_port()
    daphne = str(Path(sys.executable).parent / "daphne")
    with open(log, "ab") as log_file:
        proc = subprocess.Popen(
            [daphne, "-v", "0", *extra_args, "-b", "127.0.0.1", "-p", str(port), app],
            cwd=ROOT,
            env=env,
            stdout=log_file,
            stderr=subprocess.STDOUT,
        )
        try:
            wait_for_port(port, proc)
            yield Daphne(port, proc)
        finally:
            proc.send_signal(signal.SIGTERM)
            try:
                proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                proc.kill()


def daphne_command() -> list[str]:
    """The daphne command line of deploy/systemd/chatservice@.service."""
    unit = (ROOT / "deploy" / "systemd" / "chatservice@.service").read_text()
    line = re.search(r"^ExecStart=(.+)$", unit, re.MULTILINE)
    assert line, "the unit has no ExecStart"
    return shlex.split(line.group(1))


def chromium_path() -> str:
    path = shutil.which("chromium") or shutil.which("chromium-browser")
    if path is None:
        raise RuntimeError("Debian's chromium is not installed: run `make system-deps` (apt-get install chromium)")
    return path


def fetch(request: urllib.request.Request) -> bytes:
    with urllib.request.urlopen(request) as response:
        return bytes(response.read())


def login_cookie(url: str, username: str, password: str, next_path: str = "/console/") -> str:
    """Log a staff member in over HTTP, as a browser would; the Cookie header to use."""
    jar = CookieJar()
    opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(jar))
    page = opener.open(url + "/accounts/login/").read().decode()
    csrf = page.split('name="csrfmiddlewaretoken" value="')[1].split('"')[0]
    fields = {"csrfmiddlewaretoken": csrf, "username": username, "password": password, "next": next_path}
    data = urllib.parse.urlencode(fields).encode()
    opener.open(urllib.request.Request(url + "/accounts/login/", data=data, headers={"Origin": url})).read()
    return "; ".join(f"{c.name}={c.value}" for c in jar)


async def next_frame(ws: Any, kind: str, timeout: float = 10) -> dict[str, Any]:
    """The next frame of this type from a websockets client; others are skipped."""
    while True:
        frame: dict[str, Any] = json.loads(await asyncio.wait_for(ws.recv(), timeout=timeout))
        if frame["type"] == kind:
            return frame
        if kind == "started" and frame["type"] == "closed":
            # Say so at once rather than wait out the timeout for a frame that never comes.
            raise AssertionError(f"the visitor was turned away: {frame.get('reason')}")


async def on_duty(ws: Any, timeout: float = 10) -> None:
    """Available, and known to be: a start sent before the service has taken in the
    change finds nobody on duty and is turned away (a race a loaded machine loses)."""
    await ws.send(json.dumps({"type": "duty", "state": "available"}))
    while (await next_frame(ws, "me", timeout)).get("state") != "available":
        pass
