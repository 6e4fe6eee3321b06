"""bench/routing_cost.py in a few seconds, so the script cannot rot (its figures are for
docs/performance.md, never asserted as timings here)."""

from __future__ import annotations

import os
import subprocess
import sys

from tests.server import ROOT


def test_the_routing_cost_benchmark_runs_on_both_stores() -> None:
    redis_url = os.environ.get("TEST_REDIS_URL", "redis://127.0.0.1:6379/15")
    for extra in ([], ["--redis", redis_url]):
        result = subprocess.run(
            [sys.executable, "bench/routing_cost.py", "--arrivals", "5", "--rounds", "2", "--centres", "3", *extra],
            cwd=ROOT,
            capture_output=True,
            text=True,
            timeout=180,
        )
        assert result.returncode == 0, result.stderr[-2000:]
        rows = [line for line in result.stdout.splitlines() if line.startswith("| 1 centre") or "| 4 centres" in line]
        assert len(rows) == 2, result.stdout  # every arrival was offered (the script asserts it), both set-ups ran
