"""Valid ranges of every setting, declared once and checked at the public entry points."""

from __future__ import annotations

import math
from dataclasses import dataclass

from numpattern.errors import ConfigError


@dataclass(frozen=True)
class Limit:
    label: str
    minimum: float
    maximum: float
    integer: bool = False


LIMITS: dict[str, Limit] = {
    "n_points": Limit("Number of points", 10, 1_000_000, integer=True),
    "x_bound": Limit("x range bound", -1e6, 1e6),
    "noise": Limit("Noise level", 0.0, 10.0),
    "seed": Limit("Seed", 0, 2**32 - 1, integer=True),
    "hidden_size": Limit("Hidden layer width", 1, 256, integer=True),
    "hidden_layers": Limit("Number of hidden layers", 0, 4, integer=True),
    "epochs": Limit("Epochs", 1, 100_000, integer=True),
    "learning_rate": Limit("Learning rate", 1e-6, 10.0),
    "batch_size": Limit("Batch size", 1, 1_000_000, integer=True),
    "validation_fraction": Limit("Validation share", 0.0, 0.5),
    "patience": Limit("Early stopping patience", 1, 100_000, integer=True),
}


def check_range(name: str, value: float) -> None:
    """Raise ConfigError unless ``value`` is a finite number inside the range of setting ``name``."""
    limit = LIMITS[name]
    kind = "a whole number" if limit.integer else "a number"
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise ConfigError(f"{limit.label} must be {kind}, got {value!r}.")
    # math.isfinite and :g overflow on ints beyond the float range, so reject those first.
    if isinstance(value, int) and abs(value) > 2**63:
        raise ConfigError(
            f"{limit.label} must be between {limit.minimum:g} and {limit.maximum:g}, "
            "got a whole number with far too many digits. Choose a value inside that range."
        )
    if not math.isfinite(value):
        raise ConfigError(f"{limit.label} must be a finite number, got {value!r}.")
    if limit.integer and value != int(value):
        raise ConfigError(f"{limit.label} must be a whole number, got {value!r}.")
    if not limit.minimum <= value <= limit.maximum:
        raise ConfigError(
            f"{limit.label} must be between {limit.minimum:g} and {limit.maximum:g}, "
            f"got {value:g}. Choose a value inside that range."
        )
