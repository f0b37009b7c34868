"""What a trained model learned, in words: a straight line when it behaves like one, else the best low-degree polynomial."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from numpattern.metrics import regression_metrics

# A model counts as a straight line when a line explains this share of its own curve.
LINE_R2_THRESHOLD = 0.999
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

    def sentence(self) -> str:
        if self.is_line:
            return f"The model behaves like y ≈ {format_polynomial((self.slope, self.intercept))}."
        return (
            f"The model learned a curve, not a straight line. The closest polynomial of degree "
            f"{self.degree or 1} is y ≈ {format_polynomial(self.coefficients)}, which matches the "
            f"model's curve with R² = {self.r2:.3f}."
        )


def describe_model(predict: Callable[[np.ndarray], np.ndarray], x_range: tuple[float, float]) -> LearnedRelationship:
    """Fit polynomials of degree 1 to 3 to the model's own outputs over ``x_range``."""
    x = np.linspace(x_range[0], x_range[1], GRID_POINTS)
    y = predict(x)

    # R² is undefined for a flat curve, so rounding noise alone would make it look like no line.
    if np.ptp(y) <= FLAT_TOLERANCE * np.max(np.abs(y)):
        level = float(np.mean(y))
        return LearnedRelationship(True, 0.0, level, 1, (0.0, level), 1.0)

    fits = []
    for degree in range(1, MAX_DEGREE + 1):
        coefficients = np.polyfit(x, y, degree)
        r2 = regression_metrics(y, np.polyval(coefficients, x))["r2"]
        fits.append((degree, tuple(float(c) for c in coefficients), r2))

    degree, coefficients, r2 = fits[0]
    if r2 >= LINE_R2_THRESHOLD:
        return LearnedRelationship(True, coefficients[0], coefficients[1], 1, coefficients, r2)
    degree, coefficients, r2 = max(fits, key=lambda fit: fit[2] - 0.01 * fit[0])
    return LearnedRelationship(False, None, None, degree, coefficients, r2)


def format_polynomial(coefficients: tuple[float, ...]) -> str:
    """Format coefficients (highest power first) as text such as ``3.00x + 2.00``."""
    degree = len(coefficients) - 1
    terms = []
    for power, value in zip(range(degree, -1, -1), coefficients):
        magnitude = f"{abs(value):.2f}" if abs(value) < 1e4 else f"{abs(value):.3g}"
        variable = "" if power == 0 else "x" if power == 1 else f"x{_superscript(power)}"
        # A value that rounds to 0.00 shows as "+ 0.00", not "- 0.00".
        sign = "-" if value < 0 and float(magnitude) != 0.0 else "+"
        terms.append((sign, f"{magnitude}{variable}"))
    first_sign, first_term = terms[0]
    text = ("-" if first_sign == "-" else "") + first_term
    for sign, term in terms[1:]:
        text += f" {sign} {term}"
    return text


def _superscript(power: int) -> str:
    return str(power).translate(str.maketrans("0123456789", "⁰¹²³⁴⁵⁶⁷⁸⁹"))
