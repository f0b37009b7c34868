"""Start page: what the app shows, the three steps, and the one-click demo."""

import streamlit as st

from dashboard import runs, state
from dashboard.charts import true_curve
from dashboard.defaults import DEMO_MODEL, DEMO_TRAINING, example_dataset
from dashboard.frame import begin_page
from dashboard.live import live_training_view
from dashboard.results import show_fit_and_loss, show_learned
from numpattern.figures import data_figure

DEMO_LABEL = "Demo"


def start_demo() -> None:
    dataset = example_dataset()
    st.session_state.setdefault(state.DATA_DATASET, dataset)
    # The demo always trains live, even when the same run is cached: watching it learn is the point.
    label = f"{DEMO_LABEL} {st.session_state.get(state.TRAIN_NEXT_RUN_ID, 1)}"
    runs.try_start(label, dataset, DEMO_MODEL, DEMO_TRAINING, use_cache=False)


def latest_demo_run():
    demo_runs = [run for run in runs.runs() if run.label.startswith(DEMO_LABEL)]
    return demo_runs[-1] if demo_runs else None


begin_page(
    "Watch a machine learn a pattern",
    "Show a computer enough examples such as (1, 5), (2, 8), (3, 11) and it can find the rule behind "
    "them, here y = 3x + 2. This app lets you watch a small **neural network** (a program that learns "
    "from examples) do exactly that, and then ask it for new answers.",
)

st.subheader("How it works")
data_step, train_step, predict_step = st.columns(3)
with data_step:
    st.markdown("**1. Data**: pick a pattern, type a formula, or use real measurements.")
    st.page_link("pages/data.py", label="Choose data")
with train_step:
    st.markdown("**2. Train**: the network adjusts itself step by step until its curve fits the examples.")
    st.page_link("pages/train.py", label="Train a network")
with predict_step:
    st.markdown("**3. Predict**: give the trained network a new x and read its answer for y.")
    st.page_link("pages/predict.py", label="Make predictions")

st.subheader("Try it in one click")
st.write("The demo makes 200 examples of y = 3x + 2, trains a small network on them, and shows what it learned.")
running = runs.job_running()
demo = latest_demo_run()
if demo is None and not running:
    example = example_dataset()
    st.caption("These dots are the examples. The network sees only the dots, never the rule y = 3x + 2 that made them.")
    st.plotly_chart(data_figure(example.frame, true_curve(example)), key="start.examples")
# In a slot, so that the button turns disabled as soon as the demo starts.
demo_slot = st.empty()
if demo_slot.button("Run the demo", type="primary", key="start.demo", disabled=running):
    start_demo()
    running = runs.job_running()
    if running:
        demo_slot.button("Run the demo", type="primary", key="start.demo.busy", disabled=True)
if running:
    live_training_view("start")
runs.show_notice()

demo = latest_demo_run()
if demo is not None and not running:
    show_learned(demo)
    show_fit_and_loss(demo, key=f"start.demo{demo.run_id}")
    st.page_link("pages/predict.py", label="Now ask the trained network for predictions →")
