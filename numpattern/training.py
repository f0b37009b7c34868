"""Training: configs, the epoch loop with progress callbacks and stop requests, and the result."""

from __future__ import annotations

import copy
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

from numpattern.data import Dataset
from numpattern.errors import ConfigError, DataError, TrainingDivergedError
from numpattern.limits import check_range
from numpattern.metrics import regression_metrics
from numpattern.model import ModelConfig, build_model
from numpattern.prediction import predict_array
from numpattern.standardize import Standardizer, fit_standardizer

logger = logging.getLogger(__name__)

OPTIMIZERS = ("adam", "sgd", "lbfgs")
MIN_TRAINING_ROWS = 2


@dataclass(frozen=True)
class TrainingConfig:
    """How to train. ``batch_size=None`` trains on the full batch every epoch.

    For L-BFGS one epoch is one L-BFGS iteration over the full batch.
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
    x_range: tuple[float, float]  # of the training split
    data_source: dict[str, Any]
    data_fingerprint: str
    epochs_run: int
    stop_reason: str  # "completed", "stopped" (on request) or "early_stopping"
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


def split_indices(n_rows: int, validation_fraction: float, seed: int) -> tuple[np.ndarray, np.ndarray]:
    """Shuffle row indices with ``seed`` and split off the validation share."""
    n_validation = int(round(n_rows * validation_fraction))
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
    """
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
    optimizer = make_optimizer(model, config)
    step = _make_step(model, optimizer, config, x_train, y_train, should_stop)
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
        model.train()
        train_loss = step()
        if train_loss is None:
            stop_reason = "stopped"
            break
        _check_finite(train_loss, epoch, config)

        # Record: validation loss with the updated weights.
        validation_loss = _evaluate(model, x_validation, y_validation)
        history.append((epoch, train_loss, validation_loss if validation_loss is not None else math.nan))
        if on_epoch is not None:
            on_epoch(
                EpochReport(epoch, config.epochs, train_loss, validation_loss,
                            time.perf_counter() - started, predict_now)
            )
        if best.update(model, validation_loss if validation_loss is not None else train_loss):
            stop_reason = "early_stopping"
            break

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
        x_range=(float(x_all[train_rows].min()), float(x_all[train_rows].max())),
        data_source=dict(dataset.source),
        data_fingerprint=dataset.fingerprint,
        epochs_run=len(history),
        stop_reason=stop_reason,
        elapsed_seconds=elapsed,
    )


def make_optimizer(model: nn.Module, config: TrainingConfig) -> torch.optim.Optimizer:
    if config.optimizer == "adam":
        return torch.optim.Adam(model.parameters(), lr=config.learning_rate)
    if config.optimizer == "sgd":
        return torch.optim.SGD(model.parameters(), lr=config.learning_rate, momentum=0.9)
    # One L-BFGS iteration per epoch, so progress and stop requests work as for the others.
    return torch.optim.LBFGS(
        model.parameters(), lr=config.learning_rate, max_iter=1,
        history_size=50, line_search_fn="strong_wolfe",
    )


def _make_step(
    model: nn.Module,
    optimizer: torch.optim.Optimizer,
    config: TrainingConfig,
    x_train: torch.Tensor,
    y_train: torch.Tensor,
    should_stop: StopCheck | None,
) -> Callable[[], float | None]:
    """Return a function that runs one epoch and returns its mean training loss (None if stopped)."""
    n_rows = x_train.shape[0]

    if config.optimizer == "lbfgs":
        def closure() -> torch.Tensor:
            optimizer.zero_grad(set_to_none=True)
            loss = mse_loss(model(x_train), y_train)
            loss.backward()
            return loss

        def lbfgs_epoch() -> float:
            return optimizer.step(closure).detach().item()

        return lbfgs_epoch

    if config.batch_size is None or config.batch_size >= n_rows:
        def full_batch_epoch() -> float:
            optimizer.zero_grad(set_to_none=True)
            loss = mse_loss(model(x_train), y_train)
            loss.backward()
            optimizer.step()
            return loss.item()

        return full_batch_epoch

    generator = torch.Generator().manual_seed(config.seed)

    def mini_batch_epoch() -> float | None:
        order = torch.randperm(n_rows, generator=generator)
        total = 0.0
        for start in range(0, n_rows, config.batch_size):
            if should_stop is not None and should_stop():
                return None
            rows = order[start : start + config.batch_size]
            optimizer.zero_grad(set_to_none=True)
            loss = mse_loss(model(x_train[rows]), y_train[rows])
            loss.backward()
            optimizer.step()
            total += loss.item() * len(rows)
        return total / n_rows

    return mini_batch_epoch


@torch.no_grad()
def _evaluate(model: nn.Module, x: torch.Tensor, y: torch.Tensor) -> float | None:
    if x.shape[0] == 0:
        return None
    model.eval()
    return mse_loss(model(x), y).item()


def _check_finite(loss: float, epoch: int, config: TrainingConfig) -> None:
    if math.isfinite(loss):
        return
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
            self.best_state = copy.deepcopy(model.state_dict())
            self.epochs_without_improvement = 0
            return False
        self.epochs_without_improvement += 1
        return self.epochs_without_improvement >= self.patience

    def restore(self, model: nn.Module) -> None:
        if self.best_state is not None:
            model.load_state_dict(self.best_state)
