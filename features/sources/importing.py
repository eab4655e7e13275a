"""The one way every import ends: validate, write canonical Parquet and every reject.

An importer maps its source into raw canonical tables and sets aside the rows it could not map
at all (with a `reason`). `finish_import` validates the mapped tables against the contract,
writes the good rows as `<out>/<table>.parquet` (each file atomically) and all rejects, the
importer's and validation's, to `<out>/rejects/<table>.csv`. Nothing is dropped silently: per
table, rows in == rows written + rows rejected, and `ImportResult` says so.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd
from rich.table import Table as RichTable

from features.errors import ImportRefused, SourceError
from features.schema import TABLES, Table
from features.tables import write_csv_atomic, write_tables
from features.validate import ValidationReport, validate_tables

logger = logging.getLogger(__name__)

REJECTS_DIR = "rejects"
SOURCE_ROW = "source_row"
REASON = "reason"


@dataclass(frozen=True)
class ImportResult:
    """What an import read, wrote and rejected, per table.

    Attributes:
        source: what was imported, for messages (``ibm-ar WA_Fn...csv``).
        out_dir: the directory the canonical tables were written to.
        rows_in: rows read (or derived, for customers built from invoice rows) per table.
        rows_written: rows written to `<table>.parquet` per table.
        rows_rejected: rows written to `rejects/<table>.csv` per table.
        written: the Parquet files written.
        reject_files: the reject files written.
        removed: files of an earlier import in `out_dir` that this one replaced by nothing.
        extra_columns: per table, columns outside the contract that were kept as read.
    """

    source: str
    out_dir: Path
    rows_in: dict[str, int]
    rows_written: dict[str, int]
    rows_rejected: dict[str, int]
    written: list[Path] = field(default_factory=list)
    reject_files: list[Path] = field(default_factory=list)
    removed: list[Path] = field(default_factory=list)
    extra_columns: dict[str, list[str]] = field(default_factory=dict)

    @property
    def balanced(self) -> bool:
        """True when every row read was either written or rejected (always, by construction)."""
        return all(
            self.rows_in[t] == self.rows_written.get(t, 0) + self.rows_rejected.get(t, 0)
            for t in self.rows_in
        )

    @property
    def total_rejected(self) -> int:
        return sum(self.rows_rejected.values())

    def to_rich(self) -> RichTable:
        """A table of rows in / written / rejected per canonical table, for the CLI."""
        table = RichTable(title=f"import {self.source}")
        for header in ("table", "rows in", "written", "rejected"):
            table.add_column(header, justify="left" if header == "table" else "right")
        for name, count in self.rows_in.items():
            table.add_row(
                name,
                f"{count:,}",
                f"{self.rows_written.get(name, 0):,}",
                f"{self.rows_rejected.get(name, 0):,}",
            )
        return table


@dataclass(frozen=True)
class MappedTables:
    """What an importer hands to `finish_import`.

    Attributes:
        source: what was imported, for messages (``csv export.csv``).
        tables: mapped tables in canonical column names, indexed by 1-based source row (index
            named `source_row`) where the importer knows it, else by position.
        rejects: rows the importer could not map, as read, with `source_row` and `reason`.
        rows_in: rows read per table; default: mapped rows plus importer rejects.
        source_rows: per table, the source rows as read, indexed by source row: a row that
            validation rejects is written to the rejects as read, like the importer's rejects.
        unreadable: per table whose file could not be read, the problem (file, line, what).
    """

    source: str
    tables: dict[str, pd.DataFrame]
    rejects: dict[str, pd.DataFrame] = field(default_factory=dict)
    rows_in: dict[str, int] | None = None
    source_rows: dict[str, pd.DataFrame] = field(default_factory=dict)
    unreadable: dict[str, str] = field(default_factory=dict)

    def counts_in(self) -> dict[str, int]:
        """Rows in per table: as stated, else mapped rows plus the importer's rejects."""
        if self.rows_in is not None:
            return dict(self.rows_in)
        return {n: len(f) + len(self.rejects.get(n, ())) for n, f in self.tables.items()}


def finish_import(mapped: MappedTables, out_dir: Path) -> ImportResult:
    """Validate mapped tables, write the good rows as Parquet and every reject as CSV.

    `out_dir` then holds this import only: table and reject files an earlier import left for
    tables this one does not write are removed (and listed in the result).

    Raises:
        ImportRefused: a required table is missing, lacks a required column or keeps no row,
            or a file could not be read. The rejects (every row of an unusable table, with
            the reason) are written all the same and no table is: `out_dir` then holds only
            `rejects/`, so that no earlier import's tables pass for this one's.
    """
    raw = {name: _with_optional_columns(name, f) for name, f in mapped.tables.items()}
    report = validate_tables(raw, unreadable=mapped.unreadable)
    rejects = _collect_rejects(mapped, report.rejects, raw)
    refusal = _refusal(report, mapped.unreadable)
    if refusal is not None or report.tables is None:
        reject_files = _write_rejects(rejects, out_dir)
        _remove_stale(out_dir, set(), set(rejects))
        raise ImportRefused(f"{mapped.source}: cannot import: {refusal}", reject_files)
    rows_in = mapped.counts_in()
    rows_written = {name: len(frame) for name, frame in report.tables.items()}
    rows_rejected = {name: len(frame) for name, frame in rejects.items()}
    lost = {
        n: c - rows_written.get(n, 0) - rows_rejected.get(n, 0)
        for n, c in rows_in.items()
        if c != rows_written.get(n, 0) + rows_rejected.get(n, 0)
    }
    if lost:
        # Only a bug can get here; refuse to write rather than lose rows quietly.
        raise SourceError(f"{mapped.source}: rows neither written nor rejected: {lost}")
    written = write_tables(report.tables, out_dir)
    reject_files = _write_rejects(rejects, out_dir)
    logger.info("imported %s: %s written, %s rejected", mapped.source, rows_written, rows_rejected)
    return ImportResult(
        source=mapped.source,
        out_dir=out_dir,
        rows_in=rows_in,
        rows_written=rows_written,
        rows_rejected=rows_rejected,
        written=written,
        reject_files=reject_files,
        removed=_remove_stale(out_dir, set(rows_written), set(rejects)),
        extra_columns={n: c for n, c in report.extra_columns.items() if c},
    )


def _refusal(report: ValidationReport, unreadable: dict[str, str]) -> str | None:
    """Why nothing can be imported, or None: what `arsight data validate` calls unusable,
    an unreadable file (its rows are neither written nor rejected), a required table that
    keeps no row."""
    if report.tables is None or unreadable:
        table_level = report.errors.where(report.errors.frame["row"].isna())
        return "; ".join(str(p) for p in table_level)
    empty = [
        f"{name}: no row kept ({report.rows_read.get(name, 0):,} read, "
        f"{len(report.rejects.get(name, ())):,} rejected)"
        for name, table in TABLES.items()
        if table.required and len(getattr(report.tables, name)) == 0
    ]
    return "; ".join(empty) or None


def _write_rejects(rejects: dict[str, pd.DataFrame], out_dir: Path) -> list[Path]:
    return [write_csv_atomic(f, out_dir / REJECTS_DIR / f"{n}.csv") for n, f in rejects.items()]


def _collect_rejects(
    mapped: MappedTables, found: dict[str, pd.DataFrame], raw: dict[str, pd.DataFrame]
) -> dict[str, pd.DataFrame]:
    """Per table, the importer's rejects and validation's, in one frame ordered by source row."""
    rejects: dict[str, pd.DataFrame] = {}
    for name in TABLES:
        invalid = _validation_rejects(found.get(name), raw.get(name), mapped.source_rows.get(name))
        present = [p for p in (mapped.rejects.get(name), invalid) if p is not None and len(p)]
        if present:
            rejects[name] = _reject_columns(pd.concat(present, ignore_index=True))
    return rejects


def _with_optional_columns(name: str, frame: pd.DataFrame) -> pd.DataFrame:
    """`frame` with every optional contract column it lacks added as typed nulls.

    Every import then writes the same columns, whatever its source knows.
    """
    table = TABLES.get(name)
    if table is None:
        return frame
    absent = [c for c in table.columns if not c.required and c.name not in frame.columns]
    if not absent:
        return frame
    nulls = {c.name: pd.Series(None, index=frame.index, dtype=c.dtype) for c in absent}
    frame = frame.assign(**nulls)
    return frame[[*[c for c in table.column_names if c in frame.columns], *_extra(table, frame)]]


def _extra(table: Table, frame: pd.DataFrame) -> list[str]:
    return [c for c in frame.columns if c not in table.column_names]


def _validation_rejects(
    found: pd.DataFrame | None, raw: pd.DataFrame | None, source: pd.DataFrame | None
) -> pd.DataFrame | None:
    """Validation's rejects with `source_row` for their `row`, as read where the source is known.

    Validation numbers rows by position in the mapped table; the mapped table's index, when
    named `source_row`, gives the source row.
    """
    if found is None or raw is None:
        return None
    positions = found["row"].to_numpy() - 1
    reasons = found[REASON]
    if raw.index.name != SOURCE_ROW:
        # Rows the importer derived (customers built from invoice rows) have no source row.
        out = found.drop(columns="row")
        out.insert(0, SOURCE_ROW, pd.Series(pd.NA, index=out.index, dtype="Int64"))
        return out
    rows = raw.index.to_numpy()[positions]
    if source is not None:
        out = source.loc[rows].reset_index()
    else:
        out = found.drop(columns=["row", REASON]).assign(**{SOURCE_ROW: rows})
    why = reasons.astype("str").set_axis(out.index)
    out[REASON] = "source row " + pd.Series(rows, index=out.index).astype("str") + ": " + why
    return out


def _reject_columns(frame: pd.DataFrame) -> pd.DataFrame:
    """`source_row` first, `reason` last, the row's values in between; rows by source row."""
    middle = [c for c in frame.columns if c not in (SOURCE_ROW, REASON)]
    frame = frame[[SOURCE_ROW, *middle, REASON]]
    frame = frame.astype({SOURCE_ROW: "Int64"})
    return frame.sort_values(SOURCE_ROW, kind="stable", na_position="last").reset_index(drop=True)


def _remove_stale(out_dir: Path, produced: set[str], rejected: set[str]) -> list[Path]:
    """Delete table and reject files an earlier import left that this import did not write."""
    stale = [out_dir / f"{n}.{s}" for n in TABLES for s in ("parquet", "csv") if n not in produced]
    stale += [out_dir / f"{n}.csv" for n in produced]
    stale += [out_dir / REJECTS_DIR / f"{n}.csv" for n in TABLES if n not in rejected]
    removed = [path for path in stale if path.exists()]
    for path in removed:
        logger.warning("removing %s left by an earlier import", path)
        path.unlink()
    return removed
