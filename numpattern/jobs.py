"""Training in a background thread that a user interface can poll, stop and read safely.

A job owns its thread, a stop signal and a deadline. The thread writes only into
its own job object, under a lock; callers read copies through ``snapshot()``.
"""

from __future__ import annotations

import atexit
import dataclasses
import logging
import threading
import time
import weakref
from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np

from numpattern.data import Dataset
from numpattern.errors import NumpatternError
from numpattern.model import ModelConfig
from numpattern.training import EpochReport, TrainingConfig, TrainingResult, train

logger = logging.getLogger(__name__)

DEFAULT_MAX_SECONDS = 120.0
# Stop reason of a run that the job ended because it ran longer than max_seconds.
TIME_LIMIT = "time_limit"
SNAPSHOT_INTERVAL_SECONDS = 0.15
PACE_STEP_SECONDS = 0.005
CURVE_POINTS = 200
MAX_CONCURRENT_JOBS = 4
# A run that its watcher reports as unwatched for this long is stopped. A shorter gap, such as a
# page reconnecting after a network hiccup, lets it go on.
UNWATCHED_GRACE_SECONDS = 15.0
WATCH_CHECK_INTERVAL_SECONDS = 0.5

# Shared by every session in the process, so a public server never trains more than a few models at once.
_job_slots = threading.BoundedSemaphore(MAX_CONCURRENT_JOBS)
_live_jobs: weakref.WeakSet[TrainingJob] = weakref.WeakSet()
SHUTDOWN_WAIT_SECONDS = 5.0


class ServerBusyError(NumpatternError):
    """Too many training jobs are running in this process."""


@dataclass(frozen=True)
class JobSnapshot:
    """A consistent copy of a job's progress for drawing."""

    status: str  # "running", "done", "failed"
    epoch: int
    epochs: int
    epochs_history: list[int]
    train_losses: list[float]
    validation_losses: list[float]
    curve_x: np.ndarray | None
    curve_y: np.ndarray | None
    elapsed_seconds: float
    error: str | None

    @property
    def fraction_done(self) -> float:
        if self.epochs <= 0:
            return 0.0
        return min(max(self.epoch / self.epochs, 0.0), 1.0)


@dataclass(eq=False)
class TrainingJob:
    """One training run in its own daemon thread. Create with ``start_job``."""

    dataset: Dataset
    model_config: ModelConfig
    training_config: TrainingConfig
    max_seconds: float = DEFAULT_MAX_SECONDS
    label: str = ""
    # Spread a quick run over at least this many seconds, so people can watch it learn.
    min_seconds: float = 0.0
    # Returns False while the run is unwatched, for example after its browser tab was closed or reloaded.
    watcher: Callable[[], bool] | None = None
    unwatched_grace_seconds: float = UNWATCHED_GRACE_SECONDS
    result: TrainingResult | None = field(default=None, init=False)
    error: str | None = field(default=None, init=False)
    _stop: threading.Event = field(default_factory=threading.Event, init=False)
    _finished: threading.Event = field(default_factory=threading.Event, init=False)
    _lock: threading.Lock = field(default_factory=threading.Lock, init=False)
    _thread: threading.Thread | None = field(default=None, init=False)
    _started_at: float = field(default=0.0, init=False)
    _epoch: int = field(default=0, init=False)
    _epochs_history: list[int] = field(default_factory=list, init=False)
    _train_losses: list[float] = field(default_factory=list, init=False)
    _validation_losses: list[float] = field(default_factory=list, init=False)
    _curve: tuple[np.ndarray, np.ndarray] | None = field(default=None, init=False)
    _last_curve_at: float = field(default=0.0, init=False)
    _timed_out: bool = field(default=False, init=False)
    _unwatched: bool = field(default=False, init=False)
    _unwatched_since: float | None = field(default=None, init=False)
    _last_watch_check: float = field(default=0.0, init=False)

    def request_stop(self) -> None:
        self._stop.set()

    @property
    def running(self) -> bool:
        return not self._finished.is_set()

    def wait(self, timeout: float | None = None) -> bool:
        return self._finished.wait(timeout)

    @property
    def stopped_unwatched(self) -> bool:
        """True when the job stopped itself because its watcher reported it unwatched for too long."""
        return self._unwatched

    def snapshot(self) -> JobSnapshot:
        with self._lock:
            if self.running:
                status = "running"
            elif self.error:
                status = "failed"
            else:
                status = "done"
            curve = self._curve
            return JobSnapshot(
                status=status,
                epoch=self._epoch,
                epochs=self.training_config.epochs,
                epochs_history=list(self._epochs_history),
                train_losses=list(self._train_losses),
                validation_losses=list(self._validation_losses),
                curve_x=None if curve is None else curve[0],
                curve_y=None if curve is None else curve[1],
                elapsed_seconds=time.perf_counter() - self._started_at,
                error=self.error,
            )

    def _should_stop(self) -> bool:
        if self._stop.is_set():
            return True
        if time.perf_counter() - self._started_at > self.max_seconds:
            self._timed_out = True
            return True
        return self._unwatched_too_long()

    def _unwatched_too_long(self) -> bool:
        if self.watcher is None:
            return False
        now = time.perf_counter()
        if now - self._last_watch_check < WATCH_CHECK_INTERVAL_SECONDS:
            return False
        self._last_watch_check = now
        try:
            watched = bool(self.watcher())
        except Exception:
            logger.warning("Watcher check of training job %s failed; the run goes on", self.label, exc_info=True)
            watched = True
        if watched:
            self._unwatched_since = None
            return False
        if self._unwatched_since is None:
            self._unwatched_since = now
        if now - self._unwatched_since < self.unwatched_grace_seconds:
            return False
        self._unwatched = True
        logger.info(
            "Stopping training job %s: unwatched for %.0f s", self.label, self.unwatched_grace_seconds
        )
        return True

    def _on_epoch(self, report: EpochReport) -> None:
        self._keep_pace(report)
        now = time.perf_counter()
        curve = None
        # Predicting on the grid costs about as much as an epoch, so it runs a few times a second only.
        if now - self._last_curve_at >= SNAPSHOT_INTERVAL_SECONDS or report.epoch == report.epochs:
            grid = np.linspace(*_x_bounds(self.dataset), CURVE_POINTS)
            curve = (grid, report.predict(grid))
            self._last_curve_at = now
        with self._lock:
            self._epoch = report.epoch
            self._epochs_history.append(report.epoch)
            self._train_losses.append(report.train_loss)
            self._validation_losses.append(
                report.validation_loss if report.validation_loss is not None else float("nan")
            )
            if curve is not None:
                self._curve = curve

    def _keep_pace(self, report: EpochReport) -> None:
        """Sleep while the run is ahead of an even spread of its epochs over min_seconds."""
        if self.min_seconds <= 0:
            return
        due = self._started_at + self.min_seconds * report.epoch / report.epochs
        ahead = due - time.perf_counter()
        # Short sleeps cost more than they pace, so the run waits in steps of at least 5 ms.
        if ahead >= PACE_STEP_SECONDS and not self._stop.is_set():
            self._stop.wait(ahead)

    def _run(self) -> None:
        try:
            result = train(
                self.dataset, self.model_config, self.training_config,
                on_epoch=self._on_epoch, should_stop=self._should_stop,
            )
            if self._timed_out and result.stop_reason == "stopped":
                result = dataclasses.replace(result, stop_reason=TIME_LIMIT)
            with self._lock:
                self.result = result
                grid = np.linspace(*_x_bounds(self.dataset), CURVE_POINTS)
                self._curve = (grid, result.predict(grid))
        except NumpatternError as error:
            with self._lock:
                self.error = str(error)
        except Exception as error:  # a worker thread must never die silently
            logger.exception("Training job %s failed", self.label)
            with self._lock:
                self.error = f"Training failed unexpectedly ({type(error).__name__}). Try other settings."
        finally:
            _job_slots.release()
            self._finished.set()


def _x_bounds(dataset: Dataset) -> tuple[float, float]:
    x = dataset.x
    return float(x.min()), float(x.max())


def start_job(
    dataset: Dataset,
    model_config: ModelConfig,
    training_config: TrainingConfig,
    *,
    max_seconds: float = DEFAULT_MAX_SECONDS,
    min_seconds: float = 0.0,
    label: str = "",
    watcher: Callable[[], bool] | None = None,
    unwatched_grace_seconds: float = UNWATCHED_GRACE_SECONDS,
) -> TrainingJob:
    """Start training in a daemon thread; raise ServerBusyError when all job slots are taken."""
    if not _job_slots.acquire(blocking=False):
        raise ServerBusyError(
            "The server is already training several models. Wait a few seconds and press Train again."
        )
    job = TrainingJob(
        dataset,
        model_config,
        training_config,
        max_seconds=max_seconds,
        label=label,
        min_seconds=min_seconds,
        watcher=watcher,
        unwatched_grace_seconds=unwatched_grace_seconds,
    )
    job._started_at = time.perf_counter()
    job._thread = threading.Thread(target=job._run, name=f"numpattern-train-{label}", daemon=True)
    job._thread.start()
    _live_jobs.add(job)
    logger.info("Started training job %s", label)
    return job


@atexit.register
def _stop_jobs_at_exit() -> None:
    # A daemon thread killed inside torch at interpreter exit aborts the process, so running
    # jobs are asked to stop and given a moment to return first.
    jobs = list(_live_jobs)
    for job in jobs:
        job.request_stop()
    for job in jobs:
        job.wait(SHUTDOWN_WAIT_SECONDS)
