"""Train page: choose the network and how to train it, watch it learn, then save it."""

import streamlit as st

from dashboard import runs, state
from dashboard.defaults import example_dataset
from dashboard.frame import begin_page
from dashboard.inputs import bounded_int_input, invalid_inputs
from dashboard.live import live_training_view
from dashboard.messages import plain
from dashboard.results import show_run
from dashboard.saving import save_run_form
from numpattern.errors import NumpatternError
from numpattern.figures import loss_figure
from numpattern.jobs import DEFAULT_MAX_SECONDS as MAX_JOB_SECONDS
from numpattern.model import ModelConfig
from numpattern.training import TrainingConfig, default_batch_size

MAX_APP_EPOCHS = 20_000
LARGE_DATA_ROWS = 50_000
LEARNING_RATES = [0.0001, 0.0003, 0.001, 0.003, 0.01, 0.03, 0.1, 0.3, 1.0]
AUTOMATIC, FULL_BATCH = -1, 0
BATCH_SIZES = [AUTOMATIC, FULL_BATCH, 16, 32, 64, 128, 256, 1024, 4096, 16384]
ACTIVATION_LABELS = {
    "relu": "ReLU (straight pieces)",
    "tanh": "tanh (smooth S-curve)",
    "sigmoid": "sigmoid (smooth, 0 to 1)",
    "gelu": "GELU (smooth ReLU)",
}
OPTIMIZER_LABELS = {
    "adam": "Adam (good default)",
    "sgd": "SGD with momentum (classic)",
    "lbfgs": "L-BFGS (fast for small data)",
    "fast": "Fast (smart start, then L-BFGS)",
}
MODEL_KIND_LABELS = {"mlp": "Neural network", "linear": "Straight line only (linear model)"}


def set_defaults() -> None:
    model, training = ModelConfig(), TrainingConfig()
    defaults = {
        state.TRAIN_MODEL_KIND: model.kind,
        state.TRAIN_HIDDEN_LAYERS: len(model.hidden_sizes),
        state.TRAIN_WIDTH: model.hidden_sizes[0],
        state.TRAIN_ACTIVATION: model.activation,
        state.TRAIN_OPTIMIZER: training.optimizer,
        state.TRAIN_LEARNING_RATE: training.learning_rate,
        state.TRAIN_EPOCHS: training.epochs,
        state.TRAIN_BATCH_SIZE: AUTOMATIC,
        state.TRAIN_VALIDATION: training.validation_fraction,
        state.TRAIN_SEED: training.seed,
    }
    for key, value in defaults.items():
        st.session_state.setdefault(key, value)


def match_learning_rate_to_optimizer() -> None:
    # L-BFGS searches its own step length and works best starting from 1; the others from 0.01.
    optimizer = st.session_state[state.TRAIN_OPTIMIZER]
    st.session_state[state.TRAIN_LEARNING_RATE] = 1.0 if optimizer in ("lbfgs", "fast") else 0.01


def model_inputs() -> ModelConfig:
    kind = st.radio(
        "Model", list(MODEL_KIND_LABELS), format_func=MODEL_KIND_LABELS.get, key=state.TRAIN_MODEL_KIND,
        horizontal=True, persist_state="session",
        help="A neural network can learn curves; the linear model can only draw a straight line, for comparison.",
    )
    disabled = kind == "linear"
    layers_column, width_column = st.columns(2)
    layers = bounded_int_input(
        "Hidden layers (1 to 4)", 1, 4, key=state.TRAIN_HIDDEN_LAYERS, disabled=disabled, container=layers_column,
        help="Layers of neurons between input x and output y. More layers can learn more complex shapes.",
    )
    width = bounded_int_input(
        "Neurons per layer (1 to 256)", 1, 256, key=state.TRAIN_WIDTH, disabled=disabled, container=width_column,
        help="How many neurons each hidden layer has. More neurons can bend the curve in more places.",
    )
    activation = st.selectbox(
        "Activation", list(ACTIVATION_LABELS), format_func=ACTIVATION_LABELS.get, key=state.TRAIN_ACTIVATION,
        disabled=disabled, persist_state="session",
        help="The bend each neuron applies to its input; without it a network could only learn straight lines.",
    )
    hidden = tuple([int(width)] * int(layers)) if kind == "mlp" else ()
    return ModelConfig(hidden_sizes=hidden, activation=activation, kind=kind)


def batch_size_label(size: int) -> str:
    if size == AUTOMATIC:
        return "Automatic"
    if size == FULL_BATCH:
        return "All examples at once"
    return f"{size} examples"


def training_inputs(n_rows: int) -> TrainingConfig:
    optimizer = st.selectbox(
        "Optimizer", list(OPTIMIZER_LABELS), format_func=OPTIMIZER_LABELS.get, key=state.TRAIN_OPTIMIZER,
        on_change=match_learning_rate_to_optimizer, persist_state="session",
        help="The method that adjusts the network's weights to reduce the error.",
    )
    learning_rate = st.select_slider(
        "Learning rate", LEARNING_RATES, key=state.TRAIN_LEARNING_RATE, persist_state="session",
        disabled=optimizer == "fast",
        help="How big each adjustment is. Too small learns slowly; too big makes training jump around or fail.",
    )
    epochs = bounded_int_input(
        f"Epochs (1 to {MAX_APP_EPOCHS:,})", 1, MAX_APP_EPOCHS, step=100, key=state.TRAIN_EPOCHS,
        help="An epoch is one pass over all training examples. More epochs give the network more practice. "
        f"Each run stops after {MAX_JOB_SECONDS:.0f} seconds on this server and keeps what it learned, so a "
        "large network may not reach the last epoch.",
    )
    batch_size = st.selectbox(
        "Batch size", BATCH_SIZES, format_func=batch_size_label, key=state.TRAIN_BATCH_SIZE, persist_state="session",
        help="How many examples the network looks at before each adjustment. Automatic uses all examples at "
        "once, or batches of 8,192 for large data.",
    )
    if batch_size == AUTOMATIC:
        batch_size = default_batch_size(n_rows) or FULL_BATCH
    validation = st.slider(
        "Validation share", min_value=0.0, max_value=0.5, step=0.05, key=state.TRAIN_VALIDATION,
        persist_state="session",
        help="Examples held back from training to check that the network works on data it has not seen.",
    )
    seed = bounded_int_input(
        "Seed", 0, 2**32 - 1, key=state.TRAIN_SEED,
        help="Fixes the random starting weights and the validation split, so a run can be repeated exactly. "
        "Any whole number from 0 to 4,294,967,295.",
    )
    return TrainingConfig(
        epochs=int(epochs),
        learning_rate=float(learning_rate),
        optimizer=optimizer,
        batch_size=int(batch_size) or None,
        validation_fraction=float(validation),
        seed=int(seed),
    )


def compare_runs() -> None:
    session_runs = runs.runs()
    if len(session_runs) < 2:
        return
    st.subheader("Compare runs")
    labels = [run.label for run in session_runs]
    # The key follows the newest run, so a new run joins the default selection.
    chosen = st.multiselect(
        "Runs to overlay", labels, default=labels[-2:], key=f"{state.TRAIN_COMPARE}.{session_runs[-1].run_id}",
        help="Pick runs of this session to compare their loss curves.",
    )
    histories = {run.label: run.result.history for run in session_runs if run.label in chosen}
    if histories:
        st.plotly_chart(loss_figure(histories, show_validation=False), key="train.compare_chart")


begin_page("2. Train", "Pick a network and training settings, press Train, and watch the network learn your data.")
set_defaults()

dataset = st.session_state.get(state.DATA_DATASET)
if dataset is None:
    st.info("No data chosen yet. Pick some on the **1. Data** page, or start with the example y = 3x + 2.")
    st.page_link("pages/data.py", label="Go to the Data page")
    if st.button("Use the example data (y = 3x + 2)", key="train.use_example"):
        st.session_state[state.DATA_DATASET] = example_dataset()
        st.rerun()
    st.stop()

st.caption(f"Data: {dataset.describe()}")
if len(dataset.frame) > LARGE_DATA_ROWS:
    st.caption(
        f"This data has {len(dataset.frame):,} rows, so each epoch takes longer than with small data. "
        f"Training stops after {MAX_JOB_SECONDS:.0f} seconds on this server and keeps what it learned."
    )
settings_column, action_column = st.columns([1, 2])
with settings_column:
    try:
        with st.expander("Network", expanded=True):
            model_config = model_inputs()
        with st.expander("Training", expanded=True):
            training_config = training_inputs(len(dataset.frame))
        settings_error = None
    except NumpatternError as error:
        settings_error = str(error)

out_of_range = invalid_inputs()
if settings_error is None and out_of_range:
    settings_error = f"Correct the setting marked in red before training: {', '.join(out_of_range)}."

with action_column:
    if settings_error:
        st.error(plain(settings_error))
    running = runs.job_running()
    train_help = "Start training with these settings. Earlier runs stay available below."
    # The button sits in a slot so that it can be swapped for a disabled one as soon as its run starts.
    train_slot = st.empty()
    blocked = settings_error is not None
    if train_slot.button("Train", type="primary", key="train.start", disabled=running or blocked, help=train_help):
        runs.try_start(runs.next_label(), dataset, model_config, training_config)
        running = runs.job_running()
        if running:
            train_slot.button("Train", type="primary", key="train.start.busy", disabled=True, help=train_help)
    if running:
        live_training_view("train")
    runs.show_notice()
    latest = runs.latest_run()
    if latest is not None and not running:
        if latest.from_cache and not blocked and st.button(
            "Train again and watch it learn", key="train.watch_again",
            help="Train these settings from the start instead of reusing the stored result. "
            "With the same seed the result is the same.",
        ):
            runs.try_start(runs.next_label(), dataset, model_config, training_config, use_cache=False)
            if runs.job_running():
                st.rerun()
        if latest.dataset.fingerprint != dataset.fingerprint:
            st.info(
                plain(f"{latest.label} below was trained on other data: {latest.dataset.describe()}. "
                      "Press Train to train on the data chosen now.")
            )
        show_run(latest, key=f"train.run{latest.run_id}")
        save_run_form(latest)
    elif latest is None and not running:
        st.info("Press **Train** to start. The charts update while the network learns.")

compare_runs()
