"""Number inputs whose allowed range is checked by the page, so a value outside it gets a message."""

from __future__ import annotations

import streamlit as st

from numpattern.errors import ConfigError
from numpattern.limits import format_number


def bounded_int_input(
    label: str, minimum: int, maximum: int, *, key: str, step: int = 1, help: str | None = None,
    disabled: bool = False, container=st,
) -> int:
    """Show a whole-number input and raise ConfigError when its value lies outside [minimum, maximum].

    Streamlit's own min_value and max_value make the browser refuse such a value with only a red
    border and a hint on hover, so the range is checked here and explained in words instead.
    """
    value = container.number_input(
        label, step=step, key=key, help=help, disabled=disabled, persist_state="session"
    )
    if not minimum <= value <= maximum:
        # A range already written in the label, as in "Epochs (1 to 20,000)", is not repeated.
        name = label.split(" (")[0]
        raise ConfigError(
            f"{name} must be between {format_number(minimum)} and {format_number(maximum)}. "
            f"You gave {format_number(value)}. Choose a value inside that range."
        )
    return int(value)
