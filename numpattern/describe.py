"""What a trained model learned, in words: a straight line when it behaves like one, else the best low-degree polynomial."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from numpattern.metrics import regression_metrics

# A model counts as a straight line when a line explains this share of its own curve.
LINE_R2_THRESHOLD = 0.999
# Below this, a polynomial formula would mislead more than it explains, so none is printed.
DESCRIBED_R2_THRESHOLD = 0.9
GRID_POINTS = 200
MAX_DEGREE = 3
# Outputs that vary less than this share of their size are flat within float32 precision.
FLAT_TOLERANCE = 1e-6


@dataclass(frozen=True)
class LearnedRelationship:
    is_line: bool
    slope: float | None
    intercept: float | None
    degree: int  # degree of the best polynomial that describes the model's curve
    coefficients: tuple[float, ...]  # highest power first, as numpy.polyfit returns them
    r2: float  # how much of the model's curve that polynomial explains
    x_scale: float = 1.0  # largest |x| of the range described, for formatting small coefficients

    def sentence(self) -> str:
        polynomial = format_polynomial(self.coefficients, self.x_scale)
        if self.is_line:
            return f"The model behaves like y ≈ {format_polynomial((self.slope, self.intercept), self.x_scale)}."
        if self.degree <= 1:
            return (
                f"The model is close to a straight line, y ≈ {polynomial}, which matches the model's "
                f"curve with R² = {self.r2:.3f}."
            )
        if self.r2 >= DESCRIBED_R2_THRESHOLD:
            return (
                f"The model learned a curve, not a straight line. The closest polynomial of degree "
                f"{self.degree} is y ≈ {polynomial}, which matches the model's curve with R² = {self.r2:.3f}."
            )
        # The model can fit its data well while no low-degree polynomial describes it (a sine wave, say).
        return (
            f"The model learned a curve with more bends than a polynomial up to x³ can follow: the closest "
            f"such polynomial matches the model's curve with R² = {self.r2:.3f} only. The fit chart shows "
            "the curve itself."
        )


def describe_model(predict: Callable[[np.ndarray], np.ndarray], x_range: tuple[float, float]) -> LearnedRelationship:
    """Fit polynomials of degree 1 to 3 to the model's own outputs over ``x_range``."""
    x = np.linspace(x_range[0], x_range[1], GRID_POINTS)
    y = predict(x)
    x_scale = float(max(abs(x_range[0]), abs(x_range[1])))

    # R² is undefined for a flat curve, so rounding noise alone would make it look like no line.
    if np.ptp(y) <= FLAT_TOLERANCE * np.max(np.abs(y)):
        level = float(np.mean(y))
        return LearnedRelationship(True, 0.0, level, 1, (0.0, level), 1.0, x_scale)

    fits = []
    for degree in range(1, MAX_DEGREE + 1):
        # Fitting in a scaled domain stays well conditioned for x in the thousands.
        polynomial = np.polynomial.Polynomial.fit(x, y, degree)
        coefficients = tuple(float(c) for c in polynomial.convert().coef[::-1])
        coefficients = (0.0,) * (degree + 1 - len(coefficients)) + coefficients
        r2 = regression_metrics(y, polynomial(x))["r2"]
        fits.append((degree, coefficients, r2))

    degree, coefficients, r2 = fits[0]
    if r2 >= LINE_R2_THRESHOLD:
        return LearnedRelationship(True, coefficients[0], coefficients[1], 1, coefficients, r2, x_scale)
    degree, coefficients, r2 = max(fits, key=lambda fit: fit[2] - 0.01 * fit[0])
    return LearnedRelationship(False, None, None, degree, coefficients, r2, x_scale)


def format_polynomial(coefficients: tuple[float, ...], x_scale: float = 1.0) -> str:
    """Format coefficients (highest power first) as text such as ``3.00x + 2.00``.

    ``x_scale`` is the largest |x| of interest. A term whose size there stays below 0.005
    prints as 0.00; a larger term with a small coefficient keeps three significant digits
    in powers of ten, as x³ terms over x up to 100,000 need.
    """
    degree = len(coefficients) - 1
    terms = []
    for power, value in zip(range(degree, -1, -1), coefficients):
        size_at_scale = abs(value) * max(abs(x_scale), 1.0) ** power
        magnitude = _format_magnitude(abs(value), negligible=size_at_scale < 0.005)
        variable = "" if power == 0 else "x" if power == 1 else f"x{_superscript(power)}"
        # A value that rounds to 0.00 shows as "+ 0.00", not "- 0.00".
        sign = "-" if value < 0 and magnitude != "0.00" else "+"
        terms.append((sign, f"{magnitude}{variable}"))
    first_sign, first_term = terms[0]
    text = ("-" if first_sign == "-" else "") + first_term
    for sign, term in terms[1:]:
        text += f" {sign} {term}"
    return text


def _format_magnitude(value: float, negligible: bool) -> str:
    if negligible or value == 0:
        return "0.00"
    if 0.01 <= value < 1e4:
        return f"{value:.2f}"
    if value >= 1e4 and value < 1e6:
        return f"{value:.3g}"
    mantissa, exponent = f"{value:.2e}".split("e")
    return f"{mantissa}×10{_superscript(int(exponent))}"


def _superscript(power: int) -> str:
    return str(power).translate(str.maketrans("-0123456789", "⁻⁰¹²³⁴⁵⁶⁷⁸⁹"))
