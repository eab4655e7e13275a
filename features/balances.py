"""What each invoice still owes at t: paid, credited, written off and open, from facts dated <= t.

The one pandas definition of an invoice's open amount (ARCHITECTURE.md, "Open amount at t"),
extended by the `credit_notes` table: an invoice issued <= t owes

    amount - payments dated <= t - credit notes dated <= t - write-offs dated <= t

floored at 0, and nothing once its `cleared_date` is <= t. Without a payments table the
invoice is owed whole until its cleared date; without a credit_notes table nothing is
credited. An invoice whose payments and credits dated <= t cover its amount is *closed* at t:
not open, not overdue, in no aging bucket and not in DSO receivables. The DuckDB features
(`features.receivables.POSITION_SQL`) compute the same subtraction in SQL.

A write-off is not a payment: the customer never paid, its invoice's `cleared_date` stays
null, so payment-lateness labels and features (days late, delinquency, the paid share) keep
seeing a written-off invoice as unpaid. Only the "what is owed" figures change.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from features.tables import Tables, contract_frame

BALANCE_COLUMNS: list[str] = [
    "paid_amount",
    "credited_amount",
    "written_off_amount",
    "open_amount",
    "is_open",
]
"""The columns `invoice_balances_at` adds to the invoices."""


def _sum_by_invoice(frame: pd.DataFrame, invoice_ids: pd.Series) -> pd.Series:
    """Per invoice of `invoice_ids` (same index), the sum of `frame.amount` (0 without any)."""
    totals = frame.groupby("invoice_id")["amount"].sum()
    return invoice_ids.map(totals).fillna(0.0).astype("float64")


def invoice_balances_at(tables: Tables, as_of: pd.Timestamp) -> pd.DataFrame:
    """Every invoice issued <= `as_of` with what was paid, credited and written off by then.

    Args:
        tables: canonical tables; never modified.
        as_of: the date t (normalised to midnight); only facts dated <= t count.

    Returns:
        The invoice columns, in the invoices' order and index, plus `BALANCE_COLUMNS`:
        `paid_amount` (payments dated <= t; NaN without a payments table),
        `credited_amount` and `written_off_amount` (credit notes of kind credit_note and
        write_off dated <= t; 0 without a credit_notes table), `open_amount` (module
        docstring; >= 0) and `is_open` (open_amount > 0).
    """
    t = pd.Timestamp(as_of).normalize()
    invoices = contract_frame("invoices", tables.invoices)
    frame = invoices.loc[invoices["issue_date"] <= t].copy()
    ids = frame["invoice_id"]
    paid = pd.Series(np.nan, index=frame.index, dtype="float64")
    if tables.payments is not None:
        paid = _sum_by_invoice(tables.payments.loc[tables.payments["payment_date"] <= t], ids)
    credits = contract_frame("credit_notes", tables.credit_notes)
    credits = credits.loc[credits["credit_date"] <= t]
    credited = _sum_by_invoice(credits.loc[credits["kind"] == "credit_note"], ids)
    written_off = _sum_by_invoice(credits.loc[credits["kind"] == "write_off"], ids)
    owed = (frame["amount"] - paid.fillna(0.0) - credited - written_off).clip(lower=0.0)
    cleared = (frame["cleared_date"] <= t).fillna(False).astype(bool)
    frame["paid_amount"] = paid
    frame["credited_amount"] = credited
    frame["written_off_amount"] = written_off
    frame["open_amount"] = owed.where(~cleared, 0.0).astype("float64")
    frame["is_open"] = frame["open_amount"] > 0
    return frame
