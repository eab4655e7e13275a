"""The collections worklist: whom to chase first, and for which invoices.

Customers are ranked by expected overdue amount = overdue_probability x the open amount
falling due in the next 30 days (`customer_amount_due_next_30d`): the money most likely to
go late soon comes first, which is where a reminder *before* the due date still works (DOMAIN:
"reminders before work better than demands after"). Ties are broken by what is already
overdue, then by customer id, so the order is total and reruns are identical. Only customers
with something open are listed.

Each listed customer comes with its open invoices at the as-of date. Open follows
ARCHITECTURE.md exactly as `features.receivables` computes it: issued <= t and not cleared by
t, amount net of payments, credit notes and write-offs dated <= t (floored at 0;
`features.invoices.open_invoices_at`, one definition); the test checks that a customer's
invoices add up to its `customer_open_amount`.
"""

from __future__ import annotations

import logging

import pandas as pd

from features.invoices import open_invoices_at
from features.tables import Tables

logger = logging.getLogger(__name__)

WORKLIST_COLUMNS = [
    "rank",
    "customer_id",
    "customer_name",
    "risk_tier",
    "overdue_probability",
    "amount_due_next_30d",
    "expected_overdue_amount",
    "open_amount",
    "overdue_amount",
    "oldest_overdue_days",
    "recommended_terms_days",
    "recommended_prepayment_share",
]
INVOICE_COLUMNS = [
    "rank",
    "customer_id",
    "invoice_id",
    "issue_date",
    "due_date",
    "amount",
    "open_amount",
    "days_past_due",
]


def build_worklist(scores: pd.DataFrame, features: pd.DataFrame) -> pd.DataFrame:
    """Scored customers with an open amount, ranked (1 = chase first).

    Args:
        scores: the run's rows (customer_id, scored, risk_tier, overdue_probability,
            expected_overdue_amount, recommended terms, customer_name).
        features: the run's feature frame indexed by customer_id.
    """
    scored = scores.loc[scores["scored"]].set_index("customer_id")
    position = features.loc[
        scored.index,
        ["customer_open_amount", "customer_overdue_amount", "customer_oldest_overdue_days"],
    ]
    frame = scored.join(position)
    frame = frame.loc[frame["customer_open_amount"] > 0].reset_index()
    frame = frame.sort_values(
        ["expected_overdue_amount", "customer_overdue_amount", "customer_id"],
        ascending=[False, False, True],
        kind="stable",
    ).reset_index(drop=True)
    frame.insert(0, "rank", pd.RangeIndex(1, len(frame) + 1))
    renamed = frame.rename(
        columns={
            "customer_amount_due_next_30d": "amount_due_next_30d",
            "customer_open_amount": "open_amount",
            "customer_overdue_amount": "overdue_amount",
            "customer_oldest_overdue_days": "oldest_overdue_days",
        }
    )
    return renamed[WORKLIST_COLUMNS].astype({"rank": "int64"})


def open_invoices(tables: Tables, as_of: pd.Timestamp) -> pd.DataFrame:
    """Every invoice open at `as_of` with its open amount (> 0) and days past due."""
    t = pd.Timestamp(as_of).normalize()
    open_now = open_invoices_at(tables, t)
    frame = open_now[["customer_id", "invoice_id", "issue_date", "due_date", "amount"]].copy()
    frame["open_amount"] = open_now["open_amount"]
    frame["days_past_due"] = (t - frame["due_date"]).dt.days.astype("int64")
    return frame


def worklist_invoices(worklist: pd.DataFrame, tables: Tables, as_of: pd.Timestamp) -> pd.DataFrame:
    """The open invoices of the worklist's customers, in worklist order, oldest due first."""
    ranks = worklist.set_index("customer_id")["rank"]
    invoices = open_invoices(tables, as_of)
    invoices = invoices.loc[invoices["customer_id"].isin(ranks.index)]
    invoices = invoices.assign(rank=invoices["customer_id"].map(ranks).astype("int64"))
    invoices = invoices.sort_values(["rank", "due_date", "invoice_id"], kind="stable")
    typed = invoices[INVOICE_COLUMNS].reset_index(drop=True)
    return typed.astype({"customer_id": "str", "invoice_id": "str"})
