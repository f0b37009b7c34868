"""Epochs per second of full-batch Adam: numpattern's animated training path against scikit-learn.

Data: y = 3x + 2, 1000 evenly spaced points on [-10, 10], standardized on both sides.
numpattern runs ``train`` with an ``on_epoch`` callback, as the app does. By default it
trains on 800 rows and computes the validation loss on the other 200 every epoch, and
the "no validation" row trains on all 1000. scikit-learn runs MLPRegressor(solver="adam")
with batch_size=1000 (one full batch per iteration), tol=0 and n_iter_no_change above
max_iter, so it runs exactly max_iter iterations. Its shuffle=False is the fair setting:
shuffling one full batch only reorders a sum, and costs a permutation per iteration.
The "sklearn, shuffle=True" row shows its default for reference, and "sklearn, 1 BLAS
thread" limits NumPy's BLAS to one thread, which is faster on a busy machine. The ratio
divides numpattern's rate by the faster of the two shuffle=False rows.
"""

from __future__ import annotations

import _common  # before numpattern: it puts the repository root on sys.path
from sklearn.neural_network import MLPRegressor
from threadpoolctl import threadpool_limits

from numpattern.data import DataSpec, generate
from numpattern.model import ModelConfig
from numpattern.training import TrainingConfig, train, warm_up

MODELS = {"1->10->1": (10,), "1->64->64->1": (64, 64)}
EPOCHS = {"1->10->1": 3000, "1->64->64->1": 1000}
SMOKE_EPOCHS = 30


def numpattern_epochs_per_second(dataset, hidden_sizes, epochs: int, validation_fraction: float) -> float:
    config = TrainingConfig(epochs=epochs, learning_rate=0.01, validation_fraction=validation_fraction)
    reports = []
    elapsed = _common.seconds(
        lambda: train(dataset, ModelConfig(hidden_sizes=hidden_sizes), config, on_epoch=reports.append)
    )
    assert len(reports) == epochs
    return epochs / elapsed


def sklearn_iterations_per_second(x, y, hidden_sizes, epochs: int, shuffle: bool, one_thread: bool = False) -> float:
    model = MLPRegressor(
        hidden_layer_sizes=hidden_sizes,
        solver="adam",
        learning_rate_init=0.01,
        batch_size=len(x),
        max_iter=epochs,
        tol=0.0,
        n_iter_no_change=epochs + 1,
        shuffle=shuffle,
        random_state=0,
    )
    with threadpool_limits(limits=1 if one_thread else None):
        elapsed = _common.seconds(lambda: model.fit(x, y))
    assert model.n_iter_ == epochs
    return epochs / elapsed


def measure_model(name: str, hidden_sizes: tuple[int, ...], epochs: int, dataset, repetitions: int) -> None:
    x = ((dataset.x - dataset.x.mean()) / dataset.x.std()).reshape(-1, 1)
    y = (dataset.y - dataset.y.mean()) / dataset.y.std()
    runs = {
        "numpattern": lambda: numpattern_epochs_per_second(dataset, hidden_sizes, epochs, 0.2),
        "numpattern, no validation": lambda: numpattern_epochs_per_second(dataset, hidden_sizes, epochs, 0.0),
        "sklearn": lambda: sklearn_iterations_per_second(x, y, hidden_sizes, epochs, shuffle=False),
        "sklearn, 1 BLAS thread": lambda: sklearn_iterations_per_second(
            x, y, hidden_sizes, epochs, shuffle=False, one_thread=True
        ),
        "sklearn, shuffle=True": lambda: sklearn_iterations_per_second(x, y, hidden_sizes, epochs, shuffle=True),
    }
    for run in runs.values():
        run()  # untimed, so that first-call costs of either library do not count
    rates = {label: _common.median(values) for label, values in _common.alternate(runs, repetitions).items()}

    print(f"{name}, {epochs} epochs:")
    for label, rate in rates.items():
        print(f"  {label:<27} {rate:>9,.0f} epochs/s")
    sklearn_best = max(rates["sklearn"], rates["sklearn, 1 BLAS thread"])
    print(f"  ratio {rates['numpattern'] / sklearn_best:.2f}  "
          f"(no validation: {rates['numpattern, no validation'] / sklearn_best:.2f})")


def main() -> None:
    arguments = _common.parse_arguments(__doc__.splitlines()[0], repetitions=5)
    _common.quiet_sklearn_warnings()
    print(_common.machine_summary())
    warm_up()
    dataset = generate(DataSpec(preset="linear", n_points=1000))

    print(f"median of {arguments.repetitions} alternating runs; ratio = numpattern / the faster shuffle=False sklearn")
    for name, hidden_sizes in MODELS.items():
        epochs = SMOKE_EPOCHS if arguments.smoke else EPOCHS[name]
        measure_model(name, hidden_sizes, epochs, dataset, arguments.repetitions)


if __name__ == "__main__":
    main()
