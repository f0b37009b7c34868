"""Loading (x, y) data from CSV files: format detection, column choice and clear errors for bad cells.

The app passes an upload's bytes; the CLI passes a path. Both get the same checks and messages.
"""

from __future__ import annotations

import io
import logging
import re
import warnings
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from numpattern.csv_cells import CsvProblemCellsError, ProblemCell, column_numbers, problem_cells
from numpattern.csv_format import (
    DECIMAL_MARKS,
    DELIMITERS,
    SAMPLE_CHARS,
    THOUSANDS_SEPARATORS,
    CsvFormat,
    check_quotes_closed,
    decode_text,
    detect_delimiter,
    detect_number_format,
    is_number,
    number_pattern,
    sample_lines,
    split_rows,
)
from numpattern.data import MIN_ROWS, Dataset
from numpattern.errors import DataError

logger = logging.getLogger(__name__)

MAX_CSV_BYTES = 40 * 1024 * 1024
MAX_CSV_ROWS = 1_000_000


@dataclass(frozen=True)
class CsvOptions:
    """Choices for reading a CSV file. ``None`` means detect it from the file.

    ``thousands=""`` means that numbers have no thousands separator.
    """

    x_column: str | None = None
    y_column: str | None = None
    delimiter: str | None = None
    decimal: str | None = None
    thousands: str | None = None
    drop_invalid_rows: bool = False

    def __post_init__(self) -> None:
        _check_choice("delimiter", self.delimiter, DELIMITERS)
        _check_choice("decimal mark", self.decimal, DECIMAL_MARKS)
        _check_choice("thousands separator", self.thousands, THOUSANDS_SEPARATORS)
        if self.decimal is not None and self.decimal == self.thousands:
            raise DataError(
                f"The decimal mark and the thousands separator are both {DECIMAL_MARKS[self.decimal]}. "
                "Choose a different thousands separator, or none."
            )


def _check_choice(label: str, value: str | None, choices: dict[str, str]) -> None:
    if value is None or value in choices:
        return
    listed = ", ".join(f"{name} ({symbol!r})" for symbol, name in choices.items())
    raise DataError(f"{value!r} is not a supported {label}. Choose one of: {listed}.")


@dataclass(frozen=True)
class CsvTable:
    """Format and column names of a CSV file, found from its first lines."""

    format: CsvFormat
    columns: tuple[str, ...]
    numeric_columns: tuple[str, ...]  # columns whose sample cells are mostly numbers
    columns_with_numbers: tuple[str, ...]  # columns with at least one number in the sample
    sample_data_rows: int  # data rows seen in the sample; 0 means the file has only a header


@dataclass(frozen=True, eq=False)
class CsvLoadResult:
    dataset: Dataset
    table: CsvTable
    rows_dropped: int
    dropped_cells: tuple[ProblemCell, ...] = field(default=())  # the first KEPT_PROBLEMS

    def describe(self) -> str:
        """Return a plain summary of what was read, dropped and detected."""
        source = self.dataset.source
        text = (
            f"Read {source['rows_used']:,} rows from {source['file_name']}: "
            f"{source['y_column']} against {source['x_column']}."
        )
        if self.rows_dropped:
            rows = "1 row" if self.rows_dropped == 1 else f"{self.rows_dropped:,} rows"
            text += f" Dropped {rows} with empty or invalid cells."
        return f"{text} The file is {self.table.format.describe()}."


# --- public entry points ----------------------------------------------------------------------


def inspect_csv(data: bytes, options: CsvOptions = CsvOptions(), *, max_bytes: int = MAX_CSV_BYTES) -> CsvTable:
    """Detect the format and list the columns, reading only the start of the file."""
    _text, table = _decode_and_inspect(data, options, max_bytes)
    return table


def load_csv_bytes(
    data: bytes,
    file_name: str,
    options: CsvOptions = CsvOptions(),
    *,
    max_bytes: int = MAX_CSV_BYTES,
    max_rows: int = MAX_CSV_ROWS,
) -> CsvLoadResult:
    """Read two numeric columns of a CSV file into a Dataset.

    Raises CsvProblemCellsError when chosen cells are not finite numbers (unless
    ``options.drop_invalid_rows``), and DataError for every other problem.
    """
    text, table = _decode_and_inspect(data, options, max_bytes)
    if table.sample_data_rows == 0:
        raise _header_only_error(table)
    x_name, y_name = choose_columns(table, options.x_column, options.y_column)

    raw = _read_columns(text, table, x_name, y_name, max_rows)
    pattern = number_pattern(table.format.decimal, table.format.thousands)
    x, x_invalid = column_numbers(raw["x"], pattern, table.format, x_name)
    y, y_invalid = column_numbers(raw["y"], pattern, table.format, y_name)

    invalid = x_invalid | y_invalid
    dropped_cells: list[ProblemCell] = []
    if invalid.any():
        dropped_cells = problem_cells(text, table.format.has_header, raw, x_invalid, y_invalid, (x_name, y_name))
        if not options.drop_invalid_rows:
            raise CsvProblemCellsError(dropped_cells, int(x_invalid.sum() + y_invalid.sum()), int(invalid.sum()))
        x, y = x[~invalid], y[~invalid]
    rows_dropped = int(invalid.sum())
    _check_values(x, y, x_name, y_name, rows_dropped)

    source = {
        "kind": "csv",
        "file_name": file_name,
        "x_column": x_name,
        "y_column": y_name,
        "rows_used": len(x),
        "rows_dropped": rows_dropped,
        "delimiter": table.format.delimiter,
        "decimal": table.format.decimal,
        "thousands": table.format.thousands,
    }
    dataset = Dataset(frame=pd.DataFrame({"x": x, "y": y}), source=source, x_label=x_name, y_label=y_name)
    logger.info(
        "Read %d rows from %s (%s against %s), dropped %d", len(x), file_name, y_name, x_name, rows_dropped
    )
    return CsvLoadResult(dataset, table, rows_dropped, tuple(dropped_cells))


def load_csv_path(
    path: str | Path,
    options: CsvOptions = CsvOptions(),
    *,
    max_bytes: int = MAX_CSV_BYTES,
    max_rows: int = MAX_CSV_ROWS,
) -> CsvLoadResult:
    """Read a CSV file from disk; see ``load_csv_bytes``."""
    path = Path(path)
    try:
        size = path.stat().st_size
    except FileNotFoundError:
        raise DataError(f"No file found at '{path}'. Check the path and the file name.") from None
    if path.is_dir():
        raise DataError(f"'{path}' is a folder, not a file. Give the path of a CSV file.")
    if not path.is_file():
        raise DataError(f"'{path}' is not a regular file (it may be a device or a pipe). Give the path of a CSV file.")
    # Check the size before reading, so a huge file is never loaded into memory.
    _check_size(size, max_bytes)
    with path.open("rb") as file:
        # A file that grew after the check is still read only up to one byte past the limit.
        data = file.read(max_bytes + 1)
    return load_csv_bytes(data, path.name, options, max_bytes=max_bytes, max_rows=max_rows)


# --- format and columns ---------------------------------------------------------------------


def _decode_and_inspect(data: bytes, options: CsvOptions, max_bytes: int) -> tuple[str, CsvTable]:
    if not isinstance(data, (bytes, bytearray, memoryview)):
        raise DataError(f"CSV data must be bytes, got {type(data).__name__}. Read the file in binary mode.")
    data = bytes(data)
    _check_size(len(data), max_bytes)
    if not data or data.isspace():
        raise DataError("The file is empty. Choose a CSV file with a header row and at least 3 rows of numbers.")

    text, encoding, byte_order_mark = decode_text(data)
    lines = sample_lines(text)
    if not lines:
        raise DataError("The file contains only blank lines. Choose a CSV file with a header row and rows of numbers.")

    delimiter = options.delimiter or detect_delimiter(lines)
    if len(text) <= SAMPLE_CHARS:
        check_quotes_closed(lines, delimiter)
    rows = split_rows(lines, delimiter)
    sample_cells = [cell for row in rows[1:] for cell in row]
    decimal, thousands = detect_number_format(sample_cells, delimiter, options.decimal, options.thousands)
    pattern = number_pattern(decimal, thousands)

    # A first row made only of numbers is data: the file has no header.
    has_header = not all(is_number(cell, pattern) for cell in rows[0])
    width = len(rows[0])
    columns = _column_names(rows[0]) if has_header else tuple(f"column {i}" for i in range(1, width + 1))
    data_rows = rows[1:] if has_header else rows
    csv_format = CsvFormat(delimiter, decimal, thousands, encoding, byte_order_mark, has_header)
    numeric, with_numbers = _numeric_columns(columns, data_rows, pattern)
    table = CsvTable(csv_format, columns, numeric, with_numbers, len(data_rows))
    logger.debug("CSV format: %s; columns %s", csv_format.describe(), columns)
    return text, table


def _check_size(size: int, max_bytes: int) -> None:
    if size > max_bytes:
        raise DataError(
            f"The file is {_megabytes(size)}, larger than the limit of {_megabytes(max_bytes)}. "
            "Use a smaller file, for example with only the two columns you need or fewer rows."
        )


def _megabytes(size: int) -> str:
    if size < 100 * 1024:
        return f"{size:,} bytes"
    # Two decimals at most, so a file just over the limit does not print as equal to it.
    megabytes = size / 1024 / 1024
    return f"{megabytes:.0f} MB" if megabytes == round(megabytes) else f"{megabytes:.2f} MB"


def _column_names(header: list[str]) -> tuple[str, ...]:
    """Clean header cells: name empty headers by position and make repeated names unique."""
    names = []
    for position, cell in enumerate(header, start=1):
        name = cell.strip() or f"column {position}"
        if name in names:
            name = f"{name} (column {position})"
        names.append(name)
    return tuple(names)


def _numeric_columns(
    columns: tuple[str, ...], rows: list[list[str]], pattern: re.Pattern[str]
) -> tuple[tuple[str, ...], tuple[str, ...]]:
    """Return the columns whose filled sample cells are mostly numbers, and those with any number."""
    mostly, some = [], []
    for position, name in enumerate(columns):
        cells = [row[position] for row in rows if position < len(row) and row[position]]
        numbers = sum(1 for cell in cells if is_number(cell, pattern))
        if numbers:
            some.append(name)
        if numbers and numbers * 2 >= len(cells):
            mostly.append(name)
    return tuple(mostly), tuple(some)


def choose_columns(table: CsvTable, x_column: str | None, y_column: str | None) -> tuple[str, str]:
    """Resolve the x and y column names; default to the first two numeric columns."""
    columns = table.columns
    if len(columns) < 2:
        raise DataError(
            f"The file has only one column ({columns[0]!r}) when split at each "
            f"{DELIMITERS[table.format.delimiter]}. x and y need two columns. If the file uses another "
            f"delimiter, choose it: {', '.join(DELIMITERS.values())}."
        )

    x_name = _find_column(table, x_column) if x_column is not None else None
    y_name = _find_column(table, y_column) if y_column is not None else None
    # Mostly numeric columns come first. Columns with only some numbers come after them, so
    # that a column with many bad cells is still chosen and its problem cells get listed.
    defaults = [
        name
        for name in dict.fromkeys((*table.numeric_columns, *table.columns_with_numbers))
        if name not in (x_name, y_name)
    ]
    if (x_name is None) + (y_name is None) > len(defaults):
        raise _too_few_numeric_columns_error(table)
    if x_name is None:
        x_name = defaults.pop(0)
    if y_name is None:
        y_name = defaults.pop(0)
    if x_name == y_name:
        raise DataError(
            f"Column '{x_name}' was chosen for both x and y. Choose two different columns for x and y."
        )
    return x_name, y_name


def _find_column(table: CsvTable, requested: str) -> str:
    name = requested.strip()
    if name in table.columns:
        return name
    folded = [column for column in table.columns if column.casefold() == name.casefold()]
    if len(folded) == 1:
        return folded[0]
    raise DataError(f"There is no column named '{requested}'. The columns are: {_list_names(table.columns)}.")


def _too_few_numeric_columns_error(table: CsvTable) -> DataError:
    if not table.columns_with_numbers:
        return DataError(
            f"None of the columns contain numbers: {_list_names(table.columns)}. If the numbers use a "
            "decimal comma or a thousands separator, choose them; otherwise use a file with numeric columns."
        )
    return DataError(
        f"Only one column contains numbers ('{table.columns_with_numbers[0]}'), but x and y need two. "
        f"The columns are: {_list_names(table.columns)}."
    )


def _list_names(names: tuple[str, ...]) -> str:
    listed = ", ".join(f"'{name}'" for name in names[:20])
    return listed + (f" and {len(names) - 20} more" if len(names) > 20 else "")


def _header_only_error(table: CsvTable) -> DataError:
    return DataError(
        f"The file has a header row ({_list_names(table.columns)}) but no data rows. "
        f"Add at least {MIN_ROWS} rows of numbers below the header."
    )


# --- reading and converting -------------------------------------------------------------------


def _read_columns(text: str, table: CsvTable, x_name: str, y_name: str, max_rows: int) -> pd.DataFrame:
    """Parse the two chosen columns with pandas' C parser; return columns x and y as parsed.

    Cells stay text where a column contains anything but plain numbers, so that
    problem cells can be shown as written.
    """
    csv_format = table.format
    x_position, y_position = table.columns.index(x_name), table.columns.index(y_name)
    options = {
        "sep": csv_format.delimiter,
        "decimal": csv_format.decimal,
        "quotechar": '"',
        "header": 0 if csv_format.has_header else None,
        "usecols": [x_position, y_position],
        "index_col": False,
        # Keep empty cells and words such as 'n/a' as text, to report them as written.
        "na_filter": False,
        "skipinitialspace": True,
        "skip_blank_lines": True,
        "nrows": max_rows + 1,
        "engine": "c",
    }
    if csv_format.thousands:
        # pandas skips a thousands separator anywhere in a number ('12.34' becomes 1234), so
        # these columns are read as text and checked against exact groups of three digits.
        options["dtype"] = str
    try:
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always", pd.errors.ParserWarning)
            frame = pd.read_csv(io.StringIO(text), **options)
    except pd.errors.ParserError as error:
        raise _parser_error(error, csv_format) from None
    for warning in caught:
        logger.warning("While reading the CSV file: %s", warning.message)

    if len(frame) > max_rows:
        raise DataError(
            f"The file has more than {max_rows:,} data rows, the limit. Use a sample of the rows, "
            f"for example every 10th row, to stay under {max_rows:,}."
        )
    if len(frame) == 0:
        raise _header_only_error(table)
    # usecols returns columns in file order, whatever the order of the positions.
    first, second = frame.columns
    if x_position < y_position:
        return pd.DataFrame({"x": frame[first], "y": frame[second]})
    return pd.DataFrame({"x": frame[second], "y": frame[first]})


def _parser_error(error: Exception, csv_format: CsvFormat) -> DataError:
    detail = str(error).splitlines()[0] if str(error) else type(error).__name__
    if "EOF inside string" in detail:
        return DataError(
            'The file has a quotation mark (") that is never closed, so the rest of the file cannot be '
            "read. Add the closing quote or remove the stray one."
        )
    return DataError(
        f"The file could not be read as CSV ({detail[:120]}). Check that every row uses the same "
        f"delimiter ({DELIMITERS[csv_format.delimiter]}) and that quotes are closed."
    )


def _check_values(x: np.ndarray, y: np.ndarray, x_name: str, y_name: str, rows_dropped: int) -> None:
    if len(x) < MIN_ROWS:
        if rows_dropped:
            raise DataError(
                f"Only {len(x)} rows are left after dropping {rows_dropped:,} rows with empty or invalid cells; "
                f"at least {MIN_ROWS} are needed to learn a pattern. Fix the invalid cells in the file."
            )
        rows = "1 data row" if len(x) == 1 else f"{len(x)} data rows"
        raise DataError(
            f"The file has {rows}; at least {MIN_ROWS} are needed to learn a pattern. Add more rows."
        )
    if np.ptp(x) == 0:
        raise DataError(
            f"Every value in the x column '{x_name}' is {x[0]:g}, so there is no pattern to learn. "
            "Choose an x column whose values vary."
        )
    if np.array_equal(x, y):
        raise DataError(
            f"Columns '{x_name}' and '{y_name}' contain the same values in every row, so y would just "
            "equal x. Choose two different columns."
        )
