"""Datasets of (x, y) pairs: the container every other module uses, and generation from formulas."""

from __future__ import annotations

import hashlib
import logging
import math
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from numpattern.errors import DataError, FormulaError
from numpattern.formula import parse_formula
from numpattern.limits import check_range, format_number

logger = logging.getLogger(__name__)

MIN_ROWS = 3
# Squares of larger numbers overflow float64 in the variance, so no pattern could be standardized.
MAX_ABS_VALUE = 1e150


@dataclass(frozen=True)
class Preset:
    name: str
    label: str
    formula: str
    x_min: float
    x_max: float
    # Set only for curves that the formula language cannot express (the step).
    function: Callable[[np.ndarray], np.ndarray] | None = None

    def evaluate(self, x: np.ndarray) -> np.ndarray:
        if self.function is not None:
            return self.function(x)
        return parse_formula(self.formula).evaluate(x)


PRESETS: dict[str, Preset] = {
    preset.name: preset
    for preset in [
        Preset("linear", "Straight line", "3*x + 2", -10.0, 10.0),
        Preset("quadratic", "Parabola", "x**2", -3.0, 3.0),
        Preset("cubic", "Cubic curve", "x**3 - 3*x", -2.5, 2.5),
        Preset("sine", "Sine wave", "sin(x)", -2 * math.pi, 2 * math.pi),
        Preset("abs", "V shape", "abs(x)", -5.0, 5.0),
        Preset(
            "step",
            "Step",
            "0 for x < 0, 1 for x ≥ 0",
            -3.0,
            3.0,
            function=lambda x: (np.asarray(x) >= 0).astype(np.float64),
        ),
        Preset("exp", "Exponential growth", "exp(x)", -2.0, 2.0),
    ]
}
DEFAULT_PRESET = "linear"


@dataclass(frozen=True, eq=False)
class Dataset:
    """Pairs in ``frame`` (columns ``x`` and ``y``, float64, all finite) and where they came from.

    ``source`` is a plain dict stored in checkpoint cards, for example
    ``{"kind": "formula", "formula": "3*x + 2", ...}`` or ``{"kind": "csv", ...}``.
    """

    frame: pd.DataFrame
    source: dict[str, Any]
    x_label: str = "x"
    y_label: str = "y"
    fingerprint: str = field(default="", compare=False)

    def __post_init__(self) -> None:
        validate_frame(self.frame)
        if not self.fingerprint:
            object.__setattr__(self, "fingerprint", fingerprint_frame(self.frame))

    @property
    def x(self) -> np.ndarray:
        return self.frame["x"].to_numpy(dtype=np.float64)

    @property
    def y(self) -> np.ndarray:
        return self.frame["y"].to_numpy(dtype=np.float64)

    def describe(self) -> str:
        """Return a one-line plain description of the data's origin."""
        return describe_source(self.source)


def validate_frame(frame: pd.DataFrame) -> None:
    """Raise DataError unless ``frame`` has enough finite rows in float columns x and y."""
    if not isinstance(frame, pd.DataFrame) or list(frame.columns[:2]) != ["x", "y"]:
        raise DataError("The data must be a table with the columns x and y.")
    if len(frame) < MIN_ROWS:
        raise DataError(
            f"The data has {len(frame)} rows; at least {MIN_ROWS} are needed to learn a pattern."
        )
    for column in ("x", "y"):
        values = frame[column].to_numpy()
        if values.dtype.kind not in "fiu":
            raise DataError(f"Column {column} must contain numbers only.")
        if not np.isfinite(values).all():
            raise DataError(
                f"Column {column} contains empty, NaN or infinite values. Remove those rows first."
            )
        largest = float(np.max(np.abs(values)))
        if largest > MAX_ABS_VALUE:
            raise DataError(
                f"Column {column} contains values as large as {largest:.3g}, beyond the limit of "
                f"{MAX_ABS_VALUE:.0e}. Use a smaller x range, or scale the values down."
            )
    if np.ptp(frame["x"].to_numpy()) == 0:
        raise DataError(
            f"All x values are the same ({frame['x'].iloc[0]:g}), so there is no pattern "
            "to learn. Use data where x varies."
        )


def fingerprint_frame(frame: pd.DataFrame) -> str:
    """Return a short SHA-256 of the x and y values, used as a cache key."""
    digest = hashlib.sha256()
    digest.update(np.ascontiguousarray(frame["x"].to_numpy(dtype=np.float64)).tobytes())
    digest.update(np.ascontiguousarray(frame["y"].to_numpy(dtype=np.float64)).tobytes())
    return digest.hexdigest()[:16]


def describe_source(source: dict[str, Any]) -> str:
    kind = source.get("kind")
    if kind == "formula":
        return (
            f"y = {source.get('formula')} for x from {source.get('x_min'):g} to "
            f"{source.get('x_max'):g}, {source.get('n_points')} points, noise {source.get('noise'):g}"
        )
    if kind == "csv":
        return (
            f"{source.get('file_name')}: {source.get('y_column')} against {source.get('x_column')}, "
            f"{source.get('rows_used')} rows"
        )
    if kind == "dataset":
        y_name = source.get("y_label") or source.get("y_column")
        x_name = source.get("x_label") or source.get("x_column")
        return f"{source.get('title', source.get('name'))}: {y_name} against {x_name}"
    return "data of unknown origin"


@dataclass(frozen=True)
class DataSpec:
    """Settings for generated data: a preset or a formula, the x range, size, noise and seed.

    ``noise`` is the standard deviation of the added Gaussian noise as a share of the
    spread (standard deviation) of the clean y values: 0 adds none, 0.1 a little.
    """

    preset: str | None = DEFAULT_PRESET
    formula: str | None = None
    x_min: float | None = None
    x_max: float | None = None
    n_points: int = 1000
    noise: float = 0.0
    seed: int = 0

    def resolved_formula(self) -> str:
        if self.formula is not None:
            return self.formula.strip()
        return PRESETS[self.preset].formula

    def resolved_range(self) -> tuple[float, float]:
        preset = PRESETS.get(self.preset or DEFAULT_PRESET, PRESETS[DEFAULT_PRESET])
        x_min = preset.x_min if self.x_min is None else self.x_min
        x_max = preset.x_max if self.x_max is None else self.x_max
        return float(x_min), float(x_max)


def validate_spec(spec: DataSpec) -> None:
    if spec.formula is None and spec.preset not in PRESETS:
        raise DataError(
            f"Unknown preset {spec.preset!r}. Choose one of: {', '.join(PRESETS)}."
        )
    check_range("n_points", spec.n_points)
    check_range("noise", spec.noise)
    check_range("seed", spec.seed)
    preset = PRESETS.get(spec.preset or DEFAULT_PRESET, PRESETS[DEFAULT_PRESET])
    # Checked before resolved_range converts them, so text such as "abc" gets the range message.
    check_range("x_min", preset.x_min if spec.x_min is None else spec.x_min)
    check_range("x_max", preset.x_max if spec.x_max is None else spec.x_max)
    x_min, x_max = spec.resolved_range()
    if not x_min < x_max:
        raise DataError(
            f"The start of the x range ({format_number(x_min)}) must be smaller than its end "
            f"({format_number(x_max)}). Make the end larger than the start."
        )


def true_function(spec: DataSpec) -> Callable[[np.ndarray], np.ndarray]:
    """Return the noise-free function behind ``spec``; raise FormulaError for an invalid formula."""
    if spec.formula is not None:
        return parse_formula(spec.formula).evaluate
    return PRESETS[spec.preset].evaluate


def generate(spec: DataSpec = DataSpec()) -> Dataset:
    """Generate evenly spaced x values and y = f(x) plus seeded Gaussian noise."""
    validate_spec(spec)
    function = true_function(spec)
    x_min, x_max = spec.resolved_range()

    x = np.linspace(x_min, x_max, spec.n_points)
    y_clean = function(x)
    largest = float(np.max(np.abs(y_clean)))
    if largest > MAX_ABS_VALUE:
        raise DataError(
            f"y = {spec.resolved_formula()} reaches {largest:.3g} on this x range, beyond the limit of "
            f"{MAX_ABS_VALUE:.0e}. Choose a smaller x range."
        )
    rng = np.random.default_rng(spec.seed)
    spread = float(np.std(y_clean)) or 1.0
    y = y_clean + rng.normal(0.0, spec.noise * spread, size=x.shape) if spec.noise else y_clean

    source = {
        "kind": "formula",
        "preset": spec.preset if spec.formula is None else None,
        "formula": spec.resolved_formula(),
        "x_min": x_min,
        "x_max": x_max,
        "n_points": spec.n_points,
        "noise": spec.noise,
        "seed": spec.seed,
    }
    logger.debug("Generated %d points from %s", spec.n_points, source["formula"])
    return Dataset(frame=pd.DataFrame({"x": x, "y": y}), source=source)


def true_function_from_source(source: dict[str, Any]) -> Callable[[np.ndarray], np.ndarray] | None:
    """Return the noise-free function of generated data, or None for measured data."""
    if source.get("kind") != "formula":
        return None
    if source.get("preset") in PRESETS:
        return PRESETS[source["preset"]].evaluate
    try:
        return parse_formula(str(source.get("formula", ""))).evaluate
    except FormulaError:
        return None
