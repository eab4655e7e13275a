"""Property tests: corrupt one row of a valid world and only that row (and its children) goes.

Every other row must come out exactly as typed by hand, whether the tables are validated as
read from CSV text in memory or after a round trip through CSV files on disk.
"""

from __future__ import annotations

import tempfile
from dataclasses import dataclass
from pathlib import Path

import pandas as pd
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from features.schema import TABLES
from features.tables import Tables, write_tables
from features.validate import Problem, ValidationReport, validate_directory, validate_tables
from features.validate.table import REFERENCES
from tests.features.conftest import raw_world, typed_world

RAW = raw_world()
TYPED = typed_world()
PROPERTY_SETTINGS = settings(
    max_examples=30, deadline=None, suppress_health_check=[HealthCheck.too_slow]
)


@dataclass(frozen=True)
class Corruption:
    """One broken cell and the problem validation must report for it."""

    table: str
    position: int
    column: str
    value: str | None
    rule: str


def corruptions(table: str, position: int) -> list[Corruption]:
    """Every way this module knows to break one cell of a valid row."""
    row = RAW[table].iloc[position]
    found: list[Corruption] = []

    def add(column: str, value: str | None, rule: str) -> None:
        found.append(Corruption(table, position, column, value, rule))

    contract = TABLES[table]
    for column in contract.columns:
        if column.name not in RAW[table].columns:
            continue
        if not column.nullable:
            add(column.name, None, "missing value")
        if column.type == "date":
            add(column.name, "2023-02-30", "not a valid date")
            add(column.name, "2023-01-31 08:00", "not a valid date")
        elif column.type == "float":
            add(column.name, "1,5", "not a number")
            add(column.name, "inf", "not a number")
        elif column.type == "int":
            add(column.name, "7.5", "not a whole number")
        elif column.type == "bool":
            add(column.name, "maybe", "not a boolean (expected true/false)")
    if table in ("invoices", "payments", "deals"):
        add("amount", "0", "must be > 0")
        add("amount", "-12.5", "must be > 0")
    if table == "customers":
        add("credit_limit", "-1", "must be >= 0")
    if table == "invoices":
        day_before = (pd.Timestamp(row["issue_date"]) - pd.Timedelta(days=1)).strftime("%Y-%m-%d")
        for column in ("due_date", "cleared_date"):
            add(column, day_before, f"{column} before issue_date ({row['issue_date']})")
    if contract.key is not None and position > 0:
        add(contract.key, RAW[table][contract.key].iloc[0], "duplicate of row 1")
    if table in REFERENCES:
        column, parent = REFERENCES[table]
        add(column, "ZZ9", f"not found in {parent}")
    return found


@st.composite
def one_corruption(draw: st.DrawFn) -> Corruption:
    table = draw(st.sampled_from(list(RAW)))
    position = draw(st.integers(0, len(RAW[table]) - 1))
    return draw(st.sampled_from(corruptions(table, position)))


def corrupt(corruption: Corruption) -> dict[str, pd.DataFrame]:
    frame = RAW[corruption.table].copy()
    frame.loc[corruption.position, corruption.column] = corruption.value
    return {**RAW, corruption.table: frame}


def expected_rejects(corruption: Corruption) -> dict[str, set[int]]:
    """0-based positions each table must reject: the corrupted row and all its descendants."""
    rejected = {name: set() for name in RAW} | {corruption.table: {corruption.position}}
    for child, (column, parent) in REFERENCES.items():  # parents come before children
        if child not in RAW:  # an optional table this world has none of (credit_notes)
            continue
        key = TABLES[parent].key
        lost = set(RAW[parent][key].iloc[sorted(rejected[parent])])
        rejected[child] |= set(RAW[child].index[RAW[child][column].isin(lost)])
    return rejected


def assert_outcome(report: ValidationReport, corruption: Corruption) -> None:
    """The corruption is reported exactly; kept rows equal the hand-typed rows."""
    problem = Problem(
        corruption.table,
        corruption.position + 1,
        corruption.column,
        corruption.value,
        corruption.rule,
    )
    assert problem in report.problems
    assert not report.ok
    rejected = expected_rejects(corruption)
    assert report.tables is not None
    for name, frame in report.tables.items():
        expected = TYPED[name].drop(index=sorted(rejected[name])).reset_index(drop=True)
        pd.testing.assert_frame_equal(frame, expected, check_exact=True)
        rows = report.rejects[name]["row"].tolist() if name in report.rejects else []
        assert rows == [p + 1 for p in sorted(rejected[name])]
    assert corruption.table in report.rejects


def write_csv_world(raw: dict[str, pd.DataFrame], directory: Path) -> None:
    for name, frame in raw.items():
        frame.to_csv(directory / f"{name}.csv", index=False)


@PROPERTY_SETTINGS
@given(corruption=one_corruption())
def test_one_corrupted_row_is_rejected_and_nothing_else_changes(corruption: Corruption) -> None:
    raw = corrupt(corruption)

    assert_outcome(validate_tables(raw), corruption)


@settings(PROPERTY_SETTINGS, max_examples=15)
@given(corruption=one_corruption())
def test_the_same_holds_after_a_csv_round_trip(corruption: Corruption) -> None:
    # An empty string and a missing cell are the same thing in a CSV file.
    assume(corruption.value != "")
    with tempfile.TemporaryDirectory() as tmp:
        write_csv_world(corrupt(corruption), Path(tmp))

        assert_outcome(validate_directory(Path(tmp)), corruption)


@settings(PROPERTY_SETTINGS, max_examples=10)
@given(data=st.data())
def test_valid_tables_round_trip_unchanged_in_any_row_order(data: st.DataObject) -> None:
    orders = {
        name: data.draw(st.permutations(range(len(frame))), label=name)
        for name, frame in RAW.items()
    }
    raw = {name: RAW[name].iloc[order].reset_index(drop=True) for name, order in orders.items()}
    expected = {
        name: TYPED[name].iloc[order].reset_index(drop=True) for name, order in orders.items()
    }
    with tempfile.TemporaryDirectory() as tmp:
        write_csv_world(raw, Path(tmp))
        from_csv = validate_directory(Path(tmp))
        write_tables(Tables(**expected), Path(tmp) / "parquet")
        from_parquet = validate_directory(Path(tmp) / "parquet")

    for report in (validate_tables(raw), from_csv, from_parquet):
        assert report.ok
        assert report.problems == []
        assert report.tables is not None
        for name, frame in report.tables.items():
            pd.testing.assert_frame_equal(frame, expected[name], check_exact=True)
