"""This session's training runs: starting them, collecting finished ones, and their result cache."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import streamlit as st
from streamlit import runtime
from streamlit.runtime.scriptrunner import get_script_run_ctx

from dashboard import state
from dashboard.charts import true_curve
from dashboard.messages import plain
from numpattern.data import Dataset
from numpattern.errors import NumpatternError
from numpattern.figures import LiveFigures
from numpattern.jobs import DEFAULT_MAX_SECONDS, TIME_LIMIT, TrainingJob, start_job
from numpattern.model import ModelConfig
from numpattern.result_cache import ResultCache, training_key
from numpattern.training import TrainingConfig, TrainingResult

# Older runs are dropped beyond this, so a long session cannot hold unbounded memory.
MAX_RUNS_PER_SESSION = 10
# Small runs finish in a fraction of a second; spreading them over this long lets people watch.
MIN_WATCH_SECONDS = 1.5
# The live fit chart is resent on every redraw, so it carries fewer points than the final one.
LIVE_CHART_POINTS = 2_000


@dataclass(frozen=True, eq=False)
class Run:
    run_id: int
    label: str
    result: TrainingResult
    dataset: Dataset
    from_cache: bool


def result_cache() -> ResultCache:
    """Finished results of this session.

    Kept per session, not per server: a visitor's first Train press should show the network
    learning, not a result that another visitor's identical run left behind.
    """
    return st.session_state.setdefault(state.TRAIN_RESULT_CACHE, ResultCache(max_entries=MAX_RUNS_PER_SESSION))


def runs() -> list[Run]:
    return st.session_state.setdefault(state.TRAIN_RUNS, [])


def latest_run() -> Run | None:
    session_runs = runs()
    return session_runs[-1] if session_runs else None


def find_run(run_id: int) -> Run | None:
    return next((run for run in runs() if run.run_id == run_id), None)


def current_job() -> TrainingJob | None:
    return st.session_state.get(state.TRAIN_JOB)


def job_running() -> bool:
    job = current_job()
    return job is not None and job.running


def _add_run(label: str, result: TrainingResult, dataset: Dataset, from_cache: bool) -> Run:
    run_id = st.session_state.get(state.TRAIN_NEXT_RUN_ID, 1)
    st.session_state[state.TRAIN_NEXT_RUN_ID] = run_id + 1
    run = Run(run_id, label or f"Run {run_id}", result, dataset, from_cache)
    session_runs = runs()
    session_runs.append(run)
    del session_runs[:-MAX_RUNS_PER_SESSION]
    return run


def start_training(
    label: str, dataset: Dataset, model_config: ModelConfig, training_config: TrainingConfig, *, use_cache: bool = True
) -> Run | None:
    """Reuse a cached result (returned as a Run) or start a background job (returns None)."""
    key = training_key(dataset, model_config, training_config)
    cached = result_cache().get(key) if use_cache else None
    if cached is not None:
        run = _add_run(label, cached, dataset, from_cache=True)
        st.session_state[state.TRAIN_NOTICE] = (
            "success",
            (
                f"{run.label}: these exact data and settings were trained before, so the stored result "
                "was reused instantly (no retraining)."
            ),
        )
        return run
    # The live figures are built before the job starts: building them beside a running job
    # slows both, because each waits for the other to release Python's lock.
    figures = live_figures_for(dataset)
    job = start_job(
        dataset, model_config, training_config,
        label=label, min_seconds=MIN_WATCH_SECONDS, watcher=session_watcher(),
    )
    st.session_state[state.TRAIN_JOB] = job
    st.session_state[state.TRAIN_LIVE_FIGURES] = (job, figures)
    return None


def collect_finished_job() -> Run | None:
    """Move a finished job's result into this session's runs; keep its error as a notice."""
    job = current_job()
    if job is None or job.running:
        return None
    del st.session_state[state.TRAIN_JOB]
    st.session_state.pop(state.TRAIN_LIVE_FIGURES, None)
    if job.error is not None:
        st.session_state[state.TRAIN_NOTICE] = ("error", job.error)
        return None
    result = job.result
    result_cache().put(training_key(job.dataset, job.model_config, job.training_config), result)
    run = _add_run(job.label, result, job.dataset, from_cache=False)
    kept = "What it learned so far is kept below and can be used on the Predict page."
    if job.stopped_unwatched:
        message = (
            f"{run.label} stopped after {plural(result.epochs_run, 'epoch')} because this page was closed "
            f"or lost its connection. {kept}"
        )
        st.session_state[state.TRAIN_NOTICE] = ("info", message)
    elif result.stop_reason == "stopped":
        message = f"{run.label} was stopped after {plural(result.epochs_run, 'epoch')}. {kept}"
        st.session_state[state.TRAIN_NOTICE] = ("info", message)
    elif result.stop_reason == TIME_LIMIT:
        message = (
            f"{run.label} reached this server's limit of {DEFAULT_MAX_SECONDS:.0f} seconds per run after "
            f"{plural(result.epochs_run, 'epoch')}. {kept} For a complete run, choose fewer epochs or a smaller network."
        )
        st.session_state[state.TRAIN_NOTICE] = ("info", message)
    return run


def show_notice() -> None:
    notice = st.session_state.pop(state.TRAIN_NOTICE, None)
    if notice is None:
        return
    kind, message = notice
    {"success": st.success, "info": st.info, "error": st.error}[kind](plain(message))


def session_watcher() -> Callable[[], bool] | None:
    """Report whether this browser session is still connected, for a job to stop once it is gone.

    A closed or reloaded tab starts a new session, and the old one's run would otherwise use a
    job slot and a CPU core until its time limit.
    """
    context = get_script_run_ctx()
    if context is None or not runtime.exists():
        return None
    server = runtime.get_instance()
    session_id = context.session_id
    return lambda: server.is_active_session(session_id)


def live_figures_for(dataset: Dataset) -> LiveFigures:
    return LiveFigures(dataset.frame, true_curve(dataset), dataset.x_label, dataset.y_label, LIVE_CHART_POINTS)


def plural(count: int, noun: str) -> str:
    return f"{count:,} {noun}" if count == 1 else f"{count:,} {noun}s"


def next_label(prefix: str = "Run") -> str:
    return f"{prefix} {st.session_state.get(state.TRAIN_NEXT_RUN_ID, 1)}"


def try_start(
    label: str, dataset: Dataset, model_config: ModelConfig, training_config: TrainingConfig, *, use_cache: bool = True
) -> Run | None:
    """Like start_training, but shows a friendly error instead of raising."""
    try:
        return start_training(label, dataset, model_config, training_config, use_cache=use_cache)
    except NumpatternError as error:
        st.error(plain(str(error)))
        return None
