"""Valid ranges of every setting, declared once and checked at the public entry points."""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from numpattern.errors import ConfigError

# A value that prints longer than this is shown as its start, its end and its length.
MAX_SHOWN_CHARACTERS = 40
# Numbers smaller than this print in scientific notation, because 0.0000001 is hard to count.
MIN_PLAIN_NUMBER = 1e-6
# Whole numbers up to this size print in full with thousands separators, such as 1,000,000.
MAX_PLAIN_NUMBER = 1e15
# About 1,200 decimal digits, well below the 4,300 that str() converts by default.
MAX_PRINTED_INT_BITS = 4_000


@dataclass(frozen=True)
class Limit:
    """The valid range of one setting. Its ``label`` starts the sentence of each error message."""

    label: str
    minimum: float
    maximum: float
    integer: bool = False


LIMITS: dict[str, Limit] = {
    "n_points": Limit("Number of points", 10, 1_000_000, integer=True),
    "x_min": Limit("The start of the x range", -1e6, 1e6),
    "x_max": Limit("The end of the x range", -1e6, 1e6),
    "noise": Limit("Noise level", 0.0, 10.0),
    "seed": Limit("Seed", 0, 2**32 - 1, integer=True),
    "hidden_size": Limit("Hidden layer width", 1, 256, integer=True),
    "hidden_layers": Limit("Number of hidden layers", 0, 4, integer=True),
    "epochs": Limit("Epochs", 1, 100_000, integer=True),
    "learning_rate": Limit("Learning rate", 1e-6, 10.0),
    "batch_size": Limit("Batch size", 1, 1_000_000, integer=True),
    "validation_fraction": Limit("Validation share", 0.0, 0.5),
    "patience": Limit("Early stopping patience", 1, 100_000, integer=True),
}


def check_range(name: str, value: float) -> None:
    """Raise ConfigError unless ``value`` is a finite number inside the range of setting ``name``."""
    limit = LIMITS[name]
    between = f"between {format_number(limit.minimum)} and {format_number(limit.maximum)}"
    value_text = format_value(value)
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        kind = "a whole number" if limit.integer else "a number"
        raise ConfigError(f"{limit.label} must be {kind} {between}. You gave {value_text}.")
    outside = f"{limit.label} must be {between}. You gave {value_text}. Choose a value inside that range."
    # math.isfinite overflows on ints beyond the float range, and every limit is far below 2**63.
    if isinstance(value, int) and abs(value) > 2**63:
        raise ConfigError(outside)
    if not math.isfinite(value):
        raise ConfigError(f"{limit.label} must be a finite number {between}. You gave {value_text}.")
    if limit.integer and value != int(value):
        raise ConfigError(f"{limit.label} must be a whole number {between}. You gave {value_text}.")
    if not limit.minimum <= value <= limit.maximum:
        raise ConfigError(outside)


def format_number(number: float) -> str:
    """Format a number for a beginner: 1,000,000 and 0.000001 rather than 1e+06 and 1e-06.

    Whole numbers print in full with thousands separators, other numbers with at most ten
    significant digits. Numbers too small or too large to read that way use scientific
    notation with a short exponent, such as 1e-9 or -1e308.
    """
    number = float(number)
    if not math.isfinite(number) or number == 0:
        return f"{number:g}"
    size = abs(number)
    if MIN_PLAIN_NUMBER <= size < MAX_PLAIN_NUMBER:
        if number == int(number):
            return f"{int(number):,}"
        # Ten significant digits hide float noise such as 0.30000000000000004, and a longer whole
        # part keeps all of its digits.
        precision = max(10, len(str(int(size))) + 1)
        plain = np.format_float_positional(size, precision=precision, fractional=False, trim="-")
        whole, _, fraction = plain.partition(".")
        sign = "-" if number < 0 else ""
        return f"{sign}{int(whole):,}.{fraction}" if fraction else f"{sign}{int(whole):,}"
    # Python writes 1e-09 and 1e+308, but the padding zero and the plus sign add nothing for a reader.
    mantissa, exponent = f"{number:.6g}".split("e")
    return f"{mantissa}e{int(exponent)}"


def format_value(value: object) -> str:
    """Show a value that a user gave, cut to an excerpt with its length when it is very long."""
    if isinstance(value, bool) or value is None:
        return repr(value)
    if isinstance(value, int):
        if value.bit_length() > MAX_PRINTED_INT_BITS:
            # str() raises for ints over 4,300 digits (sys.get_int_max_str_digits), so estimate the length.
            return f"a whole number with about {int(value.bit_length() * math.log10(2)):,} digits"
        digits = str(abs(value))
        if len(digits) > MAX_SHOWN_CHARACTERS:
            sign = "-" if value < 0 else ""
            return f"{sign}{digits[:12]}…{digits[-4:]} (a whole number with {len(digits):,} digits)"
        return f"{value:,}" if abs(value) < MAX_PLAIN_NUMBER else f"{value}"
    if isinstance(value, float):
        return format_number(value)
    printed = repr(value)
    if len(printed) <= MAX_SHOWN_CHARACTERS:
        return printed
    if isinstance(value, str):
        length = f"{len(value):,} characters"
    else:
        length = f"{len(printed):,} characters when printed"
    return f"{printed[:30]}…{printed[-5:]} ({length})"

