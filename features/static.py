"""Static attributes of a customer: industry, country, segment, terms, limit and tenure.

Customer attributes carry no date of their own, so they are taken as they are in the
customers table (an attribute changed later rewrites history; keep such tables versioned).
Tenure counts from `onboarding_date`, or from the first invoice where that is null (the same
rule that decides whether a customer is in a snapshot at all, see `features.session`).
"""

from __future__ import annotations

import pandas as pd

from features.session import Session

STATIC_SQL = """
SELECT s.customer_id, s.as_of,
       c.industry AS customer_industry,
       c.country AS customer_country,
       c.segment AS customer_segment,
       c.payment_terms_days AS customer_terms_days,
       c.credit_limit AS customer_credit_limit,
       date_diff('day', s.known_from, s.as_of) AS customer_tenure_days
FROM spine s JOIN customers c USING (customer_id)
"""


def static(session: Session) -> pd.DataFrame:
    """Attributes of the customer record and its tenure at t, one row per spine row.

    Columns:
        customer_industry (category): Industry from the customer record. Null when unknown.
        customer_country (category): Country from the customer record. Null when unknown.
        customer_segment (category): Size segment from the customer record. Null when unknown.
        customer_terms_days (days): Standard payment terms of the customer. Null when unknown.
        customer_credit_limit (currency): Credit limit granted. Null when unknown.
        customer_tenure_days (days): Days from onboarding (or, without an onboarding date, the
            first invoice) to t; 0 on the first day.
    """
    return session.frame(STATIC_SQL)
