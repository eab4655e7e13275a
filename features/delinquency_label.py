"""The credit-risk label delinquent_90d, exactly as ARCHITECTURE.md ("Definitions") defines it.

delinquent_90d(c, t) = 1.0 if on some day d in (t, t + H] an invoice of c is still unpaid
(open amount > 0) with d - due_date > D; invoices issued after t count. 0.0 otherwise for a
customer *active* at t (open amount at t > 0, or an invoice issued in (t - 365d, t]). NaN
(excluded) if t + H > data_end, or if c is not active at t. H is
`LabelDefinition.delinquency_horizon_days` (default 90), D `delinquent_days` (default 30).

Open amount of an invoice at d follows `features.receivables`: 0 once `cleared_date <= d`;
otherwise its amount minus the payments dated <= d. So an invoice is open at d exactly while
d < its *settle date*: the earlier of `cleared_date` and the first payment date on which the
payments so far reach its amount (never, while neither exists; without a payments table the
payments table is empty and the settle date is the clearing date).

An invoice makes the label 1 when it is still open on its first qualifying day
d0 = max(t + 1, due_date + D + 1, issue_date), and d0 <= t + H: open on some qualifying day
means open on the first one, since an invoice never reopens. Consequences worth knowing: an
invoice cleared on due + D or due + D + 1 never counts (on due + D + 1 the payments of that
day are already in); cleared on due + D + 2 it does.
"""

from __future__ import annotations

import pandas as pd

from features.session import Session

DELINQUENCY_COLUMN = "delinquent_90d"
ACTIVE_WINDOW_DAYS = 365
"""A customer with an invoice issued within this many days before t is active at t."""

DELINQUENCY_SQL = """
WITH paid_by_day AS (
    SELECT invoice_id, payment_date, sum(amount) AS paid
    FROM payments GROUP BY invoice_id, payment_date
),
cumulative AS (
    SELECT invoice_id, payment_date,
           sum(paid) OVER (PARTITION BY invoice_id ORDER BY payment_date) AS paid_so_far
    FROM paid_by_day
),
paid_off AS (
    SELECT c.invoice_id, min(c.payment_date) AS paid_off_date
    FROM cumulative c JOIN invoices i USING (invoice_id)
    WHERE c.paid_so_far >= i.amount
    GROUP BY c.invoice_id
),
settled AS (
    SELECT i.invoice_id, i.customer_id, i.issue_date, i.due_date,
           CASE WHEN i.amount <= 0 THEN i.issue_date
                WHEN i.cleared_date IS NULL THEN p.paid_off_date
                WHEN p.paid_off_date IS NULL THEN i.cleared_date
                ELSE least(i.cleared_date, p.paid_off_date) END AS settle_date
    FROM invoices i LEFT JOIN paid_off p USING (invoice_id)
),
delinquent AS (
    SELECT s.customer_id, t.as_of
    FROM settled s JOIN snapshot_dates t
      ON s.issue_date <= t.as_of + INTERVAL {horizon} DAY
     AND s.due_date + INTERVAL {first_day} DAY <= t.as_of + INTERVAL {horizon} DAY
     AND (s.settle_date IS NULL OR s.settle_date > t.as_of + INTERVAL 1 DAY)
    WHERE s.settle_date IS NULL
       OR s.settle_date > greatest(t.as_of + INTERVAL 1 DAY,
                                   s.due_date + INTERVAL {first_day} DAY, s.issue_date)
    GROUP BY ALL
),
active AS (
    SELECT s.customer_id, t.as_of
    FROM settled s JOIN snapshot_dates t ON s.issue_date <= t.as_of
    WHERE s.issue_date > t.as_of - INTERVAL {active_days} DAY
       OR s.settle_date IS NULL OR s.settle_date > t.as_of
    GROUP BY ALL
)
SELECT sp.customer_id, sp.as_of,
       CASE WHEN sp.as_of + INTERVAL {horizon} DAY > TIMESTAMP '{data_end}' THEN NULL
            WHEN a.customer_id IS NULL THEN NULL
            WHEN d.customer_id IS NOT NULL THEN 1.0
            ELSE 0.0 END AS {column}
FROM spine sp
LEFT JOIN active a ON a.customer_id = sp.customer_id AND a.as_of = sp.as_of
LEFT JOIN delinquent d ON d.customer_id = sp.customer_id AND d.as_of = sp.as_of
ORDER BY sp.as_of, sp.customer_id
"""


def delinquency_in_session(
    session: Session, delinquent_days: int, horizon_days: int, data_end: pd.Timestamp
) -> pd.DataFrame:
    """delinquent_90d for every spine row of an open session (see the module docstring).

    Returns:
        Columns customer_id (the session's integer codes), as_of, delinquent_90d
        (1.0/0.0/NaN), sorted by as_of, customer_id.
    """
    sql = DELINQUENCY_SQL.format(
        horizon=int(horizon_days),
        first_day=int(delinquent_days) + 1,
        active_days=ACTIVE_WINDOW_DAYS,
        data_end=pd.Timestamp(data_end).normalize().isoformat(sep=" "),
        column=DELINQUENCY_COLUMN,
    )
    frame = session.frame(sql)
    return frame.assign(**{DELINQUENCY_COLUMN: frame[DELINQUENCY_COLUMN].astype("float64")})
