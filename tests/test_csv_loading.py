"""CSV loading: format detection, column choice, problem cells, limits and their messages."""

from __future__ import annotations

import codecs
import math
from pathlib import Path

import numpy as np
import pytest

from numpattern.csv_loading import (
    MAX_CSV_BYTES,
    MAX_CSV_ROWS,
    CsvOptions,
    CsvProblemCellsError,
    ProblemCell,
    inspect_csv,
    load_csv_bytes,
    load_csv_path,
)
from numpattern.errors import DataError
from numpattern.model import ModelConfig
from numpattern.training import TrainingConfig, train

UTF8_BOM = codecs.BOM_UTF8


def write_file(folder: Path, name: str, content: str | bytes) -> Path:
    path = folder / name
    path.write_bytes(content.encode("utf-8") if isinstance(content, str) else content)
    return path


# --- formats that must be read correctly --------------------------------------------------------

# name: (file bytes, x values, y values, (delimiter, decimal, thousands), (x label, y label))
FORMAT_CASES = {
    "semicolon-decimal-comma-thousands-point": (
        b"Menge;Preis (EUR)\n1.234,5;2,5\n2,5;3\n3;4,75\n",
        [1234.5, 2.5, 3.0], [2.5, 3.0, 4.75], (";", ",", "."), ("Menge", "Preis (EUR)"),
    ),
    "tab-delimited": (
        b"a\tb\n1.5\t2\n2.5\t3\n3.5\t4\n",
        [1.5, 2.5, 3.5], [2.0, 3.0, 4.0], ("\t", ".", ""), ("a", "b"),
    ),
    "utf8-bom-crlf-spreadsheet-export": (
        UTF8_BOM + b"Price (USD),Amount\r\n1,2\r\n2,4\r\n3,7\r\n",
        [1.0, 2.0, 3.0], [2.0, 4.0, 7.0], (",", ".", ""), ("Price (USD)", "Amount"),
    ),
    "quoted-headers-and-cells": (
        b'"x value","y value"\n"1","2"\n"2","3"\n"3","5"\n',
        [1.0, 2.0, 3.0], [2.0, 3.0, 5.0], (",", ".", ""), ("x value", "y value"),
    ),
    "whitespace-around-cells-and-headers": (
        b"  x  ,  y  \n 1 , 2 \n 2 ,  3\n3,4  \n",
        [1.0, 2.0, 3.0], [2.0, 3.0, 4.0], (",", ".", ""), ("x", "y"),
    ),
    "quoted-thousands-comma": (
        b'x,y\n"1,234.5",2\n"2,000",3\n3,4\n',
        [1234.5, 2000.0, 3.0], [2.0, 3.0, 4.0], (",", ".", ","), ("x", "y"),
    ),
    "space-thousands-decimal-comma": (
        b"x;y\n1 234,5;1\n2,5;2\n3;3\n",
        [1234.5, 2.5, 3.0], [1.0, 2.0, 3.0], (";", ",", " "), ("x", "y"),
    ),
    "utf16-excel-unicode-text": (
        "x\ty\n1\t2\n2\t3\n3\t5\n".encode("utf-16"),
        [1.0, 2.0, 3.0], [2.0, 3.0, 5.0], ("\t", ".", ""), ("x", "y"),
    ),
    "windows-1252-header": (
        "x;Température\n1;2\n2;3\n3;4\n".encode("cp1252"),
        [1.0, 2.0, 3.0], [2.0, 3.0, 4.0], (";", ",", ""), ("x", "Température"),
    ),
    "no-header-row": (
        b"1,2\n2,3\n3,5\n",
        [1.0, 2.0, 3.0], [2.0, 3.0, 5.0], (",", ".", ""), ("column 1", "column 2"),
    ),
    "blank-lines-and-scientific-notation": (
        b"x,y\n\n1e3,2\n  \n-1.5E-2,+3\n.5,4\n\n\n",
        [1000.0, -0.015, 0.5], [2.0, 3.0, 4.0], (",", ".", ""), ("x", "y"),
    ),
    "unicode-minus-sign": (
        "x;y\n\u22121,5;2\n2;3\n3;4\n".encode(),
        [-1.5, 2.0, 3.0], [2.0, 3.0, 4.0], (";", ",", ""), ("x", "y"),
    ),
}


@pytest.mark.parametrize("case", sorted(FORMAT_CASES))
def test_load_csv_format_detected(case, tmp_path):
    content, x, y, (delimiter, decimal, thousands), (x_label, y_label) = FORMAT_CASES[case]
    result = load_csv_path(write_file(tmp_path, f"{case}.csv", content))

    np.testing.assert_array_equal(result.dataset.x, x)
    np.testing.assert_array_equal(result.dataset.y, y)
    assert result.table.format.delimiter == delimiter
    assert result.table.format.decimal == decimal
    assert result.table.format.thousands == thousands
    assert result.dataset.x_label == x_label
    assert result.dataset.y_label == y_label
    assert result.rows_dropped == 0


def test_load_csv_reports_bom_and_encoding():
    result = load_csv_bytes(FORMAT_CASES["utf8-bom-crlf-spreadsheet-export"][0], "export.csv")
    assert result.table.format.byte_order_mark
    assert result.table.format.encoding == "utf-8"
    assert "byte-order mark" in result.describe()
    assert "comma-separated" in result.describe()


def test_load_csv_source_dict_and_labels():
    content = b"Menge;Preis (EUR)\n1.234,5;2,5\n2,5;3\n3;4,75\n"
    dataset = load_csv_bytes(content, "preise.csv").dataset
    assert dataset.source == {
        "kind": "csv",
        "file_name": "preise.csv",
        "x_column": "Menge",
        "y_column": "Preis (EUR)",
        "rows_used": 3,
        "rows_dropped": 0,
        "delimiter": ";",
        "decimal": ",",
        "thousands": ".",
    }
    assert dataset.frame["x"].dtype == np.float64
    assert "preise.csv" in dataset.describe()


# --- caller overrides ----------------------------------------------------------------------------


AMBIGUOUS = b"x;y\n1,234;1\n2,500;2\n3,750;3\n"


def test_load_csv_ambiguous_comma_defaults_to_decimal():
    result = load_csv_bytes(AMBIGUOUS, "a.csv")
    np.testing.assert_array_equal(result.dataset.x, [1.234, 2.5, 3.75])


def test_load_csv_override_thousands_comma():
    result = load_csv_bytes(AMBIGUOUS, "a.csv", CsvOptions(decimal=".", thousands=","))
    np.testing.assert_array_equal(result.dataset.x, [1234.0, 2500.0, 3750.0])
    assert result.dataset.source["thousands"] == ","


def test_load_csv_override_no_thousands_separator():
    content = b"x\ty\n1.500\t1\n2.250\t2\n3.125\t3\n"
    result = load_csv_bytes(content, "t.csv", CsvOptions(decimal=".", thousands=""))
    np.testing.assert_array_equal(result.dataset.x, [1.5, 2.25, 3.125])


def test_load_csv_override_wrong_delimiter():
    with pytest.raises(DataError, match="only one column .* when split at each comma"):
        load_csv_bytes(b"x;y\n1;2\n2;3\n3;4\n", "s.csv", CsvOptions(delimiter=","))


@pytest.mark.parametrize(
    ("options", "message"),
    [
        ({"delimiter": "|"}, r"'\|' is not a supported delimiter. Choose one of: comma"),
        ({"decimal": ";"}, "not a supported decimal mark"),
        ({"thousands": "_"}, "not a supported thousands separator"),
        ({"decimal": ",", "thousands": ","}, "both comma"),
    ],
)
def test_csv_options_invalid(options, message):
    with pytest.raises(DataError, match=message):
        CsvOptions(**options)


# --- column choice ---------------------------------------------------------------------------


THREE_COLUMNS = b"name,height (cm),weight (kg),age\nAna,160,55,30\nBo,170,65,40\nCy,180,80,50\n"


def test_load_csv_default_skips_text_column():
    dataset = load_csv_bytes(THREE_COLUMNS, "people.csv").dataset
    assert (dataset.x_label, dataset.y_label) == ("height (cm)", "weight (kg)")
    np.testing.assert_array_equal(dataset.y, [55.0, 65.0, 80.0])


def test_load_csv_columns_chosen_by_name():
    options = CsvOptions(x_column="age", y_column="Height (CM)")
    dataset = load_csv_bytes(THREE_COLUMNS, "people.csv", options).dataset
    assert (dataset.x_label, dataset.y_label) == ("age", "height (cm)")
    np.testing.assert_array_equal(dataset.x, [30.0, 40.0, 50.0])
    np.testing.assert_array_equal(dataset.y, [160.0, 170.0, 180.0])


def test_load_csv_default_x_when_y_chosen():
    dataset = load_csv_bytes(THREE_COLUMNS, "people.csv", CsvOptions(y_column="height (cm)")).dataset
    assert (dataset.x_label, dataset.y_label) == ("weight (kg)", "height (cm)")


def test_inspect_csv_lists_columns():
    table = inspect_csv(THREE_COLUMNS)
    assert table.columns == ("name", "height (cm)", "weight (kg)", "age")
    assert table.numeric_columns == ("height (cm)", "weight (kg)", "age")
    assert table.format.has_header
    assert table.sample_data_rows == 3


# --- problem cells ---------------------------------------------------------------------------


PROBLEMS = b"x,y\n1,2\n2,\nn/a,4\n4,5\n5,abc\n6,7\n7,8\n"


def test_load_csv_problem_cells_listed():
    with pytest.raises(CsvProblemCellsError) as raised:
        load_csv_bytes(PROBLEMS, "p.csv")
    error = raised.value
    assert error.problems == (
        ProblemCell(3, "y", ""),
        ProblemCell(4, "x", "n/a"),
        ProblemCell(6, "y", "abc"),
    )
    assert (error.n_cells, error.n_rows) == (3, 3)


def test_load_csv_problem_message():
    message = (
        r"3 cells in 3 rows without a valid number \(lines are numbered as in a text editor, "
        r"so the first line of the file is line 1\): line 3, column 'y': empty; "
        r"line 4, column 'x': 'n/a'; line 6, column 'y': 'abc'\. "
        r"Fix those cells in the file, or drop the rows that contain them\."
    )
    with pytest.raises(CsvProblemCellsError, match=message):
        load_csv_bytes(PROBLEMS, "p.csv")


def test_load_csv_drop_invalid_rows_trains_on_rest():
    result = load_csv_bytes(PROBLEMS, "p.csv", CsvOptions(drop_invalid_rows=True))
    dataset = result.dataset

    np.testing.assert_array_equal(dataset.x, [1.0, 4.0, 6.0, 7.0])
    np.testing.assert_array_equal(dataset.y, [2.0, 5.0, 7.0, 8.0])
    assert result.rows_dropped == 3
    assert dataset.source["rows_dropped"] == 3
    assert dataset.source["rows_used"] == 4
    assert len(result.dropped_cells) == 3
    assert "Dropped 3 rows" in result.describe()

    trained = train(dataset, ModelConfig(kind="linear"), TrainingConfig(epochs=30, seed=0, validation_fraction=0.0))
    assert math.isfinite(trained.metrics["mse"])
    assert len(trained.history) == 30


def test_load_csv_problem_lines_count_blank_lines():
    content = b"x,y\n1,2\n\n2,3\n   \n3,oops\n4,5\n5,6\n"
    with pytest.raises(CsvProblemCellsError) as raised:
        load_csv_bytes(content, "blank.csv")
    assert raised.value.problems == (ProblemCell(6, "y", "oops"),)


def test_load_csv_problem_lines_without_header():
    with pytest.raises(CsvProblemCellsError) as raised:
        load_csv_bytes(b"1,2\n2,3\n3,x\n4,5\n", "noheader.csv")
    assert raised.value.problems == (ProblemCell(3, "column 2", "x"),)


@pytest.mark.parametrize("cell", ["nan", "NaN", "inf", "-inf", "Infinity", "1e999"])
def test_load_csv_non_finite_cell_is_problem(cell):
    content = f"x,y\n1,2\n2,{cell}\n3,4\n4,5\n".encode()
    with pytest.raises(CsvProblemCellsError, match="line 3, column 'y'"):
        load_csv_bytes(content, "nonfinite.csv")
    dataset = load_csv_bytes(content, "nonfinite.csv", CsvOptions(drop_invalid_rows=True)).dataset
    assert np.isfinite(dataset.y).all()
    assert len(dataset.frame) == 3


def test_load_csv_problem_message_lists_first_five():
    rows = "".join(f"{i},bad{i}\n" for i in range(1, 9))
    content = f"x,y\n{rows}9,1\n10,2\n11,3\n".encode()
    with pytest.raises(CsvProblemCellsError, match=r"line 6, column 'y': 'bad5'; and 3 more\.") as raised:
        load_csv_bytes(content, "many.csv")
    assert "bad6" not in str(raised.value)
    assert len(raised.value.problems) == 8


def test_load_csv_problem_content_truncated():
    long_text = "this cell holds a long sentence instead of a number"
    content = f"x,y\n1,2\n2,{long_text}\n3,4\n4,5\n".encode()
    with pytest.raises(CsvProblemCellsError) as raised:
        load_csv_bytes(content, "long.csv")
    shown = raised.value.problems[0].content
    assert len(shown) == 20
    assert shown.endswith("…")
    assert long_text not in str(raised.value)


def test_load_csv_thousands_groups_checked_exactly():
    content = b"x;y\n1.234,5;1\n12.34;2\n3;3\n4;4\n"
    with pytest.raises(CsvProblemCellsError, match="line 3, column 'x': '12.34'"):
        load_csv_bytes(content, "groups.csv")


# --- files that must be rejected, each with its own message ----------------------------------


REJECTED = {
    "empty": (b"", {}, "The file is empty"),
    "only-blank-lines": (b"\n \r\n\n", {}, "The file is empty"),
    "header-only": (b"x,y\n", {}, r"header row \('x', 'y'\) but no data rows. Add at least 3 rows"),
    "one-data-row": (b"x,y\n1,2\n", {}, "The file has 1 data row; at least 3 are needed"),
    "two-data-rows": (b"x,y\n1,2\n2,3\n", {}, "The file has 2 data rows; at least 3 are needed"),
    "constant-x": (b"x,y\n5,1\n5,2\n5,3\n", {}, "Every value in the x column 'x' is 5"),
    "identical-columns": (b"a,b\n1,1\n2,2\n3,3\n", {}, "Columns 'a' and 'b' contain the same values"),
    "same-column-twice": (b"a,b\n1,2\n2,3\n3,4\n", {"x_column": "a", "y_column": "a"}, "'a' was chosen for both x and y"),
    "unknown-column": (b"a,b\n1,2\n2,3\n3,4\n", {"x_column": "c"}, "no column named 'c'. The columns are: 'a', 'b'"),
    "nul-bytes": (b"x,y\n1,2\x00\x00\n", {}, "not text: it contains NUL bytes"),
    "excel-workbook": (b"PK\x03\x04" + bytes(100), {}, "looks like an Excel workbook"),
    "high-bytes": (bytes(range(128, 256)) * 4, {}, "not text: it contains bytes that no common text encoding uses"),
    "control-character": (b"x,y\n1,2\x07\n2,3\n3,4\n", {}, "not text: it contains the control character"),
    "one-column": (b"x\n1\n2\n3\n", {}, r"only one column \('x'\)"),
    "all-text-columns": (b"name,city\nAna,Oslo\nBo,Rome\n", {}, "None of the columns contain numbers: 'name', 'city'"),
    "one-numeric-column": (b"name,age\nAna,30\nBo,40\nCy,50\n", {}, "Only one column contains numbers \\('age'\\)"),
    "text-column-chosen": (b"name,age\nAna,30\nBo,40\nCy,50\n", {"x_column": "age", "y_column": "name"}, "Column 'name' contains no numbers \\(its first value is 'Ana'\\)"),
    "empty-column-chosen": (b"a,b,c\n1,,2\n2,,3\n3,,4\n", {"x_column": "a", "y_column": "b"}, "Column 'b' is empty in every row"),
    "unclosed-quote": (b'x,y\n"1,2\n3,4\n5,6\n', {}, "quotation mark .* that is never closed"),
    "too-few-after-dropping": (b"x,y\n1,2\n2,a\n3,b\n4,5\n", {"drop_invalid_rows": True}, "Only 2 rows are left after dropping 2 rows"),
}


@pytest.mark.parametrize("case", sorted(REJECTED))
def test_load_csv_rejected_with_message(case):
    content, options, message = REJECTED[case]
    with pytest.raises(DataError, match=message):
        load_csv_bytes(content, f"{case}.csv", CsvOptions(**options))


def test_load_csv_problem_error_is_data_error():
    with pytest.raises(DataError):
        load_csv_bytes(PROBLEMS, "p.csv")


def test_load_csv_path_missing_file(tmp_path):
    with pytest.raises(DataError, match="No file found at .*missing.csv"):
        load_csv_path(tmp_path / "missing.csv")


def test_load_csv_path_folder(tmp_path):
    with pytest.raises(DataError, match="is a folder, not a file"):
        load_csv_path(tmp_path)


# --- size and row limits -----------------------------------------------------------------------


def test_limits_values():
    assert MAX_CSV_BYTES == 40 * 1024 * 1024
    assert MAX_CSV_ROWS == 1_000_000


def test_load_csv_over_size_limit():
    content = b"x,y\n" + b"1,2\n" * 300
    with pytest.raises(DataError, match="1,204 bytes, larger than the limit of 1,000 bytes"):
        load_csv_bytes(content, "big.csv", max_bytes=1000)


def test_load_csv_path_size_checked_first(tmp_path):
    # A sparse file: 41 MB long on paper, so the size check must reject it before reading.
    path = tmp_path / "huge.csv"
    with path.open("wb") as file:
        file.truncate(41 * 1024 * 1024)
    with pytest.raises(DataError, match="The file is 41 MB, larger than the limit of 40 MB"):
        load_csv_path(path)


def test_load_csv_over_row_limit():
    content = b"x,y\n" + b"".join(f"{i},{2 * i}\n".encode() for i in range(6))
    with pytest.raises(DataError, match="more than 5 data rows, the limit"):
        load_csv_bytes(content, "rows.csv", max_rows=5)


def test_load_csv_at_row_limit():
    content = b"x,y\n" + b"".join(f"{i},{2 * i}\n".encode() for i in range(5))
    assert len(load_csv_bytes(content, "rows.csv", max_rows=5).dataset.frame) == 5


def test_load_csv_accepts_bytearray():
    dataset = load_csv_bytes(bytearray(b"x,y\n1,2\n2,3\n3,5\n"), "b.csv").dataset
    np.testing.assert_array_equal(dataset.y, [2.0, 3.0, 5.0])


def test_load_csv_rejects_text_input():
    with pytest.raises(DataError, match="CSV data must be bytes, got str"):
        load_csv_bytes("x,y\n1,2\n", "s.csv")


def test_inspect_csv_mostly_text_column_has_numbers():
    table = inspect_csv(b"x,y\n1,a\n2,b\n3,c\n4,5\n")
    assert table.numeric_columns == ("x",)
    assert table.columns_with_numbers == ("x", "y")


def test_load_csv_lines_longer_than_sample():
    # About 80 KB per line: longer than the 64 KB that format detection reads by default.
    header = "x,y," + ",".join(f"c{i}" for i in range(12_000)) + "\n"
    rows = "".join(f"{i},{2 * i}," + ",".join("1" for _ in range(12_000)) + "\n" for i in range(4))

    result = load_csv_bytes((header + rows).encode(), "wide.csv")

    assert list(result.dataset.x) == [0.0, 1.0, 2.0, 3.0]
    assert list(result.dataset.y) == [0.0, 2.0, 4.0, 6.0]
