"""Each invoice as seen at each snapshot date: the `invoice_history` table the groups read."""

from __future__ import annotations

from features.session import Session, snapshot_dates_in
from features.snapshot_buckets import bucket_sql, known_by_sql

INVOICE_HISTORY_SQL = """
CREATE OR REPLACE TEMP VIEW invoice_facts AS
SELECT customer_id, invoice_id, amount, issue_date, cleared_date, disputed,
       date_diff('day', due_date, cleared_date) AS days_late,
       CASE WHEN cleared_date IS NOT NULL THEN settled_payment_count END AS payment_count
FROM invoices;

CREATE OR REPLACE TEMP TABLE invoice_history AS
SELECT i.customer_id, s.as_of, i.amount,
       date_diff('day', i.issue_date, s.as_of)::INTEGER AS issued_days_ago,
       CASE WHEN i.cleared_date <= s.as_of
            THEN date_diff('day', i.cleared_date, s.as_of)::INTEGER END AS cleared_days_ago,
       CASE WHEN i.cleared_date <= s.as_of THEN i.days_late::INTEGER END AS days_late,
       CASE WHEN i.cleared_date <= s.as_of THEN i.disputed END AS disputed_settled,
       CASE WHEN i.cleared_date <= s.as_of THEN i.payment_count::INTEGER END AS payment_count
FROM (
    SELECT *, unnest(range(b_issue, b_end)) AS k
    FROM (
        SELECT *, {issue_bucket} AS b_issue, coalesce({end_bucket}, {date_count}) AS b_end
        FROM invoice_facts WHERE {issue_known}
    )
    WHERE b_issue < b_end
) i
JOIN (SELECT as_of, row_number() OVER (ORDER BY as_of) - 1 AS k FROM snapshot_dates) s USING (k);
"""


def create_invoice_history(session: Session) -> None:
    """Create the table `invoice_history`: each invoice as seen at each snapshot date.

    Materialised once per batch of snapshots (the range join runs once, not once per group
    that reads it).

    Only invoices that can matter within 365 days of t: issued <= t and open at t or cleared in
    (t-365d, t] (a range join on the snapshot dates, so no customer x snapshot x invoice
    product is ever formed). Rows of customers not yet known at t drop out when the groups
    join the spine. Facts after t are masked here, once: `cleared_days_ago`, `days_late`, the
    dispute flag and the payment count are null unless the invoice cleared <= t. The dispute
    flag has no date of its own, so it is treated as known once the invoice is settled.
    `payment_count` counts payments dated <= the clearing date (all of them <= t).
    An invoice is paired with the k-th snapshot for k in [bucket(issue), bucket(clearing +
    365d)) (see `bucket_sql`), so the pairs are generated without sorting the invoices.
    """
    dates = snapshot_dates_in(session)
    sql = INVOICE_HISTORY_SQL.format(
        issue_bucket=bucket_sql("issue_date", dates),
        end_bucket=bucket_sql("cleared_date + INTERVAL 365 DAY", dates),
        date_count=len(dates),
        issue_known=known_by_sql("issue_date", dates),
    )
    session.con.execute(sql)
