"""The credit_notes table: its row rules, its cross-table rules and its absence."""

from __future__ import annotations

import pandas as pd

from features.tables import Tables
from features.validate import load_valid_tables, validate_tables
from tests.features.conftest import RAW_CSV, lines, raw_world, read_raw_csv, reasons, with_value

# I2 (250.50, open) has P4 (100) paid; I3 (4000) is paid whole; I4 (99.99, open) has nothing.
CREDIT_NOTES_CSV = """credit_note_id,invoice_id,credit_date,amount,kind,reason
K1,I2,2023-03-10,50.5,credit_note,returns
K2,I4,2023-09-30,99.99,write_off,
K3,I2,2023-03-20,100,credit_note,price correction
"""


def with_credit_notes(text: str = CREDIT_NOTES_CSV) -> dict[str, pd.DataFrame]:
    return {**raw_world(), "credit_notes": read_raw_csv(text)}


def test_valid_credit_notes_are_typed_and_kept() -> None:
    report = validate_tables(with_credit_notes())

    assert report.ok
    assert report.tables is not None and report.tables.credit_notes is not None
    kept = report.tables.credit_notes
    assert kept["credit_note_id"].tolist() == ["K1", "K2", "K3"]
    assert kept["credit_date"].tolist() == [
        pd.Timestamp("2023-03-10"),
        pd.Timestamp("2023-09-30"),
        pd.Timestamp("2023-03-20"),
    ]
    assert kept["amount"].tolist() == [50.5, 99.99, 100.0]
    assert kept["kind"].tolist() == ["credit_note", "write_off", "credit_note"]
    assert kept["reason"].isna().tolist() == [False, True, False]
    assert str(kept["credit_date"].dtype) == "datetime64[ns]"


def test_a_ledger_without_credit_notes_loads_unchanged(world_dir) -> None:
    tables = load_valid_tables(world_dir)

    assert tables.credit_notes is None
    assert [name for name, _ in tables.items()] == [
        "customers",
        "invoices",
        "payments",
        "signals",
        "deals",
    ]


def test_credit_notes_load_from_a_directory(tmp_path) -> None:
    for name, text in {**RAW_CSV, "credit_notes": CREDIT_NOTES_CSV}.items():
        (tmp_path / f"{name}.csv").write_text(text)

    tables: Tables = load_valid_tables(tmp_path)

    assert tables.credit_notes is not None
    assert tables.credit_notes["credit_note_id"].tolist() == ["K1", "K2", "K3"]


def test_kind_must_be_credit_note_or_write_off() -> None:
    raw = with_value(with_credit_notes(), "credit_notes", 2, "kind", "refund")

    report = validate_tables(raw)

    assert lines(report) == [
        "credit_notes row 2, column kind, value 'refund': must be one of credit_note, write_off"
    ]
    assert reasons(report, "credit_notes") == {
        2: "column kind, value 'refund': must be one of credit_note, write_off"
    }
    assert report.tables is not None and report.tables.credit_notes is not None
    assert report.tables.credit_notes["credit_note_id"].tolist() == ["K1", "K3"]


def test_required_values_amounts_and_duplicates() -> None:
    raw = with_value(with_credit_notes(), "credit_notes", 1, "kind", None)
    raw = with_value(raw, "credit_notes", 2, "amount", "0")
    raw = with_value(raw, "credit_notes", 3, "credit_note_id", "K1")

    assert lines(validate_tables(raw)) == [
        "credit_notes row 1, column kind: missing value",
        "credit_notes row 2, column amount, value '0': must be > 0",
        "credit_notes row 3, column credit_note_id, value 'K1': duplicate of row 1",
    ]


def test_unknown_and_rejected_invoices() -> None:
    raw = with_value(with_credit_notes(), "credit_notes", 1, "invoice_id", "I9")
    raw = with_value(raw, "invoices", 4, "amount", "-1")

    assert lines(validate_tables(raw)) == [
        "invoices row 4, column amount, value '-1': must be > 0",
        "credit_notes row 1, column invoice_id, value 'I9': not found in invoices",
        "credit_notes row 2, column invoice_id, value 'I4': parent rejected (invoices row 4)",
    ]


def test_credit_date_on_or_after_the_invoice_issue_date() -> None:
    before = with_value(with_credit_notes(), "credit_notes", 1, "credit_date", "2023-02-04")
    on_the_day = with_value(with_credit_notes(), "credit_notes", 1, "credit_date", "2023-02-05")

    assert lines(validate_tables(before)) == [
        "credit_notes row 1, column credit_date, value '2023-02-04': credit_date before the "
        "invoice's issue_date (2023-02-05)"
    ]
    assert validate_tables(on_the_day).ok


def test_credits_plus_payments_over_the_invoice_amount_in_credit_date_order() -> None:
    # I2 is 250.50 with 100 paid: 150.50 is left to credit. K1 (50.50, Mar 10) and K3 (100,
    # Mar 20) fill it exactly; K4 (0.01, Mar 15) comes between them in date order, so K3 is
    # the credit that goes over and is rejected; K4 then fits.
    text = CREDIT_NOTES_CSV + "K4,I2,2023-03-15,0.01,credit_note,\n"

    report = validate_tables(with_credit_notes(text))

    assert lines(report) == [
        "credit_notes row 3, column amount, value '100': credits reach 150.51 and payments "
        "100.00, over the invoice amount 250.50"
    ]
    assert report.tables is not None and report.tables.credit_notes is not None
    assert report.tables.credit_notes["credit_note_id"].tolist() == ["K1", "K2", "K4"]


def test_credits_may_exceed_by_half_a_cent_and_count_only_kept_payments() -> None:
    # Half a cent over is rounding. And with P4 (I2's payment) rejected, its 100 no longer
    # takes room: a credit of the whole 250.50 then fits.
    rounding = CREDIT_NOTES_CSV.replace("K3,I2,2023-03-20,100,", "K3,I2,2023-03-20,100.005,")
    whole = CREDIT_NOTES_CSV.replace("K3,I2,2023-03-20,100,", "K3,I2,2023-03-20,200,")
    unpaid = with_value(with_credit_notes(whole), "payments", 4, "payment_date", "2023-02-30")

    assert validate_tables(with_credit_notes(rounding)).ok
    assert lines(validate_tables(unpaid)) == [
        "payments row 4, column payment_date, value '2023-02-30': not a valid date"
    ]
    assert lines(validate_tables(with_credit_notes(whole))) == [
        "credit_notes row 3, column amount, value '200': credits reach 250.50 and payments "
        "100.00, over the invoice amount 250.50"
    ]
