"""Health-signal features: latest value, changes, age; a missing table gives nulls."""

from __future__ import annotations

import math

import pytest

from features.build import build_feature_frame
from features.schema import SIGNAL_NAMES
from tests.features.builders import day, invoice, make_tables, row_of

T = "2024-06-30"  # t - 90d = 2024-04-01, t - 180d = 2024-01-01

CUSTOMERS = [
    {"customer_id": "A", "onboarding_date": "2023-01-01"},
    {"customer_id": "B", "onboarding_date": "2023-01-01"},
]
INVOICES = [invoice("I1", "A", "2024-01-01", "2024-01-31", 10.0)]


def signal(customer: str, observed: str, name: str, value: float) -> dict[str, object]:
    return {"customer_id": customer, "observed_date": observed, "name": name, "value": value}


SIGNALS = [
    signal("A", "2023-12-01", "credit_rating", 5.0),  # known at t-180d
    signal("A", "2024-04-01", "credit_rating", 6.0),  # observed exactly at t-90d
    signal("A", "2024-06-30", "credit_rating", 4.0),  # observed exactly at t
    signal("A", "2024-07-01", "credit_rating", 1.0),  # after t: unknown
    signal("A", "2024-05-01", "bank_credit_line", 100.0),  # two on one day: averaged
    signal("A", "2024-05-01", "bank_credit_line", 200.0),
    signal("A", "2024-05-01", "staff_turnover", 0.3),  # not a model signal
]
EXPECTED_A = {
    "signal_credit_rating_latest": 4.0,
    "signal_credit_rating_change_90d": -2.0,
    "signal_credit_rating_change_180d": -1.0,
    "signal_credit_rating_days_since_observed": 0.0,
    "signal_bank_credit_line_latest": 150.0,
    "signal_bank_credit_line_change_90d": math.nan,
    "signal_bank_credit_line_change_180d": math.nan,
    "signal_bank_credit_line_days_since_observed": 60.0,
    "signal_lawsuits_open_latest": math.nan,
    "signal_lawsuits_open_change_90d": math.nan,
    "signal_lawsuits_open_change_180d": math.nan,
    "signal_lawsuits_open_days_since_observed": math.nan,
    "signal_tax_grade_latest": math.nan,
    "signal_tax_grade_change_90d": math.nan,
    "signal_tax_grade_change_180d": math.nan,
    "signal_tax_grade_days_since_observed": math.nan,
}


def test_expected_covers_every_known_signal() -> None:
    latest = [k.removeprefix("signal_") for k in EXPECTED_A if k.endswith("_latest")]
    assert sorted(SIGNAL_NAMES) == sorted(k.removesuffix("_latest") for k in latest)


def test_health_exact_values() -> None:
    frame = build_feature_frame(make_tables(CUSTOMERS, INVOICES, signals=SIGNALS), day(T))
    a = row_of(frame, "A")
    assert {k: a[k] for k in EXPECTED_A} == pytest.approx(EXPECTED_A, nan_ok=True)
    b = row_of(frame, "B")
    assert all(math.isnan(b[k]) for k in EXPECTED_A)


def test_missing_signals_table_gives_null_features() -> None:
    frame = build_feature_frame(make_tables(CUSTOMERS, INVOICES), day(T))
    assert frame[list(EXPECTED_A)].isna().all().all()
    assert len(frame) == 2
