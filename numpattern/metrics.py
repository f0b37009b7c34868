"""Regression metrics on the original scale of y."""

from __future__ import annotations

import numpy as np

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
    # With constant y, R² is undefined; report 1 for an exact fit and 0 otherwise.
    r2 = 1.0 - residual_sum / total if total > 0 else float(residual_sum == 0.0)
    return {
        "mse": float(np.mean(residual**2)),
        "mae": float(np.mean(np.abs(residual))),
        "r2": float(r2),
        "max_abs_error": float(np.max(np.abs(residual))),
    }
