"""Unit tests of data-contract validation: typing, columns, tables, the report and its files."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pandas as pd
import pytest

from features.errors import SchemaError
from features.schema import TABLES
from features.tables import Tables, write_tables
from features.validate import (
    Problem,
    load_valid_tables,
    validate_directory,
    validate_tables,
    write_rejects,
)
from tests.features.conftest import lines, reasons, with_value


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


def test_unreadable_file_is_a_problem_of_its_table(tmp_path: Path, raw_tables) -> None:
    # Before issue 15 this raised SourceError for the whole directory, naming no file or line.
    raw_tables["customers"].to_csv(tmp_path / "customers.csv", index=False)
    (tmp_path / "invoices.parquet").write_bytes(b"not parquet at all")
    raw_tables["signals"].to_csv(tmp_path / "signals.csv", index=False)

    report = validate_directory(tmp_path)

    assert [p.table for p in report.problems] == ["invoices"]
    assert str(report.problems[0]).startswith(
        f"invoices: unreadable file {tmp_path / 'invoices.parquet'}: not a readable Parquet file ("
    )
    assert report.tables is None and not report.ok
    assert report.rows_read == {"customers": 4, "signals": 3}


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


def test_empty_tables_are_valid_and_typed(raw_tables, typed_tables) -> None:
    report = validate_tables({name: frame.iloc[:0] for name, frame in raw_tables.items()})

    assert report.ok
    assert_tables_equal(
        report.tables, {name: frame.iloc[:0] for name, frame in typed_tables.items()}
    )


def test_source_columns_named_row_or_reason_are_kept_in_rejects(raw_tables) -> None:
    customers = raw_tables["customers"].assign(row="r", reason="why")
    raw = with_value({**raw_tables, "customers": customers}, "customers", 4, "credit_limit", "-1")

    report = validate_tables(raw)

    rejects = report.rejects["customers"]
    assert list(rejects.columns) == [
        "row",
        *raw_tables["customers"].columns,
        "row_as_read",
        "reason_as_read",
        "reason",
    ]
    assert rejects.iloc[0][["row", "row_as_read", "reason_as_read"]].tolist() == [4, "r", "why"]
    assert reasons(report, "customers") == {4: "column credit_limit, value '-1': must be >= 0"}


def test_parquet_dates_beyond_2262_are_not_valid_dates(tmp_path: Path, typed_tables) -> None:
    invoices = typed_tables["invoices"].assign(
        cleared_date=typed_tables["invoices"]["cleared_date"].dt.date.astype(object)
    )
    invoices.loc[0, "cleared_date"] = date(9999, 12, 31)
    invoices.to_parquet(tmp_path / "invoices.parquet")
    typed_tables["customers"].to_parquet(tmp_path / "customers.parquet")

    report = validate_directory(tmp_path)

    assert lines(report) == [
        "invoices row 1, column cleared_date, value '9999-12-31': not a valid date"
    ]


def test_long_columns_give_the_same_results(raw_tables, typed_tables) -> None:
    # Columns of 10,000 rows or more are parsed once per distinct text: same outcome.
    copies = 2000
    invoices = pd.concat([raw_tables["invoices"]] * copies, ignore_index=True)
    invoices["invoice_id"] = [f"I{i}" for i in range(len(invoices))]
    invoices.loc[11_999, "due_date"] = "2023-13-01"
    invoices.loc[5, "paperless"] = "nope"
    raw = {"customers": raw_tables["customers"], "invoices": invoices}

    report = validate_tables(raw)

    assert lines(report) == [
        "invoices row 6, column paperless, value 'nope': not a boolean (expected true/false)",
        "invoices row 12000, column due_date, value '2023-13-01': not a valid date",
    ]
    expected = pd.concat([typed_tables["invoices"]] * copies, ignore_index=True)
    expected["invoice_id"] = invoices["invoice_id"].astype("str")
    expected = expected.drop(index=[5, 11_999]).reset_index(drop=True)
    assert report.tables is not None
    pd.testing.assert_frame_equal(report.tables.invoices, expected, check_exact=True)


def test_an_unreadable_optional_table_makes_the_data_unusable(tmp_path: Path, raw_tables) -> None:
    for name in ("customers", "invoices"):
        raw_tables[name].to_csv(tmp_path / f"{name}.csv", index=False)
    (tmp_path / "payments.csv").write_bytes(b"")

    report = validate_directory(tmp_path)

    assert [str(p) for p in report.problems] == [
        f"payments: unreadable file {tmp_path / 'payments.csv'}: line 1: empty file, no header line"
    ]
    assert report.tables is None and not report.ok


def test_reasons_are_the_same_whatever_the_chunk(raw_tables) -> None:
    from features.validate.contract import _reasons
    from features.validate.table import validate_table

    raw = with_value(raw_tables, "customers", 2, "credit_limit", "-1")
    for row in (1, 3, 4):
        raw = with_value(raw, "customers", row, "payment_terms_days", "x")
    found = validate_table(TABLES["customers"], raw["customers"], {}, 1e12).problems

    assert (
        _reasons(found, chunk=1).tolist()
        == _reasons(found).tolist()
        == [
            "column payment_terms_days, value 'x': not a whole number",
            "column credit_limit, value '-1': must be >= 0",
            "column payment_terms_days, value 'x': not a whole number",
            "column payment_terms_days, value 'x': not a whole number",
        ]
    )
