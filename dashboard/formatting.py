"""Shared text forms of R², rounded numbers and checkpoint times, so every page writes them alike."""

from __future__ import annotations

import datetime as dt
import math

from numpattern.limits import format_number


def format_r2(r2: float) -> str:
    """R² to five decimals, rounded down: a fit that is not perfect never shows as 1.00000."""
    # The small nudge keeps float error from turning 0.12345 into 0.12344.
    truncated = math.floor(r2 * 1e5 + 1e-6) / 1e5
    return f"{truncated:.5f}"


def format_significant(value: float, digits: int) -> str:
    """Round to ``digits`` significant digits, then write the number as format_number does."""
    return format_number(float(f"{value:.{digits}g}"))


def readable_time(stamp: object) -> str | None:
    """Show a card's ISO 8601 time, such as 2026-12-05T00:29:46+00:00, as 2026-12-05 00:29 UTC."""
    if not isinstance(stamp, str):
        return None
    try:
        moment = dt.datetime.fromisoformat(stamp).astimezone(dt.UTC)
    except ValueError:
        return stamp
    return moment.strftime("%Y-%m-%d %H:%M UTC")
