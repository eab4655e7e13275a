"""Unit tests of the row rules of the data contract: exact messages and reject reasons."""

from __future__ import annotations

import pandas as pd
import pytest

from features.validate import validate_tables
from tests.features.conftest import lines, reasons, with_value


def test_null_in_required_column(raw_tables) -> None:
    report = validate_tables(with_value(raw_tables, "invoices", 4, "due_date", None))

    assert lines(report) == ["invoices row 4, column due_date: missing value"]
    assert reasons(report, "invoices") == {4: "column due_date: missing value"}


def test_duplicate_ids_name_the_first_row(raw_tables) -> None:
    raw = with_value(raw_tables, "invoices", 4, "invoice_id", "I1")
    raw = with_value(raw, "invoices", 6, "invoice_id", "I1")

    report = validate_tables(raw)

    assert lines(report) == [
        "invoices row 4, column invoice_id, value 'I1': duplicate of row 1",
        "invoices row 6, column invoice_id, value 'I1': duplicate of row 1",
    ]
    assert report.tables is not None
    assert report.tables.invoices["invoice_id"].tolist() == ["I1", "I2", "I3", "I5"]


@pytest.mark.parametrize(
    ("table", "row", "column", "value", "parent"),
    [
        ("invoices", 2, "customer_id", "C9", "customers"),
        ("payments", 1, "invoice_id", "I9", "invoices"),
        ("signals", 3, "customer_id", "C0", "customers"),
        ("deals", 1, "customer_id", "c1", "customers"),
    ],
)
def test_unknown_references(raw_tables, table, row, column, value, parent) -> None:
    report = validate_tables(with_value(raw_tables, table, row, column, value))

    assert lines(report)[0] == (
        f"{table} row {row}, column {column}, value '{value}': not found in {parent}"
    )
    assert reasons(report, table)[row] == f"column {column}, value '{value}': not found in {parent}"


def test_due_and_cleared_dates_before_issue_date(raw_tables) -> None:
    raw = with_value(raw_tables, "invoices", 2, "due_date", "2023-02-04")
    raw = with_value(raw, "invoices", 3, "cleared_date", "2023-01-09")

    report = validate_tables(raw)

    assert lines(report)[:2] == [
        "invoices row 2, column due_date, value '2023-02-04': due_date before issue_date "
        "(2023-02-05)",
        "invoices row 3, column cleared_date, value '2023-01-09': cleared_date before "
        "issue_date (2023-01-10)",
    ]


def test_due_date_on_issue_date_is_valid(raw_tables) -> None:
    report = validate_tables(with_value(raw_tables, "invoices", 2, "due_date", "2023-02-05"))

    assert report.ok


@pytest.mark.parametrize(
    ("table", "row", "value"),
    [("invoices", 4, "0"), ("payments", 4, "-100"), ("deals", 2, "0.0")],
)
def test_amounts_must_be_positive(raw_tables, table, row, value) -> None:
    report = validate_tables(with_value(raw_tables, table, row, "amount", value))

    assert lines(report)[0] == f"{table} row {row}, column amount, value '{value}': must be > 0"


def test_credit_limit_must_not_be_negative(raw_tables) -> None:
    raw = with_value(raw_tables, "customers", 3, "credit_limit", "-0.01")
    raw = with_value(raw, "customers", 1, "credit_limit", "0")

    report = validate_tables(raw)

    assert lines(report)[0] == "customers row 3, column credit_limit, value '-0.01': must be >= 0"
    assert report.rejects["customers"]["row"].tolist() == [3]


def test_payments_over_the_invoice_amount_in_payment_date_order(raw_tables) -> None:
    # I3 (4000.00) is paid by P2 (1500, Feb 28) and P3 (2500, Mar 15). Add P6 (0.004, Mar 20),
    # P7 (100, Mar 1: listed late, counted early) and P8 (a second 2500, Mar 16). In date
    # order P3 takes the total to 4100 and is rejected; so is P8; P6 then fits (1600.004).
    extra = pd.DataFrame(
        {
            "payment_id": ["P6", "P7", "P8"],
            "invoice_id": ["I3", "I3", "I3"],
            "payment_date": ["2023-03-20", "2023-03-01", "2023-03-16"],
            "amount": ["0.004", "100", "2500"],
        }
    )
    raw = {**raw_tables, "payments": pd.concat([raw_tables["payments"], extra], ignore_index=True)}

    report = validate_tables(raw)

    assert lines(report) == [
        "payments row 3, column amount, value '2500.0': payments reach 4100.00, over the "
        "invoice amount 4000.00",
        "payments row 8, column amount, value '2500': payments reach 4100.00, over the "
        "invoice amount 4000.00",
    ]
    assert report.tables is not None
    assert report.tables.payments is not None
    kept = report.tables.payments["payment_id"].tolist()
    assert kept == ["P1", "P2", "P4", "P5", "P6", "P7"]


def test_payments_may_exceed_by_half_a_cent(raw_tables) -> None:
    extra = pd.DataFrame(
        {"payment_id": ["P6"], "invoice_id": ["I1"], "payment_date": ["2023-02-02"]}
    ).assign(amount="0.005")
    raw = {**raw_tables, "payments": pd.concat([raw_tables["payments"], extra], ignore_index=True)}

    assert validate_tables(raw).ok
    over = {
        **raw,
        "payments": raw["payments"].assign(amount=lambda f: f["amount"].replace("0.005", "0.006")),
    }
    assert lines(validate_tables(over)) == [
        "payments row 6, column amount, value '0.006': payments reach 1000.01, over the "
        "invoice amount 1000.00"
    ]


def test_rejected_parents_reject_their_children(raw_tables) -> None:
    report = validate_tables(with_value(raw_tables, "customers", 2, "credit_limit", "-1"))

    assert lines(report) == [
        "customers row 2, column credit_limit, value '-1': must be >= 0",
        "invoices row 3, column customer_id, value 'C2': parent rejected (customers row 2)",
        "invoices row 6, column customer_id, value 'C2': parent rejected (customers row 2)",
        "payments row 2, column invoice_id, value 'I3': parent rejected (invoices row 3)",
        "payments row 3, column invoice_id, value 'I3': parent rejected (invoices row 3)",
        "signals row 2, column customer_id, value 'C2': parent rejected (customers row 2)",
        "deals row 2, column customer_id, value 'C2': parent rejected (customers row 2)",
    ]
    assert report.tables is not None
    assert report.tables.invoices["invoice_id"].tolist() == ["I1", "I2", "I4", "I5"]


def test_a_row_breaking_several_rules_lists_them_all(raw_tables) -> None:
    raw = with_value(raw_tables, "invoices", 5, "amount", "-3")
    raw = with_value(raw, "invoices", 5, "customer_id", "C7")
    raw = with_value(raw, "invoices", 5, "paperless", "perhaps")

    report = validate_tables(raw)

    assert reasons(report, "invoices") == {
        5: "column paperless, value 'perhaps': not a boolean (expected true/false); "
        "column amount, value '-3': must be > 0; "
        "column customer_id, value 'C7': not found in customers"
    }
    assert report.rejects["invoices"].drop(columns=["row", "reason"]).iloc[0].tolist() == [
        "I5",
        "C7",
        "2023-01-20",
        "2023-03-21",
        "-3",
        "USD",
        "2023-03-21 00:00:00",
        "0",
        "perhaps",
    ]


def test_every_child_of_an_empty_parent_is_not_found(raw_tables) -> None:
    report = validate_tables({**raw_tables, "customers": raw_tables["customers"].iloc[:0]})

    assert lines(report)[:2] == [
        "invoices row 1, column customer_id, value 'C1': not found in customers",
        "invoices row 2, column customer_id, value 'C1': not found in customers",
    ]
    assert {name: len(frame) for name, frame in report.rejects.items()} == {
        "invoices": 6,
        "payments": 5,
        "signals": 3,
        "deals": 3,
    }


def test_null_keys_are_missing_values_not_duplicates(raw_tables) -> None:
    raw = with_value(raw_tables, "deals", 1, "deal_id", None)
    raw = with_value(raw, "deals", 3, "deal_id", None)

    report = validate_tables(raw)

    assert lines(report) == [
        "deals row 1, column deal_id: missing value",
        "deals row 3, column deal_id: missing value",
    ]


@pytest.mark.parametrize(
    ("table", "row", "column", "value", "rule"),
    [
        ("invoices", 2, "amount", "1e308", "must be <= 1e+12 (ARSIGHT_MAX_AMOUNT)"),
        ("invoices", 2, "amount", "5e-324", "must be >= 0.001"),
        ("invoices", 2, "amount", "0.0009", "must be >= 0.001"),
        ("invoices", 2, "amount", "inf", "not a number"),
        ("invoices", 2, "amount", "-Infinity", "not a number"),
        ("payments", 4, "amount", "1000000000000.01", "must be <= 1e+12 (ARSIGHT_MAX_AMOUNT)"),
        ("deals", 1, "amount", "1e-300", "must be >= 0.001"),
        ("deals", 1, "amount", "2e12", "must be <= 1e+12 (ARSIGHT_MAX_AMOUNT)"),
        ("customers", 1, "credit_limit", "1e300", "must be <= 1e+12 (ARSIGHT_MAX_AMOUNT)"),
        ("customers", 1, "credit_limit", "5e-324", "must be 0 or >= 0.001"),
        ("customers", 1, "credit_limit", "NaN", "not a number"),
    ],
)
def test_amounts_are_bounded(raw_tables, table, row, column, value, rule) -> None:
    report = validate_tables(with_value(raw_tables, table, row, column, value))

    assert lines(report)[0] == f"{table} row {row}, column {column}, value '{value}': {rule}"
    assert reasons(report, table)[row] == f"column {column}, value '{value}': {rule}"
    assert not report.ok


def test_amounts_on_the_bounds_are_valid(raw_tables) -> None:
    raw = with_value(raw_tables, "invoices", 4, "amount", "0.001")
    raw = with_value(raw, "deals", 1, "amount", "1e12")
    raw = with_value(raw, "customers", 2, "credit_limit", "1000000000000")

    assert validate_tables(raw).ok


def test_typed_amounts_are_bounded(typed_tables) -> None:
    invoices = typed_tables["invoices"]
    invoices["amount"] = [1e308, float("inf"), 5e-324, 99.99, 12000.0, 800.0]

    report = validate_tables({**typed_tables, "invoices": invoices})

    assert lines(report)[:3] == [
        "invoices row 1, column amount, value '1e+308': must be <= 1e+12 (ARSIGHT_MAX_AMOUNT)",
        "invoices row 2, column amount, value 'inf': not a number",
        "invoices row 3, column amount, value '5e-324': must be >= 0.001",
    ]


def test_the_maximum_amount_is_configurable(raw_tables, monkeypatch) -> None:
    from features.settings import FeaturesSettings, get_features_settings

    raw = with_value(raw_tables, "invoices", 3, "amount", "2000000")
    assert validate_tables(raw).ok
    assert lines(validate_tables(raw, max_amount=1e6))[0] == (
        "invoices row 3, column amount, value '2000000': must be <= 1e+06 (ARSIGHT_MAX_AMOUNT)"
    )
    monkeypatch.setenv("ARSIGHT_MAX_AMOUNT", "1500000")
    assert FeaturesSettings(_env_file=None).max_amount == 1.5e6
    get_features_settings.cache_clear()
    try:
        assert lines(validate_tables(raw))[0].endswith("must be <= 1.5e+06 (ARSIGHT_MAX_AMOUNT)")
    finally:
        get_features_settings.cache_clear()


def test_customer_ids_must_not_contain_a_slash(raw_tables) -> None:
    raw = with_value(raw_tables, "customers", 2, "customer_id", "C/2")
    for table, row in (("invoices", 3), ("invoices", 6), ("signals", 2), ("deals", 2)):
        raw = with_value(raw, table, row, "customer_id", "C/2")

    report = validate_tables(raw)

    assert lines(report) == [
        "customers row 2, column customer_id, value 'C/2': must not contain '/'",
        "invoices row 3, column customer_id, value 'C/2': must not contain '/'",
        "invoices row 3, column customer_id, value 'C/2': parent rejected (customers row 2)",
        "invoices row 6, column customer_id, value 'C/2': must not contain '/'",
        "invoices row 6, column customer_id, value 'C/2': parent rejected (customers row 2)",
        "payments row 2, column invoice_id, value 'I3': parent rejected (invoices row 3)",
        "payments row 3, column invoice_id, value 'I3': parent rejected (invoices row 3)",
        "signals row 2, column customer_id, value 'C/2': must not contain '/'",
        "signals row 2, column customer_id, value 'C/2': parent rejected (customers row 2)",
        "deals row 2, column customer_id, value 'C/2': must not contain '/'",
        "deals row 2, column customer_id, value 'C/2': parent rejected (customers row 2)",
    ]
    assert reasons(report, "deals") == {
        2: "column customer_id, value 'C/2': must not contain '/'; "
        "column customer_id, value 'C/2': parent rejected (customers row 2)"
    }


def test_other_punctuation_in_customer_ids_is_valid(raw_tables) -> None:
    raw = with_value(raw_tables, "customers", 3, "customer_id", "C 3?#%.&")
    raw = with_value(raw, "invoices", 4, "customer_id", "C 3?#%.&")

    assert validate_tables(raw).ok
