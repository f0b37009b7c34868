"""Datasets: generation from presets and formulas, validation of tables, fingerprints and descriptions."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from numpattern.data import PRESETS, Dataset, DataSpec, describe_source, fingerprint_frame, generate
from numpattern.errors import ConfigError, DataError


def test_generate_default_is_exact_line():
    dataset = generate()

    expected_x = np.linspace(-10.0, 10.0, 1000)
    np.testing.assert_array_equal(dataset.x, expected_x)
    np.testing.assert_allclose(dataset.y, 3 * expected_x + 2, rtol=0, atol=1e-12)


def test_generate_source_records_settings():
    dataset = generate(DataSpec(preset="quadratic", n_points=50, noise=0.1, seed=7))

    assert dataset.source == {
        "kind": "formula",
        "preset": "quadratic",
        "formula": "x**2",
        "x_min": -3.0,
        "x_max": 3.0,
        "n_points": 50,
        "noise": 0.1,
        "seed": 7,
    }


def test_generate_formula_uses_own_range():
    dataset = generate(DataSpec(preset=None, formula=" x**3 ", x_min=0.0, x_max=2.0, n_points=21))

    assert dataset.source["formula"] == "x**3"
    assert dataset.source["preset"] is None
    assert dataset.x[0] == 0.0
    assert dataset.x[-1] == 2.0
    np.testing.assert_allclose(dataset.y, dataset.x**3, rtol=1e-12)


@pytest.mark.parametrize("name", sorted(PRESETS))
def test_generate_each_preset_finite_in_range(name):
    preset = PRESETS[name]

    dataset = generate(DataSpec(preset=name, n_points=101))

    assert len(dataset.frame) == 101
    assert np.isfinite(dataset.y).all()
    assert dataset.x.min() == preset.x_min
    assert dataset.x.max() == preset.x_max


def test_generate_step_preset_is_zero_then_one():
    dataset = generate(DataSpec(preset="step", x_min=-1.0, x_max=1.0, n_points=11))

    np.testing.assert_array_equal(dataset.y, (dataset.x >= 0).astype(float))


def test_generate_noise_seeded():
    spec = DataSpec(preset="sine", n_points=200, noise=0.2, seed=3)

    first = generate(spec)
    second = generate(spec)
    other_seed = generate(DataSpec(preset="sine", n_points=200, noise=0.2, seed=4))

    np.testing.assert_array_equal(first.y, second.y)
    assert first.fingerprint == second.fingerprint
    assert not np.array_equal(first.y, other_seed.y)


def test_generate_noise_scaled_to_spread_of_y():
    clean = generate(DataSpec(preset="linear", n_points=5000))
    noisy = generate(DataSpec(preset="linear", n_points=5000, noise=0.1, seed=0))

    noise = noisy.y - clean.y
    expected = 0.1 * np.std(clean.y)
    assert abs(np.std(noise) - expected) < 0.05 * expected
    assert abs(np.mean(noise)) < 0.05 * expected


@pytest.mark.parametrize(
    ("spec", "error", "message"),
    [
        (DataSpec(preset="nope"), DataError, "Unknown preset 'nope'. Choose one of: linear, quadratic"),
        (DataSpec(preset=None), DataError, "Unknown preset None"),
        (DataSpec(n_points=5), ConfigError, "Number of points must be between 10 and 1,000,000. You gave 5."),
        (DataSpec(n_points=2_000_000), ConfigError, "Number of points must be between"),
        (DataSpec(n_points=10.5), ConfigError, "Number of points must be a whole number between 10 and 1,000,000. You gave 10.5."),
        (DataSpec(n_points=True), ConfigError, "Number of points must be a whole number between 10 and 1,000,000. You gave True."),
        (DataSpec(n_points="100"), ConfigError, "Number of points must be a whole number between 10 and 1,000,000. You gave '100'."),
        (DataSpec(n_points=10**400), ConfigError, "Number of points must be between 10 and 1,000,000. You gave 100000000000…0000 \\(a whole number with 401 digits\\)"),
        (DataSpec(noise=-0.1), ConfigError, "Noise level must be between 0 and 10"),
        (DataSpec(noise=float("nan")), ConfigError, "Noise level must be a finite number between 0 and 10. You gave nan."),
        (DataSpec(seed=-1), ConfigError, "Seed must be between 0 and"),
        (DataSpec(x_min=5.0, x_max=1.0), DataError, "The start of the x range \\(5\\) must be smaller than its end \\(1\\). Make the end larger"),
        (DataSpec(x_min=2.0, x_max=2.0), DataError, "must be smaller than its end"),
        (DataSpec(x_min=float("-inf")), ConfigError, "The start of the x range must be a finite number .* You gave -inf."),
        (DataSpec(x_max=1e7), ConfigError, "The end of the x range must be between -1,000,000 and 1,000,000. You gave 10,000,000."),
        (DataSpec(x_min=-1e308), ConfigError, "The start of the x range must be between -1,000,000 and 1,000,000. You gave -1e308."),
        (DataSpec(x_min=-1e7, x_max=1e7), ConfigError, "The start of the x range must be between"),
        (DataSpec(x_min=0.0, x_max=1e7), ConfigError, "The end of the x range must be between"),
    ],
)
def test_generate_invalid_spec_rejected(spec, error, message):
    with pytest.raises(error, match=message):
        generate(spec)


@pytest.mark.parametrize(
    ("frame", "message"),
    [
        (pd.DataFrame({"a": [1.0, 2.0, 3.0], "b": [1.0, 2.0, 3.0]}), "columns x and y"),
        (pd.DataFrame({"y": [1.0, 2.0, 3.0], "x": [1.0, 2.0, 3.0]}), "columns x and y"),
        (pd.DataFrame({"x": [1.0, 2.0], "y": [1.0, 2.0]}), "The data has 2 rows; at least 3 are needed"),
        (pd.DataFrame({"x": [1.0, np.nan, 3.0], "y": [1.0, 2.0, 3.0]}), "Column x contains empty, NaN or infinite"),
        (pd.DataFrame({"x": [1.0, 2.0, 3.0], "y": [1.0, np.inf, 3.0]}), "Column y contains empty, NaN or infinite"),
        (pd.DataFrame({"x": ["a", "b", "c"], "y": [1.0, 2.0, 3.0]}), "Column x must contain numbers only"),
        (pd.DataFrame({"x": [4.0, 4.0, 4.0], "y": [1.0, 2.0, 3.0]}), "All x values are the same \\(4\\)"),
    ],
)
def test_dataset_invalid_frame_rejected(frame, message):
    with pytest.raises(DataError, match=message):
        Dataset(frame=frame, source={"kind": "csv"})


def test_dataset_not_a_frame_rejected():
    with pytest.raises(DataError, match="columns x and y"):
        Dataset(frame={"x": [1, 2, 3], "y": [1, 2, 3]}, source={})


def test_dataset_integer_columns_read_as_float():
    dataset = Dataset(frame=pd.DataFrame({"x": [1, 2, 3], "y": [2, 4, 6]}), source={"kind": "csv"})

    assert dataset.x.dtype == np.float64
    assert dataset.y.dtype == np.float64
    np.testing.assert_array_equal(dataset.y, [2.0, 4.0, 6.0])


def test_fingerprint_follows_values():
    frame = pd.DataFrame({"x": [1.0, 2.0, 3.0], "y": [1.0, 4.0, 9.0]})
    same = pd.DataFrame({"x": [1, 2, 3], "y": [1, 4, 9]})
    changed = pd.DataFrame({"x": [1.0, 2.0, 3.0], "y": [1.0, 4.0, 9.5]})

    assert len(fingerprint_frame(frame)) == 16
    assert fingerprint_frame(frame) == fingerprint_frame(same)
    assert fingerprint_frame(frame) != fingerprint_frame(changed)


@pytest.mark.parametrize(
    ("source", "expected"),
    [
        (
            {"kind": "formula", "formula": "3*x + 2", "x_min": -10.0, "x_max": 10.0, "n_points": 1000, "noise": 0.0},
            "y = 3*x + 2 for x from -10 to 10, 1000 points, noise 0",
        ),
        (
            {"kind": "csv", "file_name": "prices.csv", "x_column": "year", "y_column": "price", "rows_used": 12},
            "prices.csv: price against year, 12 rows",
        ),
        ({"kind": "dataset", "title": "Iris", "x_column": "length", "y_column": "width"}, "Iris: width against length"),
        ({"kind": "dataset", "name": "iris", "x_column": "a", "y_column": "b"}, "iris: b against a"),
        ({}, "data of unknown origin"),
    ],
)
def test_describe_source_plain_text(source, expected):
    assert describe_source(source) == expected


def test_dataset_describe_uses_source(tiny_dataset):
    assert tiny_dataset.describe() == "y = 3*x + 2 for x from -10 to 10, 60 points, noise 0"


@pytest.mark.parametrize("noise", [0.0, 0.1])
def test_generate_huge_values_rejected(noise):
    spec = DataSpec(formula="exp(x)", x_min=600.0, x_max=700.0, noise=noise)

    with pytest.raises(DataError, match="beyond the limit of 1e\\+150. Choose a smaller x range"):
        generate(spec)


@pytest.mark.parametrize("bound", ["abc", "5", [1.0]])
def test_generate_range_bound_not_number(bound):
    with pytest.raises(ConfigError, match="start of the x range must be a number"):
        generate(DataSpec(x_min=bound))
