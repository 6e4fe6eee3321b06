"""The first run on a fresh checkout: `manage.py migrate` on the embedded default, and the
demo command that `make run` uses, which must name every address the README names and
give accounts that can log in."""

from __future__ import annotations

import os
import stat
import subprocess
import sys
from pathlib import Path

from tests.server import ROOT


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
