"""The benchmark's short smoke run, so the script cannot rot (figures are for bench/)."""

from __future__ import annotations

import re
import subprocess
import sys

import pytest

from tests.server import ROOT

pytestmark = pytest.mark.browser  # real servers: grouped with the slow tests


def test_the_benchmark_runs_and_loses_nothing() -> None:
    result = subprocess.run(
        # --processes 2: two daphnes of each side behind the project's nginx, briefly, so
        # that path cannot rot either.
        [sys.executable, "bench/run.py", "--smoke", "--centres", "3", "--processes", "2"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert result.returncode == 0, result.stderr[-2000:]
    table = result.stdout
    assert "connect storm" in table and "conversations" in table
    assert "errors 0 |" in table
    rows = table.splitlines()
    # One process: the service and bare Channels each delivered every message.
    assert sum(r.count("delivered 100%") for r in rows if r.startswith("conversations")) == 2
    # Two processes behind nginx: the same, and nginx gave both daphnes of each side sockets.
    assert sum(r.count("delivered 100%") for r in rows if r.startswith("processes")) == 2
    spread = next(r for r in rows if "2 processes: best" in r)
    assert re.search(r"service [1-9]\d*\+[1-9]\d*, bare [1-9]\d*\+[1-9]\d*$", spread), spread
    # Matching with several centres ran, and every visitor there was answered.
    centres = next(line for line in table.splitlines() if line.startswith("match, 3 centres"))
    assert re.search(r"; \d+ joined$", centres), centres  # no other outcome than joined
