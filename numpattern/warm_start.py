"""A data-aware starting point for the "fast" recipe: first-layer units spread over the x
range, and the output layer solved by linear least squares given the hidden layers."""

from __future__ import annotations

import numpy as np
import torch

from numpattern.fast_mlp import FlatMLP

# First-layer slope times the spacing between neighbouring transitions, chosen by trying
# 0.25 to 4 on lines, parabolas, cubics and sine waves with 10 hidden units. Half these
# slopes made the least-squares fit closer but the units nearly collinear, with output
# weights in the thousands that stall L-BFGS; twice them fit worse. ReLU kinks are
# sharp at any slope, so ReLU keeps slope 1.
_SLOPE_TIMES_SPACING = {"tanh": 0.5, "sigmoid": 1.0, "gelu": 1.0}

# The least-squares solve costs rows × width²; this many evenly spaced rows are enough to
# place the output layer well, and L-BFGS then trains on every row.
MAX_LEAST_SQUARES_ROWS = 20_000


def warm_start(network: FlatMLP, x: torch.Tensor, y: torch.Tensor) -> None:
    """Set the first layer from the range of ``x``, then solve the output layer for ``y``."""
    if len(network.layers) > 1:
        spread_first_layer(network, float(x.min()), float(x.max()))
    solve_output_layer(network, x, y)


def spread_first_layer(network: FlatMLP, x_min: float, x_max: float) -> None:
    """Place the first-layer units' transitions evenly over the range ``x_min`` to ``x_max``.

    Unit 0 rises with x and has its transition half a spacing below ``x_min``, so a ReLU
    unit 0 is a straight line over the data. The other units have their transitions at
    the midpoints of equal cells across the range and alternate between rising and
    falling. With ReLU the output layer can then form any continuous piecewise linear
    curve with kinks at those midpoints, the straight line included, and no two units
    are linear over the data, which would make the least-squares problem ill-conditioned.
    Tanh, sigmoid and GELU units get gentle slopes, so neighbouring transitions overlap.
    """
    first = network.layers[0]
    width = first.weight.shape[0]  # the weight is (width, 1)
    n_cells = max(width - 1, 1)
    spacing = (x_max - x_min) / n_cells
    centers = x_min + spacing * (torch.arange(width, dtype=torch.float64) - 0.5)
    directions = torch.ones(width, dtype=torch.float64)
    directions[2::2] = -1.0
    slope = 1.0 if first.activation == "relu" else _SLOPE_TIMES_SPACING[first.activation] / spacing
    with torch.no_grad():
        first.weight.copy_((directions * slope).unsqueeze(1))
        first.bias.copy_(-directions * slope * centers)


def solve_output_layer(network: FlatMLP, x: torch.Tensor, y: torch.Tensor) -> None:
    """Replace the output layer by the least-squares fit of ``y`` on the last hidden features."""
    rows = _evenly_spaced_rows(x.shape[0], MAX_LEAST_SQUARES_ROWS)
    features = network.hidden_features(x[rows]).double().numpy()  # (N, width)
    design = np.hstack([features, np.ones((features.shape[0], 1))])
    target = y[rows].double().numpy().reshape(-1)
    solution, *_ = np.linalg.lstsq(design, target, rcond=None)

    output = network.layers[-1]
    with torch.no_grad():
        output.weight.copy_(torch.from_numpy(solution[:-1]).view(1, -1))
        output.bias.copy_(torch.from_numpy(solution[-1:]))


def _evenly_spaced_rows(n_rows: int, limit: int) -> torch.Tensor | slice:
    if n_rows <= limit:
        return slice(None)
    return torch.linspace(0, n_rows - 1, limit).round().long()
