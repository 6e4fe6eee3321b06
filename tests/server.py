"""Start the real service (daphne) in a subprocess for browser and multi-process tests."""

from __future__ import annotations

import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

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
    env = {k: v for k, v in os.environ.items() if k not in {"DATABASE_URL", "REDIS_URL"}}
    env.update({"SECRET_KEY": "browser-test-" + "x" * 40, "PYTHONUNBUFFERED": "1"})
    env.update(extra_env)
    python = sys.executable
    subprocess.run([python, "manage.py", "migrate", "--noinput", "-v", "0"], cwd=ROOT, env=env, check=True)
    out = subprocess.run(
        [python, "manage.py", "demo", "--always-open"], cwd=ROOT, env=env, check=True, capture_output=True, text=True
    ).stdout
    passwords = dict(re.findall(r"^\s+\w+\s+(\w+)\s+/\s+(\S+)", out, re.MULTILINE))
    port = free_port()
    log = tmp / "daphne.log"
    daphne = str(Path(python).parent / "daphne")
    with open(log, "wb") as log_file:
        proc = subprocess.Popen(
            [daphne, "-v", "0", "-b", "127.0.0.1", "-p", str(port), "chatservice.asgi:application"],
            cwd=ROOT,
            env=env,
            stdout=log_file,
            stderr=subprocess.STDOUT,
        )
        try:
            wait_for_port(port, proc)
            yield Server(f"http://127.0.0.1:{port}", port, env, passwords, log)
        finally:
            proc.send_signal(signal.SIGTERM)
            try:
                proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                proc.kill()


def chromium_path() -> str:
    path = shutil.which("chromium") or shutil.which("chromium-browser")
    if path is None:
        raise RuntimeError("Debian's chromium is not installed: run `make browser` (apt-get install chromium)")
    return path
