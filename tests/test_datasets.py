"""Bundled real datasets: they load offline from plotly's package data, finite and as described."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import plotly
import pytest

from numpattern.datasets import DATASETS, load_dataset
from numpattern.errors import DataError
from numpattern.model import ModelConfig
from numpattern.training import TrainingConfig, train

EXPECTED_ROWS = {"gapminder": 1704, "tips": 244, "iris": 150}


def read_reference(name: str) -> pd.DataFrame:
    """Read the shipped file directly, as an independent check of the loader."""
    info = DATASETS[name]
    path = Path(plotly.__file__).parent / "package_data" / "datasets" / info.file_name
    return pd.read_csv(path)


@pytest.mark.parametrize("name", sorted(DATASETS))
def test_load_dataset_finite_and_complete(name):
    dataset = load_dataset(name)
    assert len(dataset.frame) == EXPECTED_ROWS[name]
    assert np.isfinite(dataset.x).all()
    assert np.isfinite(dataset.y).all()
    assert np.ptp(dataset.x) > 0


@pytest.mark.parametrize("name", sorted(DATASETS))
def test_load_dataset_matches_shipped_file(name):
    info = DATASETS[name]
    reference = read_reference(name)
    dataset = load_dataset(name)
    np.testing.assert_array_equal(dataset.x, reference[info.x_column].to_numpy(dtype=np.float64))
    np.testing.assert_array_equal(dataset.y, reference[info.y_column].to_numpy(dtype=np.float64))


@pytest.mark.parametrize("name", sorted(DATASETS))
def test_load_dataset_source_and_labels(name):
    info = DATASETS[name]
    dataset = load_dataset(name)
    assert dataset.source == {
        "kind": "dataset",
        "name": name,
        "title": info.title,
        "x_column": info.x_column,
        "y_column": info.y_column,
        "x_label": info.x_label,
        "y_label": info.y_label,
        "rows_used": EXPECTED_ROWS[name],
    }
    assert dataset.x_label == info.x_label
    assert dataset.y_label == info.y_label
    assert "(" in dataset.x_label
    assert "(" in dataset.y_label
    assert info.title in dataset.describe()


@pytest.mark.parametrize("name", sorted(DATASETS))
def test_dataset_description_names_x_and_y(name):
    description = DATASETS[name].description
    assert description.startswith("x is ")
    assert " y is " in description
    assert description.endswith(".")


def test_load_dataset_iris_value_ranges():
    dataset = load_dataset("iris")
    assert dataset.x.min() == 1.0
    assert dataset.x.max() == 6.9
    assert dataset.y.min() == 0.1
    assert dataset.y.max() == 2.5


def test_load_dataset_unknown_name():
    with pytest.raises(DataError, match="Unknown dataset 'titanic'. Choose one of: gapminder, tips, iris"):
        load_dataset("titanic")


def test_linear_model_on_tips_matches_least_squares():
    dataset = load_dataset("tips")
    result = train(
        dataset,
        ModelConfig(kind="linear"),
        TrainingConfig(epochs=50, optimizer="lbfgs", learning_rate=1.0, validation_fraction=0.0, seed=0),
    )

    slope, intercept = np.polyfit(dataset.x, dataset.y, 1)
    residual = dataset.y - (slope * dataset.x + intercept)
    r2_reference = 1 - np.sum(residual**2) / np.sum((dataset.y - dataset.y.mean()) ** 2)
    assert result.metrics["r2"] == pytest.approx(r2_reference, abs=1e-4)
