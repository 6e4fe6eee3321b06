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
        [sys.executable, "bench/run.py", "--smoke", "--centres", "3"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert result.returncode == 0, result.stderr[-2000:]
    table = result.stdout
    assert "connect storm" in table and "conversations" in table
    assert "errors 0 |" in table and table.count("delivered 100%") == 2
    # Matching with several centres ran, and every visitor there was answered.
    centres = next(line for line in table.splitlines() if line.startswith("match, 3 centres"))
    assert re.search(r"; \d+ joined$", centres), centres  # no other outcome than joined
