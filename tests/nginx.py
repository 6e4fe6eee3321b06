"""The project's nginx configuration (deploy/nginx/*.template), rendered and run by
Debian's nginx in front of daphne processes on loopback.

Shared by tests/test_deploy_nginx.py and the multi-process benchmark
(`bench/run.py --processes`), so that what the test proves is what the bench measures:
the templates are filled only through their documented variables (ports, a certificate
made on the spot, the upstream list, directories), never edited.
"""

from __future__ import annotations

import getpass
import re
import shutil
import signal
import socket
import ssl
import subprocess
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from tests.server import ROOT, daphne_command, free_port

DEPLOY = ROOT / "deploy" / "nginx"


def nginx_binary() -> str:
    nginx = shutil.which("nginx") or "/usr/sbin/nginx"
    if not Path(nginx).exists():
        raise RuntimeError("Debian's nginx is not installed: run `make system-deps` (apt-get install nginx)")
    return nginx


def unit_flags() -> tuple[str, ...]:
    """daphne's flags from deploy/systemd/chatservice@.service, but -v 0 (daphne_process
    adds it) and the address and port (the caller's own)."""
    command = daphne_command()
    flags = command[1 : command.index("-b")]
    assert flags[:2] == ["-v", "0"]
    return tuple(flags[2:])


def render(template: Path, values: dict[str, str]) -> str:
    """What `envsubst '${A} ${B}'` does with the named variables, and nothing else."""
    text = template.read_text()
    for name, value in values.items():
        text = text.replace("${" + name + "}", value)
    left = re.findall(r"\$\{[A-Z_]+\}", text)
    assert not left, f"{template.name} has variables the deployment docs do not name: {left}"
    return text


def self_signed(folder: Path) -> tuple[Path, Path]:
    """A certificate for localhost made on the spot; (certificate, key)."""
    cert, key = folder / "tls.crt", folder / "tls.key"
    subprocess.run(
        [
            "openssl",
            "req",
            "-x509",
            "-newkey",
            "ec",
            "-pkeyopt",
            "ec_paramgen_curve:prime256v1",
            "-nodes",
            "-days",
            "1",
            "-subj",
            "/CN=localhost",
            "-addext",
            "subjectAltName=DNS:localhost",
            "-keyout",
            str(key),
            "-out",
            str(cert),
        ],
        check=True,
        capture_output=True,
    )
    return cert, key


@dataclass
class Nginx:
    """A rendered configuration in its own folder (pid file, logs, certificate)."""

    folder: Path
    https: int
    http: int
    cert: Path
    binary: str

    @property
    def conf(self) -> Path:
        return self.folder / "nginx.conf"

    @property
    def logs(self) -> Path:
        return self.folder / "log"

    @property
    def origin(self) -> str:
        return f"https://localhost:{self.https}"

    @property
    def command(self) -> list[str]:
        # -e: even the messages before the configuration is read go to this log folder.
        return [self.binary, "-c", str(self.conf), "-e", str(self.logs / "error.log")]

    def tls(self) -> ssl.SSLContext:
        """A client context that trusts this configuration's certificate only."""
        return ssl.create_default_context(cafile=str(self.cert))

    def reopen_logs(self) -> None:
        """Let nginx write and close what it has (as logrotate's reopen does)."""
        subprocess.run([*self.command, "-s", "reopen"], check=True)


def configure(folder: Path, upstream_ports: Sequence[int], static_root: Path) -> Nginx:
    """Render both templates into ``folder`` (which must be this configuration's alone:
    the pid file lives there) for daphnes on ``upstream_ports``, and check the result."""
    logs = folder / "log"
    logs.mkdir(parents=True, exist_ok=True)
    https, http = free_port(), free_port()
    cert, key = self_signed(folder)
    proxy = Nginx(folder, https, http, cert, nginx_binary())
    values = {
        # The user running this: the files live in its temporary folder (root in CI).
        "NGINX_USER": getpass.getuser(),
        "NGINX_RUN_DIR": str(folder),
        "NGINX_LOG_DIR": str(logs),
        "NGINX_CONF_DIR": str(folder),
        "CHAT_SERVER_NAME": "localhost",
        "CHAT_PUBLIC_ORIGIN": proxy.origin,
        "CHAT_HTTPS_PORT": str(https),
        "CHAT_HTTP_PORT": str(http),
        "CHAT_TLS_CERT": str(cert),
        "CHAT_TLS_KEY": str(key),
        "CHAT_UPSTREAM_SERVERS": " ".join(f"server 127.0.0.1:{p} max_fails=1 fail_timeout=5s;" for p in upstream_ports),
        "CHAT_STATIC_ROOT": str(static_root),
    }
    (folder / "nginx.conf").write_text(render(DEPLOY / "nginx.conf.template", values))
    (folder / "chatservice.conf").write_text(render(DEPLOY / "chatservice.conf.template", values))
    checked = subprocess.run([*proxy.command, "-t"], capture_output=True, text=True)
    if checked.returncode != 0:
        raise RuntimeError(f"nginx -t refused the rendered configuration:\n{checked.stderr}")
    return proxy


@contextmanager
def running(proxy: Nginx, timeout: float = 10) -> Iterator[subprocess.Popen[bytes]]:
    """nginx in the foreground until the block ends, then a graceful stop (SIGQUIT lets
    the workers finish and flush their logs)."""
    proc = subprocess.Popen([*proxy.command, "-g", "daemon off;"], stdout=subprocess.DEVNULL, stderr=subprocess.STDOUT)
    try:
        deadline = time.monotonic() + timeout
        while True:
            if proc.poll() is not None:
                raise RuntimeError(f"nginx exited with {proc.returncode}; see {proxy.logs / 'error.log'}")
            try:
                with socket.create_connection(("127.0.0.1", proxy.https), timeout=0.2):
                    break
            except OSError:
                if time.monotonic() > deadline:
                    raise
                time.sleep(0.1)
        yield proc
    finally:
        proc.send_signal(signal.SIGQUIT)
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


def worker_pids(master: int) -> list[int]:
    """The master's worker processes (for measuring nginx's CPU as a whole)."""
    pids = []
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue  # gone meanwhile
        if int(fields[1]) == master:
            pids.append(int(stat.parent.name))
    return pids
