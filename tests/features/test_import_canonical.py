"""Importing canonical tables (CSV or Parquet): validation, typed output, rejects, stale files."""

from __future__ import annotations

import shutil
from pathlib import Path

import pandas as pd
import pytest
from typer.testing import CliRunner

from arsight.cli import app
from features.errors import ImportRefused, SchemaError, SourceError
from features.sources.canonical import import_canonical
from features.validate import validate_directory

SAMPLES = Path(__file__).parent / "samples" / "canonical"


def test_csv_tables_are_typed_and_bad_rows_rejected(tmp_path: Path) -> None:
    result = import_canonical(SAMPLES, tmp_path)
    assert result.rows_in == {"customers": 3, "invoices": 6}
    assert result.rows_written == {"customers": 2, "invoices": 2}
    assert result.rows_rejected == {"customers": 1, "invoices": 4}
    invoices = pd.read_parquet(tmp_path / "invoices.parquet")
    assert invoices.dtypes.astype(str).to_dict() == {
        "invoice_id": "str",
        "customer_id": "str",
        "issue_date": "datetime64[ns]",
        "due_date": "datetime64[ns]",
        "amount": "float64",
        "currency": "str",
        "cleared_date": "datetime64[ns]",
        "disputed": "boolean",
        "paperless": "boolean",
    }
    assert invoices["invoice_id"].tolist() == ["I1", "I2"]
    assert invoices["amount"].tolist() == [100.5, 250.0]
    assert invoices["disputed"].tolist() == [False, False]
    assert invoices["cleared_date"].iloc[0] == pd.Timestamp("2024-02-01")
    assert pd.isna(invoices["cleared_date"].iloc[1]) and pd.isna(invoices["paperless"].iloc[1])
    customers = pd.read_parquet(tmp_path / "customers.parquet")
    assert customers["customer_id"].tolist() == ["C1", "C3"]
    assert customers["credit_limit"].iloc[0] == 5000.0 and pd.isna(
        customers["credit_limit"].iloc[1]
    )
    assert customers["payment_terms_days"].iloc[0] == 30
    assert customers["onboarding_date"].isna().all()


def test_rejects_name_source_row_column_value_and_rule(tmp_path: Path) -> None:
    import_canonical(SAMPLES, tmp_path)
    customers = pd.read_csv(tmp_path / "rejects" / "customers.csv", dtype=str)
    assert customers[["source_row", "customer_id", "reason"]].values.tolist() == [
        ["2", "C2", "source row 2: column credit_limit, value '-10': must be >= 0"]
    ]
    invoices = pd.read_csv(tmp_path / "rejects" / "invoices.csv", dtype=str)
    assert invoices[["source_row", "reason"]].values.tolist() == [
        ["3", "source row 3: column customer_id, value 'C2': parent rejected (customers row 2)"],
        [
            "4",
            "source row 4: column due_date, value '2024-01-15': due_date before issue_date "
            "(2024-02-01)",
        ],
        ["5", "source row 5: column amount, value 'abc': not a number"],
        ["6", "source row 6: column customer_id, value 'C9': not found in customers"],
    ]


def test_parquet_tables_import_and_extra_columns_are_kept(tmp_path: Path) -> None:
    source = tmp_path / "src"
    source.mkdir()
    customers = pd.DataFrame({"customer_id": ["A"], "region": ["north"]})
    invoices = pd.DataFrame(
        {
            "invoice_id": ["1", "2"],
            "customer_id": ["A", "A"],
            "issue_date": pd.to_datetime(["2024-01-01", "2024-01-02"]),
            "due_date": pd.to_datetime(["2024-01-31", "2024-02-01"]),
            "amount": [10.0, 0.0],
        }
    )
    customers.to_parquet(source / "customers.parquet")
    invoices.to_parquet(source / "invoices.parquet")
    result = import_canonical(source, tmp_path / "out")
    assert result.rows_written == {"customers": 1, "invoices": 1}
    assert result.extra_columns == {"customers": ["region"]}
    written = pd.read_parquet(tmp_path / "out" / "customers.parquet")
    assert written.columns.tolist()[-1] == "region" and written["region"].tolist() == ["north"]
    reasons = pd.read_csv(tmp_path / "out" / "rejects" / "invoices.csv")["reason"].tolist()
    assert reasons == ["source row 2: column amount, value '0.0': must be > 0"]


def test_a_second_import_leaves_no_stale_files(tmp_path: Path) -> None:
    out = tmp_path / "out"
    import_canonical(SAMPLES, out)
    (out / "payments.parquet").write_bytes(b"left by someone")
    clean = tmp_path / "clean"
    clean.mkdir()
    (clean / "customers.csv").write_text("customer_id\nC1\n")
    (clean / "invoices.csv").write_text(
        "invoice_id,customer_id,issue_date,due_date,amount\nI1,C1,2024-01-01,2024-01-31,5\n"
    )
    result = import_canonical(clean, out)
    assert sorted(p.name for p in result.removed) == [
        "customers.csv",
        "invoices.csv",
        "payments.parquet",
    ]
    assert sorted(p.name for p in out.rglob("*") if p.is_file()) == [
        "customers.parquet",
        "invoices.parquet",
    ]


def test_missing_required_table_and_column_are_errors(tmp_path: Path) -> None:
    source = tmp_path / "src"
    shutil.copytree(SAMPLES, source)
    (source / "invoices.csv").write_text(
        "invoice_id,customer_id,issue_date,amount\nI1,C1,2024-01-01,5\n"
    )
    with pytest.raises(SchemaError) as info:
        import_canonical(source, tmp_path / "out")
    assert str(info.value) == (
        f"canonical {source}: cannot import: invoices, column due_date: required column missing"
    )
    (source / "invoices.csv").unlink()
    with pytest.raises(SchemaError) as info:
        import_canonical(source, tmp_path / "out")
    assert str(info.value) == (
        f"{source}: required table 'invoices' missing; expected invoices.parquet or invoices.csv"
    )


def test_out_must_differ_from_the_source(tmp_path: Path) -> None:
    shutil.copytree(SAMPLES, tmp_path / "src")
    with pytest.raises(SourceError) as info:
        import_canonical(tmp_path / "src", tmp_path / "src")
    assert str(info.value) == f"{tmp_path / 'src'}: --out must differ from the source directory"


def test_cli_error_is_one_line_exit_1(tmp_path: Path) -> None:
    shutil.copytree(SAMPLES, tmp_path / "src")
    run = CliRunner().invoke(
        app, ["data", "import", "canonical", str(tmp_path / "src"), "--out", str(tmp_path / "src")]
    )
    assert run.exit_code == 1
    assert run.output == f"error: {tmp_path / 'src'}: --out must differ from the source directory\n"


def test_a_missing_required_column_writes_every_row_to_rejects(tmp_path: Path) -> None:
    source, out = tmp_path / "src", tmp_path / "out"
    shutil.copytree(SAMPLES, source)
    (source / "invoices.csv").write_text(
        "invoice_id,customer_id,issue_date,amount\nI1,C1,2024-01-01,5\nI2,C3,2024-01-02,7\n"
    )
    import_canonical(SAMPLES, out)  # an earlier, good import: its tables must not stay

    with pytest.raises(ImportRefused) as info:
        import_canonical(source, out)

    assert [p.name for p in info.value.reject_files] == ["customers.csv", "invoices.csv"]
    invoices = pd.read_csv(out / "rejects" / "invoices.csv", dtype=str)
    assert invoices[["source_row", "invoice_id", "reason"]].values.tolist() == [
        ["1", "I1", "source row 1: column due_date: required column missing"],
        ["2", "I2", "source row 2: column due_date: required column missing"],
    ]
    assert sorted(str(p.relative_to(out)) for p in out.rglob("*") if p.is_file()) == [
        "rejects/customers.csv",
        "rejects/invoices.csv",
    ]


def test_an_import_that_keeps_no_row_of_a_required_table_is_refused(tmp_path: Path) -> None:
    source, out = tmp_path / "src", tmp_path / "out"
    shutil.copytree(SAMPLES, source)
    (source / "customers.csv").write_text("customer_id,name\n")

    run = CliRunner().invoke(app, ["data", "import", "canonical", str(source), "--out", str(out)])

    assert run.exit_code == 1
    assert run.output.splitlines() == [
        f"error: canonical {source}: cannot import: customers: no row kept (0 read, 0 rejected); "
        "invoices: no row kept (6 read, 6 rejected)",
        f"nothing imported; rejected rows, each with its reason: see {out / 'rejects'}/",
    ]
    reasons = pd.read_csv(out / "rejects" / "invoices.csv", dtype=str)["reason"].tolist()
    assert reasons[0] == "source row 1: column customer_id, value 'C1': not found in customers"
    assert len(reasons) == 6
    assert not (out / "invoices.parquet").exists()


def test_every_row_of_invoices_rejected_exits_1(tmp_path: Path) -> None:
    source = tmp_path / "src"
    shutil.copytree(SAMPLES, source)
    (source / "invoices.csv").write_text(
        "invoice_id,customer_id,issue_date,due_date,amount\nI1,C1,2024-01-01,2024-01-31,x\n"
    )

    with pytest.raises(ImportRefused) as info:
        import_canonical(source, tmp_path / "out")

    assert str(info.value) == (
        f"canonical {source}: cannot import: invoices: no row kept (1 read, 1 rejected)"
    )


UNREADABLE = [
    (b"", "line 1: empty file, no header line"),
    (
        b"invoice_id,customer_id,issue_date,due_date,amount\nI1,C1,2024-01-01,2024-01-31,5\n"
        b"I2,C1,2024-01-02,2024-02-01,7,EUR\n",
        "line 3: expected 5 fields as in the header, saw 6",
    ),
    (
        b"invoice_id,customer_id,issue_date,due_date,amount\nI1,C1,2024-01-01,2024-01-31,5\n"
        b'I2,C1,2024-01-02,2024-02-01,"7\nI3,C1,2024-01-02,2024-02-01,8\n',
        "line 3: a quoted field is never closed",
    ),
    (
        b"invoice_id,customer_id,issue_date,due_date,amount\nI1,C1,2024-01-01,2024-01-31,5\n"
        b"I2,C1,2024-01-02,2024-02-01,7\nI3,Caf\xe9,2024-01-02,2024-02-01,8\n",
        "line 4: byte 0xe9 is not UTF-8 (save the file as UTF-8)",
    ),
]


@pytest.mark.parametrize(("content", "problem"), UNREADABLE)
def test_an_unreadable_file_names_file_line_and_problem(
    tmp_path: Path, content: bytes, problem: str
) -> None:
    source, out = tmp_path / "src", tmp_path / "out"
    shutil.copytree(SAMPLES, source)
    (source / "invoices.csv").write_bytes(content)

    with pytest.raises(ImportRefused) as info:
        import_canonical(source, out)

    assert str(info.value) == (
        f"canonical {source}: cannot import: invoices: unreadable file "
        f"{source / 'invoices.csv'}: {problem}"
    )
    # The other tables are still read and checked: customers' reject is written.
    customers = pd.read_csv(out / "rejects" / "customers.csv", dtype=str)
    assert customers["reason"].tolist() == [
        "source row 2: column credit_limit, value '-10': must be >= 0"
    ]
    report = validate_directory(source)
    assert [str(p) for p in report.problems] == [
        "customers row 2, column credit_limit, value '-10': must be >= 0",
        f"invoices: unreadable file {source / 'invoices.csv'}: {problem}",
    ]
    assert report.tables is None and not report.ok


def test_an_unreadable_optional_table_refuses_the_import(tmp_path: Path) -> None:
    source = tmp_path / "src"
    shutil.copytree(SAMPLES, source)
    (source / "payments.parquet").write_bytes(b"not parquet")

    with pytest.raises(ImportRefused) as info:
        import_canonical(source, tmp_path / "out")

    assert str(info.value).startswith(
        f"canonical {source}: cannot import: payments: unreadable file "
        f"{source / 'payments.parquet'}: not a readable Parquet file ("
    )
