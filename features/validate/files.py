"""Reading a directory's table files without stopping at the first one that cannot be read.

A file that cannot be read (not UTF-8, empty, a row with more fields than the header, a quote
never closed, a corrupt Parquet file) is reported as a problem of its table naming the file,
the line and what is wrong; the other tables are still read and checked. Finding the line is
done only when pandas has already failed: the file is then scanned once more with Python's
`csv` module, which counts lines exactly.
"""

from __future__ import annotations

import csv
import io
import logging
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd

from features.tables import read_raw_table, table_files

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class RawFiles:
    """What was read from a directory.

    Attributes:
        tables: per table read, its rows as read (CSV as text, Parquet typed).
        unreadable: per table whose file could not be read, the rule to report for it
            (`unreadable file PATH: line N: PROBLEM`).
    """

    tables: dict[str, pd.DataFrame]
    unreadable: dict[str, str] = field(default_factory=dict)


def read_table_files(directory: Path) -> RawFiles:
    """Read every contract table file in `directory`, each file on its own.

    Raises:
        SchemaError: `directory` is not a directory or lacks a required table file.
    """
    tables: dict[str, pd.DataFrame] = {}
    unreadable: dict[str, str] = {}
    for name, path in table_files(directory).items():
        try:
            tables[name] = read_raw_table(path)
        except (OSError, ValueError) as err:  # pandas' and Arrow's parse errors are ValueErrors
            unreadable[name] = f"unreadable file {path}: {describe_unreadable(path, err)}"
            logger.warning("%s: %s", name, unreadable[name])
    return RawFiles(tables, unreadable)


def describe_unreadable(path: Path, err: Exception) -> str:
    """Where and why `path` could not be read, for a person: `line 4: expected 9 fields, saw 10`."""
    if path.suffix != ".csv":
        return f"not a readable Parquet file ({err})"
    try:
        data = path.read_bytes()
    except OSError as read_err:
        return f"cannot open ({read_err.strerror or read_err})"
    return _csv_problem(data) or str(err).strip()


def _csv_problem(data: bytes) -> str | None:
    """The first line of CSV bytes that breaks UTF-8 or the CSV format, or None if none does."""
    if not data.strip():
        return "line 1: empty file, no header line"
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as err:
        line = data.count(b"\n", 0, err.start) + 1
        return f"line {line}: byte 0x{data[err.start]:02x} is not UTF-8 (save the file as UTF-8)"
    reader = csv.reader(io.StringIO(text, newline=""), strict=True)
    width = len(next(reader))
    start = reader.line_num + 1
    try:
        for row in reader:
            if len(row) > width:
                return f"line {start}: expected {width} fields as in the header, saw {len(row)}"
            start = reader.line_num + 1
    except csv.Error as err:
        if "unexpected end of data" in str(err):
            return f"line {start}: a quoted field is never closed"
        return f"line {start}: {err}"
    return None
