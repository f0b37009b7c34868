"""Regression metrics on the original scale of y."""

from __future__ import annotations

import numpy as np

# Relative error of a float32 value is about 6e-8; this allows some rounding on top.
CONSTANT_Y_TOLERANCE = 1e-5

METRIC_LABELS = {
    "mse": "Mean squared error (MSE)",
    "mae": "Mean absolute error (MAE)",
    "r2": "R² (1 is a perfect fit)",
    "max_abs_error": "Largest error",
}


def regression_metrics(y_true: np.ndarray, y_pred: np.ndarray) -> dict[str, float]:
    """Return MSE, MAE, R² and the maximum absolute error of ``y_pred`` against ``y_true``."""
    y_true = np.asarray(y_true, dtype=np.float64).reshape(-1)
    y_pred = np.asarray(y_pred, dtype=np.float64).reshape(-1)
    if y_true.shape != y_pred.shape:
        raise ValueError(f"y_true has shape {y_true.shape} but y_pred has shape {y_pred.shape}.")
    residual = y_true - y_pred
    total = float(np.sum((y_true - y_true.mean()) ** 2))
    residual_sum = float(np.sum(residual**2))
    if total > 0:
        r2 = 1.0 - residual_sum / total
    else:
        # R² is undefined for constant y. A fit exact to float32 rounding (which the model
        # computes in) counts as perfect, anything worse as no fit at all.
        rms_error = float(np.sqrt(np.mean(residual**2)))
        r2 = float(rms_error <= CONSTANT_Y_TOLERANCE * max(1.0, abs(float(y_true.mean()))))
    return {
        "mse": float(np.mean(residual**2)),
        "mae": float(np.mean(np.abs(residual))),
        "r2": float(r2),
        "max_abs_error": float(np.max(np.abs(residual))),
    }
