"""A data-aware starting point for the "fast" recipe: first-layer units placed among the
x values, and the output layer solved by linear least squares given the hidden layers."""

from __future__ import annotations

import torch

from numpattern.fast_mlp import FlatMLP

# First-layer slope times the spacing between neighbouring transitions, chosen by trying
# 0.25 to 4 on lines, parabolas, cubics and sine waves with 10 hidden units. Half these
# slopes made the least-squares fit closer but the units nearly collinear, with output
# weights in the thousands that stall L-BFGS; twice them fit worse. ReLU kinks are
# sharp at any slope, so ReLU keeps slope 1.
_SLOPE_TIMES_SPACING = {"tanh": 0.5, "sigmoid": 1.0, "gelu": 1.0}

# Singular values below this share of the largest are ignored (see solve_output_layer).
_RELATIVE_CUTOFF = 1e-6

# The least-squares solve costs rows × width², so it uses at most this many evenly spaced
# rows. It only sets the starting point, and L-BFGS then trains on every row.
MAX_LEAST_SQUARES_ROWS = 20_000


def warm_start(network: FlatMLP, x: torch.Tensor, y: torch.Tensor) -> None:
    """Set the first layer from the distribution of ``x``, then solve the output layer for ``y``."""
    rows = _evenly_spaced_rows(x.shape[0], MAX_LEAST_SQUARES_ROWS)
    if len(network.layers) > 1:
        spread_first_layer(network, x[rows])
    solve_output_layer(network, x[rows], y[rows])


def spread_first_layer(network: FlatMLP, x: torch.Tensor) -> None:
    """Place the transitions of the first-layer units among the values of ``x``.

    Unit 0 rises with x and has its transition below the smallest x, so a ReLU unit 0
    is a straight line over the data. The other units have their transitions at the
    medians of equally large groups of x values, and alternate between rising and
    falling. With ReLU the output layer can then form any continuous piecewise linear
    curve with kinks at those points, the straight line included. Every kink has data
    on both sides, so no two units are nearly the same function on the data, which
    would make the least-squares problem ill-conditioned. Tanh, sigmoid and GELU units
    get slopes inversely proportional to the gap to their neighbours, so neighbouring
    transitions overlap.
    """
    first = network.layers[0]
    width = first.weight.shape[0]  # the weight is (width, 1)
    values = x.reshape(-1).double()
    x_min, x_max = float(values.min()), float(values.max())
    if width == 1:
        centers = values.median().reshape(1)
    else:
        levels = (torch.arange(width - 1, dtype=torch.float64) + 0.5) / (width - 1)
        below = x_min - 0.5 * (x_max - x_min) / (width - 1)
        centers = torch.cat([torch.tensor([below], dtype=torch.float64), torch.quantile(values, levels)])
    directions = torch.ones(width, dtype=torch.float64)
    directions[2::2] = -1.0

    if first.activation == "relu":
        slopes = torch.ones(width, dtype=torch.float64)
    else:
        slopes = _SLOPE_TIMES_SPACING[first.activation] / _neighbour_gaps(centers, x_max - x_min)
    with torch.no_grad():
        first.weight.copy_((directions * slopes).unsqueeze(1))
        first.bias.copy_(-directions * slopes * centers)


def _neighbour_gaps(centers: torch.Tensor, x_spread: float) -> torch.Tensor:
    """Return the mean distance from each center to its neighbours, at least 0.1 % of the x spread."""
    floor = max(1e-3 * x_spread, 1e-12)
    if centers.numel() == 1:
        return torch.full_like(centers, max(x_spread, floor))
    gaps = centers.diff()
    before = torch.cat([gaps[:1], gaps])
    after = torch.cat([gaps, gaps[-1:]])
    return ((before + after) / 2).clamp_min(floor)


def solve_output_layer(network: FlatMLP, x: torch.Tensor, y: torch.Tensor) -> None:
    """Replace the output layer by the least-squares fit of ``y`` on the last hidden features.

    Singular values below ``_RELATIVE_CUTOFF`` times the largest are dropped, so units
    that are nearly the same on the data share one small weight instead of cancelling
    each other with large ones, which would swing wildly between and beyond the data.
    """
    features = network.hidden_features(x).double()  # (N, width)
    design = torch.cat([features, torch.ones(features.shape[0], 1, dtype=torch.float64)], dim=1)
    # torch's solver follows PyTorch's thread count (one in small runs), not NumPy's BLAS threads.
    solution = torch.linalg.lstsq(design, y.double(), rcond=_RELATIVE_CUTOFF, driver="gelsd").solution

    output = network.layers[-1]
    with torch.no_grad():
        output.weight.copy_(solution[:-1].view(1, -1))
        output.bias.copy_(solution[-1])


def _evenly_spaced_rows(n_rows: int, limit: int) -> torch.Tensor | slice:
    if n_rows <= limit:
        return slice(None)
    return torch.linspace(0, n_rows - 1, limit).round().long()
