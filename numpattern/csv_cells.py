"""CSV cells as numbers: conversion of a parsed column, and the list of cells that are not valid numbers."""

from __future__ import annotations

import re
from dataclasses import dataclass

import numpy as np
import pandas as pd

from numpattern.csv_format import CsvFormat
from numpattern.errors import DataError

LISTED_PROBLEMS = 5  # cells named in the error message
KEPT_PROBLEMS = 1000  # cells kept on the exception and on the load result
CONTENT_PREVIEW_CHARS = 20
LINE_NUMBERING = "lines are numbered as in a text editor, so the first line of the file is line 1"


@dataclass(frozen=True)
class ProblemCell:
    """A cell in a chosen column that is not a finite number."""

    line: int  # line number in the file, counted from 1 at the top (the header, if there is one)
    column: str
    content: str  # as written in the file, cut to CONTENT_PREVIEW_CHARS

    def describe(self) -> str:
        quoted = f"'{self.content}'" if self.content else "empty"
        return f"line {self.line}, column '{self.column}': {quoted}"


class CsvProblemCellsError(DataError):
    """Some cells in the chosen columns are empty, not numbers, NaN or infinite.

    ``problems`` contains the first ``KEPT_PROBLEMS`` cells in file order.
    """

    def __init__(self, problems: list[ProblemCell], n_cells: int, n_rows: int) -> None:
        self.problems = tuple(problems)
        self.n_cells = n_cells
        self.n_rows = n_rows
        listed = "; ".join(problem.describe() for problem in problems[:LISTED_PROBLEMS])
        more = f"; and {n_cells - LISTED_PROBLEMS:,} more" if n_cells > LISTED_PROBLEMS else ""
        cells = "1 cell" if n_cells == 1 else f"{n_cells:,} cells"
        rows = "1 row" if n_rows == 1 else f"{n_rows:,} rows"
        super().__init__(
            f"The chosen columns have {cells} in {rows} without a valid number ({LINE_NUMBERING}): "
            f"{listed}{more}. Fix those cells in the file, or drop the rows that contain them."
        )


def column_numbers(
    column: pd.Series, pattern: re.Pattern[str], csv_format: CsvFormat, name: str
) -> tuple[np.ndarray, np.ndarray]:
    """Convert a parsed column to float64; return the values and a mask of invalid cells.

    Invalid means empty, not a number, NaN or infinite. Invalid values are NaN in the result.
    """
    if column.dtype.kind in "iuf":
        # The C parser read every cell as a number; only NaN and infinity can be wrong.
        values = column.to_numpy(dtype=np.float64)
        return values, ~np.isfinite(values)

    text = _normalized_text(column, csv_format)
    valid = text.str.fullmatch(pattern.pattern).to_numpy(dtype=bool)
    if not valid.any():
        raise _no_numbers_error(text, name)
    numbers = text.where(valid, "nan")
    if csv_format.thousands:
        numbers = numbers.str.replace(csv_format.thousands, "", regex=False)
    if csv_format.decimal != ".":
        numbers = numbers.str.replace(csv_format.decimal, ".", regex=False)
    values = pd.to_numeric(numbers, errors="coerce").to_numpy(dtype=np.float64, copy=True)
    # A valid pattern can still overflow, for example 1e999.
    invalid = ~valid | ~np.isfinite(values)
    values[invalid] = np.nan
    return values, invalid


def _normalized_text(column: pd.Series, csv_format: CsvFormat) -> pd.Series:
    text = column.astype(str).str.strip()
    # Some spreadsheets write the Unicode minus sign, and French locales group digits
    # with (narrow) no-break spaces.
    text = text.str.replace("\u2212", "-", regex=False)
    if csv_format.thousands == " ":
        text = text.str.replace("\u00a0", " ", regex=False).str.replace("\u202f", " ", regex=False)
    return text


def _no_numbers_error(text: pd.Series, name: str) -> DataError:
    filled = text[text != ""]
    if filled.empty:
        return DataError(f"Column '{name}' is empty in every row. Choose a column that contains numbers.")
    example = _preview(str(filled.iloc[0]))
    return DataError(
        f"Column '{name}' contains no numbers (its first value is '{example}'). "
        "Choose a column that contains numbers, or check the decimal mark and thousands separator."
    )


def _preview(content: str) -> str:
    content = " ".join(content.split())
    if len(content) <= CONTENT_PREVIEW_CHARS:
        return content
    return content[: CONTENT_PREVIEW_CHARS - 1] + "…"


def problem_cells(
    text: str,
    has_header: bool,
    raw: pd.DataFrame,
    x_invalid: np.ndarray,
    y_invalid: np.ndarray,
    names: tuple[str, str],
) -> list[ProblemCell]:
    """List the first ``KEPT_PROBLEMS`` invalid cells in file order, x before y within a row.

    ``raw`` contains the parsed columns x and y; ``text`` is the whole file, used for line numbers.
    """
    rows = np.flatnonzero(x_invalid | y_invalid)[:KEPT_PROBLEMS]
    lines = data_row_lines(text, has_header, rows)
    problems = []
    for row, line in zip(rows, lines):
        for key, invalid, name in (("x", x_invalid, names[0]), ("y", y_invalid, names[1])):
            if invalid[row]:
                problems.append(ProblemCell(int(line), name, _preview(_cell_text(raw[key].iloc[row]))))
    return problems[:KEPT_PROBLEMS]


def _cell_text(value: object) -> str:
    if isinstance(value, float):
        # A cell the C parser read as a number: NaN or infinity.
        return str(value)
    return str(value).strip()


def data_row_lines(text: str, has_header: bool, rows: np.ndarray) -> np.ndarray:
    """Return the file line number (the first line is 1) of each 0-based data row in ``rows``.

    pandas skips blank lines, so data rows are counted among the non-blank lines.
    """
    # NOTE: a quoted cell that spans several lines makes the numbers after it too small.
    encoded = np.frombuffer(text.encode("utf-8"), dtype=np.uint8)
    newline = ord("\n") if "\n" in text else ord("\r")
    ends = np.flatnonzero(encoded == newline)
    starts = np.concatenate(([0], ends + 1))
    lengths = np.concatenate((ends, [len(encoded)])) - starts

    # A line is blank when it holds only whitespace. reduceat spans from one non-empty line's
    # start to the next one's, which adds only newlines and empty lines, so it stays correct.
    not_space = ~np.isin(encoded, np.frombuffer(b" \t\r\n\x0b\x0c", dtype=np.uint8))
    filled = lengths > 0
    blank = np.ones(len(starts), dtype=bool)
    if filled.any():
        blank[filled] = ~np.logical_or.reduceat(not_space, starts[filled])
    content_lines = np.flatnonzero(~blank) + 1  # 1-based

    first_data = 1 if has_header else 0
    positions = np.minimum(np.asarray(rows) + first_data, len(content_lines) - 1)
    return content_lines[positions]
