"""What a data scientist looks at first: data health, portfolio trends by group, aging profile.

The exploration notebook (notebooks/01-explore.ipynb) calls these and only draws. They reuse
the definitions of the feature code rather than restating them: portfolio DSO and late share
come from `features.portfolio.portfolio_by_month` (run once per group on that group's
customers), and the aging profile from `features.receivables.create_position`, the same
position the customer features and the dso_30d label use.

Groups are customer attributes (`industry`, `segment` -- the size tier -- or `country`); a
customer whose attribute is unknown falls in the group "unknown" rather than being dropped.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import replace

import pandas as pd

from features.portfolio import month_ends_of, portfolio_by_month, query_positions
from features.tables import Tables
from features.validate import ValidationReport

logger = logging.getLogger(__name__)

UNKNOWN_GROUP = "unknown"
"""The group of customers whose grouping attribute is null."""

AGING_BUCKETS: tuple[str, ...] = ("current", "1_30", "31_60", "61_90", "over_90")
"""Aging buckets by days past due, as in ARCHITECTURE.md: <= 0, 1-30, 31-60, 61-90, > 90."""

AGING_SQL = """
SELECT as_of AS month_end,
       sum(not_due_amount) AS current,
       sum(aging_1_30_amount) AS "1_30",
       sum(aging_31_60_amount) AS "31_60",
       sum(aging_61_90_amount) AS "61_90",
       sum(aging_over_90_amount) AS over_90,
       sum(open_amount) AS open_amount
FROM portfolio_position GROUP BY as_of ORDER BY as_of
"""


def data_health(report: ValidationReport) -> pd.DataFrame:
    """Rows read, kept and rejected per table, so a bad extract is seen before any modelling.

    Returns:
        One row per table read, in contract order: table, rows_read, rows_kept,
        rows_rejected, reject_share (rejected / read; NaN for an empty table), problems
        (findings of any rule, notices included) and extra_columns (kept, comma-separated).
    """
    kept = dict(report.tables.items()) if report.tables is not None else {}
    rows = []
    for table, read in report.rows_read.items():
        rejected = len(report.rejects[table]) if table in report.rejects else 0
        rows.append(
            {
                "table": table,
                "rows_read": read,
                "rows_kept": len(kept[table]) if table in kept else 0,
                "rows_rejected": rejected,
                "reject_share": rejected / read if read else float("nan"),
                "problems": sum(p.table == table for p in report.problems),
                "extra_columns": ", ".join(report.extra_columns.get(table, [])),
            }
        )
    columns = ["table", "rows_read", "rows_kept", "rows_rejected", "reject_share", "problems"]
    return pd.DataFrame(rows, columns=[*columns, "extra_columns"])


def problem_summary(report: ValidationReport) -> pd.DataFrame:
    """Findings counted by (table, column, rule), most frequent first: what to fix upstream.

    Returns:
        Columns table, column ("" for a table-level finding), rule, rows (number of findings),
        example_value (the first offending value as read, "" where none).
    """
    columns = ["table", "column", "rule", "rows", "example_value"]
    if not report.problems:
        return pd.DataFrame(columns=columns).astype({"rows": "int64"})
    found = pd.DataFrame(
        {
            "table": [p.table for p in report.problems],
            "column": [p.column or "" for p in report.problems],
            "rule": [p.rule for p in report.problems],
            "value": [p.value or "" for p in report.problems],
        }
    )
    summary = found.groupby(["table", "column", "rule"], sort=False).agg(
        rows=("value", "size"), example_value=("value", "first")
    )
    summary = summary.reset_index().sort_values("rows", ascending=False, kind="stable")
    return summary.reset_index(drop=True)[columns]


def customer_groups(tables: Tables, by: str) -> pd.Series:
    """Each customer's group under attribute `by` (null -> "unknown"), indexed by customer_id.

    Raises:
        KeyError: the customers table has no column `by`.
    """
    customers = tables.customers
    if by not in customers.columns:
        raise KeyError(f"customers: no column {by!r} to group by; got {sorted(customers.columns)}")
    groups = customers[by].astype("str").fillna(UNKNOWN_GROUP)
    return pd.Series(groups.to_numpy(), index=customers["customer_id"].to_numpy(), name=by)


def tables_for_customers(tables: Tables, customer_ids: Sequence[str]) -> Tables:
    """The tables restricted to some customers: their invoices, payments, credit notes,
    signals and deals."""
    keep = set(customer_ids)
    invoices = tables.invoices.loc[tables.invoices["customer_id"].isin(keep)]
    kept_invoices = set(invoices["invoice_id"])

    def theirs(frame: pd.DataFrame | None) -> pd.DataFrame | None:
        return None if frame is None else frame.loc[frame["invoice_id"].isin(kept_invoices)]

    def own(frame: pd.DataFrame | None) -> pd.DataFrame | None:
        return None if frame is None else frame.loc[frame["customer_id"].isin(keep)]

    return replace(
        tables,
        customers=tables.customers.loc[tables.customers["customer_id"].isin(keep)],
        invoices=invoices,
        payments=theirs(tables.payments),
        credit_notes=theirs(tables.credit_notes),
        signals=own(tables.signals),
        deals=own(tables.deals),
    )


def portfolio_by_group(
    tables: Tables, by: str, month_ends: Sequence[pd.Timestamp] | None = None
) -> pd.DataFrame:
    """`portfolio_by_month` for each group of customers: DSO and late share by industry or size.

    Args:
        tables: canonical tables.
        by: customer attribute to group by, e.g. "industry" or "segment".
        month_ends: dates to report (default `month_ends_of(tables)`, the same for every group).

    Returns:
        Long format: one row per (group, month end) with column `by` first, then the columns of
        `portfolio_by_month`. Groups without any invoice are left out (they have no trend).
    """
    dates = month_ends_of(tables) if month_ends is None else list(month_ends)
    groups = customer_groups(tables, by)
    invoiced = set(tables.invoices["customer_id"])
    parts = []
    for group in sorted(groups.unique()):
        members = [c for c in groups.index[groups == group] if c in invoiced]
        if not members:
            logger.info("group %s=%s has no invoice; no trend", by, group)
            continue
        trend = portfolio_by_month(tables_for_customers(tables, members), dates)
        parts.append(trend.assign(**{by: group}))
    frame = pd.concat(parts, ignore_index=True)
    return frame[[by, *[c for c in frame.columns if c != by]]].astype({by: "str"})


def aging_by_month(
    tables: Tables, month_ends: Sequence[pd.Timestamp] | None = None
) -> pd.DataFrame:
    """The portfolio's open amount in each aging bucket at each month end.

    Returns:
        One row per month end: month_end, one column per `AGING_BUCKETS` entry (currency) and
        open_amount (their sum). Amounts are net of payments dated <= the month end.
    """
    frame = query_positions(tables, month_ends, AGING_SQL)
    numeric = [*AGING_BUCKETS, "open_amount"]
    return frame.astype({"month_end": "datetime64[ns]"} | dict.fromkeys(numeric, "float64"))


def aging_shares(aging: pd.DataFrame) -> pd.DataFrame:
    """`aging_by_month` as shares of the open amount (rows sum to 1; NaN when nothing is open)."""
    open_amount = aging["open_amount"].where(aging["open_amount"] > 0)
    shares = aging[list(AGING_BUCKETS)].div(open_amount, axis=0)
    return pd.concat([aging[["month_end"]], shares], axis=1)
