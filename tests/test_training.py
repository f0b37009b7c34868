"""Training: shapes, convergence on wide x ranges, divergence, reproducibility, stop requests,
callbacks, early stopping, optimizers, activations and the regression metrics."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest
import torch

from numpattern.data import Dataset, DataSpec, generate
from numpattern.errors import ConfigError, DataError, TrainingDivergedError
from numpattern.metrics import regression_metrics
from numpattern.model import ACTIVATIONS, ModelConfig
from numpattern.training import (
    OPTIMIZERS,
    TrainingConfig,
    as_column,
    mse_loss,
    split_indices,
    train,
)

SMALL_MLP = ModelConfig(hidden_sizes=(10,))
LINEAR_MODEL = ModelConfig(kind="linear", hidden_sizes=())


def validation_loss_of(result, dataset: Dataset) -> float:
    """Recompute the standardized validation MSE of ``result`` the way training measures it."""
    config = result.training_config
    _, validation_rows = split_indices(len(dataset.frame), config.validation_fraction, config.seed)
    x = as_column(result.standardizer.transform_x(dataset.x[validation_rows]))
    y = as_column(result.standardizer.transform_y(dataset.y[validation_rows]))
    with torch.no_grad():
        return mse_loss(result.model(x), y).item()


# --- loss and shapes ----------------------------------------------------------------------


def test_mse_loss_hand_computed():
    prediction = torch.tensor([[1.0], [2.0], [-1.0]])
    target = torch.tensor([[0.0], [0.0], [1.0]])

    assert mse_loss(prediction, target).item() == pytest.approx((1 + 4 + 4) / 3)


@pytest.mark.parametrize(
    ("prediction_shape", "target_shape"),
    [((5, 1), (5,)), ((5,), (5, 1)), ((5, 1), (1, 5)), ((5, 1), (4, 1))],
)
def test_mse_loss_shape_mismatch_raises(prediction_shape, target_shape):
    with pytest.raises(ValueError, match="Prediction shape .* differs from target shape"):
        mse_loss(torch.zeros(prediction_shape), torch.zeros(target_shape))


def test_mse_loss_not_broadcast_like_torch():
    # torch's own mse_loss broadcasts (N, 1) against (N,) to (N, N), so ours must raise instead.
    prediction = torch.arange(4.0).reshape(4, 1)
    target = torch.arange(4.0)

    with pytest.warns(UserWarning):
        broadcast = torch.nn.functional.mse_loss(prediction, target)
    assert broadcast.item() > 0
    with pytest.raises(ValueError, match="\\(4, 1\\) differs from target shape \\(4,\\)"):
        mse_loss(prediction, target)


@pytest.mark.parametrize(
    "values",
    [np.arange(6.0), np.arange(6.0).reshape(6, 1), np.arange(6.0).reshape(1, 6), np.arange(6.0).reshape(2, 3), list(range(6))],
    ids=["flat", "column", "row", "matrix", "list"],
)
def test_as_column_always_n_by_one(values):
    column = as_column(values)

    assert column.shape == (6, 1)
    assert column.dtype == torch.float32
    assert column.reshape(-1).tolist() == [0.0, 1.0, 2.0, 3.0, 4.0, 5.0]


@pytest.mark.parametrize(
    "frame",
    [
        pd.DataFrame({"x": np.linspace(-1, 1, 30), "y": 2 * np.linspace(-1, 1, 30)}),
        pd.DataFrame({"x": np.arange(30), "y": 2 * np.arange(30)}),
        pd.DataFrame({"x": np.linspace(-1, 1, 30, dtype=np.float32), "y": np.linspace(-2, 2, 30, dtype=np.float32)}),
        pd.DataFrame({"x": np.linspace(-1, 1, 30), "y": 2 * np.linspace(-1, 1, 30), "note": ["a"] * 30}),
    ],
    ids=["float64", "int64", "float32", "extra-column"],
)
def test_train_any_column_type_fits_line(frame):
    dataset = Dataset(frame=frame, source={"kind": "csv"})

    result = train(dataset, LINEAR_MODEL, TrainingConfig(epochs=30, optimizer="lbfgs", learning_rate=1.0))

    assert result.metrics["r2"] > 0.9999
    assert result.predict(np.array([1.0, 2.0])).shape == (2,)


def test_train_recorded_loss_is_column_mse():
    # A broadcast (N,) against (N, 1) loss would average N*N pairs and differ from this value.
    dataset = generate(DataSpec(preset="cubic", n_points=80, noise=0.2, seed=3))

    result = train(dataset, SMALL_MLP, TrainingConfig(epochs=30, seed=1))

    assert result.history["validation_loss"].iloc[-1] == pytest.approx(validation_loss_of(result, dataset), rel=1e-6)


# --- splits -------------------------------------------------------------------------------


def test_split_indices_disjoint_and_complete():
    train_rows, validation_rows = split_indices(50, 0.2, seed=1)

    assert len(validation_rows) == 10
    assert len(train_rows) == 40
    assert set(train_rows).isdisjoint(validation_rows)
    assert sorted([*train_rows, *validation_rows]) == list(range(50))


def test_split_indices_seeded():
    first = split_indices(50, 0.2, seed=1)
    second = split_indices(50, 0.2, seed=1)
    other = split_indices(50, 0.2, seed=2)

    np.testing.assert_array_equal(first[1], second[1])
    assert not np.array_equal(first[1], other[1])


def test_split_indices_too_few_training_rows():
    with pytest.raises(DataError, match="Only 1 rows are left for training after the validation split"):
        split_indices(3, 0.5, seed=0)


# --- convergence on wide ranges, thanks to standardization ----------------------------------


def test_train_square_on_wide_range_converges():
    dataset = generate(DataSpec(preset=None, formula="x**2", x_min=0.0, x_max=5000.0))

    result = train(dataset)

    assert result.metrics["r2"] >= 0.999
    assert not result.history[["train_loss", "validation_loss"]].isna().any().any()
    assert np.isfinite(result.predict(dataset.x)).all()


def test_train_line_on_wide_range_predicts_within_tenth_percent():
    dataset = generate(DataSpec(preset=None, formula="3*x + 2", x_min=-1000.0, x_max=1000.0))

    result = train(dataset)

    prediction = result.predict(np.array([500.0]))[0]
    assert abs(prediction - 1502.0) <= 0.001 * 1502.0


def test_train_linear_model_matches_least_squares():
    dataset = generate(DataSpec(preset="linear", n_points=100, noise=0.2, seed=0))
    config = TrainingConfig(epochs=20, optimizer="lbfgs", learning_rate=1.0, seed=0)

    result = train(dataset, LINEAR_MODEL, config)

    train_rows, _ = split_indices(100, config.validation_fraction, config.seed)
    design = np.column_stack([dataset.x[train_rows], np.ones(len(train_rows))])
    (slope, intercept), *_ = np.linalg.lstsq(design, dataset.y[train_rows], rcond=None)
    at_zero, at_one = result.predict(np.array([0.0, 1.0]))
    assert at_one - at_zero == pytest.approx(slope, rel=1e-4)
    assert at_zero == pytest.approx(intercept, rel=1e-4)


# --- divergence ---------------------------------------------------------------------------


def test_train_divergence_raises_with_learning_rate_hint():
    dataset = generate(DataSpec(preset=None, formula="x**2", x_min=0.0, x_max=5000.0, n_points=100))
    config = TrainingConfig(epochs=200, optimizer="sgd", learning_rate=10.0, seed=0)
    epochs_seen = []

    with pytest.raises(
        TrainingDivergedError,
        match="Training diverged: the loss became (inf|nan) at epoch \\d+. The learning rate 10 is most likely "
        "too high for the sgd optimizer; try 1. Nothing from this run was kept.",
    ):
        train(dataset, SMALL_MLP, config, on_epoch=lambda report: epochs_seen.append(report.epoch))

    assert 0 < len(epochs_seen) < 200


# --- reproducibility ----------------------------------------------------------------------


@pytest.mark.parametrize(
    "config",
    [
        TrainingConfig(epochs=40, seed=4),
        TrainingConfig(epochs=10, batch_size=8, optimizer="sgd", learning_rate=0.05, seed=4),
        TrainingConfig(epochs=10, optimizer="lbfgs", learning_rate=1.0, seed=4),
    ],
    ids=["adam-full-batch", "sgd-mini-batch", "lbfgs"],
)
def test_train_seeded_runs_identical(config):
    dataset = generate(DataSpec(preset="sine", n_points=64, noise=0.1, seed=1))

    first = train(dataset, ModelConfig(hidden_sizes=(12, 12), activation="tanh"), config)
    second = train(dataset, ModelConfig(hidden_sizes=(12, 12), activation="tanh"), config)

    pd.testing.assert_frame_equal(first.history, second.history, check_exact=True)
    first_state, second_state = first.model.state_dict(), second.model.state_dict()
    assert list(first_state) == list(second_state)
    for name in first_state:
        assert torch.equal(first_state[name], second_state[name]), name


def test_train_other_seed_other_history(tiny_dataset):
    first = train(tiny_dataset, SMALL_MLP, TrainingConfig(epochs=5, seed=0))
    second = train(tiny_dataset, SMALL_MLP, TrainingConfig(epochs=5, seed=1))

    assert not first.history["train_loss"].equals(second.history["train_loss"])


# --- stop requests, callbacks and the result ------------------------------------------------


@pytest.mark.parametrize("batch_size", [None, 10], ids=["full-batch", "mini-batch"])
def test_train_stop_request_after_k_epochs(tiny_dataset, batch_size):
    epochs_seen = []

    result = train(
        tiny_dataset,
        SMALL_MLP,
        TrainingConfig(epochs=500, batch_size=batch_size),
        on_epoch=lambda report: epochs_seen.append(report.epoch),
        should_stop=lambda: len(epochs_seen) >= 7,
    )

    assert result.epochs_run == 7
    assert result.stop_reason == "stopped"
    assert len(result.history) == 7
    assert epochs_seen == list(range(1, 8))
    assert np.isfinite(result.predict(np.array([0.0, 1.0]))).all()


def test_train_stop_request_mid_epoch_drops_partial_epoch(tiny_dataset):
    # 48 training rows in batches of 8 make 6 batches per epoch, and the run stops after 2 batches of epoch 4.
    epochs_seen = []
    polls_since_epoch = []

    def record(report):
        epochs_seen.append(report.epoch)
        polls_since_epoch.clear()

    def should_stop() -> bool:
        polls_since_epoch.append(1)
        return len(epochs_seen) == 3 and len(polls_since_epoch) > 3

    result = train(
        tiny_dataset, SMALL_MLP, TrainingConfig(epochs=100, batch_size=8), on_epoch=record, should_stop=should_stop
    )

    assert result.epochs_run == 3
    assert result.stop_reason == "stopped"
    assert result.history["epoch"].tolist() == [1, 2, 3]


def test_train_stop_before_first_epoch(tiny_dataset):
    result = train(tiny_dataset, SMALL_MLP, TrainingConfig(epochs=50), should_stop=lambda: True)

    assert result.epochs_run == 0
    assert result.stop_reason == "stopped"
    assert result.history.empty
    assert math.isfinite(result.metrics["mse"])


def test_train_on_epoch_once_per_epoch(tiny_dataset):
    reports = []

    result = train(tiny_dataset, SMALL_MLP, TrainingConfig(epochs=25), on_epoch=reports.append)

    assert [report.epoch for report in reports] == list(range(1, 26))
    assert {report.epochs for report in reports} == {25}
    assert [report.train_loss for report in reports] == result.history["train_loss"].tolist()
    assert [report.validation_loss for report in reports] == result.history["validation_loss"].tolist()
    elapsed = [report.elapsed_seconds for report in reports]
    assert elapsed == sorted(elapsed)
    assert result.stop_reason == "completed"
    assert result.epochs_run == 25


def test_train_on_epoch_predict_uses_current_weights(tiny_dataset):
    curves = []
    x = np.array([-5.0, 0.0, 5.0])

    result = train(
        tiny_dataset, SMALL_MLP, TrainingConfig(epochs=20), on_epoch=lambda report: curves.append(report.predict(x))
    )

    assert curves[0].shape == (3,)
    assert not np.array_equal(curves[0], curves[-1])
    np.testing.assert_array_equal(curves[-1], result.predict(x))


def test_train_result_fields_match_data(tiny_dataset):
    config = TrainingConfig(epochs=30, seed=2)

    result = train(tiny_dataset, SMALL_MLP, config)

    assert result.x_range == (tiny_dataset.x.min(), tiny_dataset.x.max())
    assert result.data_source == tiny_dataset.source
    assert result.data_fingerprint == tiny_dataset.fingerprint
    assert result.model_config == SMALL_MLP
    assert result.training_config == config
    assert list(result.history.columns) == ["epoch", "train_loss", "validation_loss"]
    assert result.metrics == regression_metrics(tiny_dataset.y, result.predict(tiny_dataset.x))


def test_train_without_validation_records_nan(tiny_dataset):
    reports = []

    result = train(tiny_dataset, SMALL_MLP, TrainingConfig(epochs=5, validation_fraction=0.0), on_epoch=reports.append)

    assert result.history["validation_loss"].isna().all()
    assert all(report.validation_loss is None for report in reports)


# --- early stopping -----------------------------------------------------------------------


def test_train_early_stopping_restores_best_weights():
    dataset = generate(DataSpec(preset="sine", n_points=60, noise=0.3, seed=1))
    config = TrainingConfig(epochs=500, learning_rate=0.05, early_stopping_patience=10, seed=0)

    result = train(dataset, ModelConfig(hidden_sizes=(32, 32)), config)

    validation = result.history["validation_loss"]
    best_epoch = int(validation.idxmin()) + 1
    assert result.stop_reason == "early_stopping"
    assert result.epochs_run == best_epoch + 10
    assert validation.iloc[-1] > validation.min()
    assert validation_loss_of(result, dataset) == pytest.approx(validation.min(), rel=1e-5)


def test_train_early_stopping_without_validation_watches_training_loss():
    dataset = generate(DataSpec(preset="sine", n_points=60, noise=0.3, seed=1))
    config = TrainingConfig(epochs=400, learning_rate=0.3, validation_fraction=0.0, early_stopping_patience=5)

    result = train(dataset, ModelConfig(hidden_sizes=(32, 32)), config)

    train_loss = result.history["train_loss"]
    assert result.stop_reason == "early_stopping"
    assert (train_loss.iloc[-5:] >= train_loss.iloc[:-5].min()).all()


# --- optimizers, batches, activations -----------------------------------------------------


@pytest.mark.parametrize(
    ("optimizer", "learning_rate", "epochs"),
    [("adam", 0.01, 300), ("sgd", 0.05, 300), ("lbfgs", 1.0, 30)],
)
def test_train_each_optimizer_fits_line(optimizer, learning_rate, epochs):
    assert optimizer in OPTIMIZERS
    dataset = generate(DataSpec(preset="linear", n_points=100, seed=0))

    result = train(dataset, SMALL_MLP, TrainingConfig(epochs=epochs, optimizer=optimizer, learning_rate=learning_rate))

    assert result.metrics["r2"] >= 0.999
    assert result.history["train_loss"].iloc[-1] < result.history["train_loss"].iloc[0] / 100


def test_train_mini_batches_fit_and_differ_from_full_batch():
    dataset = generate(DataSpec(preset="linear", n_points=100, seed=0))

    mini = train(dataset, SMALL_MLP, TrainingConfig(epochs=100, batch_size=16))
    full = train(dataset, SMALL_MLP, TrainingConfig(epochs=100))

    assert mini.metrics["r2"] >= 0.999
    assert mini.history["train_loss"].iloc[0] != full.history["train_loss"].iloc[0]


def test_train_batch_larger_than_data_is_full_batch(tiny_dataset):
    large = train(tiny_dataset, SMALL_MLP, TrainingConfig(epochs=10, batch_size=10_000))
    full = train(tiny_dataset, SMALL_MLP, TrainingConfig(epochs=10))

    pd.testing.assert_frame_equal(large.history, full.history, check_exact=True)


@pytest.mark.parametrize("activation", sorted(ACTIVATIONS))
def test_train_each_activation_fits_line(activation):
    dataset = generate(DataSpec(preset="linear", n_points=100, seed=0))

    result = train(dataset, ModelConfig(hidden_sizes=(10,), activation=activation), TrainingConfig(epochs=300))

    assert result.metrics["r2"] >= 0.99


def test_train_linear_model_fits_line():
    dataset = generate(DataSpec(preset="linear", n_points=100, seed=0))

    result = train(dataset, LINEAR_MODEL, TrainingConfig(epochs=300))

    assert result.metrics["r2"] >= 0.9999
    np.testing.assert_allclose(result.predict(np.array([0.0, 5.0])), [2.0, 17.0], atol=0.05)


# --- configs ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("arguments", "message"),
    [
        ({"optimizer": "rmsprop"}, "Unknown optimizer 'rmsprop'. Choose one of: adam, sgd, lbfgs"),
        ({"epochs": 0}, "Epochs must be between 1 and 100,000. You gave 0."),
        ({"epochs": 2.5}, "Epochs must be a whole number between 1 and 100,000. You gave 2.5."),
        ({"epochs": 10**30}, "Epochs must be between 1 and 100,000. You gave 1000000000000000000000000000000."),
        ({"learning_rate": 0.0}, "Learning rate must be between 0.000001 and 10. You gave 0."),
        ({"learning_rate": 11.0}, "Learning rate must be between 0.000001 and 10. You gave 11."),
        ({"learning_rate": math.nan}, "Learning rate must be a finite number between 0.000001 and 10. You gave nan."),
        ({"learning_rate": "0.1"}, "Learning rate must be a number between 0.000001 and 10. You gave '0.1'."),
        ({"validation_fraction": 0.6}, "Validation share must be between 0 and 0.5. You gave 0.6."),
        ({"seed": -1}, "Seed must be between 0 and 4,294,967,295. You gave -1."),
        ({"batch_size": 0}, "Batch size must be between 1 and"),
        ({"early_stopping_patience": 0}, "Early stopping patience must be between 1 and"),
    ],
)
def test_training_config_invalid_rejected(arguments, message):
    with pytest.raises(ConfigError, match=message):
        TrainingConfig(**arguments)


def test_training_config_dict_round_trip():
    config = TrainingConfig(epochs=12, learning_rate=0.5, optimizer="sgd", batch_size=4, early_stopping_patience=3)

    assert TrainingConfig.from_dict({**config.to_dict(), "unknown": 1}) == config


# --- metrics ------------------------------------------------------------------------------


def test_regression_metrics_hand_computed():
    y_true = np.array([1.0, 2.0, 3.0, 4.0])
    y_pred = np.array([1.0, 2.5, 2.0, 4.0])

    metrics = regression_metrics(y_true, y_pred)

    # The residuals are 0, -0.5, 1 and 0, and the total sum of squares around the mean 2.5 is 5.
    assert metrics["mse"] == pytest.approx(1.25 / 4)
    assert metrics["mae"] == pytest.approx(1.5 / 4)
    assert metrics["r2"] == pytest.approx(1 - 1.25 / 5)
    assert metrics["max_abs_error"] == pytest.approx(1.0)


@pytest.mark.parametrize(("y_pred", "r2"), [([5.0, 5.0, 5.0], 1.0), ([5.0, 5.0, 6.0], 0.0)])
def test_regression_metrics_constant_truth(y_pred, r2):
    assert regression_metrics(np.full(3, 5.0), np.array(y_pred))["r2"] == r2


def test_regression_metrics_column_and_flat_agree():
    y_true = np.arange(5.0)
    y_pred = y_true + 0.5

    assert regression_metrics(y_true.reshape(-1, 1), y_pred) == regression_metrics(y_true, y_pred.reshape(1, -1))


def test_regression_metrics_length_mismatch_raises():
    with pytest.raises(ValueError, match="y_true has shape \\(3,\\) but y_pred has shape \\(2,\\)"):
        regression_metrics(np.zeros(3), np.zeros(2))


def test_x_range_includes_validation_ends(tiny_dataset):
    # A data point held back for validation is still inside the data, so predicting there is no guess.
    n_rows = len(tiny_dataset.frame)
    lowest = int(np.argmin(tiny_dataset.x))
    seed = next(
        seed for seed in range(200)
        if lowest in split_indices(n_rows, 0.2, seed)[1]
    )
    config = TrainingConfig(epochs=5, seed=seed, validation_fraction=0.2)

    result = train(tiny_dataset, SMALL_MLP, config)

    assert result.x_range[0] == tiny_dataset.x.min()
