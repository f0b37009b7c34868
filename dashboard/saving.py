"""Saving a run as a named checkpoint, and downloading it without saving."""

from __future__ import annotations

import streamlit as st

from dashboard import state
from dashboard.messages import plain
from dashboard.runs import Run
from numpattern.checkpoint import checkpoint_bytes, default_models_dir, save_checkpoint, suggest_name
from numpattern.errors import NumpatternError


def remember_saved(name: str) -> None:
    saved = st.session_state.setdefault(state.MODELS_SAVED_NAMES, [])
    if name not in saved:
        saved.append(name)


def save_run_form(run: Run) -> None:
    st.subheader("Keep this model")
    st.caption(
        "Save it as a checkpoint (a file with the learned weights and a description) to use it later on the "
        "Predict page. Runs you do not save are gone when this browser tab is closed or reloaded."
    )
    name_column, save_column, download_column = st.columns([2, 1, 1], vertical_alignment="bottom")
    default_name = suggest_name(f"{run.label.lower()}-{run.dataset.source.get('preset') or 'model'}")
    name = name_column.text_input(
        "Checkpoint name", value=default_name, key=f"{state.TRAIN_SAVE_NAME}.{run.run_id}", max_chars=64,
        help="1 to 64 characters: the ASCII letters a–z and A–Z, digits, '-', '_' and '.', starting with a letter "
        "or digit.",
    )
    if save_column.button("Save checkpoint", key=f"train.save.{run.run_id}"):
        try:
            path = save_checkpoint(run.result, name, default_models_dir())
        except NumpatternError as error:
            st.error(plain(str(error)))
        else:
            remember_saved(path.stem)
            st.success(plain(f"Saved as '{path.stem}'. It is now listed on the Predict and Saved models pages."))
    try:
        data = checkpoint_bytes(run.result, suggest_name(name))
    except NumpatternError:
        return
    download_column.download_button(
        "Download", data=data, file_name=f"{suggest_name(name)}.safetensors",
        mime="application/octet-stream", key=f"train.download.{run.run_id}", on_click="ignore",
    )
