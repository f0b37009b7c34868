"""Saved models page: list, download, upload and delete checkpoints."""

import pandas as pd
import streamlit as st

from dashboard import state
from dashboard.checkpoints import load_cached, show_card
from dashboard.formatting import format_r2, readable_time
from dashboard.frame import begin_page
from dashboard.messages import plain
from dashboard.saving import remember_saved
from numpattern.checkpoint import (
    MAX_CHECKPOINT_BYTES,
    checkpoint_path,
    default_models_dir,
    delete_checkpoint,
    import_checkpoint,
    list_checkpoints,
    load_checkpoint_bytes,
    suggest_name,
)
from numpattern.errors import NumpatternError

folder = default_models_dir()
saved_here = st.session_state.setdefault(state.MODELS_SAVED_NAMES, [])


def upload_section() -> None:
    st.subheader("Upload a checkpoint")
    st.caption(
        "Only .safetensors checkpoints saved by numpattern are accepted. Other files, such as PyTorch .pth "
        "or pickle files, are rejected without being opened, because they can run code."
    )
    upload_round = st.session_state.get(state.MODELS_UPLOAD_ROUND, 0)
    upload = st.file_uploader(
        "Checkpoint file", key=f"{state.MODELS_UPLOAD}.{upload_round}",
        max_upload_size=max(1, MAX_CHECKPOINT_BYTES // 2**20),
    )
    if upload is None:
        return
    data = upload.getvalue()
    try:
        # Validated as soon as it arrives, so a bad file is rejected before any button is offered.
        checkpoint = load_checkpoint_bytes(data, upload.name)
    except NumpatternError as error:
        st.error(plain(f"Upload rejected: {error}"))
        return
    st.success(plain(f"'{upload.name}' is a valid numpattern checkpoint."))
    show_card(checkpoint.card)
    name = suggest_name(upload.name)
    if checkpoint_path(name, folder).exists():
        st.warning(
            plain(f"A saved model named '{name}' already exists. Rename the file and upload it again, "
                  "or delete the old one first.")
        )
        return
    if st.button("Add to saved models", key="models.import"):
        try:
            path = import_checkpoint(data, upload.name, folder)
        except NumpatternError as error:
            st.error(plain(str(error)))
            return
        remember_saved(path.stem)
        # A new key gives an empty upload box, so the added file is not checked again as a duplicate.
        st.session_state[state.MODELS_UPLOAD_ROUND] = upload_round + 1
        # The details then show the added checkpoint, with its delete button at hand. The choice
        # waits in its own key because the selectbox was already drawn in this run.
        st.session_state[state.MODELS_SELECT_NEXT] = path.stem
        st.session_state[state.MODELS_NOTICE] = f"Added '{path.stem}'. You can now choose it on the Predict page."
        st.rerun()


def details_section(table) -> None:
    valid = table[table["valid"]]
    if valid.empty:
        return
    st.subheader("Details")
    chosen_next = st.session_state.pop(state.MODELS_SELECT_NEXT, None)
    if chosen_next in set(valid["name"]):
        st.session_state[state.MODELS_SELECTED] = chosen_next
    name = st.selectbox("Checkpoint", list(valid["name"]), key=state.MODELS_SELECTED)
    path = checkpoint_path(name, folder)
    try:
        checkpoint = load_cached(path)
    except NumpatternError as error:
        st.error(plain(str(error)))
        return
    show_card(checkpoint.card)
    download_column, delete_column = st.columns(2)
    download_column.download_button(
        "Download checkpoint", data=path.read_bytes(), file_name=path.name,
        mime="application/octet-stream", key="models.download", on_click="ignore",
    )
    if name in saved_here:
        if delete_column.button("Delete this checkpoint", key="models.delete"):
            try:
                delete_checkpoint(name, folder)
            except NumpatternError as error:
                st.error(plain(str(error)))
            else:
                saved_here.remove(name)
                st.session_state[state.MODELS_NOTICE] = f"Deleted '{name}'."
                st.rerun()
    else:
        delete_column.caption("Only checkpoints you saved or uploaded in this session can be deleted here.")


begin_page(
    "Saved models",
    "Checkpoints are trained models stored as files. Download them, add your own, or remove ones you saved.",
)

notice = st.session_state.pop(state.MODELS_NOTICE, None)
if notice:
    st.success(plain(notice))
st.caption("Everyone who uses this app on this server sees the same saved models.")
try:
    table = list_checkpoints(folder)
except NumpatternError as error:
    st.error(plain(str(error)))
    st.stop()
if table.empty:
    st.info("No checkpoints are saved yet. Train a model and save it on the **2. Train** page.")
else:
    # Short columns first, so R² and the date stay in view beside long data and model descriptions.
    columns = ["name", "r2", "created_at", "data", "model"]
    if not table["valid"].all():
        columns.append("problem")
    display_table = table[columns].rename(
        columns={"name": "Name", "data": "Data", "model": "Model", "r2": "R²", "created_at": "Created", "problem": "Problem"}
    )
    display_table["Created"] = display_table["Created"].map(readable_time)
    display_table["R²"] = display_table["R²"].map(lambda r2: None if pd.isna(r2) else format_r2(r2))
    st.dataframe(display_table.fillna(""), hide_index=True)
    details_section(table)
upload_section()
