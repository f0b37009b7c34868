"""Time to fit: numpattern's training recipes against scikit-learn's MLPRegressor(solver="lbfgs").

Every side trains the same 1→10→1 ReLU network on the same rows: the 80 % training split
that numpattern's ``split_indices`` makes for the seed, standardized on both sides (the
standardization is inside the timed call for both). Tasks and what counts as a fit:

- line: y = 3x + 2, 1000 points on [-10, 10]; max |error| < 0.05 on 200 evenly spaced x
  over the training range.
- parabola: y = x², 1000 points on [-3, 3]; max |error| < 1 % of the y range (0.09).
- gapminder (when numpattern.datasets exists): life expectancy against GDP per person,
  1704 rows; R² on all rows at least 99 % of the best R² of long reference runs.

"Time to fit" of a side is the time of one complete training call with the smallest
iteration budget whose result fits, found beforehand on a ladder of budgets. That gives
scikit-learn an oracle stop, and numpattern the same. "fast, natural end" times
``TrainingConfig(optimizer="fast")`` with no budget set, which is what a user waits for,
and "sklearn lbfgs, defaults" times MLPRegressor's own stopping rule (max_iter=200,
tol=1e-4); their rows count a run that stops without fitting as a miss. A side that
does not fit within the largest budget is also reported as a miss, with the time of
that budget. "sklearn lbfgs, 1 BLAS thread" repeats the budgeted run with NumPy's BLAS
limited to one thread, which is faster on a busy machine. Medians over seeds, each seed
the median of alternating repetitions. The ratio divides numpattern "fast" by the
faster of the two budgeted scikit-learn rows, per seed.
"""

from __future__ import annotations

import importlib.util
from collections.abc import Callable
from dataclasses import dataclass

import _common  # before numpattern: it puts the repository root on sys.path
import numpy as np
from sklearn.neural_network import MLPRegressor
from threadpoolctl import threadpool_limits

from numpattern.data import Dataset, DataSpec, generate
from numpattern.metrics import regression_metrics
from numpattern.model import ModelConfig
from numpattern.training import TrainingConfig, split_indices, train, warm_up

MODEL = ModelConfig(hidden_sizes=(10,), activation="relu")
LADDER = [1, 2, 3, 5, 7, 10, 15, 20, 30, 50, 70, 100, 150, 200, 300, 500, 700, 1000, 1500, 2000]
ADAM_LADDER = [100, 200, 500, 1000, 2000, 3000, 4000, 5000, 7000, 10000, 15000, 20000]


@dataclass
class Task:
    name: str
    dataset: Dataset
    fits: Callable[[Callable[[np.ndarray], np.ndarray], tuple[float, float]], bool]


def curve_task(name: str, preset: str, truth: Callable[[np.ndarray], np.ndarray], tolerance: float | None) -> Task:
    dataset = generate(DataSpec(preset=preset, n_points=1000))
    limit = tolerance if tolerance is not None else 0.01 * float(np.ptp(dataset.y))

    def fits(predict, x_range) -> bool:
        grid = np.linspace(*x_range, 200)
        return float(np.max(np.abs(predict(grid) - truth(grid)))) < limit

    return Task(name, dataset, fits)


def gapminder_task(seeds: list[int]) -> Task | None:
    if importlib.util.find_spec("numpattern.datasets") is None:
        return None
    from numpattern.datasets import load_dataset

    dataset = load_dataset("gapminder")
    # Reference: the best R² of converged L-BFGS runs on both sides.
    best = 0.0
    for seed in seeds:
        result = train(dataset, MODEL, TrainingConfig(optimizer="lbfgs", learning_rate=1.0, epochs=3000, seed=seed))
        best = max(best, result.metrics["r2"])
        predict, _ = sklearn_fit(dataset, seed, max_iter=3000)
        best = max(best, regression_metrics(dataset.y, predict(dataset.x))["r2"])
    target = 0.99 * best
    print(f"gapminder: target R² {target:.4f} (99 % of the best reference R² {best:.4f})")

    def fits(predict, x_range) -> bool:
        return regression_metrics(dataset.y, predict(dataset.x))["r2"] >= target

    return Task("gapminder", dataset, fits)


def numpattern_fit(dataset: Dataset, seed: int, optimizer: str, epochs: int | None):
    learning_rate = 1.0 if optimizer == "lbfgs" else 0.01
    config = TrainingConfig(optimizer=optimizer, learning_rate=learning_rate, seed=seed)
    if epochs is not None:
        config = TrainingConfig(**{**config.to_dict(), "epochs": epochs})
    result = train(dataset, MODEL, config)
    return result.predict, result.x_range


def sklearn_fit(dataset: Dataset, seed: int, max_iter: int | None, one_thread: bool = False):
    """Fit MLPRegressor for exactly ``max_iter`` iterations, or with its defaults when None."""
    train_rows, _ = split_indices(len(dataset.frame), 0.2, seed)
    x, y = dataset.x[train_rows], dataset.y[train_rows]
    x_mean, x_std, y_mean, y_std = x.mean(), x.std(), y.mean(), y.std()
    budget = {} if max_iter is None else {"max_iter": max_iter, "tol": 0.0}
    model = MLPRegressor(
        hidden_layer_sizes=MODEL.hidden_sizes, activation="relu", solver="lbfgs", random_state=seed, **budget
    )
    with threadpool_limits(limits=1 if one_thread else None):
        model.fit(((x - x_mean) / x_std).reshape(-1, 1), (y - y_mean) / y_std)

    def predict(values: np.ndarray) -> np.ndarray:
        return model.predict(((values - x_mean) / x_std).reshape(-1, 1)) * y_std + y_mean

    return predict, (float(x.min()), float(x.max()))


def smallest_fitting_budget(task: Task, fit: Callable[[int], tuple], ladder: list[int]) -> tuple[int, bool]:
    for budget in ladder:
        if task.fits(*fit(budget)):
            return budget, True
    return ladder[-1], False


def describe(times_ms: list[float], fitted: list[bool]) -> str:
    misses = fitted.count(False)
    text = f"{_common.median(times_ms):8.1f} ms"
    return text + (f"  ({misses} of {len(fitted)} seeds did not fit)" if misses else "")


SIDES = [
    "fast", "fast, natural end", "lbfgs", "adam",
    "sklearn lbfgs", "sklearn lbfgs, 1 BLAS thread", "sklearn lbfgs, defaults",
]


def measure_seed(task: Task, seed: int, repetitions: int, smoke: bool) -> tuple[dict, dict[str, float]]:
    """Find each side's smallest fitting budget, then time each side at it; return both."""
    ladder = LADDER[:4] if smoke else LADDER
    adam_ladder = ADAM_LADDER[:1] if smoke else ADAM_LADDER
    dataset = task.dataset

    def numpattern_run(optimizer: str):
        return lambda epochs: numpattern_fit(dataset, seed, optimizer, epochs)

    def sklearn_run(max_iter: int):
        return sklearn_fit(dataset, seed, max_iter)

    budgets = {
        "fast": smallest_fitting_budget(task, numpattern_run("fast"), ladder),
        "fast, natural end": (None, task.fits(*numpattern_fit(dataset, seed, "fast", None))),
        "lbfgs": smallest_fitting_budget(task, numpattern_run("lbfgs"), ladder),
        "adam": smallest_fitting_budget(task, numpattern_run("adam"), adam_ladder),
        "sklearn lbfgs": smallest_fitting_budget(task, sklearn_run, ladder),
        "sklearn lbfgs, defaults": (None, task.fits(*sklearn_fit(dataset, seed, None))),
    }
    budgets["sklearn lbfgs, 1 BLAS thread"] = budgets["sklearn lbfgs"]
    runs = {
        "fast": lambda: numpattern_fit(dataset, seed, "fast", budgets["fast"][0]),
        "fast, natural end": lambda: numpattern_fit(dataset, seed, "fast", None),
        "lbfgs": lambda: numpattern_fit(dataset, seed, "lbfgs", budgets["lbfgs"][0]),
        "adam": lambda: numpattern_fit(dataset, seed, "adam", budgets["adam"][0]),
        "sklearn lbfgs": lambda: sklearn_fit(dataset, seed, budgets["sklearn lbfgs"][0]),
        "sklearn lbfgs, 1 BLAS thread": lambda: sklearn_fit(dataset, seed, budgets["sklearn lbfgs"][0], one_thread=True),
        "sklearn lbfgs, defaults": lambda: sklearn_fit(dataset, seed, None),
    }
    timed = {side: (lambda run=run: _common.seconds(run) * 1000) for side, run in runs.items()}
    medians = {side: _common.median(values) for side, values in _common.alternate(timed, repetitions).items()}
    return budgets, medians


def run_task(task: Task, seeds: list[int], repetitions: int, smoke: bool) -> None:
    times: dict[str, list[float]] = {side: [] for side in SIDES}
    fitted: dict[str, list[bool]] = {side: [] for side in SIDES}
    ratios = []
    for seed in seeds:
        budgets, medians = measure_seed(task, seed, repetitions, smoke)
        for side in SIDES:
            times[side].append(medians[side])
            fitted[side].append(budgets[side][1])
        ratios.append(medians["fast"] / min(medians["sklearn lbfgs"], medians["sklearn lbfgs, 1 BLAS thread"]))
        print(f"  seed {seed}: iteration budgets " + ", ".join(
            f"{side} {budget}{'' if ok else ' (no fit)'}" for side, (budget, ok) in budgets.items() if budget
        ))

    print(f"{task.name}: time to fit, median over {len(seeds)} seeds of {repetitions} alternating runs")
    for side in SIDES:
        print(f"  {side:<29} {describe(times[side], fitted[side])}")
    misses = fitted["sklearn lbfgs"].count(False)
    bound = f" (upper bounds on {misses} seeds where sklearn never fit)" if misses else ""
    print(f"  ratio fast / faster sklearn lbfgs: median {_common.median(ratios):.2f}, max {max(ratios):.2f}{bound}")


def main() -> None:
    arguments = _common.parse_arguments(__doc__.splitlines()[0], repetitions=5)
    _common.quiet_sklearn_warnings()
    print(_common.machine_summary())
    warm_up()
    sklearn_fit(generate(DataSpec(n_points=50)), 0, 5)  # untimed first call of scikit-learn
    seeds = [0] if arguments.smoke else [0, 1, 2, 3, 4]

    tasks = [
        curve_task("line", "linear", lambda x: 3 * x + 2, tolerance=0.05),
        curve_task("parabola", "quadratic", lambda x: x**2, tolerance=None),
    ]
    gapminder = None if arguments.smoke else gapminder_task(seeds)
    if gapminder is not None:
        tasks.append(gapminder)
    for task in tasks:
        run_task(task, seeds, arguments.repetitions, arguments.smoke)


if __name__ == "__main__":
    main()
