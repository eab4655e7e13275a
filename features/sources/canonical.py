"""Importing tables that already follow the data contract (CSV or Parquet, one file per table).

This is the import for data prepared elsewhere (a warehouse extract, another tool's output):
the files are validated exactly as any other import, the good rows are written as typed
canonical Parquet and the bad ones to `rejects/`. Files in the directory that are not contract
tables are named in a warning and otherwise left alone.
"""

from __future__ import annotations

import logging
from pathlib import Path

import pandas as pd

from features.errors import SourceError
from features.schema import TABLES
from features.sources.importing import SOURCE_ROW, ImportResult, MappedTables, finish_import
from features.validate.files import read_table_files

logger = logging.getLogger(__name__)


def import_canonical(source_dir: Path, out_dir: Path) -> ImportResult:
    """Validate the contract tables in `source_dir` and write them as Parquet in `out_dir`.

    A file that cannot be read is reported with its line and problem, the other tables are
    still checked and their rejects written, and the import is refused.

    Raises:
        SourceError: `out_dir` is `source_dir` (raw data are never overwritten).
        SchemaError: `source_dir` is not a directory or lacks a required table file.
        ImportRefused: see `finish_import`.
    """
    if out_dir.exists() and source_dir.exists() and out_dir.resolve() == source_dir.resolve():
        raise SourceError(f"{out_dir}: --out must differ from the source directory")
    files = read_table_files(source_dir)
    raw = files.tables
    others = sorted(
        p.name
        for p in source_dir.iterdir()
        if p.suffix in (".csv", ".parquet") and p.stem not in TABLES
    )
    if others:
        logger.warning("%s: not contract tables, ignored: %s", source_dir, others)
    for frame in raw.values():
        frame.index = pd.RangeIndex(1, len(frame) + 1, name=SOURCE_ROW)
    mapped = MappedTables(
        source=f"canonical {source_dir}", tables=raw, source_rows=raw, unreadable=files.unreadable
    )
    return finish_import(mapped, out_dir)
