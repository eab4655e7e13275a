"""Activity features on a hand-built ledger with boundary dates, exact values."""

from __future__ import annotations

import math

import pytest

from features.build import build_feature_frame
from tests.features.builders import day, invoice, make_tables, row_of

T = "2024-06-30"  # t - 90d = 2024-04-01, t - 180d = 2024-01-01

CUSTOMERS = [
    {"customer_id": "A", "onboarding_date": "2023-01-01"},
    {"customer_id": "B", "onboarding_date": "2024-01-01"},
]
INVOICES = [
    invoice("X1", "A", "2024-01-15", "2024-02-14", 100.0, "2024-02-20"),
    invoice("X2", "A", "2024-03-01", "2024-03-31", 300.0),
    invoice("X3", "A", "2024-04-01", "2024-05-01", 200.0),  # exactly t-90d: earlier period
    invoice("X4", "A", "2024-06-20", "2024-07-20", 600.0, "2024-06-25"),
    invoice("X5", "A", "2024-07-05", "2024-08-04", 5000.0, "2024-07-06"),  # after t
]
PAYMENTS = [
    {"payment_id": "P1", "invoice_id": "X1", "payment_date": "2024-02-20", "amount": 100.0},
    {"payment_id": "P2", "invoice_id": "X2", "payment_date": "2024-07-02", "amount": 300.0},
]
DEALS = [
    {"deal_id": "D1", "customer_id": "A", "created_date": "2024-04-01", "amount": 70.0},
    {
        "deal_id": "D2",
        "customer_id": "A",
        "created_date": "2024-04-02",
        "amount": 1000.0,
        "stage": "won",
    },
    {
        "deal_id": "D3",
        "customer_id": "A",
        "created_date": "2024-06-30",
        "amount": 500.0,
        "stage": "lost",
    },
    {"deal_id": "D4", "customer_id": "A", "created_date": "2024-07-01", "amount": 9.0},
]
EXPECTED_A = {
    "customer_days_since_last_invoice": 10.0,
    "customer_days_since_last_payment": 5.0,
    "customer_invoice_interval_mean_days_365d": (167 - 10) / 3,
    "customer_order_volume_change_90d": 0.0,  # 600 in (t-90d, t] vs 100 + 300 + 200 before
    "customer_invoice_amount_mean_90d": 600.0,
    "customer_invoice_amount_change_90d": 2.0,  # 600 vs a mean of 200
    "customer_deal_count_90d": 2.0,
    "customer_deal_amount_90d": 1500.0,
}


def test_activity_exact_values() -> None:
    tables = make_tables(CUSTOMERS, INVOICES, PAYMENTS, deals=DEALS)
    a = row_of(build_feature_frame(tables, day(T)), "A")
    assert {k: a[k] for k in EXPECTED_A} == pytest.approx(EXPECTED_A)


def test_customer_without_activity_has_null_recency_and_zero_deals() -> None:
    tables = make_tables(CUSTOMERS, INVOICES, PAYMENTS, deals=DEALS)
    b = row_of(build_feature_frame(tables, day(T)), "B")
    assert b["customer_deal_count_90d"] == 0.0
    assert b["customer_deal_amount_90d"] == 0.0
    null = [k for k in EXPECTED_A if "deal" not in k]
    assert [k for k in null if not math.isnan(b[k])] == []


def test_without_payments_and_deals_tables() -> None:
    a = row_of(build_feature_frame(make_tables(CUSTOMERS, INVOICES), day(T)), "A")
    assert a["customer_days_since_last_payment"] == 5.0  # X4 cleared 2024-06-25
    assert math.isnan(a["customer_deal_count_90d"])
    assert math.isnan(a["customer_deal_amount_90d"])


def test_order_volume_change_when_buying_stops() -> None:
    invoices = [invoice("Y1", "A", "2024-02-01", "2024-03-02", 400.0)]
    a = row_of(build_feature_frame(make_tables(CUSTOMERS[:1], invoices), day(T)), "A")
    assert a["customer_order_volume_change_90d"] == -1.0
    assert math.isnan(a["customer_invoice_amount_change_90d"])
    assert math.isnan(a["customer_invoice_interval_mean_days_365d"])
