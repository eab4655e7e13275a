"""Payment behaviour over trailing windows: how much a customer buys and how it pays.

Computed by one DuckDB query over `invoice_history` (see `features.invoice_history`) for all
snapshots: invoices are aggregated by disjoint age bands, and each window sums its bands (see
BANDS_SQL). Windows are (t - w days, t]; an invoice counts as
*settled* in a window when its `cleared_date` falls in it, and its days late are known only
then (an invoice open at t has no days late yet; its lateness shows in the receivables group).
On-time share by count is 1 - late share and is not repeated as a feature.
"""

from __future__ import annotations

import pandas as pd

from features.session import Session

WINDOWS: tuple[int, ...] = (30, 90, 180, 365)
"""Trailing windows in days."""

SEVERE_DAYS_LATE = 30
"""Days late beyond which a settled invoice counts as severely late: 30+ days past due is
delinquency in credit practice (DOMAIN.md, "How late is late"), the default `delinquent_days`."""

BANDS_SQL = """
issued AS (
    SELECT customer_id, as_of, {issued_band} AS band, count(*) AS n, sum(amount) AS amount
    FROM invoice_history
    WHERE issued_days_ago < {longest}
    GROUP BY ALL
),
settled AS (
    SELECT customer_id, as_of, {settled_band} AS band,
           count(*) AS n,
           sum(amount) AS amount,
           count(*) FILTER (WHERE days_late > 0) AS n_late,
           count(*) FILTER (WHERE days_late > {severe}) AS n_severe,
           coalesce(sum(amount) FILTER (WHERE days_late > 0), 0) AS late_amount,
           count(*) FILTER (WHERE days_late < 0) AS n_early,
           sum(days_late) AS days_late_sum,
           max(days_late) AS days_late_max,
           count({disputed}) AS n_dispute_known,
           count(*) FILTER (WHERE {disputed}) AS n_disputed,
           count({payment_count}) AS n_payment_known,
           count(*) FILTER (WHERE {payment_count} >= 2) AS n_partial
    FROM invoice_history
    WHERE cleared_days_ago IS NOT NULL
    GROUP BY ALL
),
qw AS (
    SELECT customer_id, as_of, {quantiles}
    FROM invoice_history
    WHERE cleared_days_ago < {longest}
    GROUP BY customer_id, as_of
)"""
"""Disjoint age bands (0-29, 30-89, 90-179, 180-364 days ago) aggregated once; a window is a
union of bands, so sums, counts and maxima of every window come from at most four rows. The
90th percentile is not additive: it is one filtered aggregate per window over the same rows
(no row is repeated per window)."""


def _band(column: str) -> str:
    """SQL mapping days ago to its band, named by the smallest window that contains it."""
    cases = " ".join(f"WHEN {column} < {w} THEN {w}" for w in WINDOWS)
    return f"CASE {cases} END"


SETTLED_SUMS: tuple[str, ...] = (
    "n",
    "amount",
    "n_late",
    "n_severe",
    "late_amount",
    "n_early",
    "days_late_sum",
    "n_dispute_known",
    "n_disputed",
    "n_payment_known",
    "n_partial",
)
"""Additive columns of the settled bands, summed over the bands of each window."""


def _pivots() -> str:
    """CTEs turning band rows into one row per (customer, as_of) with per-window totals."""
    issued = [
        f"sum({c}) FILTER (WHERE band <= {w}) AS {c}_{w}" for w in WINDOWS for c in ("n", "amount")
    ]
    settled = [
        f"sum({c}) FILTER (WHERE band <= {w}) AS {c}_{w}" for w in WINDOWS for c in SETTLED_SUMS
    ]
    settled += [f"max(days_late_max) FILTER (WHERE band <= {w}) AS max_{w}" for w in WINDOWS]
    settled += [
        "sum(days_late_sum) FILTER (WHERE band <= 90) AS recent_sum",
        "sum(n) FILTER (WHERE band <= 90) AS recent_n",
        "sum(days_late_sum) FILTER (WHERE band > 90) AS older_sum",
        "sum(n) FILTER (WHERE band > 90) AS older_n",
    ]
    sep = ",\n           "
    return f"""
iw AS (SELECT customer_id, as_of, {sep.join(issued)} FROM issued GROUP BY ALL),
sw AS (SELECT customer_id, as_of, {sep.join(settled)} FROM settled GROUP BY ALL)"""


def _measures(w: int) -> list[str]:
    """Select items of window `w`, in the docstring's Columns order."""

    def share(column: str, of: str = "n") -> str:
        return f"sw.{column}_{w} / nullif(sw.{of}_{w}, 0)"

    return [
        f"coalesce(iw.n_{w}, 0) AS customer_invoice_count_{w}d",
        f"coalesce(iw.amount_{w}, 0) AS customer_sales_amount_{w}d",
        f"coalesce(sw.n_{w}, 0) AS customer_settled_count_{w}d",
        f"{share('n_late')} AS customer_late_share_count_{w}d",
        f"{share('late_amount', 'amount')} AS customer_late_share_amount_{w}d",
        f"{share('n_early')} AS customer_early_share_count_{w}d",
        f"{share('days_late_sum')} AS customer_days_late_mean_{w}d",
        f"qw.q_{w} AS customer_days_late_p90_{w}d",
        f"sw.max_{w} AS customer_days_late_max_{w}d",
        f"{share('n_disputed', 'n_dispute_known')} AS customer_dispute_share_{w}d",
        f"{share('n_partial', 'n_payment_known')} AS customer_partial_payment_share_{w}d",
    ]


def payment_history_sql(has_disputed: bool, has_payments: bool) -> str:
    """The group's query over `spine` and `invoice_history`, one row per spine row."""
    bands = BANDS_SQL.format(
        issued_band=_band("issued_days_ago"),
        settled_band=_band("cleared_days_ago"),
        longest=max(WINDOWS),
        severe=SEVERE_DAYS_LATE,
        disputed="disputed_settled" if has_disputed else "NULL::BOOLEAN",
        payment_count="payment_count" if has_payments else "NULL::BIGINT",
        quantiles=", ".join(
            f"quantile_cont(days_late, 0.9) FILTER (WHERE cleared_days_ago < {w}) AS q_{w}"
            for w in WINDOWS
        ),
    )
    per_window = [_measures(w) for w in WINDOWS]
    # Column order: each measure over all windows, as the catalog expands the docstring.
    items = [per_window[j][i] for i in range(len(per_window[0])) for j in range(len(WINDOWS))]
    items.append(
        "sw.recent_sum / sw.recent_n - sw.older_sum / sw.older_n AS customer_days_late_trend_days"
    )
    year = max(WINDOWS)
    items.append(f"sw.n_severe_{year} / nullif(sw.n_{year}, 0) AS customer_severe_late_share_365d")
    select = ",\n       ".join(items)
    return f"""
WITH {bands},{_pivots()}
SELECT s.customer_id, s.as_of,
       {select}
FROM spine s
LEFT JOIN iw USING (customer_id, as_of)
LEFT JOIN sw USING (customer_id, as_of)
LEFT JOIN qw USING (customer_id, as_of)
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
        customer_severe_late_share_365d (share): Of invoices cleared in (t-365d, t], the share
            cleared more than 30 days after their due date (the customer's prior share of
            invoices that went delinquent). Invoices still open at t are not counted (their
            days past due are in the receivables group). Null when none cleared.
    """
    sql = payment_history_sql(session.has_disputed, session.has_payments)
    return session.frame(sql)
