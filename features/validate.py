"""Validation of raw tables against the canonical data contract (`features.schema`).

Bad rows are never silently dropped. `validate_tables` types every column, checks every rule
and splits each table into the rows it keeps and the rows it rejects, each reject with the
reason it was rejected; callers choose to fail (`load_valid_tables`) or to carry on with the
good rows and write the rejects (`write_rejects`, `arsight data validate --rejects`).

Row numbers are 1-based data rows as in the source file: row 1 is the first row under the
CSV header (or the first row of the Parquet file).

Extra columns (outside the contract) are kept after the canonical columns and reported as a
problem with rule "extra column kept"; that finding alone does not make the report fail
(`ValidationReport.ok` stays True). Every other problem does.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from features.errors import SchemaError, SourceError
from features.schema import TABLES
from features.tables import Tables, read_raw_tables, write_csv_atomic
from features.validate_table import EXTRA_COLUMN, MISSING_COLUMN, TableFindings, validate_table

logger = logging.getLogger(__name__)

MISSING_TABLE = "required table missing"
NOTICE_RULES = frozenset({EXTRA_COLUMN})
"""Rules that are reported but do not make the data fail the contract."""

__all__ = [
    "EXTRA_COLUMN",
    "MISSING_COLUMN",
    "MISSING_TABLE",
    "Problem",
    "ValidationReport",
    "load_valid_tables",
    "validate_directory",
    "validate_tables",
    "write_rejects",
]


@dataclass(frozen=True, slots=True)
class Problem:
    """One finding: where (table, 1-based source row, column), the value as read, the rule.

    `row` is None for a table-level finding (a missing table or column, an extra column).
    """

    table: str
    row: int | None
    column: str | None
    value: str | None
    rule: str

    @property
    def detail(self) -> str:
        """The finding without table and row, as written to a reject's `reason`."""
        if self.column is None:
            return self.rule
        value = "" if self.value is None else f", value '{self.value}'"
        return f"column {self.column}{value}: {self.rule}"

    @property
    def is_error(self) -> bool:
        """True unless the finding is only a notice (an extra column kept)."""
        return self.rule not in NOTICE_RULES

    def __str__(self) -> str:
        where = self.table if self.row is None else f"{self.table} row {self.row}"
        if self.column is None:
            return f"{where}: {self.rule}"
        return f"{where}, {self.detail}"


@dataclass(frozen=True)
class ValidationReport:
    """What validation found.

    Attributes:
        tables: the good rows of every table, in canonical dtypes, extra columns last; None
            if a required table is missing or lacks a required column.
        problems: every finding, table by table in contract order, rows in source order.
        rejects: per table with rejected rows: each rejected row as read, with `row` (1-based
            source row) first and `reason` (every broken rule, joined by "; ") last.
        extra_columns: per table read, the columns outside the contract (kept as read).
        rows_read: per table read, its number of data rows.
    """

    tables: Tables | None
    problems: list[Problem]
    rejects: dict[str, pd.DataFrame]
    extra_columns: dict[str, list[str]]
    rows_read: dict[str, int] = field(default_factory=dict)

    @property
    def ok(self) -> bool:
        """True if the data hold the contract: no problem other than extra columns kept."""
        return self.tables is not None and not any(p.is_error for p in self.problems)

    @property
    def errors(self) -> list[Problem]:
        """The problems that break the contract (everything but notices)."""
        return [p for p in self.problems if p.is_error]


def validate_tables(raw: Mapping[str, pd.DataFrame]) -> ValidationReport:
    """Validate raw tables (CSV text or typed Parquet) against the contract.

    Tables are checked parents first, so a row whose parent was rejected is rejected too.

    Raises:
        SchemaError: `raw` names a table that is not in the contract.
    """
    unknown = sorted(set(raw) - set(TABLES))
    if unknown:
        raise SchemaError(f"unknown table(s) {unknown}; the contract has {list(TABLES)}")
    done: dict[str, TableFindings] = {}
    problems: list[Problem] = []
    rejects: dict[str, pd.DataFrame] = {}
    usable = True
    for name, table in TABLES.items():
        if name not in raw:
            if table.required:
                problems.append(Problem(name, None, None, None, MISSING_TABLE))
                usable = False
            continue
        result = validate_table(table, raw[name], done)
        done[name] = result
        problems += _problems(name, result)
        if result.rejected.any():
            rejects[name] = _reject_frame(raw[name], result)
        usable = usable and (result.kept is not None or not table.required)
    tables = Tables(**{n: r.kept for n, r in done.items()}) if usable else None  # type: ignore[arg-type]
    report = ValidationReport(
        tables=tables,
        problems=problems,
        rejects=rejects,
        extra_columns={n: r.extra_columns for n, r in done.items()},
        rows_read={n: len(raw[n]) for n in done},
    )
    logger.info("validation: %d problem(s), %d table(s) with rejects", len(problems), len(rejects))
    return report


def _problems(name: str, result: TableFindings) -> list[Problem]:
    """Table-level problems first, then one problem per finding in source-row order."""
    found = [Problem(name, None, column, None, rule) for column, rule in result.table_rules]
    found += [Problem(name, None, column, None, EXTRA_COLUMN) for column in result.extra_columns]
    frame = result.problems
    columns = (frame[c].tolist() for c in ("position", "column", "value", "rule"))
    found += [
        Problem(name, position + 1, column, value, rule)
        for position, column, value, rule in zip(*columns, strict=True)
    ]
    return found


def _reject_frame(raw: pd.DataFrame, result: TableFindings) -> pd.DataFrame:
    """The rejected rows as read, with `row` first and `reason` last.

    A source column that is itself called `row` or `reason` is renamed `<name>_as_read`.
    """
    positions = np.flatnonzero(result.rejected)
    frame = raw.reset_index(drop=True).iloc[positions].reset_index(drop=True)
    frame = frame.rename(columns={c: f"{c}_as_read" for c in ("row", "reason") if c in frame})
    frame.insert(0, "row", positions + 1)
    if result.table_rules:
        frame["reason"] = "; ".join(f"column {c}: {rule}" for c, rule in result.table_rules)
        return frame
    found = result.problems
    value = ", value '" + found["value"].astype("str") + "'"
    value = value.where(found["value"].notna(), "")
    details = ("column " + found["column"] + value + ": " + found["rule"].astype("str")).tolist()
    # Findings are sorted by row: each rejected row is one run of equal positions.
    position = found["position"].to_numpy()
    starts = np.flatnonzero(np.r_[True, position[1:] != position[:-1]])
    ends = np.r_[starts[1:], len(position)]
    frame["reason"] = ["; ".join(details[a:b]) for a, b in zip(starts, ends, strict=True)]
    return frame


def validate_directory(directory: Path) -> ValidationReport:
    """Read every table file in `directory` and validate it.

    Raises:
        SchemaError: `directory` is not a directory or lacks a required table.
        SourceError: a table file cannot be read (corrupt Parquet, undecodable CSV, ...).
    """
    try:
        raw = read_raw_tables(directory)
    except (OSError, ValueError) as err:
        raise SourceError(f"{directory}: cannot read tables: {err}") from err
    return validate_tables(raw)


def load_valid_tables(directory: Path, max_listed: int = 20) -> Tables:
    """The canonical tables of `directory`, or an error listing what breaks the contract.

    Raises:
        SchemaError: any problem other than an extra column; the message lists the first
            `max_listed` problems and how many more there are.
    """
    report = validate_directory(directory)
    if report.ok and report.tables is not None:
        return report.tables
    errors = report.errors
    lines = [str(p) for p in errors[:max_listed]]
    if len(errors) > max_listed:
        lines.append(f"... and {len(errors) - max_listed} more")
    raise SchemaError(
        f"{directory}: {len(errors)} problem(s) break the data contract:\n  " + "\n  ".join(lines)
    )


def write_rejects(report: ValidationReport, out_dir: Path) -> list[Path]:
    """Write `<table>.csv` for every table with rejects and `problems.csv` listing every problem.

    Each file is written atomically (temporary file, then rename). Returns the paths written.
    """
    written = []
    for name, frame in report.rejects.items():
        written.append(write_csv_atomic(frame, out_dir / f"{name}.csv"))
    if report.problems:
        listing = pd.DataFrame(
            [(p.table, p.row, p.column, p.value, p.rule) for p in report.problems],
            columns=["table", "row", "column", "value", "rule"],
        ).astype({"row": "Int64"})
        written.append(write_csv_atomic(listing, out_dir / "problems.csv"))
    return written
