"""Activity: how recently and how much a customer buys and pays, and its CRM pipeline.

Recency is the latest fact dated <= t (facts bucketed by snapshot date, see
`features.snapshot_buckets.bucket_sql`), volumes from `invoice_history`.
A deal's `stage` has no date (a deal won after t was open at t), so using it would leak the
future: the pipeline features count deals *created* in (t-90d, t] whatever their stage.
"""

from __future__ import annotations

import pandas as pd

from features.session import Session, snapshot_dates_in
from features.snapshot_buckets import bucket_sql, known_by_sql

ACTIVITY_SQL = """
WITH dates AS (SELECT as_of, row_number() OVER (ORDER BY as_of) - 1 AS k FROM snapshot_dates),
issued AS (
    SELECT customer_id, {issue_bucket} AS b, max(issue_date) AS d
    FROM invoices WHERE {issue_known} GROUP BY ALL
),
paid AS (
    SELECT customer_id, {payment_bucket} AS b, max(payment_date) AS d
    FROM payments WHERE {payment_known} GROUP BY ALL
    UNION ALL
    SELECT customer_id, {cleared_bucket} AS b, max(cleared_date) AS d
    FROM invoices WHERE {cleared_known} GROUP BY ALL
),
last_invoice AS (
    SELECT s.customer_id, s.as_of, max(e.d) AS last_issue_date
    FROM spine s JOIN dates t USING (as_of)
    LEFT JOIN issued e ON e.customer_id = s.customer_id AND e.b <= t.k
    GROUP BY ALL
),
last_payment AS (
    SELECT s.customer_id, s.as_of, max(e.d) AS last_paid_date
    FROM spine s JOIN dates t USING (as_of)
    LEFT JOIN paid e ON e.customer_id = s.customer_id AND e.b <= t.k
    GROUP BY ALL
),
volumes AS (
    SELECT customer_id, as_of,
           sum(amount) FILTER (WHERE issued_days_ago < 90) AS sales_recent,
           sum(amount) FILTER (WHERE issued_days_ago >= 90 AND issued_days_ago < 180)
               AS sales_prior,
           avg(amount) FILTER (WHERE issued_days_ago < 90) AS mean_recent,
           avg(amount) FILTER (WHERE issued_days_ago >= 90 AND issued_days_ago < 180)
               AS mean_prior,
           count(*) FILTER (WHERE issued_days_ago < 365) AS count_year,
           max(issued_days_ago) FILTER (WHERE issued_days_ago < 365) AS oldest_days_ago,
           min(issued_days_ago) FILTER (WHERE issued_days_ago < 365) AS newest_days_ago
    FROM invoice_history
    GROUP BY customer_id, as_of
),
pipeline AS (
    SELECT s.customer_id, s.as_of, count(d.created_date) AS deal_count, sum(d.amount) AS deal_amount
    FROM spine s LEFT JOIN deals d
      ON d.customer_id = s.customer_id
     AND d.created_date <= s.as_of AND d.created_date > s.as_of - INTERVAL 90 DAY
    GROUP BY s.customer_id, s.as_of
)
SELECT s.customer_id, s.as_of,
       date_diff('day', li.last_issue_date, s.as_of) AS customer_days_since_last_invoice,
       date_diff('day', lp.last_paid_date, s.as_of) AS customer_days_since_last_payment,
       CASE WHEN v.count_year >= 2
            THEN (v.oldest_days_ago - v.newest_days_ago) / (v.count_year - 1) END
           AS customer_invoice_interval_mean_days_365d,
       CASE WHEN v.sales_prior > 0 THEN coalesce(v.sales_recent, 0) / v.sales_prior - 1 END
           AS customer_order_volume_change_90d,
       v.mean_recent AS customer_invoice_amount_mean_90d,
       v.mean_recent / v.mean_prior - 1 AS customer_invoice_amount_change_90d,
       {deal_count} AS customer_deal_count_90d,
       {deal_amount} AS customer_deal_amount_90d
FROM spine s
LEFT JOIN volumes v USING (customer_id, as_of)
JOIN last_invoice li USING (customer_id, as_of)
JOIN last_payment lp USING (customer_id, as_of)
JOIN pipeline p USING (customer_id, as_of)
"""


def activity(session: Session) -> pd.DataFrame:
    """Recency, frequency and volume of buying and paying, one row per spine row.

    Columns:
        customer_days_since_last_invoice (days): Days from the latest invoice issued <= t to t
            (0 = invoiced at t). Null when the customer has no invoice yet.
        customer_days_since_last_payment (days): Days from the latest payment or clearing dated
            <= t to t. Null when the customer has never paid.
        customer_invoice_interval_mean_days_365d (days): Mean days between consecutive invoices
            issued in (t-365d, t]. Null with fewer than two such invoices.
        customer_order_volume_change_90d (ratio): Sales issued in (t-90d, t] / sales issued in
            (t-180d, t-90d] - 1; -0.3 = volume down 30%. Null when there were no earlier sales.
        customer_invoice_amount_mean_90d (currency): Mean amount of invoices issued in
            (t-90d, t]. Null when none.
        customer_invoice_amount_change_90d (ratio): Mean invoice amount in (t-90d, t] / that in
            (t-180d, t-90d] - 1. Null when either period has no invoice.
        customer_deal_count_90d (count): CRM deals created in (t-90d, t], any stage. Null
            without a deals table.
        customer_deal_amount_90d (currency): Amount of CRM deals created in (t-90d, t], any
            stage; 0 when none. Null without a deals table.
    """
    deal_count = "p.deal_count" if session.has_deals else "NULL::BIGINT"
    deal_amount = "coalesce(p.deal_amount, 0)" if session.has_deals else "NULL::DOUBLE"
    dates = snapshot_dates_in(session)
    sql = ACTIVITY_SQL.format(
        deal_count=deal_count,
        deal_amount=deal_amount,
        issue_bucket=bucket_sql("issue_date", dates),
        payment_bucket=bucket_sql("payment_date", dates),
        cleared_bucket=bucket_sql("cleared_date", dates),
        issue_known=known_by_sql("issue_date", dates),
        payment_known=known_by_sql("payment_date", dates),
        cleared_known=known_by_sql("cleared_date", dates),
    )
    return session.frame(sql)
