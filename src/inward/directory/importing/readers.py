"""Read CSV and XLSX files as rows of strings, lazily, so that a file can be read twice.

A ``Table`` knows its headers and yields ``(line, cells)`` with the line number a person
would see in a spreadsheet or editor (the header is line 1). Blank rows are skipped.
"""

from __future__ import annotations

import codecs
import csv
import datetime as dt
import io
import shutil
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass
from typing import BinaryIO, Literal

from inward.directory.importing.report import ImportFileError

SAMPLE_BYTES = 64 * 1024
DELIMITERS = (",", ";", "\t", "|")
XLSX_MAGIC = b"PK\x03\x04"
csv.field_size_limit(1024 * 1024)


@dataclass
class Table:
    source: BinaryIO
    file_format: Literal["csv", "xlsx"]
    headers: list[str]
    encoding: str | None = None
    delimiter: str | None = None

    def rows(self) -> Iterator[tuple[int, list[str]]]:
        """Every data row, from the top of the file, each time it is called."""
        self.source.seek(0)
        if self.file_format == "xlsx":
            yield from _xlsx_rows(self.source)
        else:
            assert self.encoding is not None and self.delimiter is not None
            yield from _csv_rows(self.source, self.encoding, self.delimiter)


def table_open(*, source: BinaryIO, filename: str) -> Table:
    """Detect the format, encoding and delimiter, and read the header row."""
    source = _seekable(source)
    head = source.read(SAMPLE_BYTES)
    source.seek(0)
    if head.startswith(XLSX_MAGIC) or filename.lower().endswith((".xlsx", ".xlsm")):
        return _xlsx_table(source)
    if not head.strip():
        raise ImportFileError("The file is empty.")
    encoding = detect_encoding(head)
    text = _decode_sample(head, encoding)
    delimiter = detect_delimiter(text)
    table = Table(source, "csv", [], encoding=encoding, delimiter=delimiter)
    table.headers = _csv_headers(source, encoding, delimiter)
    return table


def _seekable(source: BinaryIO) -> BinaryIO:
    if source.seekable():
        return source
    # Closed with the import: the caller's file is read twice, so it has to seek.
    spool: BinaryIO = tempfile.SpooledTemporaryFile(max_size=8 * 1024 * 1024)  # type: ignore[assignment]  # noqa: SIM115
    shutil.copyfileobj(source, spool)
    spool.seek(0)
    return spool


def detect_encoding(head: bytes) -> str:
    """UTF-8 (with or without BOM), UTF-16 (BOM or NUL pattern), else Windows-1252/Latin-1."""
    if head.startswith(codecs.BOM_UTF8):
        return "utf-8-sig"
    if head.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        return "utf-16"
    sample = head[:1000]
    if sample and sample.count(b"\x00") > len(sample) // 4:
        return "utf-16-le" if sample[1:2] == b"\x00" else "utf-16-be"
    if b"\x00" in sample:
        raise ImportFileError("This is not a CSV or XLSX file.")
    try:
        codecs.getincrementaldecoder("utf-8")().decode(head, final=False)
    except UnicodeDecodeError:
        pass
    else:
        return "utf-8"
    try:
        head.decode("cp1252")
    except UnicodeDecodeError:
        return "latin-1"
    return "cp1252"


def _decode_sample(head: bytes, encoding: str) -> str:
    try:
        return codecs.getincrementaldecoder(encoding)().decode(head, final=False)
    except UnicodeDecodeError as exc:
        raise ImportFileError(f"The file cannot be read as {encoding}.") from exc


def detect_delimiter(text: str) -> str:
    """The candidate that splits the first lines into the most, consistent, columns."""
    lines = text.splitlines()[:20]
    if len(lines) > 1 and len(text) >= SAMPLE_BYTES - 4:
        lines = lines[:-1]  # the last line of a cut sample may be incomplete
    best, best_score = ",", (0, 0)
    for delimiter in DELIMITERS:
        widths = [len(cells) for cells in csv.reader(lines, delimiter=delimiter)]
        if not widths or widths[0] < 2:
            continue
        score = (sum(width == widths[0] for width in widths), widths[0])
        if score > best_score:
            best, best_score = delimiter, score
    return best


def _text(source: BinaryIO, encoding: str) -> io.TextIOWrapper:
    return io.TextIOWrapper(source, encoding=encoding, newline="")


def _csv_headers(source: BinaryIO, encoding: str, delimiter: str) -> list[str]:
    text = _text(source, encoding)
    try:
        header = next(csv.reader(text, delimiter=delimiter), [])
    except UnicodeDecodeError as exc:
        raise ImportFileError(f"The file cannot be read as {encoding}.") from exc
    finally:
        text.detach()
    return [cell.strip() for cell in header]


def _csv_rows(source: BinaryIO, encoding: str, delimiter: str) -> Iterator[tuple[int, list[str]]]:
    text = _text(source, encoding)
    reader = csv.reader(text, delimiter=delimiter)
    try:
        next(reader, None)
        line = reader.line_num + 1
        for cells in reader:
            if any(cells):
                yield line, cells
            line = reader.line_num + 1
    except UnicodeDecodeError as exc:
        raise ImportFileError(
            f"The file cannot be read as {encoding} after line {reader.line_num}."
        ) from exc
    except csv.Error as exc:
        raise ImportFileError(f"Line {reader.line_num} is not valid CSV: {exc}.") from exc
    finally:
        text.detach()


def _xlsx_table(source: BinaryIO) -> Table:
    table = Table(source, "xlsx", [])
    first = next(_xlsx_raw_rows(source), None)
    table.headers = [cell.strip() for cell in first[1]] if first else []
    return table


def _xlsx_rows(source: BinaryIO) -> Iterator[tuple[int, list[str]]]:
    rows = _xlsx_raw_rows(source)
    next(rows, None)
    for line, cells in rows:
        if any(cells):
            yield line, cells


def _xlsx_raw_rows(source: BinaryIO) -> Iterator[tuple[int, list[str]]]:
    from openpyxl import load_workbook

    try:
        workbook = load_workbook(source, read_only=True, data_only=True)
    except Exception as exc:  # openpyxl raises many kinds for a damaged file
        raise ImportFileError("The file is not a readable XLSX workbook.") from exc
    try:
        sheet = workbook.worksheets[0]
        for line, values in enumerate(sheet.iter_rows(values_only=True), start=1):
            yield line, [_cell_text(value) for value in values]
    finally:
        workbook.close()


def _cell_text(value: object) -> str:
    if value is None:
        return ""
    if isinstance(value, dt.datetime):
        return value.date().isoformat() if value.time() == dt.time() else value.isoformat()
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)
