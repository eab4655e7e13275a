"""Payment-history features on a hand-built ledger with boundary dates, exact values."""

from __future__ import annotations

import math

import pytest

from features.build import build_feature_frame
from tests.features.builders import day, invoice, make_tables, row_of

T = "2024-06-30"  # t - 90d = 2024-04-01, t - 180d = 2024-01-01, t - 365d = 2023-07-01

CUSTOMERS = [
    {"customer_id": "A", "onboarding_date": "2023-01-01"},
    {"customer_id": "B", "onboarding_date": "2024-01-01"},
]
INVOICES = [
    # issued exactly 90 days before t: in the 180d window, not the 90d one; 10 days late
    invoice("I1", "A", "2024-04-01", "2024-05-01", 100.0, "2024-05-11"),
    # issued 89 days before t; 2 days early
    invoice("I2", "A", "2024-04-02", "2024-05-02", 300.0, "2024-04-30", disputed=False),
    # due exactly at t, cleared after t: open at t, no days late yet
    invoice("I3", "A", "2024-06-01", "2024-06-30", 200.0, "2024-07-05", disputed=True),
    # cleared exactly at t, 30 days late, disputed, paid in two payments
    invoice("I4", "A", "2024-05-01", "2024-05-31", 400.0, "2024-06-30", disputed=True),
    # cleared before t - 365d: outside every window
    invoice("I5", "A", "2023-05-01", "2023-05-31", 1000.0, "2023-06-15", disputed=True),
    # cleared on its due date 273 days before t: only in the 365d window
    invoice("I6", "A", "2023-09-01", "2023-10-01", 500.0, "2023-10-01", disputed=False),
    # issued after t: invisible
    invoice("I7", "A", "2024-07-01", "2024-07-31", 900.0, "2024-07-02", disputed=True),
]
PAYMENTS = [
    {"payment_id": "P1", "invoice_id": "I1", "payment_date": "2024-05-11", "amount": 100.0},
    {"payment_id": "P2", "invoice_id": "I2", "payment_date": "2024-04-30", "amount": 300.0},
    {"payment_id": "P3", "invoice_id": "I4", "payment_date": "2024-06-10", "amount": 200.0},
    {"payment_id": "P4", "invoice_id": "I4", "payment_date": "2024-06-30", "amount": 200.0},
    {"payment_id": "P5", "invoice_id": "I3", "payment_date": "2024-06-15", "amount": 50.0},
]

NAN = math.nan
EXPECTED_A = {
    "customer_invoice_count_30d": 1.0,
    "customer_invoice_count_90d": 3.0,
    "customer_invoice_count_180d": 4.0,
    "customer_invoice_count_365d": 5.0,
    "customer_sales_amount_30d": 200.0,
    "customer_sales_amount_90d": 900.0,
    "customer_sales_amount_180d": 1000.0,
    "customer_sales_amount_365d": 1500.0,
    "customer_settled_count_30d": 1.0,
    "customer_settled_count_90d": 3.0,
    "customer_settled_count_180d": 3.0,
    "customer_settled_count_365d": 4.0,
    "customer_late_share_count_30d": 1.0,
    "customer_late_share_count_90d": 2 / 3,
    "customer_late_share_count_180d": 2 / 3,
    "customer_late_share_count_365d": 0.5,
    "customer_late_share_amount_30d": 1.0,
    "customer_late_share_amount_90d": 500 / 800,
    "customer_late_share_amount_180d": 500 / 800,
    "customer_late_share_amount_365d": 500 / 1300,
    "customer_early_share_count_30d": 0.0,
    "customer_early_share_count_90d": 1 / 3,
    "customer_early_share_count_180d": 1 / 3,
    "customer_early_share_count_365d": 0.25,
    "customer_days_late_mean_30d": 30.0,
    "customer_days_late_mean_90d": 38 / 3,
    "customer_days_late_mean_180d": 38 / 3,
    "customer_days_late_mean_365d": 9.5,
    "customer_days_late_p90_30d": 30.0,
    "customer_days_late_p90_90d": 26.0,  # [-2, 10, 30] at position 1.8
    "customer_days_late_p90_180d": 26.0,
    "customer_days_late_p90_365d": 24.0,  # [-2, 0, 10, 30] at position 2.7
    "customer_days_late_max_30d": 30.0,
    "customer_days_late_max_90d": 30.0,
    "customer_days_late_max_180d": 30.0,
    "customer_days_late_max_365d": 30.0,
    "customer_dispute_share_30d": 1.0,
    "customer_dispute_share_90d": 0.5,  # I1 flag unknown; I2 no, I4 yes
    "customer_dispute_share_180d": 0.5,
    "customer_dispute_share_365d": 1 / 3,
    "customer_partial_payment_share_30d": 1.0,
    "customer_partial_payment_share_90d": 1 / 3,
    "customer_partial_payment_share_180d": 1 / 3,
    "customer_partial_payment_share_365d": 0.25,
    "customer_days_late_trend_days": 38 / 3 - 0.0,
}


def features(payments: bool = True) -> tuple[dict[str, float], dict[str, float]]:
    tables = make_tables(CUSTOMERS, INVOICES, PAYMENTS if payments else None)
    frame = build_feature_frame(tables, day(T))
    a, b = row_of(frame, "A"), row_of(frame, "B")
    return {k: a[k] for k in EXPECTED_A}, {k: b[k] for k in EXPECTED_A}


def test_payment_history_exact_values_with_boundary_dates() -> None:
    a, _ = features()
    assert a == pytest.approx(EXPECTED_A, nan_ok=True)


def test_customer_without_invoices_has_zero_counts_and_null_shares() -> None:
    _, b = features()
    for name, value in b.items():
        if "_count_" in name and "share" not in name or "sales_amount" in name:
            assert value == 0.0, name
        else:
            assert math.isnan(value), name


def test_without_payments_table_partial_payment_share_is_null_and_rest_unchanged() -> None:
    a, _ = features(payments=False)
    partial = {k for k in EXPECTED_A if "partial_payment" in k}
    assert all(math.isnan(a[k]) for k in partial)
    rest = {k: v for k, v in EXPECTED_A.items() if k not in partial}
    assert {k: a[k] for k in rest} == pytest.approx(rest)


def test_without_dispute_flags_dispute_share_is_null() -> None:
    invoices = [{k: v for k, v in row.items() if k != "disputed"} for row in INVOICES]
    frame = build_feature_frame(make_tables(CUSTOMERS, invoices, PAYMENTS), day(T))
    a = row_of(frame, "A")
    assert [a[f"customer_dispute_share_{w}d"] for w in (30, 90, 180, 365)] == pytest.approx(
        [NAN] * 4, nan_ok=True
    )
