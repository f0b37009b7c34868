"""The live training view: progress bar, loss chart and fit chart, redrawn a few times a second."""

from __future__ import annotations

import numpy as np
import pandas as pd
import streamlit as st

from dashboard import runs
from dashboard.charts import true_curve
from numpattern.figures import data_figure, fit_figure, loss_figure, sample_rows

REFRESH_SECONDS = 0.3
# The live fit chart is resent on every refresh, so it carries fewer points than the final one.
LIVE_CHART_POINTS = 2_000


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

    loss_column, fit_column = st.columns(2)
    with loss_column:
        st.markdown("**Loss** (lower is better)")
        if snapshot.epochs_history:
            history = pd.DataFrame(
                {
                    "epoch": snapshot.epochs_history,
                    "train_loss": snapshot.train_losses,
                    "validation_loss": snapshot.validation_losses,
                }
            )
            st.plotly_chart(loss_figure({job.label: history}), key=f"{key}.live_loss")
        else:
            st.caption("The loss chart appears after the first epoch.")
    with fit_column:
        st.markdown("**Fit**: the model's curve over the data")
        frame, _ = sample_rows(job.dataset.frame, LIVE_CHART_POINTS)
        dataset = job.dataset
        if snapshot.curve_x is None:
            # Before the first epoch the data alone is drawn, so the chart appears at once.
            figure = data_figure(frame, true_curve(dataset), dataset.x_label, dataset.y_label)
        else:
            model_curve = (np.asarray(snapshot.curve_x), np.asarray(snapshot.curve_y))
            figure = fit_figure(frame, model_curve, true_curve(dataset), dataset.x_label, dataset.y_label)
        st.plotly_chart(figure, key=f"{key}.live_fit")
