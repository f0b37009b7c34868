"""Write a seeded CSV file of noisy sine data: columns x and y, 1,000,000 rows by default.

    python benchmarks/make_large_csv.py OUT.csv [--rows N] [--seed S]
"""

from __future__ import annotations

import argparse
from pathlib import Path

import numpy as np
import pandas as pd

DEFAULT_ROWS = 1_000_000


def write_large_csv(path: Path, rows: int = DEFAULT_ROWS, seed: int = 0) -> Path:
    """Write y = sin(x) + Gaussian noise (standard deviation 0.1) for x uniform on [-6, 6]."""
    rng = np.random.default_rng(seed)
    x = rng.uniform(-6.0, 6.0, rows)
    y = np.sin(x) + rng.normal(0.0, 0.1, rows)
    # Six decimals keep the file at about 20 bytes per row, below the loader's 40 MB limit.
    pd.DataFrame({"x": x, "y": y}).to_csv(path, index=False, float_format="%.6f")
    return path


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("out", type=Path, help="path of the CSV file to write")
    parser.add_argument("--rows", type=int, default=DEFAULT_ROWS, help="number of data rows (default: %(default)s)")
    parser.add_argument("--seed", type=int, default=0, help="seed for x and the noise (default: %(default)s)")
    arguments = parser.parse_args()
    path = write_large_csv(arguments.out, arguments.rows, arguments.seed)
    print(f"wrote {arguments.rows:,} rows, {path.stat().st_size / 1e6:.1f} MB, to {path}")


if __name__ == "__main__":
    main()
