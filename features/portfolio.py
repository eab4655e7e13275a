"""Portfolio trend by month: DSO over all customers and the share of invoices paid late.

For the demo summary and the risk officers' overview. Portfolio DSO at a month end d is the
receivables definition summed over every customer: total open amount at d / total sales
issued in (d-90d, d] x 90 (null without sales); it reuses `create_position`, so it is the same
DSO as the customer feature. The late share of a month is over the invoices cleared in it.
"""

from __future__ import annotations

from collections.abc import Sequence

import pandas as pd

from features.receivables import DSO_WINDOW_DAYS, create_position
from features.session import open_session
from features.tables import Tables, data_end_of

PORTFOLIO_SQL = f"""
WITH totals AS (
    SELECT as_of AS month_end, sum(open_amount) AS open_amount, sum(sales) AS sales_90d
    FROM portfolio_position GROUP BY as_of
),
settled AS (
    SELECT d.as_of AS month_end, count(i.invoice_id) AS cleared_count,
           avg((i.cleared_date > i.due_date)::DOUBLE) AS late_share_count
    FROM snapshot_dates d LEFT JOIN invoices i
      ON i.cleared_date <= d.as_of
     AND i.cleared_date > date_trunc('month', d.as_of) - INTERVAL 1 DAY
    GROUP BY d.as_of
)
SELECT t.month_end, t.open_amount, coalesce(t.sales_90d, 0) AS sales_90d,
       CASE WHEN t.sales_90d > 0 THEN t.open_amount / t.sales_90d * {DSO_WINDOW_DAYS} END
           AS dso_days,
       s.cleared_count, s.late_share_count
FROM totals t JOIN settled s USING (month_end)
ORDER BY t.month_end
"""


def month_ends_of(tables: Tables) -> list[pd.Timestamp]:
    """Every month end from the first invoice to the data end (the trend charts' x axis)."""
    first = tables.invoices["issue_date"].min()
    return list(pd.date_range(first, data_end_of(tables), freq="ME", unit="ns").normalize())


def query_positions(
    tables: Tables, month_ends: Sequence[pd.Timestamp] | None, sql: str
) -> pd.DataFrame:
    """Run `sql` over `portfolio_position`: every invoiced customer's position at each date.

    Every customer with an invoice is probed, whether or not it is in the snapshot spine yet,
    so portfolio totals cover the whole ledger. `month_ends` defaults to `month_ends_of`.
    """
    chosen = month_ends_of(tables) if month_ends is None else month_ends
    dates = sorted({pd.Timestamp(d).normalize() for d in chosen})
    session = open_session(tables, dates)
    try:
        session.con.execute(
            """
            CREATE TEMP TABLE portfolio_probes AS
            SELECT c.customer_id, d.as_of, d.as_of AS ref_date
            FROM (SELECT DISTINCT customer_id FROM invoices) c CROSS JOIN snapshot_dates d
            """
        )
        create_position(session, "portfolio_probes", "portfolio_position")
        return session.frame(sql)
    finally:
        session.close()


def portfolio_by_month(
    tables: Tables, month_ends: Sequence[pd.Timestamp] | None = None
) -> pd.DataFrame:
    """Portfolio DSO and late share at each month end.

    Args:
        tables: canonical tables.
        month_ends: dates to report (default: every month end from the first invoice to the
            data end).

    Returns:
        One row per month end: month_end, open_amount, sales_90d, dso_days (NaN without
        sales), cleared_count and late_share_count (share of invoices cleared in that month,
        up to the month end, cleared after their due date; NaN when none cleared).
    """
    frame = query_positions(tables, month_ends, PORTFOLIO_SQL)
    numeric = ["open_amount", "sales_90d", "dso_days", "cleared_count", "late_share_count"]
    return frame.astype({"month_end": "datetime64[ns]"} | dict.fromkeys(numeric, "float64"))
