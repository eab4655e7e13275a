"""Receivables position at t on a hand-built ledger: aging boundaries, DSO, payments, exact."""

from __future__ import annotations

import math

import pytest

from features.build import build_feature_frame
from tests.features.builders import day, invoice, make_tables, row_of

T = "2024-06-30"  # t - 30d = 2024-05-31, t - 90d = 2024-04-01

CUSTOMERS = [
    {"customer_id": "A", "onboarding_date": "2023-01-01", "credit_limit": 2000.0},
    {"customer_id": "B", "onboarding_date": "2024-01-01"},
]
INVOICES = [
    invoice("R1", "A", "2024-04-01", "2024-05-31", 100.0),  # 30 past due; issued t-90d
    invoice("R2", "A", "2024-04-02", "2024-05-01", 200.0),  # 60 past due; 50 paid by t
    invoice("R3", "A", "2024-03-01", "2024-03-31", 300.0),  # 91 past due
    invoice("R4", "A", "2024-03-02", "2024-04-01", 400.0),  # 90 past due
    invoice("R5", "A", "2024-06-01", "2024-06-30", 500.0),  # due exactly at t: current
    invoice("R6", "A", "2024-06-10", "2024-07-10", 600.0),  # due within the next 30 days
    invoice("R7", "A", "2024-06-15", "2024-07-15", 700.0, "2024-06-30"),  # cleared at t
    invoice("R8", "A", "2024-05-01", "2024-05-31", 800.0, "2024-07-01"),  # cleared after t
]
PAYMENTS = [
    {"payment_id": "P1", "invoice_id": "R2", "payment_date": "2024-06-01", "amount": 50.0},
    {"payment_id": "P2", "invoice_id": "R2", "payment_date": "2024-07-02", "amount": 100.0},
    {"payment_id": "P3", "invoice_id": "R7", "payment_date": "2024-06-30", "amount": 700.0},
]

DSO_T = 2850 / 2800 * 90
DSO_T_30 = 1800 / 1100 * 90  # R4 was issued exactly 90 days before t-30d: not in its sales
DSO_T_90 = 800 / 800 * 90  # R1 was issued exactly at t-90d: in its sales and open
EXPECTED_A = {
    "customer_open_amount": 2850.0,
    "customer_overdue_amount": 1750.0,
    "customer_aging_current_amount": 1100.0,
    "customer_aging_1_30_amount": 900.0,
    "customer_aging_31_60_amount": 150.0,
    "customer_aging_61_90_amount": 400.0,
    "customer_aging_over_90_amount": 300.0,
    "customer_aging_current_share": 1100 / 2850,
    "customer_aging_1_30_share": 900 / 2850,
    "customer_aging_31_60_share": 150 / 2850,
    "customer_aging_61_90_share": 400 / 2850,
    "customer_aging_over_90_share": 300 / 2850,
    "customer_oldest_overdue_days": 91.0,
    "customer_dso_days": DSO_T,
    "customer_best_possible_dso_days": 1100 / 2800 * 90,
    "customer_average_days_delinquent": 1750 / 2800 * 90,
    "customer_dso_change_30d_days": DSO_T - DSO_T_30,
    "customer_dso_change_90d_days": DSO_T - DSO_T_90,
    "customer_credit_limit_utilisation": 2850 / 2000,
    "customer_amount_due_next_30d": 600.0,
    "customer_invoice_count_due_next_30d": 1.0,  # R6; not R5 (due at t) nor R7 (cleared)
}


def frame(payments: bool = True):
    tables = make_tables(CUSTOMERS, INVOICES, PAYMENTS if payments else None)
    return build_feature_frame(tables, day(T))


def test_receivables_exact_values_with_partial_payments() -> None:
    a = row_of(frame(), "A")
    assert {k: a[k] for k in EXPECTED_A} == pytest.approx(EXPECTED_A)


def test_without_payments_table_invoices_stay_whole_until_cleared() -> None:
    a = row_of(frame(payments=False), "A")
    assert a["customer_open_amount"] == 2900.0
    assert a["customer_aging_31_60_amount"] == 200.0
    assert a["customer_dso_days"] == pytest.approx(2900 / 2800 * 90)


def test_customer_without_invoices_owes_nothing_and_has_no_dso() -> None:
    b = row_of(frame(), "B")
    zero = [k for k in EXPECTED_A if k.endswith("_amount") or k.endswith("_30d")]
    assert [b[k] for k in zero] == [0.0] * len(zero)
    assert b["customer_oldest_overdue_days"] == 0.0
    null = [k for k in EXPECTED_A if k not in zero and k != "customer_oldest_overdue_days"]
    assert [k for k in null if not math.isnan(b[k])] == []


def test_due_next_30_days_counts_open_invoices_due_in_t_to_t_plus_30() -> None:
    invoices = [
        invoice("D1", "A", "2024-06-01", "2024-07-01", 100.0),  # due t+1: counted
        invoice("D2", "A", "2024-06-02", "2024-07-30", 200.0),  # due t+30: counted
        invoice("D3", "A", "2024-06-03", "2024-07-31", 400.0),  # due t+31: not yet
        invoice("D4", "A", "2024-06-04", "2024-07-15", 800.0),  # paid in full, not cleared
        invoice("D5", "A", "2024-06-05", "2024-07-20", 1600.0, "2024-06-29"),  # cleared
        invoice("D6", "A", "2024-06-06", "2024-07-10", 3200.0),  # 1000 of it paid by t
    ]
    payments = [
        {"payment_id": "Q1", "invoice_id": "D4", "payment_date": "2024-06-20", "amount": 800.0},
        {"payment_id": "Q2", "invoice_id": "D6", "payment_date": "2024-06-21", "amount": 1000.0},
    ]
    a = row_of(build_feature_frame(make_tables(CUSTOMERS, invoices, payments), day(T)), "A")
    assert a["customer_invoice_count_due_next_30d"] == 3.0  # D1, D2, D6
    assert a["customer_amount_due_next_30d"] == 100.0 + 200.0 + 2200.0


def test_dso_is_null_without_sales_in_the_window() -> None:
    tables = make_tables(CUSTOMERS[:1], [invoice("X", "A", "2024-01-01", "2024-01-31", 50.0)])
    a = row_of(build_feature_frame(tables, day(T)), "A")
    assert a["customer_open_amount"] == 50.0
    assert math.isnan(a["customer_dso_days"])
    assert math.isnan(a["customer_average_days_delinquent"])


def test_portfolio_by_month_sums_positions_over_customers() -> None:
    from features.portfolio import portfolio_by_month

    tables = make_tables(
        CUSTOMERS, INVOICES + [invoice("B1", "B", "2024-06-01", "2024-06-11", 1200.0, "2024-06-20")]
    )
    frame = portfolio_by_month(tables, [day("2024-05-31"), day(T)])
    assert frame["month_end"].tolist() == [day("2024-05-31"), day(T)]
    assert frame["open_amount"].tolist() == [1800.0, 2900.0]  # no payments table: whole amounts
    assert frame["sales_90d"].tolist() == [1100.0, 4000.0]
    assert frame["dso_days"].tolist() == pytest.approx([1800 / 1100 * 90, 2900 / 4000 * 90])
    # cleared in June 2024: R7 on time, B1 late (R8 clears in July)
    assert frame["cleared_count"].tolist() == [0.0, 2.0]
    assert math.isnan(frame["late_share_count"].iloc[0])
    assert frame["late_share_count"].iloc[1] == 0.5
