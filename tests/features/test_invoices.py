"""Invoice rows: open invoices at t with their own features, exact values, point in time."""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from features.build import build_feature_frame
from features.invoice_labels import days_late_known_by, decided_by
from features.invoice_store import read_invoice_store, write_invoice_store
from features.invoices import INVOICE_FEATURES, invoice_features, invoice_frame
from tests.features.builders import invoice, make_tables
from tests.features.test_point_in_time import BASE, T, ledgers, rewrite_after, to_tables

CUSTOMERS = [{"customer_id": "C1", "onboarding_date": "2023-12-01"}, {"customer_id": "C2"}]
INVOICES = [
    invoice("I1", "C1", "2024-01-05", "2024-02-04", 1000.0, "2024-02-10", disputed=False,
            paperless=True),
    invoice("I2", "C1", "2024-01-20", "2024-03-20", 3000.0, disputed=True, paperless=False),
    invoice("I3", "C1", "2024-02-10", "2024-03-31", 2000.0, "2024-04-05", disputed=False),
    invoice("I4", "C1", "2024-02-01", "2024-02-15", 100.0),  # paid in full, never cleared
]  # fmt: skip
PAYMENTS = [
    {"payment_id": "P1", "invoice_id": "I2", "payment_date": "2024-02-15", "amount": 750.0},
    {"payment_id": "P2", "invoice_id": "I4", "payment_date": "2024-02-20", "amount": 100.0},
]
SETTINGS = settings(max_examples=8, deadline=None, suppress_health_check=[HealthCheck.too_slow])
JAN, FEB = pd.Timestamp("2024-01-31"), pd.Timestamp("2024-02-29")


def rows() -> pd.DataFrame:
    tables = make_tables(CUSTOMERS, INVOICES, PAYMENTS)
    return invoice_features(tables, [FEB, JAN]).set_index(["as_of", "invoice_id"])


def test_open_invoices_at_each_date_with_exact_features() -> None:
    frame = rows()
    assert list(frame.index) == [(JAN, "I1"), (JAN, "I2"), (FEB, "I2"), (FEB, "I3")]
    own = [s.name for s in INVOICE_FEATURES]
    expected = pd.DataFrame(
        [
            [1000.0, 0.5, 30.0, -4.0, 26.0, 0.0, 0.0, 1.0, 25.0, 0.0, np.nan],
            [3000.0, 1.5, 60.0, -49.0, 11.0, 0.0, 1.0, 0.0, 11.0, 1.0, np.nan],
            [3000.0, 2.0, 60.0, -20.0, 40.0, 0.25, 1.0, 0.0, 11.0, 1.0, 6.0],
            [2000.0, 2000 / 1500, 50.0, -31.0, 19.0, 0.0, 0.0, np.nan, 0.0, 1.0, 6.0],
        ],
        columns=own,
        index=frame.index,
    )
    pd.testing.assert_frame_equal(frame[own], expected)
    assert frame.loc[(FEB, "I2"), "open_amount"] == 2250.0


def test_without_payments_or_dispute_flags_those_features_are_null() -> None:
    bare = [{k: v for k, v in i.items() if k != "disputed"} for i in INVOICES]
    frame = invoice_features(make_tables(CUSTOMERS, bare), JAN)
    assert frame["invoice_paid_share"].isna().all()
    assert frame["invoice_is_disputed"].isna().all()
    assert list(frame["invoice_id"]) == ["I1", "I2"]


def test_customer_features_join_at_the_same_date() -> None:
    tables = make_tables(CUSTOMERS, INVOICES, PAYMENTS)
    customer = pd.DataFrame(
        {"customer_id": ["C1", "C1"], "as_of": [JAN, FEB], "customer_dso_days": [10.0, 20.0]}
    )
    frame = invoice_frame(tables, customer, ["customer_dso_days"])
    assert frame[["invoice_id", "customer_dso_days"]].to_dict("list") == {
        "invoice_id": ["I1", "I2", "I2", "I3"],
        "customer_dso_days": [10.0, 10.0, 20.0, 20.0],
    }


def test_days_late_is_censored_at_the_date_it_is_known_by() -> None:
    due = pd.Series(pd.to_datetime(["2024-01-01", "2024-01-01", "2024-01-01"]))
    cleared = pd.Series(pd.to_datetime(["2024-01-11", "2024-03-01", None]))
    labels = days_late_known_by(due, cleared, pd.Timestamp("2024-02-01"))
    assert labels["days_late"].fillna(-1.0).tolist() == [10.0, -1.0, -1.0]  # -1: censored
    assert labels["days_late_at_least"].tolist() == [10.0, 32.0, 32.0]
    assert labels["is_censored"].tolist() == [False, True, True]
    assert decided_by(due, pd.Timestamp("2024-03-31")).tolist() == [True] * 3
    assert decided_by(due, pd.Timestamp("2024-03-30")).tolist() == [False] * 3


@SETTINGS
@given(ledger=ledgers(), data=st.data())
def test_facts_after_t_never_change_invoice_rows_at_t(
    ledger: dict[str, list[dict[str, Any]]], data: st.DataObject
) -> None:
    t = BASE + pd.Timedelta(days=T)

    def build(tables: Any) -> pd.DataFrame:
        return invoice_frame(tables, build_feature_frame(tables, t))

    before = build(to_tables(ledger))
    after = build(to_tables(rewrite_after(ledger, T, data.draw)))
    pd.testing.assert_frame_equal(before, after)


@SETTINGS
@given(ledger=ledgers(), data=st.data())
def test_labels_known_by_k_never_change_with_facts_after_k(
    ledger: dict[str, list[dict[str, Any]]], data: st.DataObject
) -> None:
    t, k = BASE + pd.Timedelta(days=T), BASE + pd.Timedelta(days=T + 60)

    def labels(tables: Any) -> pd.DataFrame:
        own = invoice_features(tables, t)
        cleared = own["invoice_id"].map(tables.invoices.set_index("invoice_id")["cleared_date"])
        return days_late_known_by(own["due_date"], cleared, k)

    before = labels(to_tables(ledger))
    after = labels(to_tables(rewrite_after(ledger, T + 60, data.draw)))
    pd.testing.assert_frame_equal(before, after)


def test_invoice_store_beside_a_parquet_or_database_store_round_trips(tmp_path: Any) -> None:
    tables = make_tables(CUSTOMERS, INVOICES, PAYMENTS)
    expected = invoice_features(tables, FEB)
    parquet = tmp_path / "online.parquet"
    assert read_invoice_store(parquet) is None  # an older store: no invoices beside it
    for store in (parquet, f"sqlite:///{tmp_path / 'online.db'}"):
        assert write_invoice_store(tables, FEB, store) == 2
        found = read_invoice_store(store)
        assert found is not None
        pd.testing.assert_frame_equal(found, expected, check_dtype=False)
    assert (tmp_path / "online.invoices.parquet").exists()
