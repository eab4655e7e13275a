"""Payment behaviour over trailing windows: how much a customer buys and how it pays.

Computed in one DuckDB aggregate over `invoice_history` (see `features.engine`), so every
window and measure comes from one pass. Windows are (t - w days, t]; an invoice counts as
*settled* in a window when its `cleared_date` falls in it, and its days late are known only
then (an invoice open at t has no days late yet; its lateness shows in the receivables group).
On-time share by count is 1 - late share and is not repeated as a feature.
"""

from __future__ import annotations

import pandas as pd

from features.engine import Session

WINDOWS: tuple[int, ...] = (30, 90, 180, 365)
"""Trailing windows in days."""

ZERO_WHEN_NONE: tuple[str, ...] = (
    "customer_invoice_count_",
    "customer_sales_amount_",
    "customer_settled_count_",
)
"""Columns that are 0, not null, for a customer without invoices in the window."""


def _measures(w: int, disputed: str, payment_count: str) -> list[str]:
    """SQL select items for window `w`, in the order of the docstring's Columns entries."""
    issued = f"FILTER (WHERE issued_days_ago < {w})"
    settled = f"FILTER (WHERE cleared_days_ago < {w})"
    return [
        f"count(invoice_id) {issued} AS customer_invoice_count_{w}d",
        f"sum(amount) {issued} AS customer_sales_amount_{w}d",
        f"count(days_late) {settled} AS customer_settled_count_{w}d",
        f"avg((days_late > 0)::DOUBLE) {settled} AS customer_late_share_count_{w}d",
        f"sum(CASE WHEN days_late > 0 THEN amount ELSE 0 END) {settled}"
        f" / sum(amount) {settled} AS customer_late_share_amount_{w}d",
        f"avg((days_late < 0)::DOUBLE) {settled} AS customer_early_share_count_{w}d",
        f"avg(days_late) {settled} AS customer_days_late_mean_{w}d",
        f"quantile_cont(days_late, 0.9) {settled} AS customer_days_late_p90_{w}d",
        f"max(days_late) {settled} AS customer_days_late_max_{w}d",
        f"avg(({disputed})::DOUBLE) {settled} AS customer_dispute_share_{w}d",
        f"avg(({payment_count} >= 2)::DOUBLE) {settled} AS customer_partial_payment_share_{w}d",
    ]


def payment_history_sql(has_disputed: bool, has_payments: bool) -> str:
    """The group's query over `spine` and `invoice_history`, one row per spine row."""
    disputed = "disputed_settled" if has_disputed else "NULL::BOOLEAN"
    payment_count = "payment_count" if has_payments else "NULL::BIGINT"
    per_window = [_measures(w, disputed, payment_count) for w in WINDOWS]
    # Column order: each measure over all windows, as the catalog expands the docstring.
    items = [per_window[j][i] for i in range(len(per_window[0])) for j in range(len(WINDOWS))]
    items.append(
        "avg(days_late) FILTER (WHERE cleared_days_ago < 90)"
        " - avg(days_late) FILTER (WHERE cleared_days_ago >= 90 AND cleared_days_ago < 365)"
        " AS customer_days_late_trend_days"
    )
    select = ",\n           ".join(items)
    names = [item.rsplit(" AS ", 1)[1] for item in items]
    columns = ",\n       ".join(
        f"coalesce(h.{n}, 0) AS {n}" if n.startswith(ZERO_WHEN_NONE) else f"h.{n}" for n in names
    )
    # Aggregate first, then attach to the spine: the join sees one row per group, not per pair.
    return f"""
WITH h AS (
    SELECT customer_id, as_of,
           {select}
    FROM invoice_history
    GROUP BY customer_id, as_of
)
SELECT s.customer_id, s.as_of,
       {columns}
FROM spine s LEFT JOIN h USING (customer_id, as_of)
"""


def payment_history(session: Session) -> pd.DataFrame:
    """Payment-behaviour aggregates over the trailing windows, one row per spine row.

    Columns:
        customer_invoice_count_{w}d (count): Invoices issued in (t-{w}d, t]. 0 when none; never
            null.
        customer_sales_amount_{w}d (currency): Sum of amounts of invoices issued in (t-{w}d, t].
            0 when none; never null.
        customer_settled_count_{w}d (count): Invoices cleared in (t-{w}d, t]. 0 when none.
        customer_late_share_count_{w}d (share): Of invoices cleared in (t-{w}d, t], the share
            cleared after their due date (days late > 0). Null when none cleared.
        customer_late_share_amount_{w}d (share): Of the amount of invoices cleared in
            (t-{w}d, t], the share cleared after the due date. Null when none cleared.
        customer_early_share_count_{w}d (share): Of invoices cleared in (t-{w}d, t], the share
            cleared before their due date (days late < 0). Null when none cleared.
        customer_days_late_mean_{w}d (days): Mean days late (cleared_date - due_date, negative
            = early) of invoices cleared in (t-{w}d, t]. Null when none cleared.
        customer_days_late_p90_{w}d (days): 90th percentile (linear interpolation) of days late
            of invoices cleared in (t-{w}d, t]. Null when none cleared.
        customer_days_late_max_{w}d (days): Largest days late of invoices cleared in
            (t-{w}d, t]. Null when none cleared.
        customer_dispute_share_{w}d (share): Of invoices cleared in (t-{w}d, t] with a known
            dispute flag, the share disputed (the flag has no date, so it counts once the
            invoice is settled). Null when none, or when invoices carry no dispute flag.
        customer_partial_payment_share_{w}d (share): Of invoices cleared in (t-{w}d, t], the
            share settled by two or more payments. Null when none, or without a payments table.
        customer_days_late_trend_days (days): Mean days late of invoices cleared in (t-90d, t]
            minus that of invoices cleared in (t-365d, t-90d]; positive = paying later than
            before. Null when either period has no cleared invoice.
    """
    sql = payment_history_sql(session.has_disputed, session.has_payments)
    return session.frame(sql)
