"""Pay one-time start-up costs in the background, so the first Train click responds at once."""

from __future__ import annotations

import atexit
import threading

import streamlit as st

from numpattern.training import warm_up

WARM_UP_EXIT_WAIT_SECONDS = 10.0


@st.cache_resource(show_spinner=False)
def start_warm_up() -> threading.Thread:
    """Start the warm-up once per server process."""
    thread = threading.Thread(target=warm_up, name="numpattern-warm-up", daemon=True)
    thread.start()
    # A daemon thread killed inside torch at interpreter exit aborts the process, so exit waits for it.
    atexit.register(thread.join, WARM_UP_EXIT_WAIT_SECONDS)
    return thread
