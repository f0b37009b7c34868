"""Number inputs whose allowed range is checked by the page, so a value outside it gets a message."""

from __future__ import annotations

import streamlit as st

from dashboard import state
from numpattern.limits import format_number


def bounded_int_input(
    label: str, minimum: int, maximum: int, *, key: str, step: int = 1, help: str | None = None,
    disabled: bool = False, container=st,
) -> int:
    """Show a whole-number input; return its value, or its last valid value when it is out of range.

    Streamlit's own min_value and max_value make the browser refuse such a value with only a red
    border and a hint on hover, so the range is checked here and explained under the input. The
    rest of the page stays, and ``invalid_inputs`` lists the input so the page does not use it.
    """
    value = container.number_input(
        label, step=step, key=key, help=help, disabled=disabled, persist_state="session"
    )
    last_valid_key = f"{key}.last_valid"
    if minimum <= value <= maximum:
        st.session_state[last_valid_key] = int(value)
        return int(value)
    # A range already written in the label, as in "Epochs (1 to 20,000)", is not repeated.
    name = label.split(" (")[0]
    container.error(
        f"{name} must be between {format_number(minimum)} and {format_number(maximum)}. "
        f"You gave {format_number(value)}. Choose a value inside that range."
    )
    st.session_state.setdefault(state.INVALID_INPUTS, []).append(name)
    return st.session_state.get(last_valid_key, minimum)


def invalid_inputs() -> list[str]:
    """Names of the inputs shown in this page run whose value is out of range."""
    return list(st.session_state.get(state.INVALID_INPUTS, []))


def forget_invalid_inputs() -> None:
    """Start a page run with no input marked out of range; each input marks itself again."""
    st.session_state[state.INVALID_INPUTS] = []
