"""Detection of the way a CSV file is written: text encoding, delimiter, decimal mark, thousands separator.

Detection looks at the start of the file only (``SAMPLE_CHARS``), so it stays fast on large files.
"""

from __future__ import annotations

import codecs
import csv
import re
from collections import Counter
from dataclasses import dataclass

from numpattern.errors import DataError

DELIMITERS = {",": "comma", ";": "semicolon", "\t": "tab"}
DECIMAL_MARKS = {".": "point", ",": "comma"}
# The empty string means that numbers have no thousands separator.
THOUSANDS_SEPARATORS = {"": "none", ",": "comma", ".": "point", " ": "space", "'": "apostrophe"}
SAMPLE_CHARS = 64 * 1024
MIN_SAMPLE_LINES = 3
ENCODING_LABELS = {"utf-8": "UTF-8", "utf-16": "UTF-16", "cp1252": "Windows-1252", "latin-1": "Latin-1"}

# Text exports never contain these control characters; binary files almost always do.
# Tab, line feed and carriage return are allowed.
_CONTROL_CHARACTERS = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")
_C1_CONTROL_CHARACTERS = re.compile("[\x80-\x9f]")
_BINARY_SIGNATURES = {
    b"PK\x03\x04": "an Excel workbook or another ZIP archive",
    b"\xd0\xcf\x11\xe0": "an old-style Excel workbook (.xls)",
    b"\x1f\x8b": "a gzip-compressed file",
    b"%PDF": "a PDF document",
    b"\x89PNG": "a PNG image",
    b"\xff\xd8\xff": "a JPEG image",
}
_NOT_TEXT_ADVICE = (
    "Upload a CSV text file instead. In Excel or LibreOffice, use 'Save As' and choose "
    "'CSV (comma delimited)' or 'CSV UTF-8'."
)


@dataclass(frozen=True)
class CsvFormat:
    """The detected or chosen way a file is written."""

    delimiter: str
    decimal: str
    thousands: str  # "" when numbers have no thousands separator
    encoding: str  # Python codec name, for example "utf-8" or "cp1252"
    byte_order_mark: bool
    has_header: bool

    def describe(self) -> str:
        """Return a plain summary, for example 'semicolon-separated, decimal comma, ...'."""
        thousands = (
            "no thousands separator"
            if not self.thousands
            else f"thousands separator {THOUSANDS_SEPARATORS[self.thousands]}"
        )
        encoding = ENCODING_LABELS.get(self.encoding, self.encoding)
        if self.byte_order_mark:
            encoding += " with a byte-order mark"
        header = "a header row" if self.has_header else "no header row"
        return (
            f"{DELIMITERS[self.delimiter]}-separated, decimal {DECIMAL_MARKS[self.decimal]}, "
            f"{thousands}, {header}, text encoded as {encoding}"
        )


# --- text encoding ------------------------------------------------------------------------


def decode_text(data: bytes) -> tuple[str, str, bool]:
    """Decode file bytes; return the text without a byte-order mark, the codec name and whether a mark was there.

    UTF-8 is tried first. Spreadsheets on Windows often save Windows-1252, so that comes
    next, then Latin-1, which accepts any byte. Raises DataError for binary files.
    """
    if data.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        # Excel's "Unicode Text" export: UTF-16 with a byte-order mark, tab-separated.
        # The utf-16 codec reads the mark to choose the byte order and drops it.
        try:
            return _checked_text(data.decode("utf-16")), "utf-16", True
        except UnicodeDecodeError:
            raise DataError(f"The file starts like UTF-16 text but is damaged. {_NOT_TEXT_ADVICE}") from None

    _reject_known_binary(data)
    if data.startswith(codecs.BOM_UTF8):
        try:
            return _checked_text(data[len(codecs.BOM_UTF8):].decode("utf-8")), "utf-8", True
        except UnicodeDecodeError:
            raise DataError(
                f"The file starts with a UTF-8 byte-order mark but is not valid UTF-8 text. {_NOT_TEXT_ADVICE}"
            ) from None
    try:
        return _checked_text(data.decode("utf-8")), "utf-8", False
    except UnicodeDecodeError:
        pass
    try:
        return _checked_text(data.decode("cp1252")), "cp1252", False
    except UnicodeDecodeError:
        pass
    text = data.decode("latin-1")
    if _C1_CONTROL_CHARACTERS.search(text):
        raise DataError(f"The file is not text: it contains bytes that no common text encoding uses. {_NOT_TEXT_ADVICE}")
    return _checked_text(text), "latin-1", False


def _reject_known_binary(data: bytes) -> None:
    for signature, kind in _BINARY_SIGNATURES.items():
        if data.startswith(signature):
            raise DataError(f"The file looks like {kind}, not a CSV text file. {_NOT_TEXT_ADVICE}")
    if b"\x00" in data:
        raise DataError(f"The file is not text: it contains NUL bytes, as binary files do. {_NOT_TEXT_ADVICE}")


def _checked_text(text: str) -> str:
    found = _CONTROL_CHARACTERS.search(text)
    if found:
        raise DataError(
            f"The file is not text: it contains the control character {found.group()!r} "
            f"at position {found.start():,}. {_NOT_TEXT_ADVICE}"
        )
    return text


# --- sample and delimiter -------------------------------------------------------------------


def sample_lines(text: str) -> list[str]:
    """Return the non-blank lines in the first ``SAMPLE_CHARS`` characters, without a cut-off last line."""
    sample = text[:SAMPLE_CHARS]
    if len(text) > SAMPLE_CHARS:
        # Extend to the end of the third line at least, so very long rows still give a header
        # and data lines to detect from; then drop the cut-off last line.
        end = -1
        for _ in range(MIN_SAMPLE_LINES):
            end = text.find("\n", end + 1)
            if end == -1:
                break
        sample = text[: max(SAMPLE_CHARS, end + 1)] if end != -1 else text
        if "\n" in sample and not sample.endswith("\n"):
            sample = sample[: sample.rindex("\n")]
    return [line for line in sample.splitlines() if line.strip()]


def split_rows(lines: list[str], delimiter: str) -> list[list[str]]:
    """Split lines into cells the way pandas will, with quotes removed and whitespace stripped."""
    reader = csv.reader(lines, delimiter=delimiter, quotechar='"', skipinitialspace=True)
    try:
        return [[cell.strip() for cell in row] for row in reader]
    except csv.Error as error:
        raise DataError(f"The start of the file could not be read as CSV: {error}. Check the file's quotes.") from None


def check_quotes_closed(lines: list[str], delimiter: str) -> None:
    """Raise DataError when the last quoted cell in ``lines`` is never closed.

    Call it only with the whole file: a sample may end inside a quoted cell that spans lines.
    """
    # Strict mode also rejects harmless quirks such as a space after a closing quote, so
    # only its end-of-data error is used here.
    try:
        for _ in csv.reader(lines, delimiter=delimiter, quotechar='"', skipinitialspace=True, strict=True):
            pass
    except csv.Error as error:
        if "unexpected end of data" in str(error):
            raise DataError(
                'The file has a quotation mark (") that is never closed, so the rest of the file cannot '
                "be read. Add the closing quote or remove the stray one."
            ) from None


def detect_delimiter(lines: list[str]) -> str:
    """Pick the delimiter that splits the sample lines into the same number (at least 2) of cells.

    When several do, tab and semicolon win over comma, because commas also appear
    inside numbers (decimal commas, thousands separators) while the others rarely do.
    """
    preference = ["\t", ";", ","]
    scores = {}
    for delimiter in preference:
        counts = Counter(len(row) for row in split_rows(lines, delimiter))
        width, rows = counts.most_common(1)[0] if counts else (0, 0)
        scores[delimiter] = rows / len(lines) if width >= 2 else 0.0
    best = max(preference, key=lambda delimiter: scores[delimiter])
    # With no delimiter that splits the lines, the file has one column; comma is the usual case.
    return best if scores[best] > 0 else ","


# --- numbers --------------------------------------------------------------------------------


def number_pattern(decimal: str, thousands: str) -> re.Pattern[str]:
    """Return a regular expression that fully matches one number written with these marks.

    Thousands groups must be exact: '1.234.567' with a point separator, never '12.34'.
    """
    point = re.escape(decimal)
    if thousands:
        group = re.escape(thousands)
        integer = rf"(?:[1-9][0-9]{{0,2}}(?:{group}[0-9]{{3}})+|[0-9]+)"
    else:
        integer = r"[0-9]+"
    # [0-9] and not \d, because Python's \d also matches non-ASCII digits that pandas does not parse.
    return re.compile(rf"[+-]?(?:{integer}(?:{point}[0-9]*)?|{point}[0-9]+)(?:[eE][+-]?[0-9]+)?")


def number_format_candidates(delimiter: str) -> list[tuple[str, str]]:
    """List (decimal, thousands) pairs in the order that wins ties for this delimiter.

    Semicolon-separated files usually come from locales that write a decimal comma.
    """
    decimals = [",", "."] if delimiter == ";" else [".", ","]
    return [
        (decimal, thousands)
        for decimal in decimals
        for thousands in THOUSANDS_SEPARATORS
        if thousands != decimal
    ]


def detect_number_format(
    cells: list[str], delimiter: str, decimal: str | None = None, thousands: str | None = None
) -> tuple[str, str]:
    """Pick the decimal mark and thousands separator under which most sample cells are numbers.

    ``decimal`` or ``thousands`` given by the caller are kept as they are.
    """
    candidates = [
        (candidate_decimal, candidate_thousands)
        for candidate_decimal, candidate_thousands in number_format_candidates(delimiter)
        if decimal in (None, candidate_decimal) and thousands in (None, candidate_thousands)
    ]
    if not candidates:
        # The caller chose both, or chose a pair that the table leaves out (the same mark twice).
        return decimal or ".", thousands or ""
    numeric_cells = [cell for cell in cells if cell and any(character.isdigit() for character in cell)]

    def matches(candidate: tuple[str, str]) -> int:
        pattern = number_pattern(*candidate)
        return sum(1 for cell in numeric_cells if pattern.fullmatch(cell))

    # max() keeps the first of equal counts, so the preference order breaks ties.
    return max(candidates, key=matches)


def is_number(cell: str, pattern: re.Pattern[str]) -> bool:
    return bool(pattern.fullmatch(cell.strip()))
