"""Standardization: statistics match NumPy, transforms invert, invalid statistics are rejected."""

from __future__ import annotations

import math

import numpy as np
import pytest

from numpattern.data import DataSpec, generate
from numpattern.errors import DataError
from numpattern.model import ModelConfig
from numpattern.standardize import Standardizer, fit_standardizer
from numpattern.training import TrainingConfig, split_indices, train


def test_fit_standardizer_matches_numpy():
    rng = np.random.default_rng(0)
    x = rng.uniform(-1000.0, 5000.0, size=300)
    y = 3 * x + rng.normal(0.0, 10.0, size=300)

    standardizer = fit_standardizer(x, y)

    assert standardizer.x_mean == pytest.approx(np.mean(x), rel=1e-12)
    assert standardizer.x_std == pytest.approx(np.std(x), rel=1e-12)
    assert standardizer.y_mean == pytest.approx(np.mean(y), rel=1e-12)
    assert standardizer.y_std == pytest.approx(np.std(y), rel=1e-12)


def test_transform_gives_zero_mean_unit_spread():
    x = np.linspace(0.0, 5000.0, 101)
    y = x**2

    standardizer = fit_standardizer(x, y)
    x_scaled = standardizer.transform_x(x)
    y_scaled = standardizer.transform_y(y)

    assert abs(np.mean(x_scaled)) < 1e-12
    assert np.std(x_scaled) == pytest.approx(1.0, rel=1e-12)
    assert abs(np.mean(y_scaled)) < 1e-12
    assert np.std(y_scaled) == pytest.approx(1.0, rel=1e-12)


def test_transform_hand_computed():
    standardizer = Standardizer(x_mean=2.0, x_std=4.0, y_mean=-1.0, y_std=0.5)

    np.testing.assert_array_equal(standardizer.transform_x([2.0, 6.0, -2.0]), [0.0, 1.0, -1.0])
    np.testing.assert_array_equal(standardizer.transform_y([-1.0, 0.0]), [0.0, 2.0])
    np.testing.assert_array_equal(standardizer.inverse_y([0.0, 2.0]), [-1.0, 0.0])


def test_inverse_y_undoes_transform_y():
    y = np.array([-3e6, -1.5, 0.0, 7.25, 4e9])
    standardizer = fit_standardizer(np.arange(5.0), y)

    np.testing.assert_allclose(standardizer.inverse_y(standardizer.transform_y(y)), y, rtol=1e-12)


def test_fit_standardizer_constant_y_keeps_unit_scale():
    standardizer = fit_standardizer(np.arange(10.0), np.full(10, 7.0))

    assert standardizer.y_std == 1.0
    assert standardizer.y_mean == 7.0


@pytest.mark.parametrize("x", [np.full(10, 3.0), np.full(10, 1e9) + np.arange(10) * 1e-6])
def test_fit_standardizer_constant_x_rejected(x):
    with pytest.raises(DataError, match="All x values in the training data are the same"):
        fit_standardizer(x, np.arange(10.0))


@pytest.mark.parametrize(
    ("values", "message"),
    [
        ({"x_mean": math.nan}, "statistic x_mean must be a finite number, got nan"),
        ({"y_mean": math.inf}, "statistic y_mean must be a finite number, got inf"),
        ({"x_std": 0.0}, "x_std and y_std must be greater than 0"),
        ({"y_std": -1.0}, "x_std and y_std must be greater than 0"),
        ({"x_mean": "0"}, "statistic x_mean must be a finite number, got '0'"),
    ],
)
def test_standardizer_invalid_statistic_rejected(values, message):
    statistics = {"x_mean": 0.0, "x_std": 1.0, "y_mean": 0.0, "y_std": 1.0, **values}

    with pytest.raises(DataError, match=message):
        Standardizer(**statistics)


def test_standardizer_dict_round_trip():
    standardizer = Standardizer(x_mean=1.5, x_std=2.0, y_mean=-3.0, y_std=10.0)

    assert Standardizer.from_dict(standardizer.to_dict()) == standardizer


@pytest.mark.parametrize(
    ("values", "message"),
    [
        ({"x_mean": 0.0, "x_std": 1.0, "y_mean": 0.0}, "Invalid standardization statistics: 'y_std'"),
        ({"x_mean": "abc", "x_std": 1.0, "y_mean": 0.0, "y_std": 1.0}, "Invalid standardization statistics"),
        ({"x_mean": [1], "x_std": 1.0, "y_mean": 0.0, "y_std": 1.0}, "Invalid standardization statistics"),
        ({"x_mean": 10**400, "x_std": 1.0, "y_mean": 0.0, "y_std": 1.0}, "Invalid standardization statistics"),
        ({"x_mean": "nan", "x_std": 1.0, "y_mean": 0.0, "y_std": 1.0}, "must be a finite number"),
    ],
)
def test_standardizer_from_dict_invalid_rejected(values, message):
    with pytest.raises(DataError, match=message):
        Standardizer.from_dict(values)


def test_training_fits_statistics_on_training_rows_only():
    dataset = generate(DataSpec(preset="quadratic", n_points=40, noise=0.3, seed=2))
    config = TrainingConfig(epochs=1, validation_fraction=0.25, seed=5)

    result = train(dataset, ModelConfig(), config)

    train_rows, validation_rows = split_indices(40, 0.25, 5)
    expected = fit_standardizer(dataset.x[train_rows], dataset.y[train_rows])
    with_validation_rows = fit_standardizer(dataset.x, dataset.y)
    assert len(validation_rows) == 10
    assert result.standardizer == expected
    assert result.standardizer != with_validation_rows
