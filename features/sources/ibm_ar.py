"""Importing IBM's "late payment histories" ledger (WA_Fn-UseC_-Accounts-Receivable.csv).

The file has one row per settled invoice: countryCode, customerID, PaperlessDate,
invoiceNumber, InvoiceDate, DueDate, InvoiceAmount, Disputed (Yes/No), SettledDate,
PaperlessBill (Paper/Electronic), DaysToSettle, DaysLate; dates are M/D/YYYY.

Mapping (a fixed `features.sources.mapping` mapping, so it shares the ERP importer's rules):
customers get `customer_id` and `country` (countryCode as text, e.g. "391"; it is a code, not
a number) and nothing else; invoices get `invoice_id` (invoiceNumber as text, leading zeros
kept), issue/due/cleared dates, amount, `disputed` and `paperless` (Electronic = true).
The ledger states no currency, so `currency` stays null rather than guessed.

The three other columns are facts derived from, or dated after, the ones kept:
- DaysToSettle must equal SettledDate - InvoiceDate and DaysLate must equal
  max(0, SettledDate - DueDate) (the file floors early payment at 0). Both are checked on every
  row and a row where either disagrees is rejected with both numbers: a ledger that contradicts
  itself cannot say which of its dates is right. After the check they are not kept: they
  repeat the dates, and DaysLate is the outcome the model predicts, so keeping it beside the
  features would invite leakage.
- PaperlessDate is the day the customer switched to electronic bills (PaperlessBill is
  Electronic exactly for invoices issued after it). It is not kept: for many customers it lies
  after the last invoice, so a customer attribute holding it would leak a future fact into
  earlier snapshots; the per-invoice `paperless` flag already carries what was known when.
"""

from __future__ import annotations

import logging
from pathlib import Path

import numpy as np
import pandas as pd

from features.errors import SourceError
from features.sources.importing import ImportResult, finish_import
from features.sources.mapped_csv import join_reasons, map_frame, read_export
from features.sources.mapping import ImportMapping, parse_mapping
from features.sources.source_values import parse_numbers

logger = logging.getLogger(__name__)

IBM_COLUMNS = (
    "countryCode",
    "customerID",
    "PaperlessDate",
    "invoiceNumber",
    "InvoiceDate",
    "DueDate",
    "InvoiceAmount",
    "Disputed",
    "SettledDate",
    "PaperlessBill",
    "DaysToSettle",
    "DaysLate",
)

IBM_MAPPING: dict[str, object] = {
    "source": {"date_format": "%m/%d/%Y"},
    "invoices": {
        "columns": {
            "invoice_id": "invoiceNumber",
            "customer_id": "customerID",
            "issue_date": "InvoiceDate",
            "due_date": "DueDate",
            "amount": "InvoiceAmount",
            "cleared_date": "SettledDate",
            "disputed": {"column": "Disputed", "values": {"Yes": True, "No": False}},
            "paperless": {
                "column": "PaperlessBill",
                "values": {"Electronic": True, "Paper": False},
            },
        }
    },
    "customers": {"columns": {"country": "countryCode"}},
}
"""The IBM ledger's columns in the YAML mapping format (docs/importers.md)."""


def ibm_mapping() -> ImportMapping:
    """The checked mapping of the IBM ledger."""
    return parse_mapping(IBM_MAPPING, origin="ibm-ar mapping")


def _check_days(frame: pd.DataFrame, column: str, expected: pd.Series, formula: str) -> pd.Series:
    """Reasons for rows where the stated day count is unreadable or differs from the dates."""
    text = frame[column]
    stated = parse_numbers(text, ".", None)
    stated = stated.where(stated == np.floor(stated))
    unreadable = text.notna() & stated.isna()
    differs = (stated.notna() & expected.notna() & (stated != expected)).fillna(False)
    reasons = pd.Series("", index=frame.index, dtype="str")
    for row in frame.index[unreadable.to_numpy()]:
        reasons[row] = (
            f"source row {row}: column {column!r} value {text[row]!r} is not a whole number"
        )
    for row in frame.index[differs.to_numpy()]:
        reasons[row] = (
            f"source row {row}: {column} {int(stated[row])} disagrees with {formula} = "
            f"{int(expected[row])} days"
        )
    return reasons


def cross_check_days(frame: pd.DataFrame, values: pd.DataFrame) -> pd.Series:
    """Reasons for rows whose DaysToSettle or DaysLate contradict the row's dates."""
    to_settle = (values["cleared_date"] - values["issue_date"]).dt.days
    late = (values["cleared_date"] - values["due_date"]).dt.days
    first = _check_days(frame, "DaysToSettle", to_settle, "SettledDate - InvoiceDate")
    second = _check_days(frame, "DaysLate", late.clip(lower=0), "max(0, SettledDate - DueDate)")
    return join_reasons(first, second)


def import_ibm_ar(path: Path, out_dir: Path) -> ImportResult:
    """Import the IBM ledger at `path` into canonical Parquet in `out_dir`."""
    mapping = ibm_mapping()
    frame = read_export(path, mapping.source)
    missing = [c for c in IBM_COLUMNS if c not in frame.columns]
    if missing:
        raise SourceError(
            f"{path}: not the IBM accounts-receivable ledger; missing columns {missing}; "
            f"got {list(frame.columns)}"
        )
    mapped = map_frame(frame, mapping, path, source=f"ibm-ar {path.name}", check=cross_check_days)
    return finish_import(mapped, out_dir)
