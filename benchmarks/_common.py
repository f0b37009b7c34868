"""Helpers shared by the benchmark scripts: the machine summary, alternating runs and medians.

Importing this module puts the repository root on ``sys.path``, so the scripts run as
``python benchmarks/<name>.py`` without installing numpattern.
"""

from __future__ import annotations

import argparse
import os
import platform
import statistics
import sys
import time
import warnings
from collections.abc import Callable
from pathlib import Path

REPOSITORY = Path(__file__).resolve().parents[1]
if str(REPOSITORY) not in sys.path:
    sys.path.insert(0, str(REPOSITORY))


def parse_arguments(
    description: str, repetitions: int, add_arguments: Callable[[argparse.ArgumentParser], None] | None = None
) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=description)
    if add_arguments is not None:
        add_arguments(parser)
    parser.add_argument("--smoke", action="store_true", help="tiny sizes and one repetition, to check that the script runs")
    parser.add_argument(
        "--repetitions", type=int, default=repetitions, help="timed runs per side; medians are reported (default: %(default)s)"
    )
    arguments = parser.parse_args()
    if arguments.smoke:
        arguments.repetitions = 1
    return arguments


def machine_summary() -> str:
    """Return one line naming the CPU, core count and library versions."""
    import numpy
    import sklearn
    import torch

    return (
        f"machine: {_cpu_name()}, {os.cpu_count()} logical CPUs; Python {platform.python_version()}, "
        f"torch {torch.__version__} ({torch.get_num_threads()} threads), scikit-learn {sklearn.__version__}, "
        f"numpy {numpy.__version__}"
    )


def _cpu_name() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "unknown CPU"


def alternate(runs: dict[str, Callable[[], float]], repetitions: int) -> dict[str, list[float]]:
    """Call every run once per repetition, in turn, and collect what each returns.

    Alternating spreads slow phases of a shared machine over all sides instead of
    penalizing whichever side happened to run during them.
    """
    results: dict[str, list[float]] = {name: [] for name in runs}
    for _ in range(repetitions):
        for name, run in runs.items():
            results[name].append(run())
    return results


def seconds(function: Callable[[], object]) -> float:
    started = time.perf_counter()
    function()
    return time.perf_counter() - started


def median(values: list[float]) -> float:
    return statistics.median(values)


def quiet_sklearn_warnings() -> None:
    """Silence scikit-learn's ConvergenceWarning: the runs stop at a set iteration count on purpose."""
    from sklearn.exceptions import ConvergenceWarning

    warnings.simplefilter("ignore", ConvergenceWarning)
