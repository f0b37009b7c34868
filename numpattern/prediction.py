"""Predictions from a trained model, with the same transforms as in training."""

from __future__ import annotations

import math
import re

import numpy as np
import pandas as pd
import torch
from torch import nn

from numpattern.errors import DataError
from numpattern.limits import format_value
from numpattern.standardize import Standardizer

MAX_PREDICTION_INPUTS = 10_000
# Two whole numbers joined by a comma alone, such as 2,5 (not 1e3,5 or 2.5,1): a number written
# with a decimal comma, which float() does not read and a list of values splits in two.
DECIMAL_COMMA = re.compile(r"(?<![\w.])([-+]?\d+),(\d+)(?![\w.])")
_CHUNK_ROWS = 65_536


@torch.no_grad()
def predict_array(model: nn.Module, standardizer: Standardizer, x: np.ndarray) -> np.ndarray:
    """Predict y on the original scale for x values of any shape; returns shape (N,)."""
    x_scaled = standardizer.transform_x(np.asarray(x, dtype=np.float64).reshape(-1))
    was_training = model.training
    model.eval()
    outputs = []
    for start in range(0, len(x_scaled), _CHUNK_ROWS):
        chunk = torch.as_tensor(x_scaled[start : start + _CHUNK_ROWS], dtype=torch.float32).reshape(-1, 1)
        outputs.append(model(chunk).reshape(-1).numpy().astype(np.float64))
    model.train(was_training)
    y_scaled = np.concatenate(outputs) if outputs else np.empty(0)
    return standardizer.inverse_y(y_scaled)


def prediction_table(
    model: nn.Module, standardizer: Standardizer, x_range: tuple[float, float], x: list[float] | np.ndarray
) -> pd.DataFrame:
    """Return a table with columns x, y and extrapolated (x outside the training x range)."""
    x = np.asarray(x, dtype=np.float64).reshape(-1)
    low, high = x_range
    return pd.DataFrame(
        {
            "x": x,
            "y": predict_array(model, standardizer, x),
            "extrapolated": (x < low) | (x > high),
        }
    )


def parse_x_values(text: str) -> list[float]:
    """Read x values separated by commas, semicolons, spaces or new lines.

    Raises DataError naming the first entry that is not a finite number.
    """
    entries = [entry for entry in re.split(r"[,;\s]+", text.strip()) if entry]
    if not entries:
        raise DataError("Enter at least one x value, for example 5 or 1, 2.5, 10.")
    if len(entries) > MAX_PREDICTION_INPUTS:
        raise DataError(
            f"{len(entries):,} x values were entered; the limit is {MAX_PREDICTION_INPUTS:,}. "
            "Enter fewer values."
        )
    return [parse_x_value(entry) for entry in entries]


def parse_x_value(entry: str | float) -> float:
    excerpt = format_value(str(entry))
    try:
        value = float(entry)
    except (TypeError, ValueError):
        hint = "Enter x values such as 5, -2.5 or 1e3."
        if isinstance(entry, str) and DECIMAL_COMMA.fullmatch(entry.strip()):
            hint = "Write decimals with a point, such as 2.5, and give several values separated by spaces."
        raise DataError(f"{excerpt} is not a number. {hint}") from None
    if not math.isfinite(value):
        raise DataError(f"{excerpt} is not a finite number. Enter an ordinary number such as 5.")
    # Adding 0.0 turns -0.0 into 0.0, which tables and JSON would otherwise print as -0.
    return value + 0.0
