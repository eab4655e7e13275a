"""Open invoices as of t and their own features: the rows of the invoice payment model.

One definition for training (every month-end snapshot) and serving (one as-of date):
`invoice_features(tables, as_ofs)` lists every invoice open at each t with its features at t,
and `invoice_frame(tables, customer_frame)` joins the customer's features at the same t (the
customer feature frame of `features.build` for those dates), so an invoice row is the
invoice's own facts plus everything the customer models see about its customer.

Open at t follows ARCHITECTURE.md exactly as `features.receivables` computes it: issued <= t,
not cleared by t, and an open amount (amount minus payments, credit notes and write-offs
dated <= t, floored at 0; `features.balances`) above 0. A written-off invoice leaves the rows
on its write-off date, but a write-off is not a payment: `invoice_paid_share` counts payments
only. Every column uses facts dated <= t only: a
later payment, clearing or invoice never changes a row at t (property-tested). Two columns
carry no date of their own: `disputed` and `paperless` are read as they stand in the invoice
record (an open invoice's dispute flag is its current status; in training this reads the
final flag, which is the state serving sees for invoices still open).

Rows are sorted by as_of, customer_id, invoice_id on a RangeIndex. Besides the keys and the
features each row carries its context (`INVOICE_CONTEXT`: dates and amounts for the outputs);
training adds the outcome separately (`features.invoice_labels`).
"""

from __future__ import annotations

import sys
from collections.abc import Sequence

import numpy as np
import pandas as pd

from features.balances import invoice_balances_at
from features.catalog import FeatureSpec, feature_names, group_specs
from features.session import normalise_dates
from features.tables import Tables, contract_frame

INVOICE_KEYS: list[str] = ["invoice_id", "customer_id", "as_of"]
INVOICE_CONTEXT: list[str] = ["issue_date", "due_date", "amount", "open_amount"]
"""Columns of every invoice row that are not features: what the outputs and labels need."""

HISTORY_DAYS = 365
"""Window of the customer's usual invoice amount and median days late."""


def open_invoices_at(tables: Tables, as_of: pd.Timestamp) -> pd.DataFrame:
    """Invoices open at `as_of` (module docstring) with what they still owe.

    Returns:
        The rows of `features.balances.invoice_balances_at` that are open at as_of: the
        invoice columns plus `paid_amount` (payments dated <= as_of; NaN without a payments
        table), `credited_amount`, `written_off_amount` and `open_amount` (> 0), in the
        invoices' order.
    """
    balances = invoice_balances_at(tables, as_of)
    return balances.loc[balances["is_open"]].drop(columns="is_open")


def _customer_history(invoices: pd.DataFrame, t: pd.Timestamp) -> pd.DataFrame:
    """Per customer at t: median amount issued and median days late settled in the window."""
    start = t - pd.Timedelta(days=HISTORY_DAYS)
    issued = invoices.loc[(invoices["issue_date"] > start) & (invoices["issue_date"] <= t)]
    settled = invoices.loc[(invoices["cleared_date"] > start) & (invoices["cleared_date"] <= t)]
    days_late = (settled["cleared_date"] - settled["due_date"]).dt.days.astype("float64")
    return pd.DataFrame(
        {
            "median_amount": issued.groupby("customer_id")["amount"].median(),
            "median_days_late": days_late.groupby(settled["customer_id"]).median(),
        }
    )


def _flag(values: pd.Series) -> pd.Series:
    """A nullable boolean column as 1.0 / 0.0 / NaN."""
    return values.astype("boolean").astype("float64")


def invoice_features_at(tables: Tables, as_of: pd.Timestamp) -> pd.DataFrame:
    """The open invoices at one date with their features (see `invoice_features`)."""
    t = pd.Timestamp(as_of).normalize()
    invoices = contract_frame("invoices", tables.invoices)
    rows = open_invoices_at(tables, t)
    history = _customer_history(invoices, t).reindex(rows["customer_id"])
    due, issue = rows["due_date"], rows["issue_date"]
    month_end = due + pd.offsets.MonthEnd(0)
    disputed = rows["disputed"] if bool(invoices["disputed"].notna().any()) else None
    frame = pd.DataFrame(
        {
            "invoice_id": rows["invoice_id"].astype("str"),
            "customer_id": rows["customer_id"].astype("str"),
            "as_of": t,
            "issue_date": issue,
            "due_date": due,
            "amount": rows["amount"].astype("float64"),
            "open_amount": rows["open_amount"].astype("float64"),
            "invoice_amount": rows["amount"].astype("float64"),
            "invoice_amount_to_customer_median_ratio": (
                rows["amount"].to_numpy() / history["median_amount"].to_numpy()
            ),
            "invoice_terms_days": (due - issue).dt.days.astype("float64"),
            "invoice_days_past_due": (t - due).dt.days.astype("float64"),
            "invoice_age_days": (t - issue).dt.days.astype("float64"),
            "invoice_paid_share": rows["paid_amount"] / rows["amount"],
            "invoice_is_disputed": np.nan if disputed is None else _flag(disputed),
            "invoice_is_paperless": _flag(rows["paperless"]),
            "invoice_due_days_before_month_end": (month_end - due).dt.days.astype("float64"),
            "invoice_is_due_in_quarter_end_month": (due.dt.month % 3 == 0).astype("float64"),
            "customer_days_late_median_365d": history["median_days_late"].to_numpy(),
        },
        index=rows.index,
    )
    return frame.astype({"as_of": "datetime64[ns]"})


def invoice_features(tables: Tables, as_ofs: pd.Timestamp | Sequence[pd.Timestamp]) -> pd.DataFrame:
    """Every invoice open at each date with its own features at that date.

    Args:
        tables: canonical tables; never modified.
        as_ofs: one date or several (normalised to midnight, de-duplicated).

    Returns:
        `INVOICE_KEYS`, `INVOICE_CONTEXT`, then the columns below in order, all float64.

    Columns:
        invoice_amount (currency): Invoice amount as issued.
        invoice_amount_to_customer_median_ratio (ratio): Amount relative to the customer's usual
            invoice; the amount over the median amount of the customer's invoices issued in
            (t-365d, t] (this one included), above 1 a larger invoice than usual. Null for an
            invoice issued more than a year before t whose customer issued nothing since.
        invoice_terms_days (days): Payment terms granted on the invoice; due date minus issue
            date.
        invoice_days_past_due (days): Days past due at t; t minus the due date, negative = days
            left until due.
        invoice_age_days (days): Invoice age at t; t minus the issue date.
        invoice_paid_share (share): Share of the invoice already paid; payments dated <= t
            over the amount (partial payments so far; credit notes and write-offs are not
            payments). Null without a payments table.
        invoice_is_disputed (flag): Invoice disputed (1) or not (0). Null when the invoices
            carry no dispute flag (the flag has no date: its current value).
        invoice_is_paperless (flag): Invoice sent electronically (1) or on paper (0). Null
            when unknown.
        invoice_due_days_before_month_end (days): Days from the due date to its month end; 0 =
            due on the last day (month-end payment runs).
        invoice_is_due_in_quarter_end_month (flag): Due in a quarter-end month (1) or not (0);
            March, June, September, December (cash held for the quarter's balance sheet).
        customer_days_late_median_365d (days): Customer's median days late over the last year;
            of its invoices cleared in (t-365d, t], cleared - due. Null when none cleared.
    """
    parts = [invoice_features_at(tables, t) for t in normalise_dates(as_ofs)]
    if not parts:
        return invoice_features_at(tables, pd.Timestamp(0)).iloc[0:0].reset_index(drop=True)
    frame = pd.concat(parts, ignore_index=True)
    frame = frame.sort_values(["as_of", "customer_id", "invoice_id"], kind="stable")
    return frame.reset_index(drop=True)


INVOICE_FEATURES: tuple[FeatureSpec, ...] = tuple(
    group_specs(sys.modules[__name__], invoice_features)
)
"""The invoice's own features in frame order; definitions from `invoice_features`' docstring."""


def invoice_feature_names() -> list[str]:
    """The invoice model's features: the invoice's own, then every customer feature."""
    return [s.name for s in INVOICE_FEATURES] + feature_names()


def invoice_frame(
    tables: Tables, customer_frame: pd.DataFrame, customer_features: Sequence[str] | None = None
) -> pd.DataFrame:
    """Invoice rows at each as_of of `customer_frame`, joined to their customer's features.

    Args:
        tables: canonical tables, as known at the latest as_of (or later: later facts never
            change a row).
        customer_frame: `features.build.build_feature_frame` (or a training frame) for the
            dates to list; label and other extra columns are not carried over.
        customer_features: the customer columns to join (default every catalog feature).

    Returns:
        `INVOICE_KEYS`, `INVOICE_CONTEXT`, the invoice's own features, then the customer
        features. An invoice whose customer has no row at t (not yet known then) keeps its
        own features, customer ones null. Sorted as `invoice_features`, on a RangeIndex.
    """
    dates = list(pd.to_datetime(customer_frame["as_of"].unique()))
    return join_customer_features(
        invoice_features(tables, dates), customer_frame, customer_features
    )


def join_customer_features(
    own: pd.DataFrame, customer_frame: pd.DataFrame, customer_features: Sequence[str] | None = None
) -> pd.DataFrame:
    """`invoice_features` rows joined to the customer frame's row at the same as_of (the
    online invoice store holds the former, the server joins the online store's customers)."""
    names = feature_names() if customer_features is None else list(customer_features)
    customer = customer_frame[["customer_id", "as_of", *names]]
    joined = own.merge(customer, on=["customer_id", "as_of"], how="left", validate="m:1")
    return joined[[*own.columns, *names]].copy()  # one block: later assigns stay cheap
