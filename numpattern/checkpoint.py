"""Checkpoints: weights in a safetensors file whose header metadata carries a JSON card.

One file holds everything needed to rebuild the model and repeat its predictions:
the model config, the standardization statistics, where the training data came
from, the training config, metrics and library versions. Loading never unpickles
anything; it parses the safetensors header and validates every field.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import logging
import math
import os
import platform
import re
import struct
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import safetensors
import safetensors.torch
import torch
from torch import nn

from numpattern import __version__
from numpattern.data import describe_source
from numpattern.errors import CheckpointError, NumpatternError
from numpattern.model import ModelConfig, build_model
from numpattern.prediction import predict_array, prediction_table
from numpattern.standardize import Standardizer
from numpattern.training import TrainingConfig, TrainingResult

logger = logging.getLogger(__name__)

SUFFIX = ".safetensors"
FORMAT_NAME = "numpattern-checkpoint"
FORMAT_VERSION = 1
MAX_CHECKPOINT_BYTES = 4 * 1024 * 1024
MAX_HEADER_BYTES = 256 * 1024
MAX_CHECKPOINTS_IN_FOLDER = 200
MAX_NAME_LENGTH = 64
NAME_CHARACTER = re.compile(r"[A-Za-z0-9_.-]")
NAME_RULE = (
    "Use only the ASCII letters a–z and A–Z, digits, '-', '_' and '.', 1 to 64 characters, "
    "starting with a letter or digit."
)
# Windows opens these as devices rather than files, with any extension and in any letter case.
WINDOWS_DEVICE_NAMES = frozenset(
    ["CON", "PRN", "AUX", "NUL"] + [f"{port}{digit}" for port in ("COM", "LPT") for digit in range(1, 10)]
)
MODELS_DIR_VARIABLE = "NUMPATTERN_MODELS_DIR"
# Cards we write contain only short integers, and a longer one would overflow the float checks.
MAX_CARD_INT_DIGITS = 18
ACCEPTED_FORMAT = (
    "numpattern only opens .safetensors checkpoints that it saved itself "
    "(from the app or with 'python -m numpattern train')."
)


@dataclass(frozen=True, eq=False)
class Checkpoint:
    """A loaded and validated checkpoint, ready to predict."""

    name: str
    card: dict[str, Any]
    model: nn.Module
    standardizer: Standardizer
    model_config: ModelConfig

    @property
    def x_range(self) -> tuple[float, float]:
        low, high = self.card["data"]["x_range"]
        return float(low), float(high)

    def predict(self, x: np.ndarray) -> np.ndarray:
        return predict_array(self.model, self.standardizer, x)

    def prediction_table(self, x: list[float] | np.ndarray) -> pd.DataFrame:
        return prediction_table(self.model, self.standardizer, self.x_range, x)


def default_models_dir() -> Path:
    """The folder in $NUMPATTERN_MODELS_DIR, else ``models/`` beside the package."""
    configured = os.environ.get(MODELS_DIR_VARIABLE)
    if configured:
        return Path(configured)
    return Path(__file__).resolve().parent.parent / "models"


def validate_name(name: str) -> str:
    """Return ``name`` without a .safetensors suffix, or raise if it could leave the folder.

    A name must also be usable as a file name on Windows, because a checkpoint downloaded
    from the app keeps its name as the file name.
    """
    if not isinstance(name, str):
        raise CheckpointError(f"A checkpoint name must be text, got {type(name).__name__}.")
    name = name.strip()
    name = name.removesuffix(SUFFIX)
    if not name:
        raise CheckpointError("The checkpoint name is empty. Type a name such as my-model.")
    problem = _name_problem(name)
    if problem:
        raise CheckpointError(
            f"'{_printable_name(name)}' is not a valid checkpoint name because it {problem}. {NAME_RULE}"
        )
    device = name.split(".")[0].upper()
    if device in WINDOWS_DEVICE_NAMES:
        raise CheckpointError(
            f"'{name}' cannot be a checkpoint name, because Windows reserves the name {device} for a "
            f"device and cannot save a file named {name}{SUFFIX}. Choose another name, such as "
            f"{suggest_name(name)}."
        )
    return name


def _name_problem(name: str) -> str | None:
    """Return the end of a sentence naming the part of ``name`` that breaks NAME_RULE, or None."""
    for character in name:
        if not NAME_CHARACTER.fullmatch(character):
            return f"contains {_described_character(character)}"
    if len(name) > MAX_NAME_LENGTH:
        return f"is {len(name):,} characters long"
    if not name[0].isalnum():
        return f"starts with {_described_character(name[0])}"
    if ".." in name:
        return "contains '..'"
    return None


def _described_character(character: str) -> str:
    if character == " ":
        return "a space"
    if not character.isprintable():
        return f"the invisible character {character!r}"
    return f"'{character}'"


def _printable_name(name: str) -> str:
    # Escape tabs and other invisible characters, so the message stays one readable line.
    printable = "".join(character if character.isprintable() else repr(character)[1:-1] for character in name)
    return printable if len(printable) <= 40 else printable[:37] + "..."


def checkpoint_path(name: str, folder: Path | None = None) -> Path:
    """Return the file of checkpoint ``name`` inside ``folder``; the name cannot point elsewhere."""
    folder = Path(folder) if folder is not None else default_models_dir()
    path = folder / f"{validate_name(name)}{SUFFIX}"
    if path.resolve().parent != folder.resolve():
        raise CheckpointError(f"The checkpoint name '{name}' points outside the checkpoint folder.")
    return path


def suggest_name(text: str) -> str:
    """Turn any text, such as an uploaded file's name, into a valid checkpoint name."""
    stem = text.removesuffix(SUFFIX)
    cleaned = re.sub(r"[^A-Za-z0-9_.-]+", "-", stem).strip("-._")
    cleaned = re.sub(r"\.{2,}", ".", cleaned)[:MAX_NAME_LENGTH].strip("-._")
    device, dot, rest = cleaned.partition(".")
    if device.upper() in WINDOWS_DEVICE_NAMES:
        cleaned = f"{device}-model{dot}{rest}"[:MAX_NAME_LENGTH].strip("-._")
    return cleaned or "model"


# --- building the card and the file ------------------------------------------------------


def build_card(result: TrainingResult, name: str, command: str | None = None) -> dict[str, Any]:
    return {
        "format": FORMAT_NAME,
        "format_version": FORMAT_VERSION,
        "name": name,
        "created_at": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
        "model_config": result.model_config.to_dict(),
        "standardizer": result.standardizer.to_dict(),
        "data": {
            "source": result.data_source,
            "x_range": list(result.x_range),
            "fingerprint": result.data_fingerprint,
        },
        "training_config": result.training_config.to_dict(),
        "training": {
            "epochs_run": result.epochs_run,
            "stop_reason": result.stop_reason,
            "seconds": round(result.elapsed_seconds, 3),
        },
        "metrics": result.metrics,
        "command": command,
        "versions": {
            "numpattern": __version__,
            "torch": torch.__version__,
            "safetensors": safetensors.__version__,
            "python": platform.python_version(),
        },
    }


def checkpoint_bytes(result: TrainingResult, name: str, command: str | None = None) -> bytes:
    """Serialize ``result`` as a checkpoint file; raise if the run has non-finite weights or metrics."""
    name = validate_name(name)
    tensors = {key: value.detach().to(torch.float32).contiguous() for key, value in result.model.state_dict().items()}
    if not all(torch.isfinite(tensor).all() for tensor in tensors.values()):
        raise CheckpointError("This model has non-finite weights, so it was not saved. Train it again.")
    if not all(math.isfinite(value) for value in result.metrics.values()):
        raise CheckpointError("This model's metrics are not finite, so it was not saved. Train it again.")
    card = build_card(result, name, command)
    card["weights_sha256"] = _weights_digest(tensors)
    metadata = {"format": FORMAT_NAME, "card": json.dumps(card, allow_nan=False)}
    return safetensors.torch.save(tensors, metadata=metadata)


def save_checkpoint(
    result: TrainingResult,
    name: str,
    folder: Path | None = None,
    *,
    overwrite: bool = False,
    command: str | None = None,
) -> Path:
    """Write ``result`` atomically as ``folder/name.safetensors`` and return the path."""
    path = checkpoint_path(name, folder)
    data = checkpoint_bytes(result, path.stem, command)
    write_atomically(path, data, overwrite=overwrite)
    logger.info("Saved checkpoint %s (%d bytes)", path, len(data))
    return path


def write_atomically(path: Path, data: bytes, *, overwrite: bool) -> None:
    """Write to a temporary file in the same folder, then move it into place in one step."""
    folder = path.parent
    require_folder(folder)
    folder.mkdir(parents=True, exist_ok=True)
    if not overwrite and path.exists():
        raise CheckpointError(
            f"A checkpoint named '{path.stem}' already exists. Choose another name or delete the old one first."
        )
    if not path.exists() and _count_checkpoints(folder) >= MAX_CHECKPOINTS_IN_FOLDER:
        raise CheckpointError(
            f"The checkpoint folder already holds {MAX_CHECKPOINTS_IN_FOLDER} checkpoints. "
            "Delete some before saving more."
        )

    handle, temporary = tempfile.mkstemp(dir=folder, prefix=".tmp-", suffix=SUFFIX)
    try:
        with os.fdopen(handle, "wb") as file:
            file.write(data)
            file.flush()
            os.fsync(file.fileno())
        # mkstemp creates the file readable by its owner only; a checkpoint is an ordinary file.
        os.chmod(temporary, 0o644)
        if overwrite:
            os.replace(temporary, path)
        else:
            # A hard link fails if the name appeared meanwhile, so a concurrent save is never clobbered.
            try:
                os.link(temporary, path)
            except FileExistsError:
                raise CheckpointError(
                    f"A checkpoint named '{path.stem}' already exists. Choose another name."
                ) from None
    finally:
        if os.path.exists(temporary):
            os.unlink(temporary)


def _count_checkpoints(folder: Path) -> int:
    return sum(1 for _ in folder.glob(f"*{SUFFIX}"))


def _weights_digest(tensors: dict[str, torch.Tensor]) -> str:
    digest = hashlib.sha256()
    for key in sorted(tensors):
        digest.update(key.encode())
        digest.update(str(tuple(tensors[key].shape)).encode())
        digest.update(tensors[key].numpy().tobytes())
    return digest.hexdigest()


# --- loading ----------------------------------------------------------------------------


def load_checkpoint(name_or_path: str | Path, folder: Path | None = None) -> Checkpoint:
    """Load a checkpoint by name (inside ``folder``) or by file path, validating everything."""
    path = resolve_checkpoint(name_or_path, folder)
    if path.is_dir():
        raise CheckpointError(_folder_message(path))
    if not path.is_file():
        raise CheckpointError(
            f"No checkpoint found at '{path}'. Run 'python -m numpattern models' to list the saved ones."
        )
    size = path.stat().st_size
    if size > MAX_CHECKPOINT_BYTES:
        raise CheckpointError(
            f"'{path.name}' is {size / 1e6:.1f} MB; numpattern checkpoints are at most "
            f"{MAX_CHECKPOINT_BYTES / 1e6:.0f} MB. {ACCEPTED_FORMAT}"
        )
    return load_checkpoint_bytes(path.read_bytes(), path.name)


def _folder_message(path: Path) -> str:
    inside = sorted(file.name for file in path.glob(f"*{SUFFIX}") if not file.name.startswith("."))
    if inside:
        return (
            f"'{path}' is a folder, not a checkpoint file. "
            f"Give a checkpoint file in it, such as '{path / inside[0]}'."
        )
    return (
        f"'{path}' is a folder, not a checkpoint file, and it holds no {SUFFIX} files. "
        "Give the path of a checkpoint file."
    )


def saved_names(folder: Path | None = None) -> list[str]:
    """Return the valid checkpoint names of the files in ``folder``, sorted, without opening any."""
    folder = Path(folder) if folder is not None else default_models_dir()
    names = []
    for path in sorted(folder.glob(f"*{SUFFIX}")) if folder.is_dir() else []:
        try:
            names.append(validate_name(path.stem))
        except CheckpointError:
            continue
    return names


def resolve_checkpoint(name_or_path: str | Path, folder: Path | None = None) -> Path:
    """A value with a folder separator or file suffix is a path; anything else is a name in ``folder``."""
    text = str(name_or_path)
    if isinstance(name_or_path, Path) or "/" in text or os.sep in text or Path(text).suffix in {".pth", ".pt", ".pkl", ".bin"}:
        return Path(text)
    return checkpoint_path(text, folder)


def load_checkpoint_bytes(data: bytes, file_name: str = "checkpoint") -> Checkpoint:
    """Validate the bytes of a checkpoint file and rebuild its model. Never unpickles."""
    if len(data) > MAX_CHECKPOINT_BYTES:
        raise CheckpointError(
            f"'{file_name}' is {len(data) / 1e6:.1f} MB; numpattern checkpoints are at most "
            f"{MAX_CHECKPOINT_BYTES / 1e6:.0f} MB. {ACCEPTED_FORMAT}"
        )
    card = _read_card(data, file_name)
    try:
        tensors = safetensors.torch.load(data)
    except Exception as error:  # noqa: BLE001 (the Rust parser raises SafetensorError and others for damaged files)
        raise CheckpointError(
            f"'{file_name}' is damaged or truncated ({_short(error)}). {ACCEPTED_FORMAT}"
        ) from None

    try:
        model_config = ModelConfig.from_dict(_require(card, "model_config", dict, file_name))
        standardizer = Standardizer.from_dict(_require(card, "standardizer", dict, file_name))
        TrainingConfig.from_dict(_require(card, "training_config", dict, file_name))
    except NumpatternError as error:
        raise CheckpointError(f"'{file_name}' has an invalid card: {error}") from None
    _check_data_section(card, file_name)
    _check_metrics(card, file_name)
    _require(card, "training", dict, file_name)

    model = build_model(model_config)
    _check_tensors(model, tensors, card, file_name)
    model.load_state_dict(tensors, strict=True)
    model.eval()
    return Checkpoint(
        name=Path(file_name).stem if file_name.endswith(SUFFIX) else str(card.get("name")),
        card=card,
        model=model,
        standardizer=standardizer,
        model_config=model_config,
    )


def _reject_known_other_formats(data: bytes, file_name: str) -> None:
    """Name the format of a file that is not a safetensors file, for a clearer message."""
    if data[:1] == b"\x80" and data[1:2] in (b"\x02", b"\x03", b"\x04", b"\x05"):
        raise CheckpointError(
            f"'{file_name}' is a Python pickle file and was not opened, because opening a pickle "
            f"can run any code it contains. {ACCEPTED_FORMAT}"
        )
    if data[:4] == b"PK\x03\x04":
        raise CheckpointError(
            f"'{file_name}' looks like a PyTorch .pth/.pt file (a zip of pickles) and was not opened, "
            f"because opening it can run code. {ACCEPTED_FORMAT}"
        )


def _read_card(data: bytes, file_name: str) -> dict[str, Any]:
    not_checkpoint = f"'{file_name}' is not a numpattern checkpoint. {ACCEPTED_FORMAT}"
    if len(data) < 10:
        raise CheckpointError(f"'{file_name}' is empty or truncated. {ACCEPTED_FORMAT}")
    (header_length,) = struct.unpack("<Q", data[:8])
    if header_length > MAX_HEADER_BYTES or 8 + header_length > len(data) or data[8:9] != b"{":
        _reject_known_other_formats(data, file_name)
        raise CheckpointError(not_checkpoint)
    try:
        header = json.loads(data[8 : 8 + header_length])
        metadata = header.get("__metadata__") or {}
        if metadata.get("format") != FORMAT_NAME:
            raise CheckpointError(not_checkpoint)
        card = json.loads(metadata["card"], parse_int=_parse_card_int)
    except CheckpointError:
        # CheckpointError is a ValueError, so re-raise it to keep "not a numpattern checkpoint" for other files.
        raise
    except (ValueError, KeyError, TypeError, AttributeError, RecursionError):
        raise CheckpointError(f"'{file_name}' has a damaged card. {ACCEPTED_FORMAT}") from None
    if not isinstance(card, dict) or card.get("format") != FORMAT_NAME:
        raise CheckpointError(not_checkpoint)
    version = card.get("format_version")
    if version != FORMAT_VERSION:
        raise CheckpointError(
            f"'{file_name}' uses checkpoint format version {version!r}, but this numpattern "
            f"({__version__}) reads version {FORMAT_VERSION}. Save the model again with this version."
        )
    return card


def _parse_card_int(text: str) -> int:
    if len(text.lstrip("-")) > MAX_CARD_INT_DIGITS:
        raise ValueError(f"an integer with {len(text)} digits")
    return int(text)


def _require(card: dict[str, Any], key: str, kind: type, file_name: str) -> Any:
    value = card.get(key)
    if not isinstance(value, kind):
        raise CheckpointError(f"'{file_name}' has an invalid card: field '{key}' is missing or malformed.")
    return value


def _check_data_section(card: dict[str, Any], file_name: str) -> None:
    data = _require(card, "data", dict, file_name)
    x_range = data.get("x_range")
    if (
        not isinstance(x_range, list)
        or len(x_range) != 2
        or not all(isinstance(value, (int, float)) and math.isfinite(value) for value in x_range)
        or x_range[0] > x_range[1]
    ):
        raise CheckpointError(f"'{file_name}' has an invalid card: the training x range is malformed.")
    if not isinstance(data.get("source"), dict):
        raise CheckpointError(f"'{file_name}' has an invalid card: the data source is missing.")
    try:
        describe_source(data["source"])
    except (TypeError, ValueError):
        raise CheckpointError(f"'{file_name}' has an invalid card: the data source is malformed.") from None


def _check_metrics(card: dict[str, Any], file_name: str) -> None:
    metrics = _require(card, "metrics", dict, file_name)
    for key in ("mse", "mae", "r2", "max_abs_error"):
        value = metrics.get(key)
        if not isinstance(value, (int, float)) or not math.isfinite(value):
            raise CheckpointError(f"'{file_name}' has an invalid card: metric '{key}' is missing or not finite.")


def _check_tensors(model: nn.Module, tensors: dict[str, torch.Tensor], card: dict[str, Any], file_name: str) -> None:
    expected = {key: tuple(value.shape) for key, value in model.state_dict().items()}
    found = {key: tuple(value.shape) for key, value in tensors.items()}
    if expected != found:
        raise CheckpointError(
            f"'{file_name}' was tampered with or damaged: its weights do not match the model "
            f"described in its card. {ACCEPTED_FORMAT}"
        )
    for key, tensor in tensors.items():
        if tensor.dtype != torch.float32 or not torch.isfinite(tensor).all():
            raise CheckpointError(f"'{file_name}' has invalid weights in '{key}' (not finite float32 values).")
    if card.get("weights_sha256") != _weights_digest(tensors):
        raise CheckpointError(
            f"'{file_name}' was tampered with or damaged: its weights do not match the checksum in its card."
        )


def _short(error: Exception) -> str:
    text = str(error).splitlines()[0] if str(error) else type(error).__name__
    return text[:120]


# --- folder operations ------------------------------------------------------------------


def require_folder(folder: Path) -> None:
    """Raise CheckpointError when the checkpoint folder's path names something that is not a folder."""
    if folder.exists() and not folder.is_dir():
        raise CheckpointError(
            f"The checkpoint folder '{folder}' is a file, not a folder. Set {MODELS_DIR_VARIABLE} to a "
            "folder, or unset it to use models/ in the project."
        )


def list_checkpoints(folder: Path | None = None) -> pd.DataFrame:
    """Return one row per checkpoint file in ``folder``, with card fields or the reason it is invalid."""
    folder = Path(folder) if folder is not None else default_models_dir()
    require_folder(folder)
    rows = []
    for path in sorted(folder.glob(f"*{SUFFIX}")) if folder.is_dir() else []:
        if path.name.startswith("."):
            continue
        try:
            # A file copied in by hand can have a name that the app could not save, open or delete by name.
            validate_name(path.stem)
            checkpoint = load_checkpoint(path)
        except CheckpointError as error:
            rows.append({"name": path.stem, "valid": False, "problem": str(error)})
            continue
        rows.append(card_summary(checkpoint.card, path.stem))
    columns = [
        "name", "valid", "created_at", "data", "model", "epochs", "r2", "mse",
        "x_min", "x_max", "command", "problem",
    ]
    return pd.DataFrame(rows, columns=columns)


def card_summary(card: dict[str, Any], name: str) -> dict[str, Any]:
    from numpattern.data import describe_source

    low, high = card["data"]["x_range"]
    return {
        "name": name,
        "valid": True,
        "created_at": card.get("created_at"),
        "data": describe_source(card["data"]["source"]),
        "model": ModelConfig.from_dict(card["model_config"]).describe(),
        "epochs": card.get("training", {}).get("epochs_run"),
        "r2": card["metrics"]["r2"],
        "mse": card["metrics"]["mse"],
        "x_min": low,
        "x_max": high,
        "command": card.get("command"),
        "problem": None,
    }


def delete_checkpoint(name: str, folder: Path | None = None) -> None:
    path = checkpoint_path(name, folder)
    if not path.is_file():
        raise CheckpointError(f"No checkpoint named '{path.stem}' was found.")
    path.unlink()
    logger.info("Deleted checkpoint %s", path)


def import_checkpoint(data: bytes, file_name: str, folder: Path | None = None, name: str | None = None) -> Path:
    """Validate uploaded bytes fully, then store them under a safe name; raise before writing anything."""
    load_checkpoint_bytes(data, file_name)
    path = checkpoint_path(name or suggest_name(Path(file_name).name), folder)
    write_atomically(path, data, overwrite=False)
    logger.info("Imported checkpoint %s from upload %r", path, file_name)
    return path
