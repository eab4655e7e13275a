"""Credit notes and write-offs on a hand-built ledger: what is owed changes, lateness does not.

Customer A: N1 (1,000, due Mar 31) gets a 300 credit note on Apr 10 and a 200 payment on
Apr 20; W1 (500, due Feb 14) is paid 100 on Feb 20 and its last 400 written off on Aug 12
(due + 180); R1 (600, issued Jul 1, due Jul 31) keeps sales in the DSO window of August.
"""

from __future__ import annotations

import pandas as pd

from features.balances import invoice_balances_at
from features.build import build_feature_frame
from features.invoices import invoice_features, open_invoices_at
from features.labels import build_labels
from features.tables import Tables
from tests.features.builders import credit, day, invoice, make_tables, row_of

CUSTOMERS = [{"customer_id": "A", "onboarding_date": "2024-01-01", "industry": "x"}]
INVOICES = [
    invoice("N1", "A", "2024-03-01", "2024-03-31", 1000.0),
    invoice("W1", "A", "2024-01-15", "2024-02-14", 500.0),
    invoice("R1", "A", "2024-07-01", "2024-07-31", 600.0),
]
PAYMENTS = [
    {"payment_id": "P1", "invoice_id": "N1", "payment_date": "2024-04-20", "amount": 200.0},
    {"payment_id": "P2", "invoice_id": "W1", "payment_date": "2024-02-20", "amount": 100.0},
]
CREDITS = [
    credit("K1", "N1", "2024-04-10", 300.0),
    credit("K2", "W1", "2024-08-12", 400.0, kind="write_off"),
]


def ledger(with_credits: bool = True) -> Tables:
    return make_tables(
        CUSTOMERS, INVOICES, PAYMENTS, credit_notes=CREDITS if with_credits else None
    )


def open_amounts(frame: pd.DataFrame) -> dict[str, float]:
    return dict(zip(frame["invoice_id"], frame["open_amount"], strict=True))


def test_a_credit_note_leaves_the_open_amount_on_its_date() -> None:
    tables = ledger()

    assert open_amounts(open_invoices_at(tables, day("2024-04-09"))) == {"N1": 1000.0, "W1": 400.0}
    assert open_amounts(open_invoices_at(tables, day("2024-04-10"))) == {"N1": 700.0, "W1": 400.0}
    assert open_amounts(open_invoices_at(tables, day("2024-04-20"))) == {"N1": 500.0, "W1": 400.0}


def test_balances_split_paid_credited_and_written_off() -> None:
    balances = invoice_balances_at(ledger(), day("2024-08-12")).set_index("invoice_id")

    assert balances.loc[["N1", "W1", "R1"]].to_dict("index") == {
        "N1": {**balances.loc["N1"].to_dict(), "paid_amount": 200.0, "credited_amount": 300.0,
               "written_off_amount": 0.0, "open_amount": 500.0, "is_open": True},
        "W1": {**balances.loc["W1"].to_dict(), "paid_amount": 100.0, "credited_amount": 0.0,
               "written_off_amount": 400.0, "open_amount": 0.0, "is_open": False},
        "R1": {**balances.loc["R1"].to_dict(), "paid_amount": 0.0, "credited_amount": 0.0,
               "written_off_amount": 0.0, "open_amount": 600.0, "is_open": True},
    }  # fmt: skip


def test_without_a_credit_notes_table_nothing_is_credited() -> None:
    balances = invoice_balances_at(ledger(with_credits=False), day("2024-08-12"))

    assert balances["credited_amount"].tolist() == [0.0, 0.0, 0.0]
    assert balances["written_off_amount"].tolist() == [0.0, 0.0, 0.0]
    assert balances["open_amount"].tolist() == [800.0, 400.0, 600.0]


def test_a_credit_note_is_not_a_payment_for_the_paid_share() -> None:
    rows = invoice_features(ledger(), day("2024-04-20")).set_index("invoice_id")

    assert rows.loc["N1", "open_amount"] == 500.0
    assert rows.loc["N1", "invoice_paid_share"] == 0.2  # 200 paid of 1,000; 300 credited


def test_a_written_off_invoice_leaves_receivables_dso_and_aging_on_its_date() -> None:
    frame = build_feature_frame(ledger(), [day("2024-08-11"), day("2024-08-12")])
    before, after = row_of(frame, "A", "2024-08-11"), row_of(frame, "A", "2024-08-12")
    # Sales in the 90 days to Aug 11 or 12: R1's 600. N1 owes 500 (1,000 - 300 - 200).
    assert before["customer_open_amount"] == 1500.0
    assert before["customer_aging_over_90_amount"] == 900.0  # N1 133 days, W1 179 days
    assert before["customer_aging_1_30_amount"] == 600.0
    assert before["customer_oldest_overdue_days"] == 179.0
    assert before["customer_dso_days"] == 1500.0 / 600.0 * 90
    assert after["customer_open_amount"] == 1100.0
    assert after["customer_aging_over_90_amount"] == 500.0
    assert after["customer_oldest_overdue_days"] == 134.0  # N1; W1 is closed
    assert after["customer_dso_days"] == 1100.0 / 600.0 * 90
    assert after["customer_overdue_amount"] == 1100.0
    assert open_amounts(open_invoices_at(ledger(), day("2024-08-12"))) == {"N1": 500.0, "R1": 600.0}


def test_lateness_labels_still_see_a_written_off_invoice_as_unpaid() -> None:
    t = [day("2024-01-31"), day("2024-05-31")]
    end = day("2024-12-31")
    credited = build_labels(ledger(), t, data_end=end)
    plain = build_labels(ledger(with_credits=False), t, data_end=end)

    columns = ["customer_id", "as_of", "overdue_30d", "delinquent_90d"]
    pd.testing.assert_frame_equal(credited[columns], plain[columns])
    assert credited["delinquent_90d"].tolist() == [1.0, 1.0]
