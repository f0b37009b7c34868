"""Setting limits: readable numbers in range messages, and short excerpts of very long values."""

from __future__ import annotations

import math

import pytest

from numpattern.errors import ConfigError
from numpattern.limits import LIMITS, MAX_SHOWN_CHARACTERS, check_range, format_number, format_value


@pytest.mark.parametrize(
    ("number", "expected"),
    [
        (1e6, "1,000,000"),
        (-1e6, "-1,000,000"),
        (2**32 - 1, "4,294,967,295"),
        (100_000, "100,000"),
        (10.0, "10"),
        (0.0, "0"),
        (0.5, "0.5"),
        (-0.05, "-0.05"),
        (12345.678, "12,345.678"),
        (0.1 + 0.2, "0.3"),
        (1e-6, "0.000001"),
        (1e-9, "1e-9"),
        (1.5e-7, "1.5e-7"),
        (-1e308, "-1e308"),
        (1e15, "1e15"),
        (math.inf, "inf"),
        (math.nan, "nan"),
    ],
)
def test_format_number_readable(number, expected):
    assert format_number(number) == expected


@pytest.mark.parametrize("name", sorted(LIMITS))
def test_check_range_bounds_without_exponents(name):
    limit = LIMITS[name]

    with pytest.raises(ConfigError) as raised:
        check_range(name, limit.maximum * 10 + 1)

    message = str(raised.value)
    assert message.startswith(f"{limit.label} must be between {format_number(limit.minimum)} and ")
    assert "e+" not in message
    assert "e-0" not in message


@pytest.mark.parametrize(
    ("name", "value", "message"),
    [
        ("x_min", -1e308, "The start of the x range must be between -1,000,000 and 1,000,000. You gave -1e308."),
        ("x_max", 1e9, "The end of the x range must be between -1,000,000 and 1,000,000. You gave 1,000,000,000."),
        ("x_min", math.inf, "The start of the x range must be a finite number between -1,000,000 and 1,000,000."),
        ("x_max", "ten", "The end of the x range must be a number between -1,000,000 and 1,000,000. You gave 'ten'."),
    ],
)
def test_check_range_x_range_names_its_end(name, value, message):
    with pytest.raises(ConfigError) as raised:
        check_range(name, value)

    assert str(raised.value).startswith(message)


def test_check_range_huge_integer_shown_as_excerpt():
    with pytest.raises(ConfigError) as raised:
        check_range("epochs", int("9" * 400))

    message = str(raised.value)
    assert "You gave 999999999999…9999 (a whole number with 400 digits)." in message
    assert len(message) < 200


def test_check_range_long_text_shown_as_excerpt():
    with pytest.raises(ConfigError) as raised:
        check_range("learning_rate", "0." + "1" * 1000)

    message = str(raised.value)
    assert "(1,002 characters)" in message
    assert len(message) < 200


def test_format_value_int_beyond_str_limit():
    printed = format_value(10**5000)

    assert printed == "a whole number with about 5,000 digits"


@pytest.mark.parametrize("value", ["x" * 41, list(range(100)), -(10**41)])
def test_format_value_long_values_cut(value):
    printed = format_value(value)

    assert "…" in printed
    assert len(printed) <= MAX_SHOWN_CHARACTERS + 30


@pytest.mark.parametrize(("value", "expected"), [("abc", "'abc'"), (None, "None"), (True, "True"), (123456, "123,456")])
def test_format_value_short_values_whole(value, expected):
    assert format_value(value) == expected
