"""The live training view: progress bar, loss chart and fit chart, redrawn a few times a second."""

from __future__ import annotations

import numpy as np
import streamlit as st

from dashboard import runs, state
from numpattern.figures import LiveFigures

REFRESH_SECONDS = 0.3


@st.fragment(run_every=REFRESH_SECONDS)
def live_training_view(key: str) -> None:
    """Draw the running job; when it ends, collect it and rerun the whole page to show the results."""
    job = runs.current_job()
    if job is None:
        return
    if not job.running:
        runs.collect_finished_job()
        st.rerun()

    snapshot = job.snapshot()
    status = f"Training {job.label}: epoch {snapshot.epoch:,} of {snapshot.epochs:,}"
    if snapshot.epoch == 0:
        status = f"Starting {job.label}…"
    st.progress(snapshot.fraction_done, text=status)
    st.button(
        "Stop training",
        key=f"{key}.stop",
        on_click=job.request_stop,
        help="Ends training now and keeps what the model has learned so far.",
    )

    figures = _live_figures(job)
    curve = None if snapshot.curve_x is None else (np.asarray(snapshot.curve_x), np.asarray(snapshot.curve_y))
    loss, fit = figures.update(snapshot.epochs_history, snapshot.train_losses, snapshot.validation_losses, curve)
    loss_column, fit_column = st.columns(2)
    with loss_column:
        st.markdown("**Loss** (lower is better)")
        if snapshot.epochs_history:
            st.plotly_chart(loss, key=f"{key}.live_loss")
        else:
            st.caption("The loss chart appears after the first epoch.")
    with fit_column:
        # Before the first epoch the chart shows the data alone, so it appears at once.
        st.markdown("**Fit**: the model's curve over the data")
        st.plotly_chart(fit, key=f"{key}.live_fit")


def _live_figures(job) -> LiveFigures:
    """Return this job's figures; start_training builds them, a page reload may have to again."""
    stored = st.session_state.get(state.TRAIN_LIVE_FIGURES)
    if stored is None or stored[0] is not job:
        stored = (job, runs.live_figures_for(job.dataset))
        st.session_state[state.TRAIN_LIVE_FIGURES] = stored
    return stored[1]
