"""What validation found: each `Problem`, the `ValidationReport`, and writing the rejects.

Row numbers are 1-based data rows as in the source file: row 1 is the first row under the
CSV header (or the first row of the Parquet file).

Extra columns (outside the contract) are kept after the canonical columns and reported as a
problem with rule "extra column kept"; that finding alone does not make the report fail
(`ValidationReport.ok` stays True). Every other problem does.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import overload

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


PROBLEM_COLUMNS = ["table", "row", "column", "value", "rule"]


def problem_frame(rows: list[tuple[str, int | None, str | None, str | None, str]]) -> pd.DataFrame:
    """Problems given one by one as (table, row, column, value, rule), in the columns' dtypes."""
    frame = pd.DataFrame(rows, columns=PROBLEM_COLUMNS, dtype=object)
    return _typed(frame)


def _typed(frame: pd.DataFrame) -> pd.DataFrame:
    """Values as Arrow strings; table, column and rule as objects shared between rows."""
    shared = dict.fromkeys(("table", "column", "rule"), object)
    return frame.astype({"row": "Int64", "value": "str", **shared})


class Problems(Sequence[Problem]):
    """Every finding of a report, held as columns (table, row, column, value, rule).

    A million bad rows make millions of findings; as `Problem` objects they took gigabytes, so
    they are kept as Arrow-backed columns and a `Problem` is made only when one is read
    (`problems[0]`, `problems[:50]`, iteration).
    """

    def __init__(self, frame: pd.DataFrame | None = None) -> None:
        self.frame = problem_frame([]) if frame is None else _typed(frame).reset_index(drop=True)

    def __len__(self) -> int:
        return len(self.frame)

    @overload
    def __getitem__(self, index: int) -> Problem: ...

    @overload
    def __getitem__(self, index: slice) -> list[Problem]: ...

    def __getitem__(self, index: int | slice) -> Problem | list[Problem]:
        if isinstance(index, slice):
            return list(self._objects(self.frame.iloc[index]))
        return next(self._objects(self.frame.iloc[[index]]))

    def __iter__(self) -> Iterator[Problem]:
        for start in range(0, len(self.frame), 10_000):
            yield from self._objects(self.frame.iloc[start : start + 10_000])

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, Sequence):
            return NotImplemented
        return len(self) == len(other) and list(self) == list(other)

    def __repr__(self) -> str:
        return f"Problems({len(self)} problem(s))"

    def where(self, mask: pd.Series) -> Problems:
        """The problems for which `mask` (aligned with `frame`) holds."""
        return Problems(self.frame[mask.to_numpy(dtype=bool)])

    @staticmethod
    def _objects(frame: pd.DataFrame) -> Iterator[Problem]:
        columns = [frame[c].astype(object).where(frame[c].notna(), None) for c in PROBLEM_COLUMNS]
        for table, row, column, value, rule in zip(*columns, strict=True):
            yield Problem(table, None if row is None else int(row), column, value, rule)


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
    problems: Problems
    rejects: dict[str, pd.DataFrame]
    extra_columns: dict[str, list[str]]
    rows_read: dict[str, int] = field(default_factory=dict)

    @property
    def ok(self) -> bool:
        """True if the data hold the contract: no problem other than extra columns kept."""
        return self.tables is not None and len(self.errors) == 0

    @property
    def errors(self) -> Problems:
        """The problems that break the contract (everything but notices)."""
        return self.problems.where(~self.problems.frame["rule"].isin(NOTICE_RULES))


def write_rejects(report: ValidationReport, out_dir: Path) -> list[Path]:
    """Write `<table>.csv` for every table with rejects and `problems.csv` listing every problem.

    Each file is written atomically (temporary file, then rename). Returns the paths written.
    """
    written = []
    for name, frame in report.rejects.items():
        written.append(write_csv_atomic(frame, out_dir / f"{name}.csv"))
    if len(report.problems):
        written.append(write_csv_atomic(report.problems.frame, out_dir / "problems.csv"))
    return written
