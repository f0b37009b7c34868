"""A small thread-safe cache of finished training results, keyed by data and settings."""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Hashable

from numpattern.data import Dataset
from numpattern.model import ModelConfig
from numpattern.training import TrainingConfig, TrainingResult

REPEATABLE_STOP_REASONS = ("completed", "early_stopping", "converged")


def training_key(dataset: Dataset, model_config: ModelConfig, training_config: TrainingConfig) -> Hashable:
    """Two runs with equal keys train on the same values with the same settings, so seeded results match."""
    return (dataset.fingerprint, model_config, training_config)


class ResultCache:
    """Least-recently-used store of finished runs.

    Runs cut short by a stop request or a time limit are never stored: what they learned
    depends on timing, so the same key would not give the same result again.
    """

    def __init__(self, max_entries: int = 32) -> None:
        self.max_entries = max_entries
        self._entries: OrderedDict[Hashable, TrainingResult] = OrderedDict()
        self._lock = threading.Lock()

    def get(self, key: Hashable) -> TrainingResult | None:
        with self._lock:
            result = self._entries.get(key)
            if result is not None:
                self._entries.move_to_end(key)
            return result

    def put(self, key: Hashable, result: TrainingResult) -> None:
        if result.stop_reason not in REPEATABLE_STOP_REASONS:
            return
        with self._lock:
            self._entries[key] = result
            self._entries.move_to_end(key)
            while len(self._entries) > self.max_entries:
                self._entries.popitem(last=False)

    def __len__(self) -> int:
        with self._lock:
            return len(self._entries)
