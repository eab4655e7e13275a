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

from features.errors import SchemaError
from features.schema import TABLES
from features.settings import get_features_settings
from features.tables import Tables
from features.validate.files import read_table_files
from features.validate.report import MISSING_TABLE, Problem, ValidationReport
from features.validate.table import EXTRA_COLUMN, TableFindings, validate_table

logger = logging.getLogger(__name__)


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
    problems: list[Problem] = []
    rejects: dict[str, pd.DataFrame] = {}
    usable = True
    unreadable = unreadable or {}
    for name, table in TABLES.items():
        if name in unreadable:  # even an optional table is never left out silently
            problems.append(Problem(name, None, None, None, unreadable[name]))
            usable = False
        if name not in raw:
            if table.required and name not in unreadable:
                problems.append(Problem(name, None, None, None, MISSING_TABLE))
            usable = usable and not table.required
            continue
        result = validate_table(table, raw[name], done, limit)
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
