"""Loading checkpoints with a cache that notices changed files, and showing their cards."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import streamlit as st

from dashboard.formatting import format_r2, readable_time
from numpattern.checkpoint import Checkpoint, load_checkpoint
from numpattern.data import describe_source
from numpattern.model import ModelConfig


@st.cache_resource(max_entries=16, show_spinner=False)
def _load(path: str, modified_ns: int, size: int) -> Checkpoint:
    # modified_ns and size are part of the cache key, so a replaced file is loaded again.
    return load_checkpoint(Path(path))


def load_cached(path: Path) -> Checkpoint:
    """Load and validate a checkpoint file; raises CheckpointError like load_checkpoint."""
    try:
        stat = path.stat()
    except OSError:
        return load_checkpoint(path)  # raises the usual "not found" message
    return _load(str(path), stat.st_mtime_ns, stat.st_size)


def show_card(card: dict[str, Any]) -> None:
    metrics = card["metrics"]
    training = card.get("training", {})
    training_config = card.get("training_config", {})
    low, high = card["data"]["x_range"]
    lines = [
        f"- **Data**: {describe_source(card['data']['source'])}",
        f"- **Model**: {ModelConfig.from_dict(card['model_config']).describe()}",
        (
            f"- **Training**: {training_config.get('optimizer')}, {training.get('epochs_run')} epochs, "
            f"learning rate {training_config.get('learning_rate')}"
        ),
        f"- **Fit on its data**: R² {format_r2(metrics['r2'])}, largest error {metrics['max_abs_error']:.4g}",
        f"- **Trained on x from** {low:g} to {high:g}",
        f"- **Created**: {readable_time(card.get('created_at'))} with numpattern {card.get('versions', {}).get('numpattern')}",
    ]
    if card.get("command"):
        lines.append(f"- **Made with**: `{card['command']}`")
    st.markdown("\n".join(lines))
