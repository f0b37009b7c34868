"""Chart inputs computed from this app's objects; the figures themselves come from numpattern.figures."""

from __future__ import annotations

import numpy as np

from numpattern.data import Dataset, true_function_from_source
from numpattern.errors import FormulaError
from numpattern.figures import curve_grid


def true_curve(dataset: Dataset) -> tuple[np.ndarray, np.ndarray] | None:
    """Return the noise-free curve of generated data over its x range, or None for measured data."""
    function = true_function_from_source(dataset.source)
    if function is None:
        return None
    x = dataset.x
    grid = curve_grid((float(x.min()), float(x.max())))
    try:
        return grid, function(grid)
    except FormulaError:
        # The grid can hit a point the data avoided, such as x = 0 for 1/x; draw no curve then.
        return None
