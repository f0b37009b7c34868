"""Training on the hand-written gradients: the "fast" recipe and its warm start, L-BFGS
convergence, the shared forward pass of full-batch epochs, single-threaded small runs
and the warm-up."""

from __future__ import annotations

import json
import threading

import numpy as np
import pandas as pd
import pytest
import torch

from numpattern.cpu_threads import SINGLE_THREAD_MAX_WORK, single_thread_if_small
from numpattern.data import PRESETS, Dataset, DataSpec, generate
from numpattern.fast_mlp import FlatMLP
from numpattern.model import ACTIVATIONS, ModelConfig, build_model
from numpattern.training import OPTIMIZERS, TrainingConfig, as_column, split_indices, train, warm_up
from numpattern.warm_start import solve_output_layer, spread_first_layer

FAST = TrainingConfig(optimizer="fast")


def max_error_on_grid(result, preset: str) -> float:
    grid = np.linspace(*result.x_range, 200)
    return float(np.max(np.abs(result.predict(grid) - PRESETS[preset].evaluate(grid))))


# --- the "fast" recipe ----------------------------------------------------------------------


def test_fast_is_an_optimizer_choice():
    assert "fast" in OPTIMIZERS
    assert TrainingConfig.from_dict(FAST.to_dict()) == FAST


def test_fast_fits_line_in_few_epochs():
    dataset = generate(DataSpec(preset="linear", n_points=1000))

    result = train(dataset, ModelConfig(), FAST)

    assert max_error_on_grid(result, "linear") < 1e-3
    assert result.stop_reason == "converged"
    assert result.epochs_run < 10
    assert list(result.history.columns) == ["epoch", "train_loss", "validation_loss"]
    assert result.history["epoch"].tolist() == list(range(1, result.epochs_run + 1))


def test_fast_fits_parabola_within_one_percent():
    dataset = generate(DataSpec(preset="quadratic", n_points=1000))

    result = train(dataset, ModelConfig(), FAST)

    assert max_error_on_grid(result, "quadratic") < 0.01 * np.ptp(dataset.y)
    assert result.stop_reason == "converged"


@pytest.mark.parametrize("activation", sorted(ACTIVATIONS))
def test_fast_each_activation_fits_sine(activation):
    dataset = generate(DataSpec(preset="sine", n_points=500))

    result = train(dataset, ModelConfig(hidden_sizes=(16,), activation=activation), FAST)

    assert result.metrics["r2"] >= 0.999


def test_fast_skewed_x_stays_bounded():
    # Log-normal x, like incomes: most rows sit at the low end and a few far out.
    rng = np.random.default_rng(0)
    x = np.exp(rng.normal(8.0, 1.2, 1500))
    y = 10 * np.log(x) + rng.normal(0.0, 2.0, x.shape)
    dataset = Dataset(pd.DataFrame({"x": x, "y": y}), source={"kind": "test"})

    result = train(dataset, ModelConfig(), FAST)

    assert result.metrics["r2"] >= 0.8
    # Validation rows can lie beyond the training range, and the curve must not swing there.
    predictions = result.predict(np.linspace(x.min(), x.max(), 500))
    assert np.all(np.abs(predictions) < 10 * np.abs(y).max())


def test_fast_more_units_than_rows():
    dataset = generate(DataSpec(preset="sine", n_points=12))

    result = train(dataset, ModelConfig(hidden_sizes=(64, 64)), FAST)

    assert np.isfinite(result.history["train_loss"]).all()
    assert np.isfinite(result.predict(np.linspace(-7, 7, 50))).all()


def test_fast_constant_y_predicts_constant():
    dataset = Dataset(pd.DataFrame({"x": np.linspace(0, 1, 50), "y": np.full(50, 4.0)}), source={"kind": "test"})

    result = train(dataset, ModelConfig(), FAST)

    np.testing.assert_allclose(result.predict(np.array([0.0, 0.5, 1.0])), 4.0, atol=1e-4)


def test_fast_seeded_runs_identical():
    dataset = generate(DataSpec(preset="cubic", n_points=300, noise=0.1, seed=2))

    first = train(dataset, ModelConfig(hidden_sizes=(12, 12), activation="tanh"), FAST)
    second = train(dataset, ModelConfig(hidden_sizes=(12, 12), activation="tanh"), FAST)

    pd.testing.assert_frame_equal(first.history, second.history, check_exact=True)
    for name, value in first.model.state_dict().items():
        assert torch.equal(value, second.model.state_dict()[name]), name


def test_fast_stop_request_after_k_epochs():
    dataset = generate(DataSpec(preset="cubic", n_points=300, noise=0.2, seed=1))
    epochs_seen = []

    result = train(
        dataset, ModelConfig(hidden_sizes=(32,)), FAST,
        on_epoch=lambda report: epochs_seen.append(report.epoch), should_stop=lambda: len(epochs_seen) >= 3,
    )

    assert result.stop_reason == "stopped"
    assert result.epochs_run == 3


def test_lbfgs_stops_when_converged():
    dataset = generate(DataSpec(preset="linear", n_points=100, noise=0.1, seed=0))
    config = TrainingConfig(epochs=500, optimizer="lbfgs", learning_rate=1.0)

    result = train(dataset, ModelConfig(kind="linear", hidden_sizes=()), config)

    assert result.stop_reason == "converged"
    assert result.epochs_run < 50


# --- warm start -----------------------------------------------------------------------------


def test_spread_first_layer_relu_kinks_at_quantiles():
    x = torch.linspace(0.0, 9.0, 1000).reshape(-1, 1) ** 2  # denser near 0
    network = FlatMLP(build_model(ModelConfig(hidden_sizes=(5,)), seed=0))

    spread_first_layer(network, x)

    weight = network.layers[0].weight.reshape(-1)
    kinks = -network.layers[0].bias / weight
    expected = torch.quantile(x.reshape(-1).double(), torch.tensor([0.125, 0.375, 0.625, 0.875], dtype=torch.float64))
    torch.testing.assert_close(kinks[1:].double(), expected, rtol=1e-5, atol=1e-4)
    assert kinks[0] < x.min()
    assert weight[0] > 0  # unit 0 rises over all the data: a straight line
    assert weight.tolist() == [1.0, 1.0, -1.0, 1.0, -1.0]


def test_solve_output_layer_matches_least_squares():
    network = FlatMLP(build_model(ModelConfig(hidden_sizes=(6,), activation="tanh"), seed=1))
    x = torch.linspace(-2, 2, 200).reshape(-1, 1)
    y = torch.sin(2 * x)

    solve_output_layer(network, x, y)

    features = torch.tanh(x @ network.layers[0].weight.t() + network.layers[0].bias).double().numpy()
    design = np.hstack([features, np.ones((200, 1))])
    expected, *_ = np.linalg.lstsq(design, y.double().numpy().reshape(-1), rcond=None)
    fitted = np.concatenate([network.layers[-1].weight.reshape(-1).numpy(), network.layers[-1].bias.numpy()])
    np.testing.assert_allclose(design @ fitted, design @ expected, atol=1e-4)


# --- full-batch epochs share one forward pass with the validation loss -------------------------


@pytest.mark.parametrize("optimizer", ["adam", "sgd"])
def test_shared_forward_pass_loss_weights(optimizer):
    dataset = generate(DataSpec(preset="sine", n_points=80, noise=0.1, seed=3))
    config = TrainingConfig(epochs=15, optimizer=optimizer, learning_rate=0.05, seed=1)
    train_rows, validation_rows = split_indices(80, config.validation_fraction, config.seed)
    curves = []

    result = train(
        dataset, ModelConfig(hidden_sizes=(8,)), config,
        on_epoch=lambda report: curves.append(report.predict(dataset.x)),
    )

    scale = result.standardizer.y_std**2
    for epoch, curve in enumerate(curves):
        residual = curve - dataset.y
        after_step_validation = np.mean(residual[validation_rows] ** 2) / scale
        after_step_train = np.mean(residual[train_rows] ** 2) / scale
        assert result.history["validation_loss"].iloc[epoch] == pytest.approx(after_step_validation, rel=1e-4)
        if epoch + 1 < len(curves):
            # The next epoch's training loss is measured on the weights this epoch left.
            assert result.history["train_loss"].iloc[epoch + 1] == pytest.approx(after_step_train, rel=1e-4)


def test_first_epoch_loss_is_loss_of_initial_weights():
    dataset = generate(DataSpec(preset="linear", n_points=50))
    config = TrainingConfig(epochs=3, seed=5)
    train_rows, _ = split_indices(50, config.validation_fraction, config.seed)

    result = train(dataset, ModelConfig(hidden_sizes=(4,)), config)

    model = build_model(ModelConfig(hidden_sizes=(4,)), seed=5)
    x = as_column(result.standardizer.transform_x(dataset.x[train_rows]))
    y = as_column(result.standardizer.transform_y(dataset.y[train_rows]))
    with torch.no_grad():
        expected = torch.mean((model(x) - y) ** 2).item()
    assert result.history["train_loss"].iloc[0] == pytest.approx(expected, rel=1e-5)


# --- one thread for small runs --------------------------------------------------------------


def test_single_thread_if_small_sets_and_restores():
    before = torch.get_num_threads()

    with single_thread_if_small(SINGLE_THREAD_MAX_WORK):
        inside = torch.get_num_threads()

    assert inside == 1
    assert torch.get_num_threads() == before


def test_single_thread_if_small_leaves_large_work_alone():
    before = torch.get_num_threads()

    with single_thread_if_small(SINGLE_THREAD_MAX_WORK + 1):
        assert torch.get_num_threads() == before


def test_single_thread_if_small_concurrent_runs_restore_original():
    before = torch.get_num_threads()
    first_inside = threading.Event()
    second_done = threading.Event()
    seen = {}

    def second_run() -> None:
        first_inside.wait()
        with single_thread_if_small(1):
            seen["second"] = torch.get_num_threads()
        second_done.set()

    worker = threading.Thread(target=second_run)
    worker.start()
    with single_thread_if_small(1):
        first_inside.set()
        second_done.wait(timeout=30)
        seen["first"] = torch.get_num_threads()
    worker.join(timeout=30)

    assert seen == {"first": 1, "second": 1}
    assert torch.get_num_threads() == before


def test_single_thread_if_small_restores_after_error():
    before = torch.get_num_threads()

    with pytest.raises(RuntimeError, match="inside"), single_thread_if_small(1):
        raise RuntimeError("inside")

    assert torch.get_num_threads() == before


# --- warm-up and the command line -------------------------------------------------------------


def test_warm_up_runs_every_optimizer():
    seconds = warm_up()

    assert seconds > 0


def test_cli_train_with_fast(run_cli):
    completed = run_cli("train", "--optimizer", "fast", "--points", "200", "--json", "--out", "fast-line")

    assert completed.returncode == 0, completed.stderr
    assert json.loads(completed.stdout.splitlines()[-1])["r2"] >= 0.99999
