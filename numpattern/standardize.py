"""Standardization of x and y to zero mean and unit variance, fitted on the training split only."""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass
from typing import Any

import numpy as np

from numpattern.errors import DataError

# A y column with (almost) no spread keeps scale 1 so that dividing by it stays safe;
# the model then only has to learn the constant.
_MIN_SPREAD = 1e-12


@dataclass(frozen=True)
class Standardizer:
    x_mean: float
    x_std: float
    y_mean: float
    y_std: float

    def __post_init__(self) -> None:
        for name, value in asdict(self).items():
            if not isinstance(value, (int, float)) or not math.isfinite(value):
                raise DataError(f"Standardization statistic {name} must be a finite number, got {value!r}.")
        if self.x_std <= 0 or self.y_std <= 0:
            raise DataError("Standardization scales x_std and y_std must be greater than 0.")

    def transform_x(self, x: np.ndarray) -> np.ndarray:
        return (np.asarray(x, dtype=np.float64) - self.x_mean) / self.x_std

    def transform_y(self, y: np.ndarray) -> np.ndarray:
        return (np.asarray(y, dtype=np.float64) - self.y_mean) / self.y_std

    def inverse_y(self, y_scaled: np.ndarray) -> np.ndarray:
        return np.asarray(y_scaled, dtype=np.float64) * self.y_std + self.y_mean

    def to_dict(self) -> dict[str, float]:
        return asdict(self)

    @classmethod
    def from_dict(cls, values: dict[str, Any]) -> Standardizer:
        try:
            return cls(**{name: float(values[name]) for name in ("x_mean", "x_std", "y_mean", "y_std")})
        except (KeyError, TypeError, ValueError, OverflowError) as error:
            raise DataError(f"Invalid standardization statistics: {error}.") from None


def fit_standardizer(x: np.ndarray, y: np.ndarray) -> Standardizer:
    """Compute means and standard deviations; raise DataError when x does not vary."""
    x = np.asarray(x, dtype=np.float64)
    y = np.asarray(y, dtype=np.float64)
    x_std = float(np.std(x))
    if not x_std > _MIN_SPREAD * max(1.0, abs(float(np.mean(x)))):
        raise DataError(
            "All x values in the training data are the same, so the model cannot learn how y "
            "changes with x. Use data where x varies."
        )
    y_std = float(np.std(y))
    if not y_std > _MIN_SPREAD * max(1.0, abs(float(np.mean(y)))):
        y_std = 1.0
    return Standardizer(float(np.mean(x)), x_std, float(np.mean(y)), y_std)
