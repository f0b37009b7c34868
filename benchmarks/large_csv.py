"""A 1,000,000-row CSV file: load time, training samples per second, peak memory and chart points.

Each step runs in a fresh Python process, so its peak memory (``ru_maxrss`` from
``resource.getrusage``) belongs to that step alone:

- import: importing numpattern, the baseline of every other step;
- load: ``load_csv_path`` on the file written by make_large_csv.py (noisy sine);
- adam: load, then Adam in mini-batches of ``default_batch_size`` rows (8192 here);
- fast: load, then the "fast" recipe (least-squares start, full-batch L-BFGS);
- chart: load, then ``figures.data_figure``, which draws a sample of the rows.

Samples per second count training rows times epochs over the seconds of ``train``.
With --smoke all steps run in one process, so its memory figures are not per step.
"""

from __future__ import annotations

import json
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import _common  # before numpattern: it puts the repository root on sys.path
from make_large_csv import DEFAULT_ROWS, write_large_csv

STEPS = ("import", "load", "adam", "fast", "chart")
SMOKE_ROWS = 20_000


def add_arguments(parser) -> None:
    parser.add_argument("--csv", type=Path, help="an existing CSV file with columns x and y (default: write one)")
    parser.add_argument(
        "--step", choices=(*STEPS, "all"), help="run one step (or all) in this process and print the figures as JSON"
    )
    parser.add_argument("--epochs", type=int, default=3, help="Adam epochs over all rows (default: %(default)s)")
    parser.add_argument("--fast-epochs", type=int, default=30, help="L-BFGS iterations of 'fast' at most (default: %(default)s)")


def peak_memory_mb() -> float:
    # Linux reports ru_maxrss in kilobytes.
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def run_step(step: str, csv: Path, epochs: int, fast_epochs: int) -> dict[str, float]:
    from numpattern.csv_loading import load_csv_path
    from numpattern.figures import data_figure, sample_rows
    from numpattern.model import ModelConfig
    from numpattern.training import TrainingConfig, default_batch_size, split_indices, train

    figures: dict[str, float] = {}
    if step == "import":
        figures["peak_memory_mb"] = peak_memory_mb()
        return figures

    started = time.perf_counter()
    dataset = load_csv_path(csv).dataset
    figures["load_seconds"] = time.perf_counter() - started
    figures["rows"] = len(dataset.frame)

    if step in ("adam", "fast"):
        n_rows = len(dataset.frame)
        if step == "adam":
            config = TrainingConfig(epochs=epochs, batch_size=default_batch_size(n_rows))
        else:
            config = TrainingConfig(epochs=fast_epochs, optimizer="fast")
        result = train(dataset, ModelConfig(), config)
        n_train = len(split_indices(n_rows, config.validation_fraction, config.seed)[0])
        figures["train_seconds"] = result.elapsed_seconds
        figures["epochs"] = result.epochs_run
        figures["samples_per_second"] = result.epochs_run * n_train / result.elapsed_seconds
        figures["r2"] = result.metrics["r2"]
    elif step == "chart":
        started = time.perf_counter()
        figure = data_figure(dataset.frame)
        figures["chart_seconds"] = time.perf_counter() - started
        figures["chart_points"] = len(figure.data[0].x)
        figures["sampled"] = float(sample_rows(dataset.frame)[1])
    figures["peak_memory_mb"] = peak_memory_mb()
    return figures


def run_in_subprocess(step: str, csv: Path, arguments) -> dict[str, float]:
    command = [
        sys.executable, __file__, "--step", step, "--csv", str(csv),
        "--epochs", str(arguments.epochs), "--fast-epochs", str(arguments.fast_epochs),
    ]
    completed = subprocess.run(command, capture_output=True, text=True, check=True)
    return json.loads(completed.stdout.strip().splitlines()[-1])


def main() -> None:
    arguments = _common.parse_arguments(__doc__.splitlines()[0], repetitions=3, add_arguments=add_arguments)
    if arguments.step == "all":
        steps = {step: run_step(step, arguments.csv, arguments.epochs, arguments.fast_epochs) for step in STEPS}
        print(json.dumps(steps))
        return
    if arguments.step:
        print(json.dumps(run_step(arguments.step, arguments.csv, arguments.epochs, arguments.fast_epochs)))
        return

    print(_common.machine_summary())
    if arguments.smoke:
        arguments.epochs, arguments.fast_epochs = 1, 3
    with tempfile.TemporaryDirectory() as folder:
        csv = arguments.csv
        if csv is None:
            csv = write_large_csv(Path(folder) / "large.csv", SMOKE_ROWS if arguments.smoke else DEFAULT_ROWS)
        print(f"file: {csv.name}, {csv.stat().st_size / 1e6:.1f} MB; median of {arguments.repetitions} runs per step")

        if arguments.smoke:
            results = {step: [figures] for step, figures in run_in_subprocess("all", csv, arguments).items()}
        else:
            runs = {step: (lambda step=step: run_in_subprocess(step, csv, arguments)) for step in STEPS}
            results = _common.alternate(runs, arguments.repetitions)

    def median_of(step: str, name: str) -> float:
        return _common.median([figures[name] for figures in results[step]])

    print(f"rows loaded            {median_of('load', 'rows'):12,.0f}")
    print(f"load seconds           {median_of('load', 'load_seconds'):12.2f}")
    for step in ("adam", "fast"):
        print(f"{step} samples per second {median_of(step, 'samples_per_second'):12,.0f}"
              f"  ({median_of(step, 'epochs'):.0f} epochs in {median_of(step, 'train_seconds'):.2f} s, "
              f"R² {median_of(step, 'r2'):.4f})")
    print(f"chart points           {median_of('chart', 'chart_points'):12,.0f}"
          f"  (built in {median_of('chart', 'chart_seconds'):.2f} s)")
    for step in STEPS:
        print(f"peak memory, {step:<9} {median_of(step, 'peak_memory_mb'):9,.0f} MB")


if __name__ == "__main__":
    main()
