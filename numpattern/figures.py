"""Plotly figure builders for data, loss curves, fits, residuals and predictions.

Figures set no colors or template of their own, so a host such as Streamlit can
apply its light or dark theme. Every builder caps the points it draws.
"""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np
import pandas as pd
import plotly.graph_objects as go

MAX_CHART_POINTS = 10_000
CURVE_POINTS = 300
LOSS_FLOOR = 1e-16
# Above this many markers a chart switches to WebGL, which stays fast with thousands of points.
WEBGL_MIN_POINTS = 2_000
# Minimum ratio of a jump across a pole to the median step of the curve.
JUMP_FACTOR = 10
# Mid-tone colors that read on both light and dark backgrounds.
MODEL_COLOR = "#F28E2B"
TRUE_CURVE_COLOR = "#59A14F"
# Share of the data's y span added above and below it when the axis is fitted to the data.
AXIS_PADDING = 0.1


def sample_rows(frame: pd.DataFrame, max_points: int = MAX_CHART_POINTS, seed: int = 0) -> tuple[pd.DataFrame, bool]:
    """Return at most ``max_points`` rows (a seeded random sample, in the original order) and whether it sampled."""
    if len(frame) <= max_points:
        return frame, False
    rows = np.sort(np.random.default_rng(seed).choice(len(frame), size=max_points, replace=False))
    return frame.iloc[rows], True


def curve_grid(x_range: tuple[float, float], points: int = CURVE_POINTS) -> np.ndarray:
    return np.linspace(float(x_range[0]), float(x_range[1]), points)


def _scatter_type(n_points: int) -> type:
    # WebGL traces are drawn above SVG ones, so a figure uses one kind for all its traces.
    return go.Scattergl if n_points > WEBGL_MIN_POINTS else go.Scatter


def break_at_jumps(x: np.ndarray, y: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Insert a NaN point, which Plotly draws as a gap, where a sampled curve jumps across a pole.

    Near a pole such as x = 0 in 1/x, the curve runs off to one side and returns from the other.
    The step across the pole then goes the opposite way to the steps on both sides of it, is
    larger than both, and is more than JUMP_FACTOR times the median step. Only a step that meets
    all three is broken. A smooth curve that ``curve_grid`` samples well, such as exp(x) on
    [-3, 3], never reverses on both sides of one step, so it stays one line. Flat neighbours, as
    around the jump of the step preset, do not count as reversing. Expects x sorted and evenly
    spaced, as ``curve_grid`` makes it.
    """
    x = np.asarray(x, dtype=np.float64)
    y = np.asarray(y, dtype=np.float64)
    if len(y) < 3:
        return x, y
    steps = np.diff(y)
    sizes = np.abs(steps)
    finite_sizes = sizes[np.isfinite(sizes)]
    if finite_sizes.size == 0:
        return x, y
    typical = float(np.median(finite_sizes))

    # The steps before and after each step. The first and last steps have only one neighbour.
    before = np.concatenate([[np.nan], steps[:-1]])
    after = np.concatenate([steps[1:], [np.nan]])
    with np.errstate(invalid="ignore"):
        turns_before = np.isnan(before) | ((np.sign(before) == -np.sign(steps)) & (np.abs(before) < sizes))
        turns_after = np.isnan(after) | ((np.sign(after) == -np.sign(steps)) & (np.abs(after) < sizes))
        jumps = turns_before & turns_after & (sizes > JUMP_FACTOR * typical)

    where = np.flatnonzero(jumps)
    if where.size == 0:
        return x, y
    middles = (x[where] + x[where + 1]) / 2
    return np.insert(x, where + 1, middles), np.insert(y, where + 1, np.nan)


def _keep_flat_data_flat(figure: go.Figure, *series) -> None:
    """Give a nearly constant y a range of ±1, so float rounding does not look like a spike."""
    values = np.concatenate([np.asarray(values, dtype=np.float64).ravel() for values in series if values is not None])
    if values.size == 0 or not np.isfinite(values).all():
        return
    middle = float(np.mean(values))
    if np.ptp(values) <= 1e-6 * max(1.0, abs(middle)):
        figure.update_yaxes(range=[middle - 1.0, middle + 1.0])


def _keep_axis_on_data(figure: go.Figure, data_y, curve_y) -> None:
    """Fit the y axis to the data when the true curve runs far past it, as near the poles of tan(x).

    Plotly would otherwise scale the axis to the curve's spikes and squash the data into a line.
    """
    data = np.asarray(data_y, dtype=np.float64)
    data = data[np.isfinite(data)]
    curve = np.asarray(curve_y, dtype=np.float64)
    curve = curve[np.isfinite(curve)]
    if data.size == 0 or curve.size == 0:
        return
    low, high = float(data.min()), float(data.max())
    span = high - low
    if span <= 0:
        return
    if curve.min() < low - span or curve.max() > high + span:
        padding = AXIS_PADDING * span
        figure.update_yaxes(range=[low - padding, high + padding])


def _layout(figure: go.Figure, x_title: str, y_title: str, title: str | None = None) -> go.Figure:
    figure.update_layout(
        title=title,
        xaxis_title=x_title,
        yaxis_title=y_title,
        margin={"l": 10, "r": 10, "t": 40 if title else 10, "b": 10},
        legend={"orientation": "h", "yanchor": "bottom", "y": 1.02, "xanchor": "left", "x": 0},
        height=360,
        # Keeps zoom and hidden traces while a live chart is redrawn.
        uirevision="keep",
    )
    return figure


def data_figure(
    frame: pd.DataFrame,
    true_curve: tuple[np.ndarray, np.ndarray] | None = None,
    x_label: str = "x",
    y_label: str = "y",
) -> go.Figure:
    """Scatter of the data, with the noise-free curve when it is known."""
    shown, _ = sample_rows(frame)
    scatter = _scatter_type(len(shown))
    figure = go.Figure()
    figure.add_trace(scatter(x=shown["x"], y=shown["y"], mode="markers", name="data", marker={"size": 5, "opacity": 0.5}))
    if true_curve is not None:
        curve_x, curve_y = break_at_jumps(*true_curve)
        figure.add_trace(
            scatter(x=curve_x, y=curve_y, mode="lines", name="true curve",
                    line={"dash": "dash", "color": TRUE_CURVE_COLOR, "width": 2})
        )
    if true_curve is not None:
        _keep_axis_on_data(figure, shown["y"], true_curve[1])
    _keep_flat_data_flat(figure, shown["y"], None if true_curve is None else true_curve[1])
    return _layout(figure, x_label, y_label)


def loss_figure(histories: Mapping[str, pd.DataFrame], show_validation: bool = True) -> go.Figure:
    """Training (and validation) loss per epoch on a log-scale y axis; one pair of lines per run."""
    figure = go.Figure()
    for label, history in histories.items():
        shown = _thin_history(history)
        # A loss of exactly 0 has no place on a log axis; the floor keeps the line visible.
        shown = shown.assign(
            train_loss=shown["train_loss"].clip(lower=LOSS_FLOOR),
            validation_loss=shown["validation_loss"].clip(lower=LOSS_FLOOR),
        )
        prefix = f"{label}: " if len(histories) > 1 else ""
        figure.add_trace(go.Scatter(x=shown["epoch"], y=shown["train_loss"], mode="lines", name=f"{prefix}training loss"))
        if show_validation and shown["validation_loss"].notna().any():
            figure.add_trace(
                go.Scatter(x=shown["epoch"], y=shown["validation_loss"], mode="lines",
                           name=f"{prefix}validation loss", line={"dash": "dot"})
            )
    # Powers of ten read better for beginners than SI prefixes such as 100µ.
    figure.update_yaxes(type="log", exponentformat="power")
    return _layout(figure, "epoch", "loss (mean squared error)")


def _thin_history(history: pd.DataFrame, max_points: int = 2_000) -> pd.DataFrame:
    # Every k-th epoch plus the last one: a loss curve keeps its shape with far fewer points.
    if len(history) <= max_points:
        return history
    step = int(np.ceil(len(history) / max_points))
    rows = np.unique(np.append(np.arange(0, len(history), step), len(history) - 1))
    return history.iloc[rows]


def fit_figure(
    frame: pd.DataFrame,
    model_curve: tuple[np.ndarray, np.ndarray],
    true_curve: tuple[np.ndarray, np.ndarray] | None = None,
    x_label: str = "x",
    y_label: str = "y",
) -> go.Figure:
    """Data points, the true curve if known, and the model's curve."""
    figure = data_figure(frame, true_curve, x_label, y_label)
    scatter = _scatter_type(len(sample_rows(frame)[0]))
    figure.add_trace(
        scatter(x=model_curve[0], y=model_curve[1], mode="lines", name="model", line={"width": 3, "color": MODEL_COLOR})
    )
    _keep_flat_data_flat(figure, sample_rows(frame)[0]["y"], model_curve[1])
    return figure


def residual_figure(x: np.ndarray, residual: np.ndarray, x_label: str = "x") -> go.Figure:
    """Residual (true y minus predicted y) against x, with a zero line."""
    shown, _ = sample_rows(pd.DataFrame({"x": x, "residual": residual}))
    figure = go.Figure()
    scatter = _scatter_type(len(shown))
    figure.add_trace(scatter(x=shown["x"], y=shown["residual"], mode="markers", name="residual", marker={"size": 5}))
    figure.add_hline(y=0, line_dash="dash", opacity=0.6)
    _keep_flat_data_flat(figure, shown["residual"])
    return _layout(figure, x_label, "residual (true y − predicted y)")


def prediction_figure(
    model_curve: tuple[np.ndarray, np.ndarray],
    x_range: tuple[float, float],
    predictions: pd.DataFrame | None = None,
    x_label: str = "x",
    y_label: str = "y",
) -> go.Figure:
    """The model's curve with the training x range shaded and the requested predictions marked."""
    figure = go.Figure()
    figure.add_vrect(
        x0=x_range[0], x1=x_range[1], opacity=0.12, line_width=0, fillcolor="#4C9BE8",
        annotation_text="training range", annotation_position="top left",
    )
    figure.add_trace(go.Scatter(x=model_curve[0], y=model_curve[1], mode="lines", name="model", line={"color": MODEL_COLOR}))
    if predictions is not None and len(predictions):
        shown, _ = sample_rows(predictions)
        inside = shown[~shown["extrapolated"]]
        outside = shown[shown["extrapolated"]]
        figure.add_trace(go.Scatter(x=inside["x"], y=inside["y"], mode="markers", name="prediction", marker={"size": 10}))
        if len(outside):
            figure.add_trace(
                go.Scatter(x=outside["x"], y=outside["y"], mode="markers", name="prediction outside training range",
                           marker={"size": 11, "symbol": "x"})
            )
    return _layout(figure, x_label, y_label)


class LiveFigures:
    """The loss and fit figures of one running training, built once and updated in place.

    Building a Plotly figure validates every property and takes about 10 ms, while
    replacing the arrays of existing traces takes well under 1 ms. A live view that
    redraws a few times a second keeps one of these per run. Not thread-safe: create
    and update it in the thread that draws.
    """

    def __init__(
        self,
        frame: pd.DataFrame,
        true_curve: tuple[np.ndarray, np.ndarray] | None,
        x_label: str = "x",
        y_label: str = "y",
        max_points: int = MAX_CHART_POINTS,
    ) -> None:
        shown, _ = sample_rows(frame, max_points)
        # A placeholder point creates both loss lines; update() replaces it.
        placeholder = pd.DataFrame({"epoch": [1], "train_loss": [1.0], "validation_loss": [1.0]})
        self.loss = loss_figure({"run": placeholder})
        self.fit = fit_figure(shown, (np.array([]), np.array([])), true_curve, x_label, y_label)
        self._model_trace = self.fit.data[-1]

    def update(
        self,
        epochs: list[int],
        train_losses: list[float],
        validation_losses: list[float],
        model_curve: tuple[np.ndarray, np.ndarray] | None,
    ) -> tuple[go.Figure, go.Figure]:
        """Replace the loss lines and the model curve; return the (loss, fit) figures."""
        epoch_values, train_values, validation_values = _thin_arrays(epochs, train_losses, validation_losses)
        self.loss.data[0].update(x=epoch_values, y=np.maximum(train_values, LOSS_FLOOR))
        if len(self.loss.data) > 1:
            self.loss.data[1].update(x=epoch_values, y=np.maximum(validation_values, LOSS_FLOOR))
        if model_curve is not None:
            self._model_trace.update(x=model_curve[0], y=model_curve[1])
        return self.loss, self.fit


def _thin_arrays(epochs, *series, max_points: int = 2_000) -> tuple[np.ndarray, ...]:
    """Every k-th value plus the last, as _thin_history does for a table."""
    arrays = [np.asarray(epochs, dtype=np.float64), *(np.asarray(values, dtype=np.float64) for values in series)]
    if len(arrays[0]) <= max_points:
        return tuple(arrays)
    step = int(np.ceil(len(arrays[0]) / max_points))
    rows = np.unique(np.append(np.arange(0, len(arrays[0]), step), len(arrays[0]) - 1))
    return tuple(array[rows] for array in arrays)
