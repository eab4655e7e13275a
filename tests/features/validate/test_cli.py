"""`arsight data validate` through the real console app: exit codes, summary and problem lines."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest
from typer.testing import CliRunner, Result

from arsight.cli import app
from features.validate import load_valid_tables
from tests.features.conftest import RAW_CSV

HEADER = "┃ table     ┃ rows read ┃ rows kept ┃ rows rejected ┃ extra columns ┃"


def run(*args: str | Path) -> Result:
    return CliRunner(env={"COLUMNS": "120"}).invoke(app, ["data", "validate", *map(str, args)])


def write_world(directory: Path, **replace: tuple[str, str]) -> Path:
    """The valid world as CSV files, with `table=(old, new)` text substitutions."""
    directory.mkdir(parents=True, exist_ok=True)
    for name, text in RAW_CSV.items():
        if name in replace:
            old, new = replace[name]
            assert old in text
            text = text.replace(old, new)
        (directory / f"{name}.csv").write_text(text)
    return directory


def test_valid_directory_exits_0(tmp_path: Path) -> None:
    result = run(write_world(tmp_path / "world"))

    assert result.exit_code == 0, result.output
    out = result.stdout.splitlines()
    assert HEADER in out
    assert "│ invoices  │         6 │         6 │             0 │ -             │" in out
    assert out[-1] == "OK: the data hold the contract."


def test_problems_exit_1_with_one_line_each(tmp_path: Path) -> None:
    world = write_world(
        tmp_path / "world",
        invoices=("I2,C1,2023-02-05,2023-03-07", "I2,C9,2023-02-05,2023-01-07"),
        customers=("C3,Cobalt,,,potential,,30,", "C3,Cobalt,,,potential,,30,,north"),
    )
    (world / "customers.csv").write_text(
        (world / "customers.csv").read_text().replace("onboarding_date\n", "onboarding_date,zone\n")
    )

    result = run(world)

    assert result.exit_code == 1, result.output
    out = result.stdout.splitlines()
    assert "│ customers │         4 │         4 │             0 │ zone          │" in out
    assert "│ invoices  │         6 │         5 │             1 │ -             │" in out
    assert "│ payments  │         5 │         4 │             1 │ -             │" in out
    assert out[-5:] == [
        "customers, column zone: extra column kept",
        "invoices row 2, column due_date, value '2023-01-07': due_date before issue_date "
        "(2023-02-05)",
        "invoices row 2, column customer_id, value 'C9': not found in customers",
        "payments row 4, column invoice_id, value 'I2': parent rejected (invoices row 2)",
        "FAILED: 3 problem(s), 2 row(s) rejected.",
    ]


def test_only_extra_columns_exit_0(tmp_path: Path) -> None:
    world = write_world(tmp_path / "world", deals=("stage\n", "stage,owner\n"))

    result = run(world)

    assert result.exit_code == 0, result.output
    assert result.stdout.splitlines()[-2:] == [
        "deals, column owner: extra column kept",
        "OK: the data hold the contract.",
    ]


def test_printed_problems_are_capped_but_rejects_hold_all(tmp_path: Path) -> None:
    world = write_world(tmp_path / "world")
    invoices = pd.read_csv(world / "invoices.csv", dtype=str)
    many = pd.concat([invoices] * 10, ignore_index=True)
    many["invoice_id"] = [f"N{i}" for i in range(60)]
    many["amount"] = "-1"
    many.to_csv(world / "invoices.csv", index=False)

    result = run(world, "--rejects", tmp_path / "rejects")

    assert result.exit_code == 1, result.output
    out = result.stdout.splitlines()
    assert sum(line.startswith("invoices row ") for line in out) == 50
    assert out[-3:] == [
        "... and 15 more",  # 60 invoices + 5 payments whose invoice no longer exists
        "FAILED: 65 problem(s), 65 row(s) rejected.",
        f"Rejects: wrote 3 file(s) to {tmp_path / 'rejects'}",
    ]
    problems = pd.read_csv(tmp_path / "rejects" / "problems.csv")
    assert len(problems) == 65
    assert problems["rule"].value_counts().to_dict() == {
        "must be > 0": 60,
        "not found in invoices": 5,
    }


def test_clean_writes_the_good_rows_as_canonical_parquet(tmp_path: Path, typed_tables) -> None:
    world = write_world(
        tmp_path / "world", deals=("D2,C2,2023-03-15,12000.0", "D2,C2,2023-03-15,zero")
    )

    result = run(world, "--clean", tmp_path / "clean")

    assert result.exit_code == 1, result.output
    assert (
        result.stdout.splitlines()[-1] == f"Clean tables: wrote 5 file(s) to {tmp_path / 'clean'}"
    )
    assert sorted(p.name for p in (tmp_path / "clean").iterdir()) == [
        f"{name}.parquet" for name in ("customers", "deals", "invoices", "payments", "signals")
    ]
    clean = load_valid_tables(tmp_path / "clean")
    assert clean.deals is not None
    expected = typed_tables["deals"].drop(index=1).reset_index(drop=True)
    pd.testing.assert_frame_equal(clean.deals, expected)
    assert run(tmp_path / "clean").exit_code == 0


def test_clean_is_not_written_when_a_required_table_is_unusable(tmp_path: Path) -> None:
    world = write_world(tmp_path / "world", invoices=(",amount,", ",total,"))

    result = run(world, "--clean", tmp_path / "clean")

    assert result.exit_code == 1
    # Payments are not checked against an unusable invoices table.
    assert result.stdout.splitlines()[-4:] == [
        "invoices, column amount: required column missing",
        "invoices, column total: extra column kept",
        "FAILED: 1 problem(s), 6 row(s) rejected; a required table is unusable.",
        "Clean tables: not written, a required table is unusable.",
    ]
    assert not (tmp_path / "clean").exists()


@pytest.mark.parametrize("missing", ["absent", "no_customers"])
def test_unreadable_directory_exits_2(tmp_path: Path, missing: str) -> None:
    directory = tmp_path / "data"
    if missing == "no_customers":
        write_world(directory)
        (directory / "customers.csv").unlink()

    result = run(directory)

    assert result.exit_code == 2
    if missing == "no_customers":
        assert result.stderr == (
            f"error: {directory}: required table 'customers' missing; expected "
            "customers.parquet or customers.csv\n"
        )
    else:
        assert "Invalid value for 'directory'" in result.stderr


def test_help_documents_rows_exit_codes_and_an_example() -> None:
    result = CliRunner(env={"COLUMNS": "200"}).invoke(app, ["data", "validate", "--help"])

    assert result.exit_code == 0
    assert "row 1 is the first row under the CSV header" in result.stdout
    assert "Exit codes: 0 the data hold the contract, 1 problems found, 2 the directory" in (
        result.stdout
    )
    assert "Example: arsight data validate data/world --rejects data/rejects" in result.stdout


def test_an_unreadable_file_is_reported_and_the_rest_checked(tmp_path: Path) -> None:
    world = write_world(tmp_path / "world", customers=("FR,general,20000.5", "FR,general,-1"))
    invoices = world / "invoices.csv"
    invoices.write_bytes(invoices.read_bytes().replace(b"I4,C3", b"I4,C\xe93"))

    result = run(world, "--rejects", tmp_path / "rejects")

    assert result.exit_code == 1, result.output
    assert result.stdout.splitlines()[-6:] == [
        "customers row 2, column credit_limit, value '-1': must be >= 0",
        f"invoices: unreadable file {invoices}: line 5: byte 0xe9 is not UTF-8 (save the file "
        "as UTF-8)",
        "signals row 2, column customer_id, value 'C2': parent rejected (customers row 2)",
        "deals row 2, column customer_id, value 'C2': parent rejected (customers row 2)",
        "FAILED: 4 problem(s), 3 row(s) rejected; a required table is unusable.",
        "Rejects: wrote 4 file(s) to " + str(tmp_path / "rejects"),
    ]
