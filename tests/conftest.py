"""Shared fixtures: an isolated checkpoint folder, tiny seeded data and models, a CLI runner,
and the table of damaged checkpoint files that the loader must reject."""

from __future__ import annotations

import json
import math
import os
import pickle
import struct
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pytest
import safetensors.torch
import torch

from numpattern.checkpoint import FORMAT_NAME, MODELS_DIR_VARIABLE, checkpoint_bytes
from numpattern.data import Dataset, DataSpec, generate
from numpattern.model import ModelConfig
from numpattern.training import TrainingConfig, TrainingResult, train

REPO_ROOT = Path(__file__).resolve().parent.parent
CLI_TIMEOUT_SECONDS = 300


@pytest.fixture(autouse=True)
def models_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """Point NUMPATTERN_MODELS_DIR at a fresh folder, so no test writes into the repo's models/."""
    folder = tmp_path / "models"
    monkeypatch.setenv(MODELS_DIR_VARIABLE, str(folder))
    return folder


@pytest.fixture(scope="session")
def tiny_dataset() -> Dataset:
    """60 points of y = 3x + 2 on [-10, 10], no noise."""
    return generate(DataSpec(preset="linear", n_points=60, seed=0))


@pytest.fixture(scope="session")
def tiny_result(tiny_dataset: Dataset) -> TrainingResult:
    """A small MLP trained briefly on ``tiny_dataset``. Tests must not change its weights."""
    return train(tiny_dataset, ModelConfig(hidden_sizes=(8,)), TrainingConfig(epochs=150, seed=0))


@pytest.fixture(scope="session")
def tiny_checkpoint_bytes(tiny_result: TrainingResult) -> bytes:
    return checkpoint_bytes(tiny_result, "tiny", command="python -m numpattern train")


def run_numpattern(*arguments: str, models: Path) -> subprocess.CompletedProcess:
    """Run ``python -m numpattern ARGS`` as a real process that keeps its checkpoints in ``models``."""
    environment = {**os.environ, MODELS_DIR_VARIABLE: str(models)}
    return subprocess.run(
        [sys.executable, "-m", "numpattern", *arguments],
        cwd=REPO_ROOT,
        env=environment,
        capture_output=True,
        text=True,
        timeout=CLI_TIMEOUT_SECONDS,
        check=False,
    )


@pytest.fixture
def run_cli(models_dir: Path) -> Callable[..., subprocess.CompletedProcess]:
    """Run the CLI as a real process with this test's isolated models folder."""

    def run(*arguments: str) -> subprocess.CompletedProcess:
        return run_numpattern(*arguments, models=models_dir)

    return run


# --- files that run code when unpickled -----------------------------------------------------


class CreatesFileWhenUnpickled:
    """Unpickling this object calls open(path, "w"), so the file at ``path`` appearing proves code ran."""

    def __init__(self, path: Path) -> None:
        self.path = str(path)

    def __reduce__(self):
        return (open, (self.path, "w"))


def write_pickle_payload(target: Path, marker: Path) -> Path:
    target.write_bytes(pickle.dumps(CreatesFileWhenUnpickled(marker), protocol=4))
    return target


def write_torch_payload(target: Path, marker: Path) -> Path:
    torch.save({"state_dict": CreatesFileWhenUnpickled(marker)}, target)
    return target


PAYLOAD_WRITERS = {"pickle": write_pickle_payload, "torch-zip": write_torch_payload}
PAYLOAD_SUFFIXES = {"pickle": ".pkl", "torch-zip": ".pth"}


@pytest.fixture(params=sorted(PAYLOAD_WRITERS))
def payload_file(request: pytest.FixtureRequest, tmp_path: Path) -> tuple[Path, Path]:
    """Write a pickle or torch.save() file whose payload creates ``marker``. Returns (file, marker)."""
    kind = request.param
    marker = tmp_path / f"{kind}-payload-ran"
    target = tmp_path / f"payload{PAYLOAD_SUFFIXES[kind]}"
    return PAYLOAD_WRITERS[kind](target, marker), marker


# --- damaged and tampered checkpoints ---------------------------------------------------------


def split_checkpoint(data: bytes) -> tuple[int, dict, dict[str, torch.Tensor]]:
    """Return the header length, the card and the tensors of a checkpoint we wrote."""
    (header_length,) = struct.unpack("<Q", data[:8])
    header = json.loads(data[8 : 8 + header_length])
    card = json.loads(header["__metadata__"]["card"])
    return header_length, card, safetensors.torch.load(data)


def rebuild_checkpoint(tensors: dict[str, torch.Tensor], card_text: str) -> bytes:
    return safetensors.torch.save(tensors, metadata={"format": FORMAT_NAME, "card": card_text})


def _with_card_change(data: bytes, change: Callable[[dict], None]) -> bytes:
    _, card, tensors = split_checkpoint(data)
    change(card)
    return rebuild_checkpoint(tensors, json.dumps(card))


def _with_byte_change(data: bytes, offset: int, replacement: bytes) -> bytes:
    return data[:offset] + replacement + data[offset + len(replacement) :]


def _set_path(card: dict, keys: tuple[str, ...], value) -> None:
    for key in keys[:-1]:
        card = card[key]
    card[keys[-1]] = value


def build_damaged_checkpoints(good: bytes) -> dict[str, tuple[bytes, str]]:
    """Map a case name to (file bytes, regex the error message must match)."""
    header_length, card, tensors = split_checkpoint(good)
    data_start = 8 + header_length
    truncated = "empty or truncated|not a numpattern checkpoint|damaged"
    cases: dict[str, tuple[bytes, str]] = {
        "empty": (b"", "empty or truncated"),
        "random-bytes": (np.random.default_rng(0).bytes(3000), "not a numpattern checkpoint"),
        "header-length-too-large": (
            struct.pack("<Q", len(good)) + good[8:], "not a numpattern checkpoint"
        ),
    }
    cuts = {
        "1": 1, "8": 8, "9": 9, "64": 64, "before-data": data_start - 1, "at-data": data_start,
        "in-data": data_start + 5, "last-byte": len(good) - 1,
    }
    for label, cut in cuts.items():
        cases[f"cut-{label}"] = (good[:cut], truncated)

    # Flipping the lowest mantissa bit keeps the weight finite, so only the checksum can notice.
    flipped = bytes([good[data_start] ^ 0x01])
    cases["weight-byte-changed"] = (
        _with_byte_change(good, data_start, flipped), "do not match the checksum"
    )
    cases["weight-set-to-nan"] = (
        _with_byte_change(good, data_start, struct.pack("<f", math.nan)), "invalid weights"
    )
    card_changes = {
        "card-wrong-hidden-size": (("model_config", "hidden_sizes"), [9], "do not match the model"),
        "card-unknown-activation": (("model_config", "activation"), "swish", "Unknown activation 'swish'"),
        "card-standardizer-nan": (("standardizer", "x_std"), math.nan, "invalid card"),
        "card-standardizer-zero-scale": (("standardizer", "y_std"), 0.0, "greater than 0"),
        "card-x-range-reversed": (("data", "x_range"), [10.0, -10.0], "x range is malformed"),
        "card-x-range-infinite": (("data", "x_range"), [-math.inf, 10.0], "x range is malformed"),
        "card-source-malformed": (("data", "source", "x_min"), "far left", "data source is malformed"),
        "card-metric-nan": (("metrics", "r2"), math.nan, "metric 'r2'"),
        "card-training-not-a-table": (("training",), [], "field 'training'"),
        "card-epochs-invalid": (("training_config", "epochs"), -5, "Epochs must be between"),
        "card-format-version": (("format_version",), 2, "format version 2"),
    }
    for name, (keys, value, message) in card_changes.items():
        cases[name] = (_with_card_change(good, lambda card, k=keys, v=value: _set_path(card, k, v)), message)

    card_text = json.dumps(card)
    cases["card-not-json"] = (rebuild_checkpoint(tensors, card_text[:-1]), "damaged card")
    huge = card_text.replace('"x_mean": ', '"x_mean": ' + "9" * 400 + ', "unused": ', 1)
    cases["card-huge-integer"] = (rebuild_checkpoint(tensors, huge), "damaged card")
    cases["plain-safetensors-without-card"] = (safetensors.torch.save(tensors), "not a numpattern checkpoint")
    cases["foreign-safetensors"] = (
        safetensors.torch.save(tensors, metadata={"format": "pt"}), "not a numpattern checkpoint"
    )
    extra = {**tensors, "extra.weight": torch.zeros(2)}
    cases["extra-tensor"] = (rebuild_checkpoint(extra, card_text), "do not match the model")
    doubles = {key: value.to(torch.float64) for key, value in tensors.items()}
    cases["float64-weights"] = (rebuild_checkpoint(doubles, card_text), "not finite float32")
    return cases


# Parametrize ids must be known before fixtures run, so a test checks this list against the builder.
DAMAGE_CASE_NAMES = [
    "empty", "random-bytes", "header-length-too-large",
    "cut-1", "cut-8", "cut-9", "cut-64", "cut-before-data", "cut-at-data", "cut-in-data", "cut-last-byte",
    "weight-byte-changed", "weight-set-to-nan",
    "card-wrong-hidden-size", "card-unknown-activation", "card-standardizer-nan",
    "card-standardizer-zero-scale", "card-x-range-reversed", "card-x-range-infinite",
    "card-source-malformed", "card-metric-nan", "card-training-not-a-table", "card-epochs-invalid",
    "card-format-version", "card-not-json", "card-huge-integer", "plain-safetensors-without-card", "foreign-safetensors",
    "extra-tensor", "float64-weights",
]


@pytest.fixture(scope="session")
def damaged_checkpoints(tiny_checkpoint_bytes: bytes) -> dict[str, tuple[bytes, str]]:
    return build_damaged_checkpoints(tiny_checkpoint_bytes)


def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    # Every test that takes ``damage_case`` runs once per damaged file.
    if "damage_case" in metafunc.fixturenames:
        metafunc.parametrize("damage_case", DAMAGE_CASE_NAMES)
