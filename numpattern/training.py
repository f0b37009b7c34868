"""Training: configs, the epoch loop with progress callbacks and stop requests, and the result."""

from __future__ import annotations

import itertools
import logging
import math
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from typing import Any

import numpy as np
import pandas as pd
import torch
from torch import nn

from numpattern.cpu_threads import single_thread_if_small
from numpattern.data import Dataset, DataSpec, generate
from numpattern.epochs import make_epoch_runner
from numpattern.errors import ConfigError, DataError, TrainingDivergedError
from numpattern.fast_mlp import FlatMLP
from numpattern.limits import check_range
from numpattern.metrics import regression_metrics
from numpattern.model import ModelConfig, build_model
from numpattern.prediction import predict_array
from numpattern.standardize import Standardizer, fit_standardizer

logger = logging.getLogger(__name__)

OPTIMIZERS = ("adam", "sgd", "lbfgs", "fast")
MIN_TRAINING_ROWS = 2
# Above FULL_BATCH_MAX_ROWS rows, mini-batches learn far more per epoch than full batches.
# In one measurement (1,000,000 noisy sine rows, an MLP 1→32→32→1, two shared CPU cores), batches
# of 8192 rows reached R² 0.98 in 3 epochs (about 1 s). Full batches needed 200 epochs for R² 0.94.
FULL_BATCH_MAX_ROWS = 50_000
LARGE_DATA_BATCH_SIZE = 8192


@dataclass(frozen=True)
class TrainingConfig:
    """How to train. ``batch_size=None`` trains on the full batch every epoch.

    For L-BFGS one epoch is one L-BFGS iteration over the full batch, and the run
    ends early once L-BFGS has converged. ``learning_rate`` scales its trial steps.
    "fast" is the quickest way to a fit: it places the first-layer units among the
    x values, solves the output layer by least squares, then runs L-BFGS with full
    steps until converged. It ignores ``learning_rate`` and ``batch_size``.
    ``early_stopping_patience`` stops after that many epochs without a lower
    validation loss (training loss when there is no validation split) and keeps
    the best weights.
    """

    epochs: int = 3000
    learning_rate: float = 0.01
    optimizer: str = "adam"
    batch_size: int | None = None
    validation_fraction: float = 0.2
    seed: int = 0
    early_stopping_patience: int | None = None

    def __post_init__(self) -> None:
        if self.optimizer not in OPTIMIZERS:
            raise ConfigError(
                f"Unknown optimizer {self.optimizer!r}. Choose one of: {', '.join(OPTIMIZERS)}."
            )
        check_range("epochs", self.epochs)
        check_range("learning_rate", self.learning_rate)
        check_range("validation_fraction", self.validation_fraction)
        check_range("seed", self.seed)
        if self.batch_size is not None:
            check_range("batch_size", self.batch_size)
        if self.early_stopping_patience is not None:
            check_range("patience", self.early_stopping_patience)

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_dict(cls, values: dict[str, Any]) -> TrainingConfig:
        known = {name: values[name] for name in cls.__dataclass_fields__ if name in values}
        return cls(**known)


@dataclass(frozen=True)
class EpochReport:
    """Progress after one epoch. Losses are MSE on standardized y."""

    epoch: int
    epochs: int
    train_loss: float
    validation_loss: float | None
    elapsed_seconds: float
    # Predicts y on the original scale with the weights as they are now.
    predict: Callable[[np.ndarray], np.ndarray] = field(repr=False, compare=False)


@dataclass(frozen=True, eq=False)
class TrainingResult:
    model: nn.Module
    standardizer: Standardizer
    model_config: ModelConfig
    training_config: TrainingConfig
    history: pd.DataFrame  # columns: epoch, train_loss, validation_loss
    metrics: dict[str, float]  # on all rows, original scale
    # Of all rows: a validation x inside the data is not a guess, though no step trained on it.
    x_range: tuple[float, float]
    data_source: dict[str, Any]
    data_fingerprint: str
    epochs_run: int
    # "completed", "stopped" (on request), "early_stopping", "converged" (lbfgs and fast only),
    # or "time_limit" when a numpattern.jobs job ended the run at its time limit
    stop_reason: str
    elapsed_seconds: float

    def predict(self, x: np.ndarray) -> np.ndarray:
        return predict_array(self.model, self.standardizer, x)


EpochCallback = Callable[[EpochReport], None]
StopCheck = Callable[[], bool]


def mse_loss(prediction: torch.Tensor, target: torch.Tensor) -> torch.Tensor:
    """Mean squared error that refuses mismatched shapes.

    ``nn.functional.mse_loss`` broadcasts an (N,) target against an (N, 1)
    prediction into an (N, N) matrix and only warns, which silently trains on
    the wrong loss.
    """
    if prediction.shape != target.shape:
        raise ValueError(
            f"Prediction shape {tuple(prediction.shape)} differs from target shape {tuple(target.shape)}."
        )
    return torch.mean((prediction - target) ** 2)


def as_column(values: np.ndarray) -> torch.Tensor:
    """Return float32 values shaped (N, 1), the shape of the model's input and output."""
    return torch.as_tensor(np.asarray(values, dtype=np.float32).reshape(-1, 1))


def default_batch_size(n_rows: int) -> int | None:
    """Return None (full batch) for up to FULL_BATCH_MAX_ROWS rows, else LARGE_DATA_BATCH_SIZE."""
    return None if n_rows <= FULL_BATCH_MAX_ROWS else LARGE_DATA_BATCH_SIZE


def split_indices(n_rows: int, validation_fraction: float, seed: int) -> tuple[np.ndarray, np.ndarray]:
    """Shuffle row indices with ``seed`` and split off the validation share."""
    n_validation = round(n_rows * validation_fraction)
    if n_rows - n_validation < MIN_TRAINING_ROWS:
        raise DataError(
            f"Only {n_rows - n_validation} rows are left for training after the validation split. "
            "Use more data or a smaller validation share."
        )
    order = np.random.default_rng(seed).permutation(n_rows)
    return np.sort(order[n_validation:]), np.sort(order[:n_validation])


def train(
    dataset: Dataset,
    model_config: ModelConfig = ModelConfig(),
    training_config: TrainingConfig = TrainingConfig(),
    *,
    on_epoch: EpochCallback | None = None,
    should_stop: StopCheck | None = None,
) -> TrainingResult:
    """Train a model on ``dataset`` and return the result, also when stopped early.

    ``on_epoch`` is called in this thread after every epoch. ``should_stop`` is
    polled between batches; when it returns True the run ends and returns what
    it has learned so far. Raises TrainingDivergedError when the loss is not finite.
    Small runs use one PyTorch thread (see ``numpattern.cpu_threads``).
    """
    n_rows = len(dataset.frame)
    rows_per_step = min(training_config.batch_size or n_rows, n_rows)
    sizes = model_config.layer_sizes
    n_parameters = sum(fan_in * fan_out + fan_out for fan_in, fan_out in itertools.pairwise(sizes))
    with single_thread_if_small(rows_per_step * n_parameters):
        return _train(dataset, model_config, training_config, on_epoch, should_stop)


def _train(
    dataset: Dataset,
    model_config: ModelConfig,
    training_config: TrainingConfig,
    on_epoch: EpochCallback | None,
    should_stop: StopCheck | None,
) -> TrainingResult:
    started = time.perf_counter()
    config = training_config

    # Prepare: split, standardize with training statistics, shape every tensor (N, 1).
    train_rows, validation_rows = split_indices(len(dataset.frame), config.validation_fraction, config.seed)
    x_all, y_all = dataset.x, dataset.y
    standardizer = fit_standardizer(x_all[train_rows], y_all[train_rows])
    x_train = as_column(standardizer.transform_x(x_all[train_rows]))
    y_train = as_column(standardizer.transform_y(y_all[train_rows]))
    x_validation = as_column(standardizer.transform_x(x_all[validation_rows]))
    y_validation = as_column(standardizer.transform_y(y_all[validation_rows]))

    model = build_model(model_config, seed=config.seed)
    # Until release() the model's parameters are views into the network's flat buffer.
    network = FlatMLP(model)
    epochs = make_epoch_runner(
        network, config.optimizer, config.learning_rate, config.batch_size, config.seed,
        (x_train, y_train), (x_validation, y_validation), should_stop,
    )
    logger.info(
        "Training %s on %d rows (%d for validation) with %s, %d epochs",
        model_config.describe(), len(x_all), len(validation_rows), config.optimizer, config.epochs,
    )

    def predict_now(x: np.ndarray) -> np.ndarray:
        return predict_array(model, standardizer, x)

    history: list[tuple[int, float, float]] = []
    best = _BestWeights(config.early_stopping_patience)
    stop_reason = "completed"
    for epoch in range(1, config.epochs + 1):
        if should_stop is not None and should_stop():
            stop_reason = "stopped"
            break

        # Step: one pass over the training rows.
        train_loss = epochs.run_epoch()
        if train_loss is None:
            stop_reason = "stopped"
            break
        _check_finite(train_loss, epoch, config)

        # Record: validation loss with the updated weights.
        validation_loss = epochs.validation_loss()
        history.append((epoch, train_loss, validation_loss if validation_loss is not None else math.nan))
        if on_epoch is not None:
            on_epoch(
                EpochReport(epoch, config.epochs, train_loss, validation_loss,
                            time.perf_counter() - started, predict_now)
            )
        if best.update(model, validation_loss if validation_loss is not None else train_loss):
            stop_reason = "early_stopping"
            break
        if epochs.converged:
            stop_reason = "converged"
            break

    network.release()
    best.restore(model)
    model.eval()
    history_frame = pd.DataFrame(history, columns=["epoch", "train_loss", "validation_loss"])
    metrics = regression_metrics(y_all, predict_array(model, standardizer, x_all))
    elapsed = time.perf_counter() - started
    logger.info(
        "Training ended (%s) after %d epochs in %.2f s, R² %.6f",
        stop_reason, len(history), elapsed, metrics["r2"],
    )
    return TrainingResult(
        model=model,
        standardizer=standardizer,
        model_config=model_config,
        training_config=config,
        history=history_frame,
        metrics=metrics,
        x_range=(float(x_all.min()), float(x_all.max())),
        data_source=dict(dataset.source),
        data_fingerprint=dataset.fingerprint,
        epochs_run=len(history),
        stop_reason=stop_reason,
        elapsed_seconds=elapsed,
    )


def warm_up() -> float:
    """Train a tiny model once with every optimizer and return the seconds it took.

    The first run in a process pays one-time costs, such as loading the LAPACK routines
    behind the least-squares solve of "fast". Calling this at start-up, for example in a
    background thread, keeps them out of the first real run.
    """
    started = time.perf_counter()
    dataset = generate(DataSpec(n_points=20))
    for optimizer in OPTIMIZERS:
        train(dataset, ModelConfig(), TrainingConfig(epochs=2, optimizer=optimizer))
    elapsed = time.perf_counter() - started
    logger.info("Warm-up took %.3f s", elapsed)
    return elapsed


def _check_finite(loss: float, epoch: int, config: TrainingConfig) -> None:
    if math.isfinite(loss):
        return
    if config.optimizer == "fast":
        # "fast" has no learning rate, so extreme values in the data are the likely cause.
        raise TrainingDivergedError(
            f"Training diverged: the loss became {loss} at epoch {epoch}. Check the data for extreme "
            "values, or try the adam optimizer. Nothing from this run was kept."
        )
    raise TrainingDivergedError(
        f"Training diverged: the loss became {loss} at epoch {epoch}. The learning rate "
        f"{config.learning_rate:g} is most likely too high for the {config.optimizer} optimizer; "
        f"try {config.learning_rate / 10:g}. Nothing from this run was kept."
    )


class _BestWeights:
    """Early stopping: remember the weights with the lowest monitored loss."""

    def __init__(self, patience: int | None) -> None:
        self.patience = patience
        self.best_loss = math.inf
        self.best_state: dict[str, torch.Tensor] | None = None
        self.epochs_without_improvement = 0

    def update(self, model: nn.Module, loss: float) -> bool:
        """Record ``loss``; return True when the run should stop."""
        if self.patience is None:
            return False
        if loss < self.best_loss:
            self.best_loss = loss
            # Cloning each tensor is several times cheaper than copy.deepcopy of the dict.
            self.best_state = {name: value.detach().clone() for name, value in model.state_dict().items()}
            self.epochs_without_improvement = 0
            return False
        self.epochs_without_improvement += 1
        return self.epochs_without_improvement >= self.patience

    def restore(self, model: nn.Module) -> None:
        if self.best_state is not None:
            model.load_state_dict(self.best_state)
