"""The benchmark's short smoke run, so the script cannot rot (figures are for bench/)."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import pytest

from tests.server import ROOT

pytestmark = pytest.mark.browser  # real servers: grouped with the slow tests


def test_the_benchmark_runs_and_loses_nothing(tmp_path: Path) -> None:
    figures = tmp_path / "smoke.json"
    result = subprocess.run(
        # --processes 2: two daphnes of each side behind the project's nginx, briefly, so
        # that path cannot rot either.
        [sys.executable, "bench/run.py", "--smoke", "--centres", "3", "--processes", "2", "--json", str(figures)],
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

    # The soak plot docs/performance.md shows is drawn from the same JSON.
    png = tmp_path / "soak.png"
    plotted = subprocess.run(
        [sys.executable, "bench/plot_soak.py", str(figures), str(png)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert plotted.returncode == 0, plotted.stderr[-2000:]
    assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert re.search(r"keys left 0 ", plotted.stdout), plotted.stdout
