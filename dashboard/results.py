"""Panels that show a finished run: what it learned, its metrics, and its charts."""

from __future__ import annotations

import numpy as np
import streamlit as st

from dashboard.charts import true_curve
from dashboard.formatting import format_r2
from dashboard.messages import plain
from dashboard.runs import Run, plural
from numpattern.describe import describe_model
from numpattern.figures import curve_grid, fit_figure, loss_figure, residual_figure, sample_rows
from numpattern.jobs import DEFAULT_MAX_SECONDS, TIME_LIMIT

LOSS_EXPLANATION = (
    "The loss measures how far the model's answers are from the examples: the mean squared error, "
    "computed after x and y are rescaled to a common size (standardized). Lower is better. The "
    "validation loss uses examples held back from training."
)
STOP_REASONS = {
    "completed": "ran all its epochs",
    "stopped": "was stopped early by you",
    "early_stopping": "stopped on its own because the validation loss stopped improving",
    "converged": "stopped on its own because more steps would not improve it",
    TIME_LIMIT: f"reached this server's limit of {DEFAULT_MAX_SECONDS:.0f} seconds per run",
}


def learned_sentence(run: Run) -> str:
    return describe_model(run.result.predict, run.result.x_range).sentence()


def show_learned(run: Run) -> None:
    """Show the learned relationship in words, beside where the data came from."""
    learned_column, source_column = st.columns(2)
    with learned_column:
        st.markdown("**What the model learned**")
        st.success(plain(learned_sentence(run)))
    with source_column:
        st.markdown("**Where the data came from**")
        formula = run.dataset.source.get("formula")
        if run.dataset.source.get("kind") == "formula" and formula:
            st.info(plain(f"y = {formula}" + (" plus noise" if run.dataset.source.get("noise") else "")))
        else:
            st.info(plain(run.dataset.describe()))


def format_value(value: float) -> str:
    """Short text for a metric card: plain digits for ordinary sizes, powers of ten otherwise."""
    if value == 0 or 1e-3 <= abs(value) < 1e5:
        return f"{value:.4g}"
    return f"{value:.2e}"


def show_metrics(run: Run) -> None:
    metrics = run.result.metrics
    columns = st.columns(4)
    columns[0].metric("R²", format_r2(metrics["r2"]), help="Share of the variation in y that the model explains; 1 is perfect.")
    columns[1].metric("MSE", format_value(metrics["mse"]), help="Mean squared error: the average of the squared errors, in y units squared.")
    columns[2].metric("MAE", format_value(metrics["mae"]), help="Mean absolute error: the typical size of an error, in y units.")
    columns[3].metric("Largest error", format_value(metrics["max_abs_error"]), help="The worst single prediction on the data, in y units.")


def show_fit_and_loss(run: Run, key: str) -> None:
    result = run.result
    frame, sampled = sample_rows(run.dataset.frame)
    grid = curve_grid(result.x_range)
    fit_column, loss_column = st.columns(2)
    with fit_column:
        st.markdown("**Fit**: the model's curve over the data")
        figure = fit_figure(frame, (grid, result.predict(grid)), true_curve(run.dataset), run.dataset.x_label, run.dataset.y_label)
        st.plotly_chart(figure, key=f"{key}.fit")
        if sampled:
            st.caption(f"The chart shows a random sample of {len(frame):,} of the {len(run.dataset.frame):,} rows.")
    with loss_column:
        st.markdown("**Loss** per epoch (log scale)")
        st.plotly_chart(loss_figure({run.label: result.history}), key=f"{key}.loss")
        st.caption(LOSS_EXPLANATION)


def show_residuals(run: Run, key: str) -> None:
    x = run.dataset.x
    residual = run.dataset.y - run.result.predict(x)
    st.markdown("**Residuals**: how far each data point is from the model's prediction")
    st.plotly_chart(residual_figure(x, residual, run.dataset.x_label), key=f"{key}.residuals")
    st.caption("Points scattered evenly around zero mean the model caught the pattern; a shape left over means it missed part of it.")


def show_run(run: Run, key: str) -> None:
    result = run.result
    origin = "reused from an earlier identical run" if run.from_cache else f"trained in {result.elapsed_seconds:.1f} s"
    st.subheader(f"{run.label}: results")
    st.caption(
        f"{result.model_config.describe()}, {result.training_config.optimizer} optimizer; "
        f"{STOP_REASONS.get(result.stop_reason, result.stop_reason)} ({plural(result.epochs_run, 'epoch')}), {origin}."
    )
    show_learned(run)
    show_metrics(run)
    show_fit_and_loss(run, key)
    show_residuals(run, key)


def extrapolation_warning(count: int, total: int, x_range: tuple[float, float]) -> str:
    if total == 1:
        subject = "This x value lies"
    elif count == 1:
        subject = f"1 of these {total} x values lies"
    else:
        subject = f"{count} of these {total} x values lie"
    return (
        f"{subject} outside the range the model was trained on "
        f"({x_range[0]:g} to {x_range[1]:g}). There the model is guessing: its answers can be far off."
    )


def model_curve(predict, x_range: tuple[float, float], extra_x: np.ndarray | None = None):
    low, high = x_range
    if extra_x is not None and len(extra_x):
        low, high = min(low, float(np.min(extra_x))), max(high, float(np.max(extra_x)))
    grid = curve_grid((low, high))
    return grid, predict(grid)
