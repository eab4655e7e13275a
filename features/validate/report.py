"""What validation found: each `Problem`, the `ValidationReport`, and writing the rejects.

Row numbers are 1-based data rows as in the source file: row 1 is the first row under the
CSV header (or the first row of the Parquet file).

Extra columns (outside the contract) are kept after the canonical columns and reported as a
problem with rule "extra column kept"; that finding alone does not make the report fail
(`ValidationReport.ok` stays True). Every other problem does.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd

from features.tables import Tables, write_csv_atomic
from features.validate.table import EXTRA_COLUMN

MISSING_TABLE = "required table missing"
NOTICE_RULES = frozenset({EXTRA_COLUMN})
"""Rules that are reported but do not make the data fail the contract."""


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
