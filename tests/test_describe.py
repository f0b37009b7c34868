"""Describing a model in words: lines, curves, flat outputs and polynomial formatting."""

from __future__ import annotations

import numpy as np
import pytest

from numpattern.data import DataSpec, generate
from numpattern.describe import describe_model, format_polynomial
from numpattern.model import ModelConfig
from numpattern.training import TrainingConfig, train


def test_describe_model_exact_line():
    relationship = describe_model(lambda x: 3 * x + 2, (-10.0, 10.0))

    assert relationship.is_line
    assert relationship.slope == pytest.approx(3.0, abs=1e-9)
    assert relationship.intercept == pytest.approx(2.0, abs=1e-9)
    assert relationship.degree == 1
    assert relationship.r2 == pytest.approx(1.0)
    assert relationship.sentence() == "The model behaves like y ≈ 3.00x + 2.00."


def test_describe_model_negative_line():
    relationship = describe_model(lambda x: -0.5 * x - 4, (0.0, 8.0))

    assert relationship.is_line
    assert relationship.sentence() == "The model behaves like y ≈ -0.50x - 4.00."


def test_describe_model_parabola_is_degree_two():
    relationship = describe_model(lambda x: x**2, (-3.0, 3.0))

    assert not relationship.is_line
    assert relationship.slope is None
    assert relationship.degree == 2
    np.testing.assert_allclose(relationship.coefficients, [1.0, 0.0, 0.0], atol=1e-9)
    assert relationship.r2 == pytest.approx(1.0)
    assert relationship.sentence() == (
        "The model learned a curve, not a straight line. The closest polynomial of degree 2 is "
        "y ≈ 1.00x² + 0.00x + 0.00, which matches the model's curve with R² = 1.000."
    )


def test_describe_model_cubic_is_degree_three():
    relationship = describe_model(lambda x: x**3 - 3 * x, (-2.5, 2.5))

    assert relationship.degree == 3
    np.testing.assert_allclose(relationship.coefficients, [1.0, 0.0, -3.0, 0.0], atol=1e-9)


def test_describe_model_sine_best_polynomial_named():
    relationship = describe_model(np.sin, (-2 * np.pi, 2 * np.pi))

    assert not relationship.is_line
    assert relationship.degree in (1, 3)
    assert relationship.r2 < 0.999
    assert "closest such polynomial" in relationship.sentence()


@pytest.mark.parametrize(
    ("curvature", "is_line"),
    [(0.0005, True), (0.5, False)],
    ids=["slight-bend", "clear-bend"],
)
def test_describe_model_line_threshold(curvature, is_line):
    relationship = describe_model(lambda x: x + curvature * x**2, (0.0, 1.0))

    assert relationship.is_line is is_line


@pytest.mark.parametrize("level", [5.0, 0.3, -2.0, 0.0])
def test_describe_model_flat_output_is_line(level):
    relationship = describe_model(lambda x: np.full_like(x, level), (-3.3, 7.1))

    assert relationship.is_line
    assert relationship.slope == 0.0
    assert relationship.intercept == pytest.approx(level)
    assert relationship.r2 == 1.0


def test_describe_model_flat_sentence():
    relationship = describe_model(lambda x: np.full_like(x, 5.0), (0.0, 10.0))

    assert relationship.sentence() == "The model behaves like y ≈ 0.00x + 5.00."


def test_describe_model_trained_line():
    dataset = generate(DataSpec(preset="linear", n_points=100, seed=0))
    result = train(dataset, ModelConfig(kind="linear", hidden_sizes=()), TrainingConfig(epochs=20, optimizer="lbfgs", learning_rate=1.0))

    relationship = describe_model(result.predict, result.x_range)

    assert relationship.is_line
    assert relationship.slope == pytest.approx(3.0, abs=0.01)
    assert relationship.intercept == pytest.approx(2.0, abs=0.01)


@pytest.mark.parametrize(
    ("coefficients", "text"),
    [
        ((3.0, 2.0), "3.00x + 2.00"),
        ((-2.0, -1.0), "-2.00x - 1.00"),
        ((1.0, 0.0, -4.0), "1.00x² + 0.00x - 4.00"),
        ((1.0, 0.0, 0.0, 0.0), "1.00x³ + 0.00x² + 0.00x + 0.00"),
        ((12345.6, 0.5), "1.23e+04x + 0.50"),
        ((0.004, -99999.0), "0.00x - 1e+05"),
        ((7.0,), "7.00"),
    ],
)
def test_format_polynomial_text(coefficients, text):
    assert format_polynomial(coefficients) == text


@pytest.mark.parametrize(
    ("coefficients", "text"),
    [((1.0, -1e-12, -1e-9), "1.00x² + 0.00x + 0.00"), ((-0.001, 2.0), "0.00x + 2.00"), ((1.0, -0.004), "1.00x + 0.00")],
)
def test_format_polynomial_rounded_zero_has_no_minus(coefficients, text):
    assert format_polynomial(coefficients) == text


def test_format_polynomial_small_coefficient_wide_range():
    text = format_polynomial((5.3e-14, -1.06e-8, 7.7e-4, 59.15), x_scale=1.1e5)

    assert text == "5.30×10⁻¹⁴x³ - 1.06×10⁻⁸x² + 7.70×10⁻⁴x + 59.15"


def test_describe_model_sine_names_no_formula():
    relationship = describe_model(np.sin, (-2 * np.pi, 2 * np.pi))

    assert relationship.r2 < 0.9
    assert "more bends than a polynomial up to x³" in relationship.sentence()
    assert "y ≈" not in relationship.sentence()


def test_describe_model_near_line_says_close():
    # A line explains 99.8 % of this curve: too little to call it a line, enough to beat x².
    relationship = describe_model(lambda x: x + 0.02 * x**2, (0.0, 10.0))

    assert not relationship.is_line
    assert relationship.degree == 1
    assert relationship.sentence().startswith("The model is close to a straight line, y ≈")
