"""Unit tests of data-contract validation: one test per rule, exact messages and reasons."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

from features.errors import SchemaError, SourceError
from features.tables import Tables, write_tables
from features.validate import (
    Problem,
    ValidationReport,
    load_valid_tables,
    validate_directory,
    validate_tables,
    write_rejects,
)


def with_value(
    raw: dict[str, pd.DataFrame], table: str, row: int, column: str, value: str | None
) -> dict[str, pd.DataFrame]:
    """A copy of `raw` with the cell at 1-based `row` of `table.column` set to `value`."""
    frame = raw[table].copy()
    frame.loc[row - 1, column] = value
    return {**raw, table: frame}


def lines(report: ValidationReport) -> list[str]:
    return [str(p) for p in report.problems]


def reasons(report: ValidationReport, table: str) -> dict[int, str]:
    frame = report.rejects[table]
    return dict(zip(frame["row"].tolist(), frame["reason"].tolist(), strict=True))


def assert_tables_equal(tables: Tables | None, expected: dict[str, pd.DataFrame]) -> None:
    assert tables is not None
    assert [name for name, _ in tables.items()] == list(expected)
    for name, frame in tables.items():
        pd.testing.assert_frame_equal(frame, expected[name], check_exact=True)


def test_valid_world_round_trips_to_hand_typed_tables(raw_tables, typed_tables) -> None:
    report = validate_tables(raw_tables)

    assert report.ok
    assert report.problems == []
    assert report.rejects == {}
    assert report.rows_read == {
        "customers": 4,
        "invoices": 6,
        "payments": 5,
        "signals": 3,
        "deals": 3,
    }
    assert_tables_equal(report.tables, typed_tables)


def test_canonical_parquet_round_trips(tmp_path: Path, typed_tables) -> None:
    write_tables(Tables(**typed_tables), tmp_path)

    assert_tables_equal(load_valid_tables(tmp_path), typed_tables)


def test_typed_parquet_variants_are_coerced(tmp_path: Path, typed_tables) -> None:
    invoices = typed_tables["invoices"]
    variants = invoices.assign(
        issue_date=invoices["issue_date"].dt.date,  # date32 in Parquet, objects when read
        due_date=invoices["due_date"]
        .dt.tz_localize("Europe/Paris")
        .astype("datetime64[ms, Europe/Paris]"),
        cleared_date=invoices["cleared_date"] + pd.Timedelta(hours=13),
    )
    customers = typed_tables["customers"].assign(
        payment_terms_days=typed_tables["customers"]["payment_terms_days"].astype("float64"),
    )
    pd.DataFrame(variants).to_parquet(tmp_path / "invoices.parquet")
    customers.to_parquet(tmp_path / "customers.parquet")

    report = validate_directory(tmp_path)

    assert report.ok
    assert_tables_equal(
        report.tables, {"customers": typed_tables["customers"], "invoices": invoices}
    )


def test_numeric_ids_become_text_without_decimals() -> None:
    raw = {
        "customers": pd.DataFrame({"customer_id": [101.0, 102.0]}),
        "invoices": pd.DataFrame(
            {
                "invoice_id": [1, 2],
                "customer_id": [101, 102],
                "issue_date": ["2023-01-01", "2023-01-02"],
                "due_date": ["2023-01-31", "2023-02-01"],
                "amount": [10, 20],
            }
        ),
    }
    report = validate_tables(raw)

    assert report.ok
    assert report.tables is not None
    assert report.tables.customers["customer_id"].tolist() == ["101", "102"]
    assert report.tables.invoices["invoice_id"].tolist() == ["1", "2"]
    assert report.tables.invoices["amount"].tolist() == [10.0, 20.0]


@pytest.mark.parametrize(
    ("table", "row", "column", "value", "rule"),
    [
        ("invoices", 2, "issue_date", "2023-02-30", "not a valid date"),
        ("invoices", 2, "issue_date", "05/02/2023", "not a valid date"),
        ("invoices", 2, "due_date", "2023-03-07 10:30:00", "not a valid date"),
        ("invoices", 3, "amount", "4,000", "not a number"),
        ("invoices", 3, "amount", "nan", "not a number"),
        ("customers", 1, "payment_terms_days", "30.5", "not a whole number"),
        ("invoices", 1, "disputed", "maybe", "not a boolean (expected true/false)"),
        ("signals", 2, "value", "high", "not a number"),
    ],
)
def test_unreadable_values(raw_tables, table, row, column, value, rule) -> None:
    report = validate_tables(with_value(raw_tables, table, row, column, value))

    assert lines(report)[0] == f"{table} row {row}, column {column}, value '{value}': {rule}"
    assert reasons(report, table) == {row: f"column {column}, value '{value}': {rule}"}
    assert not report.ok


def test_midnight_times_and_boolean_spellings_are_accepted(raw_tables) -> None:
    raw = with_value(raw_tables, "invoices", 2, "due_date", "2023-03-07T00:00:00")
    raw = with_value(raw, "invoices", 1, "disputed", " Yes ")

    report = validate_tables(raw)

    assert report.ok
    assert report.tables is not None
    assert report.tables.invoices["due_date"][1] == pd.Timestamp("2023-03-07")
    assert bool(report.tables.invoices["disputed"][0]) is True


def test_null_in_required_column(raw_tables) -> None:
    report = validate_tables(with_value(raw_tables, "invoices", 4, "due_date", None))

    assert lines(report) == ["invoices row 4, column due_date: missing value"]
    assert reasons(report, "invoices") == {4: "column due_date: missing value"}


def test_missing_required_column_makes_required_table_unusable(raw_tables) -> None:
    raw = {**raw_tables, "invoices": raw_tables["invoices"].drop(columns=["due_date", "amount"])}

    report = validate_tables(raw)

    assert lines(report) == [
        "invoices, column due_date: required column missing",
        "invoices, column amount: required column missing",
    ]
    assert report.tables is None
    assert not report.ok
    reason = "column due_date: required column missing; column amount: required column missing"
    assert reasons(report, "invoices") == dict.fromkeys(range(1, 7), reason)
    assert list(report.rejects["invoices"].columns) == ["row", *raw["invoices"].columns, "reason"]


def test_missing_required_column_in_optional_table(raw_tables, typed_tables) -> None:
    raw = {**raw_tables, "payments": raw_tables["payments"].drop(columns=["payment_date"])}

    report = validate_tables(raw)

    assert lines(report) == ["payments, column payment_date: required column missing"]
    assert report.tables is not None
    assert report.tables.payments is None
    pd.testing.assert_frame_equal(report.tables.invoices, typed_tables["invoices"])
    assert len(report.rejects["payments"]) == 5


def test_missing_required_table(raw_tables) -> None:
    raw = {name: frame for name, frame in raw_tables.items() if name != "customers"}

    report = validate_tables(raw)

    assert lines(report)[0] == "customers: required table missing"
    assert report.tables is None


def test_missing_optional_columns_become_null_columns(raw_tables) -> None:
    report = validate_tables(
        {**raw_tables, "deals": raw_tables["deals"].drop(columns=["stage", "payment_terms_days"])}
    )

    assert report.ok
    assert report.tables is not None and report.tables.deals is not None
    deals = report.tables.deals
    assert list(deals.columns) == [
        "deal_id",
        "customer_id",
        "created_date",
        "amount",
        "payment_terms_days",
        "stage",
    ]
    assert deals["stage"].dtype == "str" and deals["stage"].isna().all()
    assert deals["payment_terms_days"].dtype == "Int64"


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
    # I3 (4000.00) is paid by P2 (1500, Feb 28) and P3 (2500, Mar 15); add two more, the
    # earlier one listed last: in date order it is P7 that pushes the total over.
    extra = pd.DataFrame(
        {
            "payment_id": ["P6", "P7"],
            "invoice_id": ["I3", "I3"],
            "payment_date": ["2023-03-20", "2023-03-01"],
            "amount": ["0.004", "100"],
        }
    )
    raw = {**raw_tables, "payments": pd.concat([raw_tables["payments"], extra], ignore_index=True)}

    report = validate_tables(raw)

    assert lines(report) == [
        "payments row 3, column amount, value '2500.0': payments reach 4100.00, over the "
        "invoice amount 4000.00",
        "payments row 6, column amount, value '0.004': payments reach 4100.00, over the "
        "invoice amount 4000.00",
    ]
    assert report.tables is not None
    assert report.tables.payments is not None
    assert report.tables.payments["payment_id"].tolist() == ["P1", "P2", "P4", "P5", "P7"]


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


def test_extra_columns_are_kept_and_reported_without_failing(raw_tables, typed_tables) -> None:
    invoices = raw_tables["invoices"].copy()
    invoices.insert(0, "region", ["N", "S", "E", "W", None, "N"])

    report = validate_tables({**raw_tables, "invoices": invoices})

    assert lines(report) == ["invoices, column region: extra column kept"]
    assert report.ok
    assert report.errors == []
    assert report.extra_columns["invoices"] == ["region"]
    assert report.extra_columns["customers"] == []
    assert report.tables is not None
    expected = typed_tables["invoices"].assign(region=invoices["region"])
    pd.testing.assert_frame_equal(report.tables.invoices, expected)


def test_unknown_table_is_an_error(raw_tables) -> None:
    with pytest.raises(SchemaError, match=r"^unknown table\(s\) \['orders'\]; the contract has "):
        validate_tables({**raw_tables, "orders": raw_tables["deals"]})


def test_problem_str_forms() -> None:
    assert str(
        Problem("invoices", 7, "due_date", "2023-01-01", "due_date before issue_date (2023-02-01)")
    ) == (
        "invoices row 7, column due_date, value '2023-01-01': due_date before issue_date "
        "(2023-02-01)"
    )
    assert str(Problem("invoices", 3, "due_date", None, "missing value")) == (
        "invoices row 3, column due_date: missing value"
    )
    assert str(Problem("customers", None, None, None, "required table missing")) == (
        "customers: required table missing"
    )


def test_load_valid_tables_lists_the_first_twenty_problems(tmp_path: Path, raw_tables) -> None:
    invoices = raw_tables["invoices"].copy()
    invoices["due_date"] = "soon"
    invoices["amount"] = "-1"
    invoices["customer_id"] = "C1"
    for name, frame in {**raw_tables, "invoices": pd.concat([invoices] * 3)}.items():
        frame.to_csv(tmp_path / f"{name}.csv", index=False)

    with pytest.raises(SchemaError) as caught:
        load_valid_tables(tmp_path)

    message = str(caught.value).splitlines()
    # 18 rows x (due_date, amount) + 12 duplicate ids + 5 payments of rejected invoices.
    assert message[0] == f"{tmp_path}: 53 problem(s) break the data contract:"
    assert message[1] == "  invoices row 1, column due_date, value 'soon': not a valid date"
    assert message[2] == "  invoices row 1, column amount, value '-1': must be > 0"
    assert message[20] == "  invoices row 9, column amount, value '-1': must be > 0"
    assert message[21] == "  ... and 33 more"
    assert len(message) == 22


def test_unreadable_file_is_a_source_error(tmp_path: Path, raw_tables) -> None:
    raw_tables["customers"].to_csv(tmp_path / "customers.csv", index=False)
    (tmp_path / "invoices.parquet").write_bytes(b"not parquet at all")

    with pytest.raises(SourceError, match=rf"^{tmp_path}: cannot read tables: "):
        validate_directory(tmp_path)


def test_write_rejects_writes_each_table_and_every_problem(tmp_path: Path, raw_tables) -> None:
    report = validate_tables(with_value(raw_tables, "invoices", 2, "customer_id", "C9"))

    paths = write_rejects(report, tmp_path / "rejects")

    assert [p.name for p in paths] == ["invoices.csv", "payments.csv", "problems.csv"]
    assert sorted(p.name for p in (tmp_path / "rejects").iterdir()) == [
        "invoices.csv",
        "payments.csv",
        "problems.csv",
    ]
    assert (tmp_path / "rejects" / "payments.csv").read_text().splitlines() == [
        "row,payment_id,invoice_id,payment_date,amount,reason",
        "4,P4,I2,2023-03-01,100.0,\"column invoice_id, value 'I2': parent rejected "
        '(invoices row 2)"',
    ]
    assert (tmp_path / "rejects" / "problems.csv").read_text().splitlines() == [
        "table,row,column,value,rule",
        "invoices,2,customer_id,C9,not found in customers",
        "payments,4,invoice_id,I2,parent rejected (invoices row 2)",
    ]
