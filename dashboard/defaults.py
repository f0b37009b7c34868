"""The app's starting choices: the example data and the settings of the one-click demo."""

from __future__ import annotations

import streamlit as st

from numpattern.data import Dataset, DataSpec, generate
from numpattern.model import ModelConfig
from numpattern.training import TrainingConfig

EXAMPLE_SPEC = DataSpec(preset="linear", n_points=200)
DEMO_MODEL = ModelConfig()
DEMO_TRAINING = TrainingConfig()


@st.cache_data(show_spinner=False)
def example_dataset() -> Dataset:
    """y = 3x + 2 on x from -10 to 10, the pattern the demo learns."""
    return generate(EXAMPLE_SPEC)
