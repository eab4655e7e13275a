"""Static features and who is in a snapshot (onboarding date, else first invoice)."""

from __future__ import annotations

import math

import pandas as pd

from features.build import build_feature_frame
from tests.features.builders import day, invoice, make_tables, row_of

CUSTOMERS = [
    {
        "customer_id": "A",
        "industry": "retail",
        "country": "DE",
        "segment": "key",
        "payment_terms_days": 45,
        "credit_limit": 5000.0,
        "onboarding_date": "2024-01-01",
    },
    {"customer_id": "B"},  # no onboarding date: known from its first invoice
    {"customer_id": "C", "onboarding_date": "2024-07-01"},  # onboarded after t
    {"customer_id": "D"},  # no date at all: never in a snapshot
]
INVOICES = [
    invoice("B1", "B", "2024-06-30", "2024-07-30", 10.0),  # issued exactly at t
    invoice("C1", "C", "2024-07-01", "2024-07-31", 10.0),
]


def test_static_values_and_snapshot_membership() -> None:
    frame = build_feature_frame(make_tables(CUSTOMERS, INVOICES), day("2024-06-30"))
    assert frame["customer_id"].tolist() == ["A", "B"]
    a, b = row_of(frame, "A"), row_of(frame, "B")
    assert [a["customer_industry"], a["customer_country"], a["customer_segment"]] == [
        "retail",
        "DE",
        "key",
    ]
    assert [a["customer_terms_days"], a["customer_credit_limit"], a["customer_tenure_days"]] == [
        45.0,
        5000.0,
        181.0,
    ]
    assert b["customer_tenure_days"] == 0.0
    assert all(pd.isna(b[k]) for k in ("customer_industry", "customer_country"))
    assert math.isnan(b["customer_terms_days"])
    assert str(frame["customer_industry"].dtype) == "str"


def test_customer_joins_snapshots_from_its_known_date() -> None:
    frame = build_feature_frame(
        make_tables(CUSTOMERS, INVOICES), [day("2024-06-29"), day("2024-07-01")]
    )
    keys = list(zip(frame["as_of"].dt.strftime("%Y-%m-%d"), frame["customer_id"], strict=True))
    assert keys == [
        ("2024-06-29", "A"),
        ("2024-07-01", "A"),
        ("2024-07-01", "B"),
        ("2024-07-01", "C"),
    ]
