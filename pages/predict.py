"""Predict page: ask a trained model for y at new x values."""

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd
import streamlit as st

from dashboard import runs, state
from dashboard.checkpoints import load_cached, show_card
from dashboard.formatting import format_r2, format_significant
from dashboard.frame import begin_page
from dashboard.messages import plain
from dashboard.results import extrapolation_warning, model_curve
from numpattern.checkpoint import default_models_dir, list_checkpoints
from numpattern.data import describe_source
from numpattern.errors import NumpatternError
from numpattern.figures import prediction_figure
from numpattern.limits import format_number
from numpattern.prediction import DECIMAL_COMMA, parse_x_values, prediction_table

SHIPPED_DEFAULT = "linear-3x-plus-2"


@dataclass(frozen=True)
class Choice:
    label: str
    predict: Callable[[np.ndarray], np.ndarray]  # x -> y on the original scale
    table: Callable[[list[float]], pd.DataFrame]  # x values -> columns x, y, extrapolated
    x_range: tuple[float, float]
    x_label: str
    y_label: str


def options() -> tuple[list[str], dict[str, str]]:
    labels: dict[str, str] = {}
    for run in reversed(runs.runs()):
        labels[f"run:{run.run_id}"] = f"This session: {run.label} ({run.result.model_config.describe()}, R² {format_r2(run.result.metrics['r2'])})"
    try:
        listing = list_checkpoints(default_models_dir())
    except NumpatternError as error:
        # The models of this session still work when the checkpoint folder is misconfigured.
        st.error(plain(str(error)))
        return list(labels), labels
    for row in listing.itertuples():
        if row.valid:
            labels[f"file:{row.name}"] = f"Saved: {row.name} ({row.data})"
    return list(labels), labels


def default_index(keys: list[str]) -> int:
    if keys and keys[0].startswith("run:"):
        return 0
    preferred = f"file:{SHIPPED_DEFAULT}"
    return keys.index(preferred) if preferred in keys else 0


def resolve(key: str) -> Choice:
    kind, _, ident = key.partition(":")
    if kind == "run":
        run = runs.find_run(int(ident))
        result = run.result
        return Choice(
            run.label,
            result.predict,
            lambda x: prediction_table(result.model, result.standardizer, result.x_range, x),
            result.x_range,
            run.dataset.x_label,
            run.dataset.y_label,
        )
    checkpoint = load_cached(default_models_dir() / f"{ident}.safetensors")
    source = checkpoint.card["data"]["source"]
    return Choice(
        ident,
        checkpoint.predict,
        checkpoint.prediction_table,
        checkpoint.x_range,
        source.get("x_label") or source.get("x_column") or "x",
        source.get("y_label") or source.get("y_column") or "y",
    )


def show_run_card(key: str) -> None:
    run = runs.find_run(int(key.partition(":")[2]))
    result = run.result
    st.markdown(
        f"- **Data**: {describe_source(run.dataset.source)}\n"
        f"- **Model**: {result.model_config.describe()}\n"
        f"- **Training**: {result.training_config.optimizer}, {result.epochs_run:,} epochs, "
        f"learning rate {result.training_config.learning_rate:g}\n"
        f"- **Fit on its data**: R² {format_r2(result.metrics['r2'])}, largest error {result.metrics['max_abs_error']:.4g}\n"
        f"- **Trained on x from** {result.x_range[0]:g} to {result.x_range[1]:g}\n"
        "- Not saved yet: save it on the Train page to keep it after you close the app."
    )


def show_predictions(choice: Choice, x_values: list[float]) -> None:
    table = choice.table(x_values)
    outside = int(table["extrapolated"].sum())
    if len(table) == 1:
        row = table.iloc[0]
        # Six significant digits: 17.0002 near the data, 2,987,760 far outside it, without false precision.
        st.metric(f"Predicted {choice.y_label} at {choice.x_label} = {format_number(row.x)}", format_significant(row.y, 6))
    if outside:
        st.warning(extrapolation_warning(outside, len(table), choice.x_range))

    display_table = pd.DataFrame(
        {
            choice.x_label: table["x"],
            f"predicted {choice.y_label}": table["y"],
            "outside training range": np.where(table["extrapolated"], "yes: guessing", "no"),
        }
    )
    chart_column, table_column = st.columns([2, 1])
    with table_column:
        # "auto" fits a short table and scrolls a long one, so a single prediction has no empty rows below.
        st.dataframe(display_table, hide_index=True, height="auto")
        st.download_button(
            "Download predictions (CSV)", display_table.to_csv(index=False).encode(), file_name="predictions.csv",
            mime="text/csv", key="predict.download", on_click="ignore",
        )
    with chart_column:
        curve = model_curve(choice.predict, choice.x_range, table["x"].to_numpy())
        figure = prediction_figure(curve, choice.x_range, table, choice.x_label, choice.y_label)
        st.plotly_chart(figure, key="predict.chart")
        st.caption("The shaded band is the x range the model was trained on. Outside it, the model is guessing.")



begin_page("3. Predict", "Choose a trained model and give it new x values; it answers with its prediction for y.")

keys, labels = options()
if not keys:
    st.info("There is no trained model yet. Train one on the **2. Train** page, or run the demo on the Start page.")
    st.page_link("pages/train.py", label="Go to the Train page")
    st.stop()

selected = st.selectbox(
    "Model", keys, index=default_index(keys), format_func=labels.get, key=state.PREDICT_SOURCE,
    help="Models trained in this session come first; saved checkpoints follow.",
)
try:
    choice = resolve(selected)
except NumpatternError as error:
    st.error(plain(f"This model cannot be used: {error}"))
    st.stop()

with st.expander("About this model", expanded=False):
    if selected.startswith("run:"):
        show_run_card(selected)
    else:
        show_card(load_cached(default_models_dir() / f"{Path(selected[5:]).name}.safetensors").card)

st.session_state.setdefault(state.PREDICT_X_TEXT, "5")
text = st.text_input(
    "x values", key=state.PREDICT_X_TEXT, persist_state="session",
    help="One number, or several separated by commas, semicolons or spaces. Write decimals with a point: 2.5, not 2,5.",
)
decimal_comma = DECIMAL_COMMA.search(text)
if decimal_comma:
    # Many countries write two and a half as 2,5, which here means the two values 2 and 5.
    first, second = decimal_comma.group(1), decimal_comma.group(2)
    st.info(
        plain(
            f"Commas separate values, so '{first},{second}' was read as two values, {first} and {second}. "
            f"For a decimal number, write it with a point: {first}.{second}."
        )
    )
try:
    x_values = parse_x_values(text)
except NumpatternError as error:
    st.error(plain(str(error)))
    st.stop()
show_predictions(choice, x_values)
