"""The collections KPIs finance is judged by, per month, for the portfolio and per industry.

Month m runs from the previous month end s (excluded) to its month end d (included); every
figure uses only facts dated <= d. Stocks come from the receivables position
(`features.receivables.create_position`, the same open amounts and DSO as the customer
features); flows from the ledger:

- `dso_days` = open at d / sales in (d-90d, d] x 90; `best_possible_dso_days` the same with
  the open amount not yet due; `average_days_delinquent` = their difference;
- `cei` (collection effectiveness index) = (open at s + invoiced in m - open at d) /
  (open at s + invoiced in m - not-yet-due at d): the share of what could be collected that
  was; 1.0 is perfect;
- `on_time_collection_rate`: of the amount of invoices falling due in m, the share cleared by
  its due date;
- `collection_rate` = payments received in m / (open at s + invoiced in m);
- `overdue_share` and `over_90_share` of the open amount at d;
- `bad_debt_rate` = write-offs dated in m / invoiced in m (the amount of invoices issued in
  m): bad debt against the month's sales, the ratio DOMAIN.md's "bad-debt rate 2.3% -> 0.8%"
  speaks of (DOMAIN gives no formula; sales is the base the practice uses). Null when the
  ledger has no `credit_notes` table (nothing says what was written off, which is not the
  same as nothing written off) or nothing was invoiced in m; `written_off_amount` is the
  numerator (null without the table).

Credit notes and write-offs leave the open amount on their date (`features.receivables`), so
the stocks above are net of them, and `cei` counts them as taken off the books; they are not
payments, so `collection_rate` and `collected_amount` never include them.

A ratio without a denominator (nothing open, nothing due) is null, never 0.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from features.portfolio import month_ends_of, query_positions
from features.receivables import DSO_WINDOW_DAYS
from features.tables import Tables

POSITION_SQL = """
SELECT coalesce(c.industry, 'unknown') AS industry, p.as_of,
       p.open_amount, p.not_due_amount, p.aging_over_90_amount, p.sales
FROM portfolio_position p LEFT JOIN customers c USING (customer_id)
"""
KPI_COLUMNS = (
    "month_end",
    "industry",
    "dso_days",
    "best_possible_dso_days",
    "average_days_delinquent",
    "cei",
    "on_time_collection_rate",
    "collection_rate",
    "overdue_share",
    "over_90_share",
    "bad_debt_rate",
    "open_amount",
    "invoiced_amount",
    "collected_amount",
    "written_off_amount",
)
PORTFOLIO = "all"
"""The `industry` value of the portfolio rows."""


def kpis_by_month(tables: Tables, month_ends: list[pd.Timestamp] | None = None) -> pd.DataFrame:
    """`KPI_COLUMNS` per month end and industry ("all": the portfolio), sorted."""
    ends = sorted(pd.Timestamp(d).normalize() for d in (month_ends or month_ends_of(tables)))
    starts = [(e - pd.offsets.MonthEnd(1)).normalize() for e in ends]
    positions = query_positions(tables, sorted(set(ends) | set(starts)), POSITION_SQL)
    industry = tables.customers.set_index("customer_id")["industry"]
    flows = _flows(tables, industry)
    frames = [
        _month(positions, flows, end, start, group)
        for end, start in zip(ends, starts, strict=True)
        for group in [PORTFOLIO, *sorted(positions["industry"].unique())]
    ]
    return pd.DataFrame(frames, columns=list(KPI_COLUMNS))


def _flows(tables: Tables, industry: pd.Series) -> dict[str, pd.DataFrame | None]:
    """The ledger's invoices, payments and write-offs with their industry, for the monthly
    sums (write-offs: None without a credit_notes table)."""
    invoices = tables.invoices.assign(
        industry=tables.invoices["customer_id"].map(industry).fillna("unknown").astype("str")
    )
    payments = tables.payments
    if payments is None:  # no payments table: an invoice is paid whole on its cleared date
        cleared = invoices.dropna(subset=["cleared_date"])[["invoice_id", "cleared_date", "amount"]]
        payments = cleared.rename(columns={"cleared_date": "payment_date"})
    owner = invoices[["invoice_id", "industry"]]
    paid = payments.merge(owner, on="invoice_id", how="left")
    flows: dict[str, pd.DataFrame | None] = {"invoices": invoices, "payments": paid}
    credits = tables.credit_notes
    flows["write_offs"] = (
        None
        if credits is None
        else credits.loc[credits["kind"] == "write_off"].merge(owner, on="invoice_id", how="left")
    )
    return flows


def _written_off_in(
    write_offs: pd.DataFrame | None, start: pd.Timestamp, end: pd.Timestamp
) -> float:
    """Write-offs dated in (start, end]; NaN without a credit_notes table (unknown, not 0)."""
    if write_offs is None:
        return np.nan
    in_month = write_offs["credit_date"].between(start, end, inclusive="right")
    return float(write_offs.loc[in_month, "amount"].sum())


def _ratio(numerator: float, denominator: float) -> float:
    return numerator / denominator if denominator > 0 else np.nan


def _month(
    positions: pd.DataFrame,
    flows: dict[str, pd.DataFrame | None],
    end: pd.Timestamp,
    start: pd.Timestamp,
    group: str,
) -> dict[str, object]:
    """One month's KPIs for one industry (or the portfolio)."""
    mine = positions if group == PORTFOLIO else positions[positions["industry"] == group]
    now = mine[mine["as_of"] == end].sum(numeric_only=True)
    before = float(mine.loc[mine["as_of"] == start, "open_amount"].sum())
    invoices, payments, write_offs = flows["invoices"], flows["payments"], flows["write_offs"]
    assert invoices is not None and payments is not None  # always there; write-offs may not be
    if group != PORTFOLIO:
        invoices = invoices[invoices["industry"] == group]
        payments = payments[payments["industry"] == group]
        write_offs = None if write_offs is None else write_offs[write_offs["industry"] == group]
    issued = invoices["issue_date"].between(start, end, inclusive="right")
    invoiced = float(invoices.loc[issued, "amount"].sum())
    received = payments["payment_date"].between(start, end, inclusive="right")
    collected = float(payments.loc[received, "amount"].sum())
    written_off = _written_off_in(write_offs, start, end)
    due = invoices[invoices["due_date"].between(start, end, inclusive="right")]
    on_time = due["cleared_date"].notna() & (due["cleared_date"] <= due["due_date"])
    dso = _ratio(now["open_amount"] * DSO_WINDOW_DAYS, now["sales"])
    best = _ratio(now["not_due_amount"] * DSO_WINDOW_DAYS, now["sales"])
    collectible = before + invoiced
    return {
        "month_end": end,
        "industry": group,
        "dso_days": dso,
        "best_possible_dso_days": best,
        "average_days_delinquent": dso - best,
        "cei": _ratio(collectible - now["open_amount"], collectible - now["not_due_amount"]),
        "on_time_collection_rate": _ratio(
            float(due.loc[on_time, "amount"].sum()), float(due["amount"].sum())
        ),
        "collection_rate": _ratio(collected, collectible),
        "overdue_share": _ratio(now["open_amount"] - now["not_due_amount"], now["open_amount"]),
        "over_90_share": _ratio(now["aging_over_90_amount"], now["open_amount"]),
        "bad_debt_rate": np.nan if np.isnan(written_off) else _ratio(written_off, invoiced),
        "open_amount": float(now["open_amount"]),
        "invoiced_amount": invoiced,
        "collected_amount": collected,
        "written_off_amount": written_off,
    }
