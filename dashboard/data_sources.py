"""Inputs of the Data page's three sources: a CSV upload and a bundled real dataset (generation is in the page)."""

from __future__ import annotations

import pandas as pd
import streamlit as st

from dashboard import state
from dashboard.messages import plain
from numpattern.csv_cells import CsvProblemCellsError
from numpattern.csv_format import DECIMAL_MARKS, DELIMITERS, THOUSANDS_SEPARATORS
from numpattern.csv_loading import (
    MAX_CSV_BYTES,
    MAX_CSV_ROWS,
    CsvLoadResult,
    CsvOptions,
    inspect_csv,
    load_csv_bytes,
)
from numpattern.data import Dataset
from numpattern.datasets import DATASETS, load_dataset
from numpattern.errors import NumpatternError

DETECT = "detect"


@st.cache_resource(max_entries=4, show_spinner="Reading the file…")
def _load_csv(data: bytes, file_name: str, options: CsvOptions) -> CsvLoadResult:
    # cache_resource hands back the same object without copying, which matters for a million rows.
    return load_csv_bytes(data, file_name, options)


@st.cache_data(show_spinner=False)
def _load_bundled(name: str) -> Dataset:
    return load_dataset(name)


def _format_choice(label: str, symbols: dict[str, str], key: str, help_text: str) -> str | None:
    options = [DETECT, *symbols]
    choice = st.selectbox(
        label, options, key=key, persist_state="session", help=help_text,
        format_func=lambda symbol: "detect automatically" if symbol == DETECT else symbols[symbol],
    )
    return None if choice == DETECT else choice


def csv_inputs() -> Dataset | None:
    """Show the upload and its options; return the loaded Dataset, or None when there is none yet."""
    st.caption(
        f"A text file with columns separated by commas, semicolons or tabs and a header row with the column "
        f"names, up to {MAX_CSV_BYTES // 2**20} MB and {MAX_CSV_ROWS:,} rows. Spreadsheets can save this as "
        "'CSV'. You pick which column is x and which is y. A file too large for the upload box is marked "
        "in red there and not read."
    )
    upload = st.file_uploader("CSV file", key=state.DATA_UPLOAD, max_upload_size=MAX_CSV_BYTES // 2**20)
    if upload is None:
        current = st.session_state.get(state.DATA_DATASET)
        if current is not None and current.source.get("kind") == "csv":
            st.info(plain(f"In use: {current.describe()}. Upload a file to replace it."))
            return current
        return None
    # An upload is a buffer: read its bytes once per run and parse from them.
    data = upload.getvalue()

    with st.expander("File format (detected automatically; change it if numbers look wrong)"):
        delimiter = _format_choice("Column separator", DELIMITERS, state.DATA_DELIMITER, "The character between columns.")
        decimal = _format_choice("Decimal mark", DECIMAL_MARKS, state.DATA_DECIMAL, "How a number such as 1.5 is written.")
        thousands = _format_choice(
            "Thousands separator", THOUSANDS_SEPARATORS, state.DATA_THOUSANDS, "How 1,000 is written, if at all."
        )
    try:
        table = inspect_csv(data, CsvOptions(delimiter=delimiter, decimal=decimal, thousands=thousands))
    except NumpatternError as error:
        st.error(plain(str(error)))
        return None
    st.caption(f"Detected: {table.format.describe()}.")

    columns = list(table.columns)
    preferred = list(table.numeric_columns) or columns
    x_column_index = columns.index(preferred[0]) if preferred else 0
    y_column_index = columns.index(preferred[1]) if len(preferred) > 1 else min(1, len(columns) - 1)
    x_side, y_side = st.columns(2)
    x_column = x_side.selectbox("x column (the input)", columns, index=x_column_index, key=f"{state.DATA_X_COLUMN}.{upload.file_id}")
    y_column = y_side.selectbox("y column (what to predict)", columns, index=y_column_index, key=f"{state.DATA_Y_COLUMN}.{upload.file_id}")
    drop = st.checkbox(
        "Leave out rows with empty or invalid cells", key=state.DATA_DROP_INVALID,
        help="Rows where x or y is not a number are skipped, and the page says how many.",
    )

    options = CsvOptions(x_column, y_column, delimiter, decimal, thousands, drop)
    try:
        loaded = _load_csv(data, upload.name, options)
    except CsvProblemCellsError as error:
        st.error(plain(f"{error} To train on the other rows, tick 'Leave out rows with empty or invalid cells' above."))
        problems = pd.DataFrame(
            [(problem.line, problem.column, problem.content) for problem in error.problems],
            columns=["line in file", "column", "content"],
        )
        st.dataframe(problems, hide_index=True)
        return None
    except NumpatternError as error:
        st.error(plain(str(error)))
        return None
    # One summary: a warning when rows were dropped, so the count is easy to see, else a caption.
    if loaded.rows_dropped:
        st.warning(plain(loaded.describe()))
    else:
        st.caption(plain(loaded.describe()))
    return loaded.dataset


def dataset_inputs() -> Dataset:
    name = st.selectbox(
        "Dataset", list(DATASETS), format_func=lambda key: DATASETS[key].title, key=state.DATA_BUNDLED,
        persist_state="session", help="Real measurements that ship with the app.",
    )
    st.caption(DATASETS[name].description)
    return _load_bundled(name)
