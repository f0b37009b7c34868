"""Every benchmark script runs with --smoke (tiny sizes) and prints the names of its figures."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
from served_app import browser_or_skip

BENCHMARKS = Path(__file__).resolve().parent.parent / "benchmarks"
TIMEOUT_SECONDS = 300


def run_script(name: str, *arguments: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, str(BENCHMARKS / name), *arguments],
        capture_output=True,
        text=True,
        timeout=TIMEOUT_SECONDS,
        check=False,
    )


@pytest.mark.parametrize(
    ("script", "figure_names"),
    [
        ("time_to_fit.py", ["machine:", "line: time to fit", "parabola: time to fit", "ratio fast / faster sklearn lbfgs"]),
        ("epoch_throughput.py", ["1->10->1", "1->64->64->1", "epochs/s", "ratio"]),
        ("live_chart_cost.py", ["default run", "no callback", "snapshot callback", "cost"]),
        ("large_csv.py", ["rows loaded", "load seconds", "samples per second", "chart points", "peak memory"]),
    ],
)
def test_benchmark_smoke_runs(script, figure_names):
    completed = run_script(script, "--smoke")

    assert completed.returncode == 0, completed.stderr
    for name in figure_names:
        assert name in completed.stdout, f"{name!r} missing from the output of {script}"


def test_make_large_csv_writes_rows(tmp_path):
    path = tmp_path / "data.csv"

    completed = run_script("make_large_csv.py", str(path), "--rows", "500")

    assert completed.returncode == 0, completed.stderr
    assert "wrote 500 rows" in completed.stdout
    lines = path.read_text().splitlines()
    assert lines[0] == "x,y"
    assert len(lines) == 501


def test_served_app_benchmark_smoke():
    browser_or_skip()

    completed = run_script("served_app.py", "--smoke")

    assert completed.returncode == 0, completed.stderr
    for name in ("cold start", "first chart", "first model curve", "demo finished", "memory after 1 session"):
        assert name in completed.stdout, f"{name!r} missing from the output of served_app.py"
