"""delinquent_90d on hand-built ledgers: the 30-day boundary, invoices issued after t,
partial payments, activity and censoring."""

from __future__ import annotations

import math

import pytest

from features.labels import DEFAULT_DEFINITION, LabelDefinition, build_labels
from tests.features.builders import day, invoice, make_tables, row_of

T = "2024-06-30"  # window (t, t+90d] = (2024-06-30, 2024-09-28]
OLD = ("2024-03-01", "2024-03-31", 10.0, "2024-03-31")  # issued within the year: active at t

CUSTOMERS = [{"customer_id": c, "onboarding_date": "2023-01-01"} for c in "ABCDEFGHIJ"]
INVOICES = [
    invoice("A1", "A", "2024-06-01", "2024-07-01", 100.0, "2024-07-31"),  # cleared on due + 30
    invoice("B1", "B", "2024-06-01", "2024-07-01", 100.0, "2024-08-01"),  # cleared on due + 31
    invoice("C1", "C", "2024-06-01", "2024-07-01", 100.0, "2024-08-02"),  # open on due + 31
    invoice("D0", "D", *OLD),
    invoice("D1", "D", "2024-07-15", "2024-08-14", 100.0),  # issued after t, 45 days past due
    invoice("E1", "E", "2023-05-01", "2023-05-31", 100.0, "2023-06-01"),  # nothing for a year
    invoice("F1", "F", "2024-05-01", "2024-05-31", 100.0),  # already 30 days past due at t
    invoice("G0", "G", *OLD),
    invoice("G1", "G", "2024-07-30", "2024-08-29", 100.0),  # 30 days past due at t + 90d
    invoice("H0", "H", *OLD),
    invoice("H1", "H", "2024-07-29", "2024-08-28", 100.0),  # 31 days past due at t + 90d
    invoice("I1", "I", "2023-01-15", "2023-02-14", 100.0),  # issued long ago, still open
]
# J: onboarded, never invoiced
TABLES = make_tables(CUSTOMERS, INVOICES)


def delinquency(
    tables=TABLES,  # noqa: ANN001
    definition: LabelDefinition = DEFAULT_DEFINITION,
    data_end: str = "2024-12-31",
) -> dict[str, float]:
    frame = build_labels(tables, [day(T)], definition, day(data_end))
    return {c: float(row_of(frame, c)["delinquent_90d"]) for c in frame["customer_id"]}


def test_delinquent_90d_exact() -> None:
    expected = {
        "A": 0.0,  # never unpaid more than 30 days past due
        "B": 0.0,  # paid on the day it turned 31 days past due: payments of day d count
        "C": 1.0,  # still open when 31 days past due
        "D": 1.0,  # an invoice issued after t counts
        "E": math.nan,  # not active: nothing open, no invoice in (t - 365d, t]
        "F": 1.0,  # 31 days past due on t + 1
        "G": 0.0,  # exactly 30 days past due on the last day of the window
        "H": 1.0,  # 31 days past due on the last day of the window
        "I": 1.0,  # active through its open amount alone
        "J": math.nan,  # known but never invoiced: not active
    }
    assert delinquency() == pytest.approx(expected, nan_ok=True)


def test_censored_until_the_whole_window_is_known() -> None:
    assert all(math.isnan(v) for v in delinquency(data_end="2024-09-27").values())
    assert delinquency(data_end="2024-09-28")["H"] == 1.0


def test_threshold_and_horizon_are_configurable() -> None:
    strict = delinquency(definition=LabelDefinition(delinquent_days=0))
    assert strict["A"] == 1.0  # open on due + 1
    short = LabelDefinition(delinquency_horizon_days=30)
    # window (t, 2024-07-30]: only F1 (due 2024-05-31) is 31 days past due within it
    assert [delinquency(definition=short)[c] for c in "CDFGH"] == [0.0, 0.0, 1.0, 0.0, 0.0]
    assert math.isnan(delinquency(definition=short, data_end="2024-07-29")["F"])


def test_partial_payments_keep_an_invoice_open_until_the_amount_is_paid() -> None:
    customers = [{"customer_id": c, "onboarding_date": "2023-01-01"} for c in "PQR"]
    invoices = [
        invoice("P1", "P", "2024-06-01", "2024-07-01", 100.0, "2024-08-10"),
        invoice("Q1", "Q", "2024-06-01", "2024-07-01", 100.0, "2024-08-20"),
        invoice("R1", "R", "2024-06-01", "2024-07-01", 100.0),
    ]
    payments = [
        {"payment_id": "p1", "invoice_id": "P1", "payment_date": "2024-07-20", "amount": 60.0},
        {"payment_id": "p2", "invoice_id": "P1", "payment_date": "2024-08-10", "amount": 40.0},
        # Q1 fully paid on due + 30 by two payments that day; its clearing was booked later
        {"payment_id": "q1", "invoice_id": "Q1", "payment_date": "2024-07-10", "amount": 60.0},
        {"payment_id": "q2", "invoice_id": "Q1", "payment_date": "2024-07-31", "amount": 25.0},
        {"payment_id": "q3", "invoice_id": "Q1", "payment_date": "2024-07-31", "amount": 15.0},
        # R1 paid 99 of 100 and never cleared: 1 still open
        {"payment_id": "r1", "invoice_id": "R1", "payment_date": "2024-07-05", "amount": 99.0},
    ]
    tables = make_tables(customers, invoices, payments)
    assert delinquency(tables) == {"P": 1.0, "Q": 0.0, "R": 1.0}
