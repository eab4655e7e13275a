"""Receivables position at t: what is owed, how overdue, and DSO, exactly as ARCHITECTURE.md.

`create_position` computes the position of any (customer, reference date) pairs; the features
use it at t and at t-30d/t-90d (DSO change), the dso_30d label at t+30d: one definition of DSO.

Open amount of an invoice at d: 0 once `cleared_date <= d`; otherwise its amount minus the
payments, credit notes and write-offs dated <= d (floored at 0; no payments table: nothing
paid, no credit_notes table: nothing credited), as `features.balances` defines it in pandas.
An invoice whose payments and credits cover its amount is closed: its open amount is 0, so it
is in no aging bucket, not overdue and not in DSO. A write-off is not a payment (the invoice
stays unpaid for the lateness features and labels); only what is owed changes.
Days past due at d = d - due_date; aging buckets: current (<= 0), 1-30, 31-60, 61-90, over 90.
DSO(d) = open amount / sales issued in (d-90d, d] x 90; BPDSO the same with the not-yet-due
open amount; both null when there were no sales in the window.
"""

from __future__ import annotations

import pandas as pd

from features.session import Session
from features.snapshot_buckets import bucket_sql, known_by_sql

DSO_WINDOW_DAYS = 90
"""Sales window of DSO, in days."""

DSO_LAGS_DAYS: tuple[int, ...] = (30, 90)
"""DSO change is measured against DSO this many days before t."""

POSITION_SQL = """
CREATE OR REPLACE TEMP TABLE {out} AS
WITH ref_dates AS (SELECT * FROM (VALUES {ref_rows}) r(ref_date, k)),
bucketed AS (
    SELECT invoice_id, customer_id, amount, due_date, {issue_bucket} AS b_issue,
           coalesce({cleared_bucket}, {ref_count}) AS b_cleared,
           coalesce({window_bucket}, {ref_count}) AS b_window_end
    FROM invoices WHERE {issue_known}
),
open_items AS (
    SELECT o.customer_id, r.ref_date, o.k, o.invoice_id, o.amount,
           date_diff('day', o.due_date, r.ref_date) AS days_past_due
    FROM (
        SELECT invoice_id, customer_id, amount, due_date, unnest(range(b_issue, b_cleared)) AS k
        FROM bucketed WHERE b_issue < b_cleared
    ) o JOIN ref_dates r USING (k)
),
paid AS (
    SELECT o.invoice_id, o.k, sum(m.amount) AS paid_amount
    FROM open_items o
    JOIN payments m ON m.invoice_id = o.invoice_id AND m.payment_date <= o.ref_date
    GROUP BY o.invoice_id, o.k
),
credited AS (
    SELECT o.invoice_id, o.k, sum(c.amount) AS credited_amount
    FROM open_items o
    JOIN credit_notes c ON c.invoice_id = o.invoice_id AND c.credit_date <= o.ref_date
    GROUP BY o.invoice_id, o.k
),
items AS (
    SELECT o.customer_id, o.ref_date, o.days_past_due,
           greatest(o.amount - coalesce(p.paid_amount, 0) - coalesce(c.credited_amount, 0), 0)
               AS open_amount
    FROM open_items o LEFT JOIN paid p USING (invoice_id, k)
    LEFT JOIN credited c USING (invoice_id, k)
),
open_totals AS (
    SELECT customer_id, ref_date,
           sum(open_amount) AS open_amount,
           sum(open_amount) FILTER (WHERE days_past_due <= 0) AS not_due_amount,
           sum(open_amount) FILTER (WHERE days_past_due BETWEEN 1 AND 30) AS aging_1_30_amount,
           sum(open_amount) FILTER (WHERE days_past_due BETWEEN 31 AND 60) AS aging_31_60_amount,
           sum(open_amount) FILTER (WHERE days_past_due BETWEEN 61 AND 90) AS aging_61_90_amount,
           sum(open_amount) FILTER (WHERE days_past_due > 90) AS aging_over_90_amount,
           max(days_past_due) FILTER (WHERE days_past_due > 0 AND open_amount > 0)
               AS oldest_overdue_days,
           sum(open_amount) FILTER (WHERE days_past_due BETWEEN -30 AND -1) AS due_next_30d_amount,
           count(*) FILTER (WHERE days_past_due BETWEEN -30 AND -1 AND open_amount > 0)
               AS due_next_30d_count
    FROM items
    GROUP BY customer_id, ref_date
),
sales AS (
    SELECT i.customer_id, r.ref_date, i.sales
    FROM (
        SELECT customer_id, k, sum(amount) AS sales
        FROM (
            SELECT customer_id, amount, unnest(range(b_issue, b_window_end)) AS k
            FROM bucketed WHERE b_issue < b_window_end
        )
        GROUP BY customer_id, k
    ) i JOIN ref_dates r USING (k)
),
totals AS (
    SELECT p.customer_id, p.as_of, p.ref_date, s.sales,
           coalesce(o.open_amount, 0) AS open_amount,
           coalesce(o.not_due_amount, 0) AS not_due_amount,
           coalesce(o.aging_1_30_amount, 0) AS aging_1_30_amount,
           coalesce(o.aging_31_60_amount, 0) AS aging_31_60_amount,
           coalesce(o.aging_61_90_amount, 0) AS aging_61_90_amount,
           coalesce(o.aging_over_90_amount, 0) AS aging_over_90_amount,
           coalesce(o.oldest_overdue_days, 0) AS oldest_overdue_days,
           coalesce(o.due_next_30d_amount, 0) AS due_next_30d_amount,
           coalesce(o.due_next_30d_count, 0) AS due_next_30d_count
    FROM {probes} p
    LEFT JOIN open_totals o USING (customer_id, ref_date)
    LEFT JOIN sales s USING (customer_id, ref_date)
)
SELECT *,
       CASE WHEN sales > 0 THEN open_amount / sales * {window} END AS dso_days,
       CASE WHEN sales > 0 THEN not_due_amount / sales * {window} END AS bpdso_days
FROM totals
"""
"""Positions per distinct reference date, then attached to the probes: no probe x invoice
product is formed. Each invoice is paired only with the reference dates where it matters, found
by bucketing its dates against the sorted reference dates
(`features.snapshot_buckets.bucket_sql`): it is open at the k-th date for k in [bucket(issue),
bucket(clearing)) and in its DSO sales window for k in [bucket(issue), bucket(issue + window)).
No sort of the invoices is needed."""


def create_position(
    session: Session, probes: str, out: str, window_days: int = DSO_WINDOW_DAYS
) -> None:
    """Materialise table `out`: the receivables position of each row of table `probes`.

    Args:
        session: the open DuckDB session.
        probes: a table with columns customer_id, as_of, ref_date; the position is taken at
            ref_date using only facts dated <= ref_date.
        out: name of the temp table to create, keyed by (customer_id, as_of, ref_date).
        window_days: the sales window of DSO.
    """
    found = session.con.sql(f"SELECT DISTINCT ref_date FROM {probes} ORDER BY 1").fetchnumpy()
    refs = [pd.Timestamp(d) for d in found["ref_date"]]
    rows = ", ".join(f"(TIMESTAMP '{d.isoformat(sep=' ')}', {k})" for k, d in enumerate(refs))
    sql = POSITION_SQL.format(
        out=out,
        probes=probes,
        window=window_days,
        ref_rows=rows or "(NULL::TIMESTAMP, NULL::BIGINT)",
        ref_count=len(refs),
        issue_bucket=bucket_sql("issue_date", refs),
        cleared_bucket=bucket_sql("cleared_date", refs),
        window_bucket=bucket_sql(f"issue_date + INTERVAL {window_days} DAY", refs),
        issue_known=known_by_sql("issue_date", refs),
    )
    session.con.execute(sql)


def receivables_sql() -> str:
    """The group's query over the positions at t and at the DSO lags."""
    lags = "".join(
        f"       p.dso_days - l{lag}.dso_days AS customer_dso_change_{lag}d_days,\n"
        for lag in DSO_LAGS_DAYS
    )
    joins = "".join(
        f"LEFT JOIN receivables_position l{lag} ON l{lag}.customer_id = p.customer_id "
        f"AND l{lag}.as_of = p.as_of AND l{lag}.ref_date = p.as_of - INTERVAL {lag} DAY\n"
        for lag in DSO_LAGS_DAYS
    )
    buckets = ("not_due", "aging_1_30", "aging_31_60", "aging_61_90", "aging_over_90")
    names = ("current", "1_30", "31_60", "61_90", "over_90")
    amounts = "".join(
        f"       p.{b}_amount AS customer_aging_{n}_amount,\n"
        for b, n in zip(buckets, names, strict=True)
    )
    shares = "".join(
        f"       CASE WHEN p.open_amount > 0 THEN p.{b}_amount / p.open_amount END"
        f" AS customer_aging_{n}_share,\n"
        for b, n in zip(buckets, names, strict=True)
    )
    return f"""
SELECT p.customer_id, p.as_of,
       p.open_amount AS customer_open_amount,
       p.open_amount - p.not_due_amount AS customer_overdue_amount,
{amounts}{shares}       p.oldest_overdue_days AS customer_oldest_overdue_days,
       p.dso_days AS customer_dso_days,
       p.bpdso_days AS customer_best_possible_dso_days,
       p.dso_days - p.bpdso_days AS customer_average_days_delinquent,
{lags}       CASE WHEN c.credit_limit > 0 THEN p.open_amount / c.credit_limit END
           AS customer_credit_limit_utilisation,
       p.due_next_30d_amount AS customer_amount_due_next_30d,
       p.due_next_30d_count::DOUBLE AS customer_invoice_count_due_next_30d
FROM receivables_position p
JOIN customers c ON c.customer_id = p.customer_id
{joins}WHERE p.ref_date = p.as_of
"""


def receivables(session: Session) -> pd.DataFrame:
    """Receivables position at t, one row per spine row.

    Columns:
        customer_open_amount (currency): Open amount at t: amounts of invoices issued <= t not
            cleared by t, net of payments, credit notes and write-offs dated <= t. Never null.
        customer_overdue_amount (currency): Open amount at t of invoices past due (due < t).
        customer_aging_current_amount (currency): Open amount at t not yet due (due >= t).
        customer_aging_1_30_amount (currency): Open amount at t 1-30 days past due.
        customer_aging_31_60_amount (currency): Open amount at t 31-60 days past due.
        customer_aging_61_90_amount (currency): Open amount at t 61-90 days past due.
        customer_aging_over_90_amount (currency): Open amount at t more than 90 days past due.
        customer_aging_current_share (share): Not-yet-due share of the open amount at t. Null
            when nothing is open.
        customer_aging_1_30_share (share): 1-30 days past due share of the open amount. Null
            when nothing is open.
        customer_aging_31_60_share (share): 31-60 days past due share of the open amount. Null
            when nothing is open.
        customer_aging_61_90_share (share): 61-90 days past due share of the open amount. Null
            when nothing is open.
        customer_aging_over_90_share (share): Over 90 days past due share of the open amount.
            Null when nothing is open.
        customer_oldest_overdue_days (days): Days past due at t of the oldest overdue open
            invoice; 0 when nothing is overdue.
        customer_dso_days (days): DSO at t = open amount / sales issued in (t-90d, t] x 90.
            Null when there were no sales in the window.
        customer_best_possible_dso_days (days): Best-possible DSO at t = not-yet-due open amount
            / sales issued in (t-90d, t] x 90. Null when there were no sales in the window.
        customer_average_days_delinquent (days): Average days delinquent = DSO - best-possible
            DSO at t. Null when DSO is null.
        customer_dso_change_30d_days (days): DSO at t minus DSO at t-30d. Null when either is.
        customer_dso_change_90d_days (days): DSO at t minus DSO at t-90d. Null when either is.
        customer_credit_limit_utilisation (ratio): Open amount at t / credit limit. Null when
            the credit limit is unknown or 0.
        customer_amount_due_next_30d (currency): Open amount at t falling due in (t, t+30d].
        customer_invoice_count_due_next_30d (count): Open invoices at t falling due in
            (t, t+30d]: the invoices whose payment decides overdue_30d, each one more chance
            that one of them is paid late.
    """
    lags = ", ".join(f"({lag})" for lag in (0, *DSO_LAGS_DAYS))
    session.con.execute(
        f"""
        CREATE OR REPLACE TEMP TABLE receivables_probes AS
        SELECT s.customer_id, s.as_of, s.as_of - to_days(l.lag_days) AS ref_date
        FROM spine s CROSS JOIN (VALUES {lags}) l(lag_days)
        """
    )
    create_position(session, "receivables_probes", "receivables_position")
    return session.frame(receivables_sql())
