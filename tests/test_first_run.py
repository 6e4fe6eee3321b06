"""The first run on a fresh checkout: `manage.py migrate` on the embedded default, and the
demo command that `make run` uses, which must name every address the README names and
give accounts that can log in."""

from __future__ import annotations

import os
import re
import stat
import subprocess
import sys
import urllib.request
from pathlib import Path

import pytest

from tests.server import ROOT, daphne_process, login_cookie, server_env


def fresh_env(tmp: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k not in {"DATABASE_URL", "REDIS_URL", "ENVIRONMENT"}}
    env["SQLITE_PATH"] = str(tmp / "not" / "there" / "yet" / "db.sqlite3")
    return env


def test_migrate_creates_the_missing_sqlite_folder(tmp_path: Path) -> None:
    env = fresh_env(tmp_path)
    done = subprocess.run(
        [sys.executable, "manage.py", "migrate", "--noinput", "-v", "0"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr
    database = Path(env["SQLITE_PATH"])
    assert database.stat().st_size > 0
    assert stat.S_IMODE(database.parent.stat().st_mode) & 0o077 == 0  # owner-only


README_URL = re.compile(r"<(http://127\.0\.0\.1:8000/[^>]*)>")
# Where each demo account should get in, and what it finds there.
LANDING = {
    "radgivare": ("/console/", "console"),
    "radgivare2": ("/console/", "console"),
    "arbetsledare": ("/supervisor/", "supervisor"),
    "partner": ("/stats/", "stats"),
    "admin": ("/admin/", "admin"),
}


@pytest.mark.browser  # starts a real server
def test_the_demo_names_every_readme_address_and_every_account_logs_in(tmp_path: Path) -> None:
    env = server_env(fresh_env(tmp_path))
    subprocess.run([sys.executable, "manage.py", "migrate", "--noinput", "-v", "0"], cwd=ROOT, env=env, check=True)
    out = subprocess.run(
        [sys.executable, "manage.py", "demo", "--always-open", "--url", "http://127.0.0.1:8000"],
        cwd=ROOT,
        env=env,
        check=True,
        capture_output=True,
        text=True,
    ).stdout
    readme = set(README_URL.findall((ROOT / "README.md").read_text()))
    assert {"http://127.0.0.1:8000/stats/", "http://127.0.0.1:8000/admin/"} <= readme
    for url in readme:
        assert re.search(rf"(?<!\S){re.escape(url)}(?!\S)", out), f"the demo does not print {url}"
    passwords = dict(re.findall(r"^\s+\w+\s+(\w+)\s+/\s+(\S+)", out, re.MULTILINE))
    assert set(passwords) == set(LANDING), out
    with daphne_process(env, tmp_path / "daphne.log") as server:
        for username, (path, role) in LANDING.items():
            # The log-in form's own landing (/console/) sends each role to its page.
            cookie = login_cookie(server.url, username, passwords[username])
            with urllib.request.urlopen(
                urllib.request.Request(server.url + "/console/", headers={"Cookie": cookie})
            ) as page:
                assert page.status == 200 and page.url.endswith(path), (username, page.url)
                html = page.read().decode()
            marker = {
                "console": "console.js",
                "supervisor": "supervisor.js",
                "stats": "<svg",
                "admin": 'id="logout-form"',
            }
            assert marker[role] in html, (username, path)
