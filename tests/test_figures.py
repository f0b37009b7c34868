"""Figures: traces and names, point caps, log-scale loss, shaded training range, no theme of their own."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from numpattern.data import PRESETS, DataSpec, generate, true_function_from_source
from numpattern.figures import (
    CURVE_POINTS,
    MAX_CHART_POINTS,
    LiveFigures,
    break_at_jumps,
    curve_grid,
    data_figure,
    fit_figure,
    loss_figure,
    prediction_figure,
    residual_figure,
    sample_rows,
)


def history_frame(epochs: int, with_validation: bool = True) -> pd.DataFrame:
    epoch = np.arange(1, epochs + 1)
    return pd.DataFrame(
        {
            "epoch": epoch,
            "train_loss": 1.0 / epoch,
            "validation_loss": 2.0 / epoch if with_validation else np.full(epochs, np.nan),
        }
    )


def trace_names(figure) -> list[str]:
    return [trace.name for trace in figure.data]


def test_sample_rows_small_frame_unchanged():
    frame = pd.DataFrame({"x": np.arange(10.0), "y": np.arange(10.0)})

    shown, sampled = sample_rows(frame, max_points=10)

    assert shown is frame
    assert not sampled


def test_sample_rows_large_frame_capped_in_order():
    frame = pd.DataFrame({"x": np.arange(1000.0), "y": np.arange(1000.0)})

    shown, sampled = sample_rows(frame, max_points=100, seed=1)
    again, _ = sample_rows(frame, max_points=100, seed=1)

    assert sampled
    assert len(shown) == 100
    assert shown["x"].is_monotonic_increasing
    assert shown["x"].is_unique
    pd.testing.assert_frame_equal(shown, again)


def test_curve_grid_spans_range():
    grid = curve_grid((-2.0, 4.0))

    assert len(grid) == CURVE_POINTS
    assert grid[0] == -2.0
    assert grid[-1] == 4.0


def test_data_figure_caps_points():
    frame = pd.DataFrame({"x": np.arange(25_000.0), "y": np.arange(25_000.0)})

    figure = data_figure(frame)

    assert trace_names(figure) == ["data"]
    assert len(figure.data[0].x) == MAX_CHART_POINTS


def test_data_figure_with_true_curve_and_labels():
    frame = pd.DataFrame({"x": [0.0, 1.0, 2.0], "y": [2.0, 5.0, 8.0]})
    curve = (np.array([0.0, 2.0]), np.array([2.0, 8.0]))

    figure = data_figure(frame, curve, x_label="hours", y_label="price")

    assert trace_names(figure) == ["data", "true curve"]
    assert list(figure.data[1].y) == [2.0, 8.0]
    assert figure.layout.xaxis.title.text == "hours"
    assert figure.layout.yaxis.title.text == "price"


def test_loss_figure_log_scale_two_lines():
    figure = loss_figure({"run": history_frame(50)})

    assert trace_names(figure) == ["training loss", "validation loss"]
    assert figure.layout.yaxis.type == "log"
    assert list(figure.data[0].y) == list(1.0 / np.arange(1, 51))


def test_loss_figure_without_validation_one_line():
    figure = loss_figure({"run": history_frame(20, with_validation=False)})

    assert trace_names(figure) == ["training loss"]


def test_loss_figure_validation_hidden_on_request():
    figure = loss_figure({"run": history_frame(20)}, show_validation=False)

    assert trace_names(figure) == ["training loss"]


def test_loss_figure_several_runs_prefixed():
    figure = loss_figure({"adam": history_frame(10), "sgd": history_frame(10)})

    assert trace_names(figure) == ["adam: training loss", "adam: validation loss", "sgd: training loss", "sgd: validation loss"]


def test_loss_figure_long_history_thinned_keeps_last_epoch():
    figure = loss_figure({"run": history_frame(9_999)})

    epochs = list(figure.data[0].x)
    assert len(epochs) <= 2_001
    assert epochs[0] == 1
    assert epochs[-1] == 9_999


def test_fit_figure_three_layers():
    frame = pd.DataFrame({"x": [0.0, 1.0, 2.0], "y": [0.0, 1.0, 4.0]})
    grid = np.linspace(0.0, 2.0, 5)

    figure = fit_figure(frame, (grid, grid**2), true_curve=(grid, grid**2))

    assert trace_names(figure) == ["data", "true curve", "model"]
    assert list(figure.data[2].x) == list(grid)


def test_residual_figure_values_and_zero_line():
    x = np.array([0.0, 1.0, 2.0])
    residual = np.array([0.5, -0.25, 0.0])

    figure = residual_figure(x, residual)

    assert trace_names(figure) == ["residual"]
    assert list(figure.data[0].y) == [0.5, -0.25, 0.0]
    assert [shape.y0 for shape in figure.layout.shapes] == [0]


def test_prediction_figure_marks_inside_and_outside():
    grid = np.linspace(-5.0, 15.0, 21)
    predictions = pd.DataFrame({"x": [1.0, 5.0, 12.0], "y": [5.0, 17.0, 38.0], "extrapolated": [False, False, True]})

    figure = prediction_figure((grid, 3 * grid + 2), (0.0, 10.0), predictions)

    assert trace_names(figure) == ["model", "prediction", "prediction outside training range"]
    assert list(figure.data[1].x) == [1.0, 5.0]
    assert list(figure.data[2].x) == [12.0]
    shaded = figure.layout.shapes[0]
    assert (shaded.x0, shaded.x1) == (0.0, 10.0)


@pytest.mark.parametrize(
    "predictions",
    [None, pd.DataFrame({"x": [], "y": [], "extrapolated": []})],
    ids=["none", "empty"],
)
def test_prediction_figure_without_predictions(predictions):
    grid = np.linspace(0.0, 1.0, 3)

    figure = prediction_figure((grid, grid), (0.0, 1.0), predictions)

    assert trace_names(figure) == ["model"]


def test_prediction_figure_all_inside_has_no_outside_trace():
    grid = np.linspace(0.0, 10.0, 11)
    predictions = pd.DataFrame({"x": [2.0], "y": [8.0], "extrapolated": [False]})

    figure = prediction_figure((grid, grid), (0.0, 10.0), predictions)

    assert trace_names(figure) == ["model", "prediction"]


def test_figures_set_no_colors_of_their_own():
    frame = pd.DataFrame({"x": [0.0, 1.0, 2.0], "y": [0.0, 1.0, 2.0]})

    for figure in [data_figure(frame), loss_figure({"run": history_frame(5)}), residual_figure(frame["x"], frame["y"])]:
        assert figure.layout.paper_bgcolor is None
        assert figure.layout.plot_bgcolor is None
        assert figure.layout.uirevision == "keep"


def test_live_figures_update_in_place():
    frame = pd.DataFrame({"x": np.linspace(0.0, 1.0, 5_000), "y": np.linspace(0.0, 2.0, 5_000)})
    live = LiveFigures(frame, None, max_points=2_000)
    grid = np.linspace(0.0, 1.0, 50)

    loss, fit = live.update([1, 2, 3], [0.5, 0.25, 0.0], [0.6, 0.3, 0.2], (grid, 2 * grid))
    again_loss, again_fit = live.update(list(range(1, 5_001)), [0.1] * 5_000, [0.2] * 5_000, None)

    assert again_loss is loss
    assert again_fit is fit
    assert len(fit.data[0].x) == 2_000
    np.testing.assert_allclose(fit.data[-1].y, 2 * grid)
    assert len(loss.data[0].x) <= 2_001
    assert loss.data[0].x[-1] == 5_000
    assert min(loss.data[0].y) > 0


# --- the true curve at poles --------------------------------------------------------------


def generated_with_curve(formula: str, x_min: float, x_max: float) -> tuple[pd.DataFrame, tuple[np.ndarray, np.ndarray]]:
    """Generated data and its true curve, computed as the app computes them."""
    dataset = generate(DataSpec(preset=None, formula=formula, x_min=x_min, x_max=x_max, n_points=100))
    grid = curve_grid((x_min, x_max))
    return dataset.frame, (grid, true_function_from_source(dataset.source)(grid))


def joined_sign_changes(y) -> int:
    """Count line segments that join a negative y to a positive y, or the reverse."""
    y = np.asarray(y, dtype=np.float64)
    left, right = y[:-1], y[1:]
    joined = np.isfinite(left) & np.isfinite(right)
    return int(np.sum(joined & (np.sign(left) * np.sign(right) < 0)))


def test_data_figure_true_curve_broken_at_pole():
    frame, curve = generated_with_curve("1/x", -5.0, 5.0)

    trace = data_figure(frame, curve).data[1]

    gaps = np.flatnonzero(np.isnan(np.asarray(trace.y, dtype=np.float64)))
    assert len(gaps) == 1
    assert trace.x[gaps[0] - 1] < 0.0 < trace.x[gaps[0] + 1]
    assert joined_sign_changes(trace.y) == 0
    assert len(trace.y) == CURVE_POINTS + 1


def test_data_figure_tan_broken_at_each_pole():
    frame, curve = generated_with_curve("tan(x)", -2 * np.pi, 2 * np.pi)

    trace = data_figure(frame, curve).data[1]

    gap_x = [
        (trace.x[index - 1] + trace.x[index + 1]) / 2
        for index in np.flatnonzero(np.isnan(np.asarray(trace.y, dtype=np.float64)))
    ]
    np.testing.assert_allclose(gap_x, [-1.5 * np.pi, -0.5 * np.pi, 0.5 * np.pi, 1.5 * np.pi], atol=0.05)


@pytest.mark.parametrize(
    ("formula", "x_min", "x_max"),
    [("exp(x)", -3.0, 3.0), ("exp(3*x)", -3.0, 3.0), ("tanh(20*x)", -3.0, 3.0), ("1/x**2", -5.0, 5.0),
     ("tan(x)", -1.5, 1.5), ("x**3 - 3*x", -2.5, 2.5)],
)
def test_data_figure_smooth_true_curve_unbroken(formula, x_min, x_max):
    frame, curve = generated_with_curve(formula, x_min, x_max)

    trace = data_figure(frame, curve).data[1]

    np.testing.assert_array_equal(trace.x, curve[0])
    np.testing.assert_array_equal(trace.y, curve[1])


@pytest.mark.parametrize("name", [name for name in PRESETS if name != "step"])
def test_data_figure_preset_true_curve_unbroken(name):
    preset = PRESETS[name]
    grid = curve_grid((preset.x_min, preset.x_max))
    frame = pd.DataFrame({"x": grid, "y": preset.evaluate(grid)})

    trace = data_figure(frame, (grid, preset.evaluate(grid))).data[1]

    assert not np.isnan(np.asarray(trace.y, dtype=np.float64)).any()


def test_fit_and_live_curves_broken():
    frame, curve = generated_with_curve("1/(x - 0.3)", -5.0, 5.0)
    model_curve = (curve[0], np.zeros_like(curve[0]))

    fit_trace = fit_figure(frame, model_curve, curve).data[1]
    live_trace = LiveFigures(frame, curve).fit.data[1]

    for trace in (fit_trace, live_trace):
        assert trace.name == "true curve"
        assert int(np.isnan(np.asarray(trace.y, dtype=np.float64)).sum()) == 1
        assert joined_sign_changes(trace.y) == 0


@pytest.mark.parametrize("points", [0, 1, 2])
def test_break_at_jumps_short_curve_unchanged(points):
    x = np.arange(points, dtype=np.float64)
    y = np.array([-100.0, 100.0][:points])

    broken_x, broken_y = break_at_jumps(x, y)

    np.testing.assert_array_equal(broken_x, x)
    np.testing.assert_array_equal(broken_y, y)


def test_data_figure_axis_fits_data_not_poles():
    frame, curve = generated_with_curve("tan(x)", -10.0, 10.0)
    assert np.nanmax(np.abs(curve[1])) > 10 * frame["y"].abs().max()

    low, high = data_figure(frame, curve).layout.yaxis.range

    span = frame["y"].max() - frame["y"].min()
    assert low == pytest.approx(frame["y"].min() - 0.1 * span)
    assert high == pytest.approx(frame["y"].max() + 0.1 * span)


@pytest.mark.parametrize("name", sorted(PRESETS))
def test_data_figure_preset_axis_automatic(name):
    dataset = generate(DataSpec(preset=name, n_points=100))
    grid = curve_grid((PRESETS[name].x_min, PRESETS[name].x_max))
    curve = (grid, true_function_from_source(dataset.source)(grid))

    assert data_figure(dataset.frame, curve).layout.yaxis.range is None
