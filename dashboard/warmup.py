"""Pay torch's one-time start-up costs in the background, so the first Train click responds at once."""

from __future__ import annotations

import atexit
import logging
import threading

import streamlit as st

from numpattern.data import DataSpec, generate
from numpattern.model import ModelConfig
from numpattern.training import TrainingConfig, train

logger = logging.getLogger(__name__)

WARM_UP_EXIT_WAIT_SECONDS = 10.0


def _train_tiny_models() -> None:
    # The first optimizer created in a process triggers a slow import inside torch (about 1 s on
    # a 2-core machine). A two-epoch run with each optimizer pays that cost here instead.
    dataset = generate(DataSpec(n_points=20))
    for optimizer in ("adam", "sgd", "lbfgs"):
        train(dataset, ModelConfig(), TrainingConfig(epochs=2, optimizer=optimizer, learning_rate=0.01))
    logger.info("Warm-up finished")


@st.cache_resource(show_spinner=False)
def start_warm_up() -> threading.Thread:
    """Start the warm-up once per server process."""
    thread = threading.Thread(target=_train_tiny_models, name="numpattern-warm-up", daemon=True)
    thread.start()
    # A daemon thread killed inside torch at interpreter exit aborts the process, so exit waits for it.
    atexit.register(thread.join, WARM_UP_EXIT_WAIT_SECONDS)
    return thread
