"""Typed canonical tables from a few hand-written rows, for exact-value feature tests.

Rows are dicts keyed by contract column; absent columns are null. Dates are ISO strings.
"""

from __future__ import annotations

from typing import Any

import pandas as pd

from features.schema import TABLES
from features.tables import Tables


def day(text: str) -> pd.Timestamp:
    """A date at midnight."""
    return pd.Timestamp(text)


def typed_frame(table: str, rows: list[dict[str, Any]]) -> pd.DataFrame:
    """A frame of contract table `table` with every contract column in its canonical dtype."""
    columns: dict[str, pd.Series] = {}
    for column in TABLES[table].columns:
        values = [row.get(column.name) for row in rows]
        if column.type == "date":
            series = pd.Series(pd.to_datetime(values), dtype="datetime64[ns]")
        else:
            series = pd.Series(pd.array(values, dtype=column.dtype))
        columns[column.name] = series
    unknown = {k for row in rows for k in row} - set(columns)
    if unknown:
        raise KeyError(f"{table}: no contract columns {sorted(unknown)}")
    return pd.DataFrame(columns)


def make_tables(
    customers: list[dict[str, Any]],
    invoices: list[dict[str, Any]],
    payments: list[dict[str, Any]] | None = None,
    signals: list[dict[str, Any]] | None = None,
    deals: list[dict[str, Any]] | None = None,
    credit_notes: list[dict[str, Any]] | None = None,
) -> Tables:
    """Canonical Tables; an optional table given as None is absent (not empty)."""

    def optional(name: str, rows: list[dict[str, Any]] | None) -> pd.DataFrame | None:
        return None if rows is None else typed_frame(name, rows)

    return Tables(
        customers=typed_frame("customers", customers),
        invoices=typed_frame("invoices", invoices),
        payments=optional("payments", payments),
        signals=optional("signals", signals),
        deals=optional("deals", deals),
        credit_notes=optional("credit_notes", credit_notes),
    )


def credit(
    credit_note_id: str, invoice_id: str, date: str, amount: float, kind: str = "credit_note"
) -> dict[str, Any]:
    """One credit_notes row (kind "credit_note" or "write_off")."""
    return {
        "credit_note_id": credit_note_id,
        "invoice_id": invoice_id,
        "credit_date": date,
        "amount": amount,
        "kind": kind,
    }


def invoice(
    invoice_id: str,
    customer_id: str,
    issue: str,
    due: str,
    amount: float,
    cleared: str | None = None,
    **extra: Any,
) -> dict[str, Any]:
    """One invoice row."""
    return {
        "invoice_id": invoice_id,
        "customer_id": customer_id,
        "issue_date": issue,
        "due_date": due,
        "amount": amount,
        "cleared_date": cleared,
        **extra,
    }


def row_of(frame: pd.DataFrame, customer_id: str, as_of: str | None = None) -> pd.Series:
    """The frame row of one customer (at one as_of when the frame has several)."""
    selected = frame[frame["customer_id"] == customer_id]
    if as_of is not None:
        selected = selected[selected["as_of"] == day(as_of)]
    if len(selected) != 1:
        raise KeyError(f"{len(selected)} rows for {customer_id} at {as_of}")
    return selected.iloc[0]
