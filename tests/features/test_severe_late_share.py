"""customer_severe_late_share_365d: the prior share of invoices settled 30+ days late."""

from __future__ import annotations

import math

from features.build import build_feature_frame
from tests.features.builders import day, invoice, make_tables, row_of

T = "2024-06-30"


def test_share_of_invoices_cleared_more_than_30_days_late_in_the_year() -> None:
    customers = [{"customer_id": c, "onboarding_date": "2023-01-01"} for c in "AB"]
    invoices = [
        invoice("A1", "A", "2024-01-01", "2024-01-31", 10.0, "2024-01-31"),  # on time
        invoice("A2", "A", "2024-02-01", "2024-03-01", 10.0, "2024-03-31"),  # 30 days: not severe
        invoice("A3", "A", "2024-02-01", "2024-03-01", 10.0, "2024-04-01"),  # 31 days: severe
        invoice("A4", "A", "2024-03-01", "2024-03-31", 10.0, "2024-06-30"),  # 91 days, cleared at t
        invoice("A5", "A", "2023-01-01", "2023-01-31", 10.0, "2023-04-01"),  # cleared > 365d ago
        invoice("A6", "A", "2024-04-01", "2024-05-01", 10.0),  # open, 60 days past due at t
        invoice("A7", "A", "2024-05-01", "2024-05-31", 10.0, "2024-07-15"),  # cleared after t
        invoice("B1", "B", "2024-05-01", "2024-05-31", 10.0),  # nothing cleared
    ]
    frame = build_feature_frame(make_tables(customers, invoices), day(T))
    assert row_of(frame, "A")["customer_severe_late_share_365d"] == 0.5  # A3, A4 of A1-A4
    assert math.isnan(row_of(frame, "B")["customer_severe_late_share_365d"])
