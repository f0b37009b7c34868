"""Predictions: hand-computed values through the standardizer, any input shape, extrapolation flags,
parsing of typed x values, and equal predictions before saving and after loading."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from numpattern.checkpoint import load_checkpoint, load_checkpoint_bytes, save_checkpoint
from numpattern.errors import DataError
from numpattern.model import ModelConfig, build_model
from numpattern.prediction import (
    MAX_PREDICTION_INPUTS,
    parse_x_value,
    parse_x_values,
    predict_array,
    prediction_table,
)
from numpattern.standardize import Standardizer


@pytest.fixture
def known_line():
    """A linear model with weight 2 and bias 1 behind a standardizer: y = 5x + 10 on the original scale."""
    model = build_model(ModelConfig(kind="linear", hidden_sizes=()))
    with torch.no_grad():
        model[0].weight.fill_(2.0)
        model[0].bias.fill_(1.0)
    standardizer = Standardizer(x_mean=1.0, x_std=2.0, y_mean=10.0, y_std=5.0)
    # ((x - 1) / 2 * 2 + 1) * 5 + 10 = 5x + 10
    return model, standardizer


def test_predict_array_hand_computed(known_line):
    model, standardizer = known_line

    y = predict_array(model, standardizer, np.array([-2.0, 0.0, 1.0, 4.5]))

    np.testing.assert_allclose(y, [0.0, 10.0, 15.0, 32.5], rtol=0, atol=1e-5)
    assert y.dtype == np.float64


@pytest.mark.parametrize(
    "x",
    [np.array([1.0, 2.0, 3.0]), np.array([[1.0], [2.0], [3.0]]), np.array([[1.0, 2.0, 3.0]]), [1, 2, 3]],
    ids=["flat", "column", "row", "list"],
)
def test_predict_array_any_shape_returns_flat(known_line, x):
    model, standardizer = known_line

    y = predict_array(model, standardizer, x)

    assert y.shape == (3,)
    np.testing.assert_allclose(y, [15.0, 20.0, 25.0], rtol=0, atol=1e-5)


def test_predict_array_empty_input(known_line):
    model, standardizer = known_line

    assert predict_array(model, standardizer, np.array([])).shape == (0,)


def test_predict_array_many_rows_match_small_batches(tiny_result):
    # More rows than one internal chunk, so chunk boundaries are crossed.
    x = np.linspace(-20.0, 20.0, 70_001)

    y = predict_array(tiny_result.model, tiny_result.standardizer, x)

    samples = np.array([0, 65_535, 65_536, 70_000])
    expected = predict_array(tiny_result.model, tiny_result.standardizer, x[samples])
    assert y.shape == (70_001,)
    np.testing.assert_array_equal(y[samples], expected)


def test_predict_array_matches_manual_forward(tiny_result):
    x = np.array([-7.0, 0.5, 9.0])
    scaled = torch.tensor(tiny_result.standardizer.transform_x(x), dtype=torch.float32).reshape(-1, 1)

    with torch.no_grad():
        manual = tiny_result.standardizer.inverse_y(tiny_result.model(scaled).reshape(-1).numpy().astype(np.float64))

    np.testing.assert_array_equal(predict_array(tiny_result.model, tiny_result.standardizer, x), manual)


def test_predict_array_restores_training_mode(known_line):
    model, standardizer = known_line
    model.train()

    predict_array(model, standardizer, np.array([1.0]))

    assert model.training


def test_prediction_table_flags_outside_training_range(known_line):
    model, standardizer = known_line

    table = prediction_table(model, standardizer, (0.0, 10.0), [-1.0, 0.0, 5.0, 10.0, 11.0])

    assert list(table.columns) == ["x", "y", "extrapolated"]
    assert table["extrapolated"].tolist() == [True, False, False, False, True]
    np.testing.assert_allclose(table["y"], [5.0, 10.0, 35.0, 60.0, 65.0], rtol=0, atol=1e-5)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("5", [5.0]),
        ("1, 2.5; 3\n4  1e3", [1.0, 2.5, 3.0, 4.0, 1000.0]),
        ("-2.5,-1e-3", [-2.5, -0.001]),
        ("  7 ,\t8  ", [7.0, 8.0]),
    ],
)
def test_parse_x_values_separators(text, expected):
    assert parse_x_values(text) == expected


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("", "Enter at least one x value, for example 5 or 1, 2.5, 10"),
        (" ,; ", "Enter at least one x value"),
        ("1, abc, 3", "'abc' is not a number. Enter x values such as 5, -2.5 or 1e3"),
        ("nan", "'nan' is not a finite number. Enter an ordinary number such as 5"),
        ("inf", "'inf' is not a finite number"),
        ("-inf", "'-inf' is not a finite number"),
        ("1e999", "'1e999' is not a finite number"),
        ("0x10", "'0x10' is not a number"),
        (" ".join(["1"] * (MAX_PREDICTION_INPUTS + 1)), "10,001 x values were entered; the limit is 10,000"),
    ],
)
def test_parse_x_values_invalid_rejected(text, message):
    with pytest.raises(DataError, match=message):
        parse_x_values(text)


def test_parse_x_value_long_entry_shortened_in_message():
    with pytest.raises(DataError, match=r"^'a{29}…a{4}' \(500 characters\) is not a number"):
        parse_x_value("a" * 500)


def test_parse_x_value_huge_number_shortened_in_message():
    with pytest.raises(DataError, match=r"^'9{29}…9{4}' \(400 characters\) is not a finite number"):
        parse_x_value("9" * 400)


@pytest.mark.parametrize("entry", ["2,5", "-2,5"])
def test_parse_x_value_decimal_comma_hint(entry):
    with pytest.raises(DataError, match="Write decimals with a point, such as 2.5"):
        parse_x_value(entry)


@pytest.mark.parametrize(("entry", "expected"), [(5, 5.0), (2.5, 2.5), ("3", 3.0), (" -4 ", -4.0)])
def test_parse_x_value_accepts_numbers(entry, expected):
    assert parse_x_value(entry) == expected


def test_parse_x_value_none_rejected():
    with pytest.raises(DataError, match="'None' is not a number"):
        parse_x_value(None)


# --- before saving and after loading ---------------------------------------------------------


def test_predictions_equal_after_save_and_load(tiny_result):
    x = np.concatenate([np.linspace(-30.0, 30.0, 121), [1e-3, 123.456]])
    before = tiny_result.predict(x)

    save_checkpoint(tiny_result, "reload")
    after = load_checkpoint("reload").predict(x)

    np.testing.assert_allclose(after, before, rtol=0, atol=1e-6)


def test_predictions_equal_after_bytes_round_trip(tiny_result, tiny_checkpoint_bytes):
    x = np.linspace(-12.0, 12.0, 25)

    loaded = load_checkpoint_bytes(tiny_checkpoint_bytes, "tiny.safetensors")

    np.testing.assert_allclose(loaded.predict(x), tiny_result.predict(x), rtol=0, atol=1e-6)
    assert loaded.prediction_table(x)["y"].tolist() == loaded.predict(x).tolist()


def test_parse_x_value_negative_zero_is_zero():
    value = parse_x_value("-0")

    assert value == 0.0
    assert str(value) == "0.0"
