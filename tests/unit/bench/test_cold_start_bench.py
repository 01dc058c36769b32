"""`bench/cold_start.py` runs: one function beside its floor, one fresh process each, figures recorded.

A smoke test of the script, not a measurement: nothing here asserts a time.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[3]


def test_the_bench_measures_a_function_beside_its_floor_and_records_the_ratios(tmp_path):
    output = tmp_path / "cold_start.json"
    result = subprocess.run(
        [
            sys.executable,
            str(ROOT / "bench" / "cold_start.py"),
            "--n",
            "1",
            "--only",
            "health",
            "--no-importtime",
            # The dev interpreter: the bench's own runtime-only environment is built by uv on first use.
            "--python",
            sys.executable,
            "--output",
            str(output),
        ],
        capture_output=True,
        text=True,
        timeout=120,
        cwd=ROOT,
    )
    assert result.returncode == 0, result.stderr
    recorded = json.loads(output.read_text())
    assert recorded["n"] == 1
    assert set(recorded["floors"]) == {"http_floor"}
    (row,) = recorded["functions"]
    assert row["function"] == "health"
    assert row["floor"] == "http_floor"
    assert row["ratio_wall"] > 0 and row["ratio_cpu"] > 0
    assert row["ratio_cpu"] == pytest.approx(row["cpu_ms"] / row["floor_cpu_ms"], rel=0.01)
    assert "health" in result.stdout
