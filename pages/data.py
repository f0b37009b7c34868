"""Data page: choose the (x, y) examples the network will learn from."""

import streamlit as st

from dashboard import state
from dashboard.charts import true_curve
from dashboard.data_sources import csv_inputs, dataset_inputs
from dashboard.formatting import format_significant
from dashboard.frame import begin_page
from dashboard.inputs import bounded_int_input, invalid_inputs
from dashboard.messages import plain
from numpattern.data import PRESETS, Dataset, DataSpec, generate
from numpattern.errors import NumpatternError
from numpattern.figures import data_figure, sample_rows
from numpattern.formula import ALLOWED_HELP
from numpattern.limits import format_number

CUSTOM = "custom"
SOURCES = {
    "generate": "Generate from a formula",
    "upload": "Upload a CSV file",
    "dataset": "Real dataset",
}
MAX_GENERATED_POINTS = 100_000
PREVIEW_ROWS = 1_000


@st.cache_data(max_entries=20, show_spinner=False)
def generate_cached(spec: DataSpec) -> Dataset:
    return generate(spec)


def preset_label(name: str) -> str:
    if name == CUSTOM:
        return "Your own formula…"
    preset = PRESETS[name]
    return f"{preset.label}: y = {preset.formula}"


def reset_range_to_preset() -> None:
    preset = PRESETS.get(st.session_state[state.DATA_PRESET], PRESETS["linear"])
    st.session_state[state.DATA_X_MIN] = preset.x_min
    st.session_state[state.DATA_X_MAX] = preset.x_max


def set_defaults() -> None:
    defaults = {
        state.DATA_PRESET: "linear",
        state.DATA_FORMULA: "x**2 - 2*x + 1",
        state.DATA_X_MIN: PRESETS["linear"].x_min,
        state.DATA_X_MAX: PRESETS["linear"].x_max,
        state.DATA_POINTS: 200,
        state.DATA_NOISE: 0.0,
        state.DATA_SEED: 0,
    }
    for key, value in defaults.items():
        st.session_state.setdefault(key, value)


def generator_inputs() -> DataSpec:
    preset = st.selectbox(
        "Pattern",
        [*PRESETS, CUSTOM],
        format_func=preset_label,
        key=state.DATA_PRESET,
        on_change=reset_range_to_preset,
        persist_state="session",
        help="The rule that turns each x into its y. The network does not see this rule, only the examples.",
    )
    formula = None
    if preset == CUSTOM:
        formula = st.text_input(
            "Formula for y",
            key=state.DATA_FORMULA,
            max_chars=200,
            persist_state="session",
            help=ALLOWED_HELP,
        )
    range_start, range_end = st.columns(2)
    x_min = range_start.number_input("x from", key=state.DATA_X_MIN, step=1.0, format="%g", persist_state="session")
    x_max = range_end.number_input("x to", key=state.DATA_X_MAX, step=1.0, format="%g", persist_state="session")
    points = bounded_int_input(
        f"Number of examples (10 to {MAX_GENERATED_POINTS:,})",
        10,
        MAX_GENERATED_POINTS,
        step=50,
        key=state.DATA_POINTS,
        help="How many (x, y) pairs to generate, evenly spread over the x range.",
    )
    noise = st.slider(
        "Noise",
        min_value=0.0,
        max_value=1.0,
        step=0.05,
        key=state.DATA_NOISE,
        persist_state="session",
        help="Random scatter added to y, as a share of how much y varies: 0 is none, 0.1 a little, 1 a lot.",
    )
    seed = bounded_int_input(
        "Seed",
        0,
        2**32 - 1,
        key=state.DATA_SEED,
        help="Fixes the random noise: the same seed gives the same data every time. Any whole number from 0 "
        "to 4,294,967,295.",
    )
    return DataSpec(
        preset=None if preset == CUSTOM else preset,
        formula=formula,
        x_min=float(x_min),
        x_max=float(x_max),
        n_points=int(points),
        noise=float(noise),
        seed=int(seed),
    )


def show_preview(dataset: Dataset) -> None:
    x, y = dataset.x, dataset.y
    st.caption(
        f"{len(dataset.frame):,} examples · x from {format_number(x.min())} to {format_number(x.max())} · "
        f"y from {format_significant(y.min(), 4)} to {format_significant(y.max(), 4)}"
    )
    chart_column, table_column = st.columns([2, 1])
    with chart_column:
        figure = data_figure(dataset.frame, true_curve(dataset), dataset.x_label, dataset.y_label)
        st.plotly_chart(figure, key="data.preview_chart")
        if len(dataset.frame) > 10_000:
            st.caption("The chart shows a random sample of 10,000 examples so the page stays fast.")
    with table_column:
        preview_rows, _ = sample_rows(dataset.frame, PREVIEW_ROWS)
        st.dataframe(
            preview_rows.rename(columns={"x": dataset.x_label, "y": dataset.y_label}),
            height=360,
            hide_index=True,
            column_config={
                dataset.x_label: st.column_config.NumberColumn(format="%.6g"),
                dataset.y_label: st.column_config.NumberColumn(format="%.6g"),
            },
        )
        if len(dataset.frame) > PREVIEW_ROWS:
            st.caption(f"Showing {PREVIEW_ROWS:,} of {len(dataset.frame):,} rows.")


begin_page("1. Your data", "Choose the examples the network will learn from: pairs of numbers x and y that follow a pattern.")
set_defaults()

st.session_state.setdefault(state.DATA_MODE, "generate")
mode = st.radio(
    "Where the data comes from", list(SOURCES), format_func=SOURCES.get, key=state.DATA_MODE,
    horizontal=True, persist_state="session",
)
previous = st.session_state.get(state.DATA_DATASET)
dataset = None
try:
    if mode == "generate":
        spec = generator_inputs()
        # An input out of range keeps the current data; its message sits under the input.
        dataset = None if invalid_inputs() else generate_cached(spec)
    elif mode == "upload":
        dataset = csv_inputs()
    else:
        dataset = dataset_inputs()
except NumpatternError as error:
    st.error(plain(str(error)))

if dataset is None:
    if previous is None:
        st.stop()
    st.info(plain(f"Until new data is ready, training uses the current data: {previous.describe()}."))
    st.subheader("Preview of the current data")
    show_preview(previous)
    st.stop()

st.session_state[state.DATA_DATASET] = dataset
st.subheader("Preview")
show_preview(dataset)
st.page_link("pages/train.py", label="Next: train a network on this data →")
