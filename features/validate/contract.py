"""Validating raw tables against the canonical data contract (`features.schema`).

Bad rows are never silently dropped. `validate_tables` types every column, checks every rule
and splits each table into the rows it keeps and the rows it rejects, each reject with the
reason it was rejected; callers choose to fail (`load_valid_tables`) or to carry on with the
good rows and write the rejects (`features.validate.report.write_rejects`,
`arsight data validate --rejects`). Row numbers and notices: see `features.validate.report`.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from features.errors import SchemaError
from features.schema import TABLES
from features.settings import get_features_settings
from features.tables import Tables
from features.validate.files import read_table_files
from features.validate.report import (
    MISSING_TABLE,
    PROBLEM_COLUMNS,
    Problems,
    ValidationReport,
    problem_frame,
)
from features.validate.table import EXTRA_COLUMN, TableFindings, validate_table

logger = logging.getLogger(__name__)

STR = pd.StringDtype("pyarrow", na_value=np.nan)
"""pandas' "str" dtype, Arrow-backed, for columns made from Arrow arrays."""


def validate_tables(
    raw: Mapping[str, pd.DataFrame],
    max_amount: float | None = None,
    unreadable: Mapping[str, str] | None = None,
) -> ValidationReport:
    """Validate raw tables (CSV text or typed Parquet) against the contract.

    Tables are checked parents first, so a row whose parent was rejected is rejected too.
    `max_amount` bounds every money column; default `FeaturesSettings.max_amount`
    (`ARSIGHT_MAX_AMOUNT`, read when called). `unreadable` names the tables whose file could
    not be read, with the rule to report (`features.validate.files`): such a table is not
    checked, and the data are unusable (`tables` None) whichever table it is, so that no
    caller computes features without a table the source meant to give.

    Raises:
        SchemaError: `raw` names a table that is not in the contract.
    """
    unknown = sorted(set(raw) - set(TABLES))
    if unknown:
        raise SchemaError(f"unknown table(s) {unknown}; the contract has {list(TABLES)}")
    limit = get_features_settings().max_amount if max_amount is None else max_amount
    done: dict[str, TableFindings] = {}
    problems: list[pd.DataFrame] = []
    rejects: dict[str, pd.DataFrame] = {}
    usable = True
    unreadable = unreadable or {}
    for name, table in TABLES.items():
        if name in unreadable:  # even an optional table is never left out silently
            problems.append(problem_frame([(name, None, None, None, unreadable[name])]))
            usable = False
        if name not in raw:
            if table.required and name not in unreadable:
                problems.append(problem_frame([(name, None, None, None, MISSING_TABLE)]))
            usable = usable and not table.required
            continue
        result = validate_table(table, raw[name], done, limit)
        done[name] = result
        problems.append(_problems(name, result))
        if result.rejected.any():
            rejects[name] = _reject_frame(raw[name], result)
        usable = usable and (result.kept is not None or not table.required)
    tables = Tables(**{n: r.kept for n, r in done.items()}) if usable else None  # type: ignore[arg-type]
    report = ValidationReport(
        tables=tables,
        problems=Problems(pd.concat(problems, ignore_index=True) if problems else None),
        rejects=rejects,
        extra_columns={n: r.extra_columns for n, r in done.items()},
        rows_read={n: len(raw[n]) for n in done},
    )
    logger.info("validation: %d problem(s), %d table(s) with rejects", len(problems), len(rejects))
    return report


def _problems(name: str, result: TableFindings) -> pd.DataFrame:
    """Table-level problems first, then one problem per finding in source-row order."""
    listed = [(name, None, column, None, rule) for column, rule in result.table_rules]
    listed += [(name, None, column, None, EXTRA_COLUMN) for column in result.extra_columns]
    found = result.problems
    shared = np.array([name], dtype=object).repeat(len(found))  # one string, not one per row
    table = pd.Series(shared, index=found.index, dtype=object, copy=False)
    rows = found.drop(columns="position").assign(table=table, row=found["position"] + 1)
    return pd.concat([problem_frame(listed), rows[PROBLEM_COLUMNS]], ignore_index=True)


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
    frame["reason"] = _reasons(result.problems)
    return frame


def _reasons(found: pd.DataFrame, chunk: int = 100_000) -> pd.Series:
    """Per rejected row, its findings' details joined by "; " (findings sorted by row).

    Joined in Arrow, a chunk of findings at a time: seven million details as Python strings
    at once took gigabytes. Each rejected row is one run of equal positions.
    """
    position = found["position"].to_numpy()
    starts = np.flatnonzero(np.r_[True, position[1:] != position[:-1]])
    bounds = np.r_[starts, len(position)]
    parts = []
    for first in range(0, len(starts), chunk):
        runs = bounds[first : first + chunk + 1]
        part = found.iloc[runs[0] : runs[-1]]
        value = (", value '" + part["value"] + "'").fillna("")
        details = (
            "column " + part["column"].astype("str") + value + ": " + part["rule"].astype("str")
        )
        array = pa.array(details)
        array = array.combine_chunks() if isinstance(array, pa.ChunkedArray) else array
        offsets = pa.array((runs - runs[0]).astype(np.int64))
        lists = pa.LargeListArray.from_arrays(offsets, array.cast(pa.large_string()))
        parts.append(pc.binary_join(lists, pa.scalar("; ", pa.large_string())))
    joined = pa.chunked_array(parts, type=pa.large_string())
    return pd.Series(joined.to_pandas(types_mapper=lambda _: STR))


def validate_directory(directory: Path, max_amount: float | None = None) -> ValidationReport:
    """Read every table file in `directory` and validate it (`max_amount`: see validate_tables).

    A file that cannot be read is a problem of its table (file, line, what is wrong); the
    other tables are still read and checked.

    Raises:
        SchemaError: `directory` is not a directory or lacks a required table.
    """
    files = read_table_files(directory)
    return validate_tables(files.tables, max_amount, files.unreadable)


def load_valid_tables(
    directory: Path, max_listed: int = 20, max_amount: float | None = None
) -> Tables:
    """The canonical tables of `directory`, or an error listing what breaks the contract.

    Raises:
        SchemaError: any problem other than an extra column; the message lists the first
            `max_listed` problems and how many more there are.
    """
    report = validate_directory(directory, max_amount)
    if report.ok and report.tables is not None:
        return report.tables
    errors = report.errors
    lines = [str(p) for p in errors[:max_listed]]
    if len(errors) > max_listed:
        lines.append(f"... and {len(errors) - max_listed} more")
    raise SchemaError(
        f"{directory}: {len(errors)} problem(s) break the data contract:\n  " + "\n  ".join(lines)
    )
