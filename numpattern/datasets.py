"""Real datasets that work offline: small tables that the plotly package installs with itself.

The files are read from plotly's package data (``plotly/package_data/datasets``, plotly 7.1.0),
so loading them never touches the network.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from importlib import resources

import pandas as pd

from numpattern.data import Dataset
from numpattern.errors import DataError

logger = logging.getLogger(__name__)

PACKAGE_DATA = ("package_data", "datasets")


@dataclass(frozen=True)
class BundledDataset:
    name: str
    title: str
    description: str  # one plain sentence on what x and y are, with units
    file_name: str  # inside plotly's package data
    x_column: str
    y_column: str
    x_label: str
    y_label: str


DATASETS: dict[str, BundledDataset] = {
    dataset.name: dataset
    for dataset in [
        BundledDataset(
            name="gapminder",
            title="Wealth and life expectancy (Gapminder)",
            description=(
                "x is a country's GDP per person in inflation-adjusted US dollars and y is its life "
                "expectancy at birth in years, for 142 countries every 5 years from 1952 to 2007."
            ),
            file_name="gapminder.csv.gz",
            x_column="gdpPercap",
            y_column="lifeExp",
            x_label="GDP per person (US$)",
            y_label="Life expectancy (years)",
        ),
        BundledDataset(
            name="tips",
            title="Restaurant bills and tips",
            description=(
                "x is the total bill of a restaurant meal in US dollars and y is the tip paid "
                "on it in US dollars, for 244 meals."
            ),
            file_name="tips.csv.gz",
            x_column="total_bill",
            y_column="tip",
            x_label="Total bill (US$)",
            y_label="Tip (US$)",
        ),
        BundledDataset(
            name="iris",
            title="Iris flower petals",
            description=(
                "x is the length of an iris flower's petal in centimetres and y is its width in "
                "centimetres, for 150 flowers of three species."
            ),
            file_name="iris.csv.gz",
            x_column="petal_length",
            y_column="petal_width",
            x_label="Petal length (cm)",
            y_label="Petal width (cm)",
        ),
    ]
}


def load_dataset(name: str) -> Dataset:
    """Load bundled dataset ``name`` as a Dataset of its x and y columns."""
    if name not in DATASETS:
        raise DataError(f"Unknown dataset {name!r}. Choose one of: {', '.join(DATASETS)}.")
    info = DATASETS[name]
    table = _read_package_file(info)

    frame = pd.DataFrame(
        {
            "x": pd.to_numeric(table[info.x_column], errors="coerce").astype("float64"),
            "y": pd.to_numeric(table[info.y_column], errors="coerce").astype("float64"),
        }
    )
    # The shipped files have no gaps today; dropping keeps a future gap from reaching training.
    complete = frame.dropna().reset_index(drop=True)
    if len(complete) < len(frame):
        logger.warning("Dropped %d incomplete rows from dataset %s", len(frame) - len(complete), name)

    source = {
        "kind": "dataset",
        "name": info.name,
        "title": info.title,
        "x_column": info.x_column,
        "y_column": info.y_column,
        "x_label": info.x_label,
        "y_label": info.y_label,
        "rows_used": len(complete),
    }
    return Dataset(frame=complete, source=source, x_label=info.x_label, y_label=info.y_label)


def _read_package_file(info: BundledDataset) -> pd.DataFrame:
    try:
        resource = resources.files("plotly").joinpath(*PACKAGE_DATA, info.file_name)
        with resources.as_file(resource) as path:
            return pd.read_csv(path, compression="gzip", usecols=[info.x_column, info.y_column])
    except (ModuleNotFoundError, FileNotFoundError, ValueError) as error:
        raise DataError(
            f"The bundled dataset '{info.name}' could not be read from the plotly package ({error}). "
            "Reinstall the requirements with 'pip install -r requirements.txt'."
        ) from None
