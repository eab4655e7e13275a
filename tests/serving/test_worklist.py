"""The collections worklist: ranked by expected overdue amount, with the open invoices."""

from __future__ import annotations

import numpy as np
import pandas as pd

from features.store import read_online_store
from features.tables import Tables
from serving.batch.worklist import WORKLIST_COLUMNS, build_worklist, open_invoices
from tests.features.builders import credit, invoice, make_tables
from tests.serving.batch_fixtures import (  # noqa: F401 (fixtures)
    TwoRuns,
    two_runs_fixture,
    world_dir_fixture,
)

T = pd.Timestamp("2025-03-31")


def test_ranking_breaks_ties_by_overdue_amount_then_id() -> None:
    ids = ["A", "B", "C", "D", "E"]
    scores = pd.DataFrame(
        {
            "customer_id": ids,
            "customer_name": ["a", "b", "c", "d", "e"],
            "scored": [True, True, True, True, False],
            "risk_tier": ["red", "green", "orange", "yellow", None],
            "overdue_probability": [0.8, 0.1, 0.5, 0.4, np.nan],
            "amount_due_next_30d": [100.0, 0.0, 200.0, 250.0, np.nan],
            "expected_overdue_amount": [80.0, 0.0, 100.0, 100.0, np.nan],
            "recommended_terms_days": pd.array([0, 60, 30, 30, None], dtype="Int64"),
            "recommended_prepayment_share": [1.0, 0.0, 0.3, 0.0, np.nan],
        }
    )
    features = pd.DataFrame(
        {
            "customer_open_amount": [500.0, 0.0, 300.0, 300.0, 900.0],
            "customer_overdue_amount": [400.0, 0.0, 50.0, 90.0, 900.0],
            "customer_oldest_overdue_days": [45.0, 0.0, 3.0, 10.0, 99.0],
        },
        index=pd.Index(ids, name="customer_id"),
    )
    worklist = build_worklist(scores, features)
    assert list(worklist.columns) == WORKLIST_COLUMNS
    # D and C tie on expected amount; D has more overdue. B has nothing open; E is not scored.
    assert worklist[["rank", "customer_id"]].to_dict("list") == {
        "rank": [1, 2, 3],
        "customer_id": ["D", "C", "A"],
    }
    assert worklist["open_amount"].tolist() == [300.0, 300.0, 500.0]


def test_open_invoices_follow_the_open_amount_definition() -> None:
    day = pd.Timestamp
    invoices = pd.DataFrame(
        {
            "invoice_id": ["I1", "I2", "I3", "I4", "I5"],
            "customer_id": ["A", "A", "A", "B", "B"],
            "issue_date": [day("2025-01-10"), day("2025-02-01"), day("2025-03-01"),
                           day("2025-03-05"), day("2025-04-02")],
            "due_date": [day("2025-02-10"), day("2025-03-03"), day("2025-04-15"),
                         day("2025-04-04"), day("2025-05-02")],
            "amount": [100.0, 200.0, 300.0, 400.0, 500.0],
            "cleared_date": [day("2025-03-15"), day("2025-04-10"), pd.NaT, pd.NaT, pd.NaT],
        }
    )  # fmt: skip
    payments = pd.DataFrame(
        {
            "payment_id": ["P1", "P2", "P3"],
            "invoice_id": ["I2", "I2", "I4"],
            "payment_date": [day("2025-03-20"), day("2025-04-10"), day("2025-03-31")],
            "amount": [50.0, 150.0, 400.0],
        }
    )
    customers = pd.DataFrame({"customer_id": ["A", "B"]})
    found = open_invoices(Tables(customers, invoices, payments), T)
    # I1 cleared before t; I2 cleared after t, 50 paid by t; I3 open; I4 paid in full by t;
    # I5 issued after t.
    assert found[["invoice_id", "open_amount", "days_past_due"]].to_dict("list") == {
        "invoice_id": ["I2", "I3"],
        "open_amount": [150.0, 300.0],
        "days_past_due": [28, -15],
    }


def test_open_invoices_are_net_of_credit_notes_and_leave_on_a_write_off() -> None:
    tables = make_tables(
        [{"customer_id": "A"}],
        [invoice("N1", "A", "2025-01-01", "2025-01-31", 1000.0),
         invoice("W1", "A", "2025-01-01", "2025-01-31", 500.0)],
        credit_notes=[credit("K1", "N1", "2025-02-10", 300.0),
                      credit("K2", "W1", "2025-02-10", 500.0, kind="write_off")],
    )  # fmt: skip

    before = open_invoices(tables, pd.Timestamp("2025-02-09"))
    after = open_invoices(tables, pd.Timestamp("2025-02-10"))

    assert before[["invoice_id", "open_amount"]].to_dict("list") == {
        "invoice_id": ["N1", "W1"],
        "open_amount": [1000.0, 500.0],
    }
    assert after[["invoice_id", "open_amount", "days_past_due"]].to_dict("list") == {
        "invoice_id": ["N1"],
        "open_amount": [700.0],
        "days_past_due": [10],
    }


def test_run_worklist_invoices_add_up_to_the_open_amount(two_runs: TwoRuns) -> None:
    worklist = pd.read_parquet(two_runs.second.paths.worklist)
    invoices = pd.read_parquet(two_runs.second.paths.worklist_invoices)
    store = read_online_store(two_runs.settings.online_store_location).frame
    assert len(worklist) > 0
    assert worklist["rank"].tolist() == list(range(1, len(worklist) + 1))
    assert worklist["expected_overdue_amount"].is_monotonic_decreasing
    assert set(invoices["customer_id"]) == set(worklist["customer_id"])
    totals = invoices.groupby("customer_id")["open_amount"].sum()
    expected = store.loc[worklist["customer_id"], "customer_open_amount"]
    np.testing.assert_allclose(totals.reindex(expected.index), expected, rtol=1e-9)
    assert invoices["rank"].is_monotonic_increasing
