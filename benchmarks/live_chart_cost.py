"""Cost of live charts: training with a progress callback against the same training without one.

The callback does what a live chart needs: it is called after every epoch, appends the
epoch's losses to its own lists, and every 0.2 s predicts the model's curve on 200 x
values. When ``numpattern.jobs`` exists, its ``TrainingJob`` (the app's background
training thread, with its own callback and stop checks) is timed as well, with this
thread reading ``snapshot()`` every 0.3 s and updating and serializing the loss and fit
figures from it (``figures.LiveFigures``), as the app's live view does.
Data: y = 3x + 2, 1000 points. Training uses Adam at its default settings, with the model and
epochs named in each row.
Medians of alternating repetitions; cost = time with callback / time without - 1.
"""

from __future__ import annotations

import importlib.util
import time

import _common  # before numpattern: it puts the repository root on sys.path
import numpy as np

from numpattern.data import DataSpec, generate
from numpattern.model import ModelConfig
from numpattern.training import EpochReport, TrainingConfig, train, warm_up

SNAPSHOT_INTERVAL_SECONDS = 0.2
# The app's live view redraws every 0.3 s and sends at most 2,000 data points.
POLL_INTERVAL_SECONDS = 0.3
LIVE_CHART_POINTS = 2_000
CURVE_POINTS = 200
SETUPS = {
    "default run (1->10->1, 3000 epochs)": ((10,), 3000),
    "long run (1->10->1, 20000 epochs)": ((10,), 20000),
    "wide run (1->64->64->1, 3000 epochs)": ((64, 64), 3000),
}


class ChartSnapshots:
    """An on_epoch callback that keeps the loss history and a few curves per second."""

    def __init__(self, grid: np.ndarray) -> None:
        self.grid = grid
        self.epochs: list[int] = []
        self.train_losses: list[float] = []
        self.validation_losses: list[float | None] = []
        self.curves: list[np.ndarray] = []
        self._last_curve_at = -np.inf

    def __call__(self, report: EpochReport) -> None:
        self.epochs.append(report.epoch)
        self.train_losses.append(report.train_loss)
        self.validation_losses.append(report.validation_loss)
        now = time.perf_counter()
        if now - self._last_curve_at >= SNAPSHOT_INTERVAL_SECONDS or report.epoch == report.epochs:
            self.curves.append(report.predict(self.grid))
            self._last_curve_at = now


def draw_charts(snapshot, figures) -> None:
    """Update and serialize the live view's two figures, the page's share of the work."""
    curve = None if snapshot.curve_x is None else (snapshot.curve_x, snapshot.curve_y)
    loss, fit = figures.update(snapshot.epochs_history, snapshot.train_losses, snapshot.validation_losses, curve)
    loss.to_json()
    fit.to_json()


def time_job(dataset, model_config, training_config) -> float:
    from numpattern.figures import LiveFigures
    from numpattern.jobs import start_job

    # As in the app, the figures are built before the job starts, once per run.
    started = time.perf_counter()
    figures = LiveFigures(dataset.frame, None, max_points=LIVE_CHART_POINTS)
    job = start_job(dataset, model_config, training_config, label="benchmark")
    while not job.wait(POLL_INTERVAL_SECONDS):
        draw_charts(job.snapshot(), figures)
    elapsed = time.perf_counter() - started
    if job.error:
        raise RuntimeError(job.error)
    return elapsed


def measure_setup(name: str, model_config: ModelConfig, training_config: TrainingConfig, dataset, repetitions: int) -> None:
    grid = np.linspace(dataset.x.min(), dataset.x.max(), CURVE_POINTS)
    snapshot_counts: list[int] = []

    def with_callback() -> float:
        callback = ChartSnapshots(grid)
        elapsed = _common.seconds(lambda: train(dataset, model_config, training_config, on_epoch=callback))
        snapshot_counts.append(len(callback.curves))
        return elapsed

    runs = {
        "no callback": lambda: _common.seconds(lambda: train(dataset, model_config, training_config)),
        "snapshot callback": with_callback,
    }
    if importlib.util.find_spec("numpattern.jobs") is not None:
        runs["TrainingJob, polled"] = lambda: time_job(dataset, model_config, training_config)
    times = {label: _common.median(values) for label, values in _common.alternate(runs, repetitions).items()}

    baseline = times["no callback"]
    print(f"{name}:")
    for label, seconds in times.items():
        cost = "" if label == "no callback" else f"  cost {100 * (seconds / baseline - 1):+.1f} %"
        print(f"  {label:<22} {1000 * seconds:8.1f} ms{cost}")
    print(f"  curves per run: {_common.median(snapshot_counts):.0f}")


def main() -> None:
    arguments = _common.parse_arguments(__doc__.splitlines()[0], repetitions=7)
    print(_common.machine_summary())
    warm_up()
    dataset = generate(DataSpec(preset="linear", n_points=1000))

    print(f"median of {arguments.repetitions} alternating runs; cost = with callback / without - 1")
    for name, (hidden_sizes, epochs) in SETUPS.items():
        training_config = TrainingConfig(epochs=50 if arguments.smoke else epochs)
        measure_setup(name, ModelConfig(hidden_sizes=hidden_sizes), training_config, dataset, arguments.repetitions)
    if importlib.util.find_spec("numpattern.jobs") is None:
        print("numpattern.jobs not found: TrainingJob not measured")


if __name__ == "__main__":
    main()
