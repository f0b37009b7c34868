"""Background training jobs: results, stop requests, the time limit, pacing and the job slots."""

from __future__ import annotations

import time

import pytest

from numpattern.data import DataSpec, generate
from numpattern.jobs import MAX_CONCURRENT_JOBS, TIME_LIMIT, ServerBusyError, start_job
from numpattern.model import ModelConfig
from numpattern.result_cache import ResultCache, training_key
from numpattern.training import TrainingConfig

WAIT_SECONDS = 60


@pytest.fixture(scope="module")
def dataset():
    return generate(DataSpec(n_points=60))


def test_job_completes_with_result(dataset):
    job = start_job(dataset, ModelConfig(), TrainingConfig(epochs=200, seed=1), label="complete")
    assert job.wait(WAIT_SECONDS)

    snapshot = job.snapshot()
    assert snapshot.status == "done"
    assert snapshot.epoch == 200
    assert snapshot.fraction_done == 1.0
    assert len(snapshot.train_losses) == 200
    assert snapshot.curve_x is not None
    assert job.result.stop_reason == "completed"
    assert job.error is None


def test_job_stop_request_keeps_result(dataset):
    job = start_job(dataset, ModelConfig(), TrainingConfig(epochs=100_000, seed=2), min_seconds=60, label="stop")
    job.request_stop()
    assert job.wait(WAIT_SECONDS)

    assert job.result.stop_reason == "stopped"
    assert job.result.epochs_run < 100_000


def test_job_time_limit_named(dataset):
    job = start_job(dataset, ModelConfig(), TrainingConfig(epochs=100_000, seed=3), max_seconds=0.3, label="limit")
    assert job.wait(WAIT_SECONDS)

    assert job.result.stop_reason == TIME_LIMIT
    assert 0 < job.result.epochs_run < 100_000


def test_job_pacing_spreads_short_run(dataset):
    job = start_job(dataset, ModelConfig(), TrainingConfig(epochs=50, seed=4), min_seconds=0.5, label="paced")
    assert job.wait(WAIT_SECONDS)

    # Pacing sleeps until each epoch is due, so a paced run never ends before min_seconds.
    assert job.result.elapsed_seconds >= 0.5 * 49 / 50
    assert job.result.stop_reason == "completed"


def test_job_diverged_run_reports_error(dataset):
    job = start_job(
        generate(DataSpec(formula="x**2", x_min=0.0, x_max=5000.0, n_points=100)),
        ModelConfig(),
        TrainingConfig(epochs=500, optimizer="sgd", learning_rate=10.0),
        label="diverge",
    )
    assert job.wait(WAIT_SECONDS)

    assert job.result is None
    assert job.snapshot().status == "failed"
    assert "learning rate" in job.error


def test_job_slots_limit_concurrent_jobs(dataset):
    jobs = [
        start_job(dataset, ModelConfig(), TrainingConfig(epochs=100_000, seed=10 + i), label=f"slot{i}")
        for i in range(MAX_CONCURRENT_JOBS)
    ]
    try:
        with pytest.raises(ServerBusyError, match="already training several models"):
            start_job(dataset, ModelConfig(), TrainingConfig(epochs=10), label="one too many")
    finally:
        for job in jobs:
            job.request_stop()
        for job in jobs:
            assert job.wait(WAIT_SECONDS)

    after = start_job(dataset, ModelConfig(), TrainingConfig(epochs=10), label="after")
    assert after.wait(WAIT_SECONDS)


def test_result_cache_skips_cut_runs(dataset):
    cache = ResultCache(max_entries=2)
    complete = start_job(dataset, ModelConfig(), TrainingConfig(epochs=20, seed=5), label="cache-complete")
    limited = start_job(dataset, ModelConfig(), TrainingConfig(epochs=100_000, seed=6), max_seconds=0.2, label="cache-cut")
    assert complete.wait(WAIT_SECONDS)
    assert limited.wait(WAIT_SECONDS)

    cache.put(training_key(dataset, complete.model_config, complete.training_config), complete.result)
    cache.put(training_key(dataset, limited.model_config, limited.training_config), limited.result)

    assert len(cache) == 1
    assert cache.get(training_key(dataset, complete.model_config, complete.training_config)) is complete.result
    assert cache.get(training_key(dataset, limited.model_config, limited.training_config)) is None


def test_job_stops_when_unwatched(dataset):
    job = start_job(
        dataset, ModelConfig(), TrainingConfig(epochs=100_000, seed=4), min_seconds=60,
        label="unwatched", watcher=lambda: False, unwatched_grace_seconds=0.5,
    )
    assert job.wait(WAIT_SECONDS)

    assert job.stopped_unwatched
    assert job.result.stop_reason == "stopped"
    assert job.result.epochs_run < 100_000


def test_job_survives_short_watch_gap(dataset):
    started = time.monotonic()

    def watcher() -> bool:
        # Away for the first second only, as a page that reconnects would be.
        return time.monotonic() - started > 1.0

    job = start_job(
        dataset, ModelConfig(), TrainingConfig(epochs=300, seed=5), min_seconds=3,
        label="gap", watcher=watcher, unwatched_grace_seconds=2.0,
    )
    assert job.wait(WAIT_SECONDS)

    assert not job.stopped_unwatched
    assert job.result.stop_reason == "completed"


def test_job_failing_watcher_keeps_running(dataset):
    def watcher() -> bool:
        raise RuntimeError("session lookup failed")

    job = start_job(
        dataset, ModelConfig(), TrainingConfig(epochs=200, seed=6), min_seconds=1.5,
        label="failing watcher", watcher=watcher, unwatched_grace_seconds=0.1,
    )
    assert job.wait(WAIT_SECONDS)

    assert not job.stopped_unwatched
    assert job.result.stop_reason == "completed"
