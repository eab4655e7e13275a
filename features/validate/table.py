"""Validating one table: coerce its columns, run the row rules, split kept rows from rejects.

`validate_table` is called by `features.validate.contract.validate_tables` in dependency order, so a
child table sees which of its parents' keys were kept.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from features.schema import Table
from features.validate.credits import check_credit_dates, check_overcredit
from features.validate.rules import (
    Finding,
    KeyIndex,
    ParentKeys,
    check_duplicates,
    check_nulls,
    check_overpayment,
    check_reference,
    check_values,
)
from features.validate.values import coerce_column, value_text

MISSING_COLUMN = "required column missing"
EXTRA_COLUMN = "extra column kept"

REFERENCES: dict[str, tuple[str, str]] = {
    "invoices": ("customer_id", "customers"),
    "payments": ("invoice_id", "invoices"),
    "signals": ("customer_id", "customers"),
    "deals": ("customer_id", "customers"),
    "credit_notes": ("invoice_id", "invoices"),
}
"""Child table -> (its reference column, the parent table it points to)."""


@dataclass(frozen=True)
class TableFindings:
    """Everything validation found in one table.

    Attributes:
        kept: the good rows, canonical columns in contract order then extra columns; None if
            the table is unusable (a required column is missing).
        rejected: True for every rejected row, by source position.
        problems: one row per finding: position, column, value (text), rule.
        table_rules: table-level findings as (column, rule).
        extra_columns: columns outside the contract, kept as read.
        parent_keys: the keys this table offers its children (None without a key or if
            the table is unusable).
        key_amounts: per distinct key, the amount of its first row (invoices: the limit
            their payments must stay within).
        key_dates: per distinct key, the issue date of its first row (invoices: the earliest
            date a credit note may carry).
    """

    kept: pd.DataFrame | None
    rejected: np.ndarray
    problems: pd.DataFrame
    table_rules: list[tuple[str, str]]
    extra_columns: list[str]
    parent_keys: ParentKeys | None = None
    key_amounts: np.ndarray | None = None
    key_dates: np.ndarray | None = None


def validate_table(
    table: Table, raw: pd.DataFrame, done: dict[str, TableFindings], max_amount: float
) -> TableFindings:
    """Validate `raw` against `table`, given the findings of the tables validated before.

    `max_amount` bounds every money column (`features.validate.rules.check_amount`).
    """
    raw = raw.reset_index(drop=True)
    extra = [c for c in raw.columns if c not in table.column_names]
    missing = [c for c in table.required_columns if c not in raw.columns]
    if missing:
        rules = [(c, MISSING_COLUMN) for c in missing]
        return TableFindings(None, np.ones(len(raw), dtype=bool), _no_problems(), rules, extra)
    typed, invalid = _coerce(table, raw)
    found = [
        Finding(np.flatnonzero(bad), name, coerced_rule)
        for name, (bad, coerced_rule) in invalid.items()
        if bad.any()
    ]
    found += check_nulls(table, typed, {n: bad for n, (bad, _) in invalid.items()})
    found += check_values(table, typed, max_amount)
    index = KeyIndex.build(typed[table.key]) if table.key is not None else None
    if table.key is not None and index is not None:
        found += check_duplicates(table.key, index)
    found += _check_parent(table, typed, done, found)
    rejected = _rejected(len(raw), found)
    kept = pd.concat([typed, raw[extra]], axis=1)[~rejected].reset_index(drop=True)
    keys, amounts, issued = None, None, None
    if index is not None:
        first = np.maximum(index.first, 0)
        keys = ParentKeys(table.name, index, ~rejected[first])
        amounts = typed["amount"].to_numpy(dtype="float64")[first] if "amount" in typed else None
        if "issue_date" in typed:
            issued = typed["issue_date"].to_numpy(dtype="datetime64[ns]")[first]
    problems = _problem_frame(raw, found)
    return TableFindings(kept, rejected, problems, [], extra, keys, amounts, issued)


def _coerce(
    table: Table, raw: pd.DataFrame
) -> tuple[pd.DataFrame, dict[str, tuple[np.ndarray, str]]]:
    """Every contract column in its canonical dtype (absent optional ones all null)."""
    columns: dict[str, pd.Series] = {}
    invalid: dict[str, tuple[np.ndarray, str]] = {}
    for column in table.columns:
        if column.name in raw.columns:
            coerced = coerce_column(raw[column.name], column.type)
            columns[column.name] = coerced.values
            invalid[column.name] = (coerced.invalid, coerced.rule)
        else:
            columns[column.name] = pd.Series(index=raw.index, dtype=column.dtype)
    return pd.DataFrame(columns, index=raw.index), invalid


def _check_parent(
    table: Table, typed: pd.DataFrame, done: dict[str, TableFindings], found: list[Finding]
) -> list[Finding]:
    """The reference to the parent table (if usable), then the amount rules of payments and
    credit notes (`_check_amounts`).

    The parent keys are looked up once for every check.
    """
    if table.name not in REFERENCES:
        return []
    column, parent_name = REFERENCES[table.name]
    parent = done.get(parent_name)
    if parent is None or parent.parent_keys is None:
        return []
    codes = parent.parent_keys.index.lookup(typed[column])
    references = check_reference(typed[column], codes, parent.parent_keys)
    return references + _check_amounts(table, typed, done, found + references, codes)


def _check_amounts(
    table: Table,
    typed: pd.DataFrame,
    done: dict[str, TableFindings],
    found: list[Finding],
    codes: np.ndarray,
) -> list[Finding]:
    """Payments within their invoice's amount; credit notes dated on or after their invoice's
    issue date, and within the amount its kept payments leave.

    Judged only on rows that no other rule rejects, so these come last.
    """
    if table.name not in ("payments", "credit_notes"):
        return []
    invoices = done["invoices"]  # their parent: `_check_parent` found it usable
    if invoices.key_amounts is None:
        return []
    rejected = _rejected(len(typed), found)
    if table.name == "payments":
        return check_overpayment(typed, rejected, codes, invoices.key_amounts)
    if invoices.key_dates is None:
        return []
    dated = check_credit_dates(typed, codes, invoices.key_dates)
    rejected = _rejected(len(typed), found + dated)
    paid = _paid_by_key(done.get("payments"), invoices)
    return dated + check_overcredit(typed, rejected, codes, invoices.key_amounts, paid)


def _paid_by_key(payments: TableFindings | None, invoices: TableFindings) -> np.ndarray:
    """Per distinct invoice key, the sum of its kept payments (0 without a payments table)."""
    assert invoices.parent_keys is not None and invoices.key_amounts is not None
    paid = np.zeros(len(invoices.key_amounts), dtype="float64")
    if payments is None or payments.kept is None:
        return paid
    codes = invoices.parent_keys.index.lookup(payments.kept["invoice_id"])
    known = codes >= 0
    amounts = payments.kept["amount"].to_numpy(dtype="float64")
    return np.bincount(codes[known], weights=amounts[known], minlength=len(paid))


def _rejected(rows: int, found: list[Finding]) -> np.ndarray:
    """True for every row named by at least one finding."""
    rejected = np.zeros(rows, dtype=bool)
    for finding in found:
        rejected[finding.positions] = True
    return rejected


def _no_problems() -> pd.DataFrame:
    return pd.DataFrame(
        {
            "position": pd.Series([], dtype="int64"),
            "column": pd.Series([], dtype=object),
            "value": pd.Series([], dtype="str"),
            "rule": pd.Series([], dtype=object),
        }
    )


def _problem_frame(raw: pd.DataFrame, found: list[Finding]) -> pd.DataFrame:
    """One row per finding, ordered by source row; values as they were read, as text.

    A million bad rows make seven million findings, which as one Python string each took
    gigabytes: values are Arrow strings, and column names and rule texts are object columns
    whose rows share one string per finding (only rules that name a row differ per row).
    """
    parts = [_no_problems()]
    for f in found:
        index = pd.RangeIndex(len(f.positions))
        values = raw[f.column].iloc[f.positions]
        if isinstance(values.dtype, pd.StringDtype):  # CSV text: already what was read
            text = values.astype("str").set_axis(index)
        else:
            text = pd.Series(value_text(values), index=index, dtype="str")
        parts.append(
            pd.DataFrame(
                {
                    "position": pd.Series(f.positions, index=index),
                    "column": _shared(f.column, index),
                    "value": text,
                    "rule": (
                        pd.Series(f.rules, index=index, dtype=object)
                        if isinstance(f.rules, np.ndarray)
                        else _shared(f.rules, index)
                    ),
                }
            )
        )
    frame = pd.concat(parts, ignore_index=True)
    return frame.sort_values("position", kind="stable").reset_index(drop=True)


def _shared(text: str, index: pd.RangeIndex) -> pd.Series:
    """`text` in every row, as one shared object (`np.full` would copy the string per row)."""
    shared = np.array([text], dtype=object).repeat(len(index))
    return pd.Series(shared, index=index, dtype=object, copy=False)
