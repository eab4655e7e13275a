"""The IBM late-payment ledger importer: mapping, day-count cross-checks, the real file."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest
from typer.testing import CliRunner

from arsight.cli import app
from features.errors import SourceError
from features.sources.ibm_ar import import_ibm_ar

SAMPLE = Path(__file__).parent / "samples" / "ibm_ar_sample.csv"


def test_sample_maps_to_canonical_values(tmp_path: Path) -> None:
    result = import_ibm_ar(SAMPLE, tmp_path)
    assert result.rows_in == {"customers": 3, "invoices": 7}
    assert result.rows_written == {"customers": 2, "invoices": 2}
    assert result.rows_rejected == {"customers": 1, "invoices": 5}
    invoices = pd.read_parquet(tmp_path / "invoices.parquet")
    assert invoices.columns.tolist() == [
        "invoice_id",
        "customer_id",
        "issue_date",
        "due_date",
        "amount",
        "currency",
        "cleared_date",
        "disputed",
        "paperless",
    ]
    first, second = invoices.to_dict("records")
    assert first["invoice_id"] == "0000611365"
    assert (first["issue_date"], first["due_date"], first["cleared_date"]) == (
        pd.Timestamp("2013-01-02"),
        pd.Timestamp("2013-02-01"),
        pd.Timestamp("2013-01-15"),
    )
    assert (first["amount"], first["disputed"], first["paperless"]) == (55.94, False, False)
    assert pd.isna(first["currency"])
    assert (second["customer_id"], second["disputed"], second["paperless"]) == (
        "8976-AMJEO",
        True,
        True,
    )
    customers = pd.read_parquet(tmp_path / "customers.parquet")
    assert customers[["customer_id", "country"]].values.tolist() == [
        ["0379-NEVHP", "391"],
        ["8976-AMJEO", "406"],
    ]
    assert customers["name"].isna().all() and customers["credit_limit"].isna().all()


def test_sample_rejects_say_which_row_and_rule(tmp_path: Path) -> None:
    import_ibm_ar(SAMPLE, tmp_path)
    invoices = pd.read_csv(tmp_path / "rejects" / "invoices.csv", dtype=str)
    assert invoices.columns[0] == "source_row" and invoices.columns[-1] == "reason"
    assert invoices[["source_row", "invoiceNumber", "reason"]].values.tolist() == [
        [
            "3",
            "0009888306",
            "source row 3: DaysLate 7 disagrees with max(0, SettledDate - DueDate) = 5 days",
        ],
        [
            "4",
            "0015752855",
            "source row 4: DaysToSettle 30 disagrees with SettledDate - InvoiceDate = 34 days",
        ],
        [
            "5",
            "0017030340",
            "source row 5: column 'InvoiceDate' value '2/30/2013' does not match date format "
            "'%m/%d/%Y' (for issue_date)",
        ],
        [
            "6",
            "0021221570",
            "source row 6: column customer_id, value '6627-ELFBK': not found in customers",
        ],
        [
            "7",
            "0021836880",
            "source row 7: column customer_id, value '6627-ELFBK': not found in customers",
        ],
    ]
    customers = pd.read_csv(tmp_path / "rejects" / "customers.csv", dtype=str)
    assert customers["reason"].tolist() == [
        "customer '6627-ELFBK': conflicting country values '770' (source row 7), "
        "'818' (source row 6)"
    ]


def test_a_file_that_is_not_the_ibm_ledger_is_refused(tmp_path: Path) -> None:
    other = tmp_path / "other.csv"
    other.write_text("customerID,invoiceNumber\nA,1\n")
    with pytest.raises(SourceError) as info:
        import_ibm_ar(other, tmp_path / "out")
    assert str(info.value) == (
        f"{other}: not the IBM accounts-receivable ledger; missing columns ['countryCode', "
        "'PaperlessDate', 'InvoiceDate', 'DueDate', 'InvoiceAmount', 'Disputed', 'SettledDate', "
        "'PaperlessBill', 'DaysToSettle', 'DaysLate']; got ['customerID', 'invoiceNumber']"
    )


def test_cli_prints_counts_and_where_the_rejects_are(tmp_path: Path) -> None:
    run = CliRunner().invoke(app, ["data", "import", "ibm-ar", str(SAMPLE), "--out", str(tmp_path)])
    assert run.exit_code == 0, run.output
    lines = [line.rstrip() for line in run.output.splitlines()]
    assert "│ customers │       3 │       2 │        1 │" in lines
    assert "│ invoices  │       7 │       2 │        5 │" in lines
    assert f"6 row(s) rejected, each with its reason: see {tmp_path}/rejects/" in run.output


def test_cli_max_reject_share_fails_after_writing(tmp_path: Path) -> None:
    run = CliRunner().invoke(
        app,
        [
            "data",
            "import",
            "ibm-ar",
            str(SAMPLE),
            "--out",
            str(tmp_path),
            "--max-reject-share",
            "0.5",
        ],
    )
    assert run.exit_code == 1
    assert "error: 71.4% of invoice rows rejected, above --max-reject-share 50.0%" in run.output
    assert (tmp_path / "invoices.parquet").exists()


@pytest.mark.realdata
def test_real_ibm_ledger_imports_every_row(ibm_ar_csv: Path, tmp_path: Path) -> None:
    """1,831 rows, 1,831 invoices, 100 customers; every row passes both day-count checks."""
    result = import_ibm_ar(ibm_ar_csv, tmp_path)
    assert result.rows_in == {"customers": 100, "invoices": 1831}
    assert result.rows_written == {"customers": 100, "invoices": 1831}
    assert result.rows_rejected == {}
    invoices = pd.read_parquet(tmp_path / "invoices.parquet")
    assert invoices["customer_id"].nunique() == 100
    assert invoices["cleared_date"].notna().all()
    assert (invoices["due_date"] - invoices["issue_date"]).dt.days.unique().tolist() == [30]
    assert int(invoices["disputed"].sum()) == 418 and int(invoices["paperless"].sum()) == 650
    assert round(float(invoices["amount"].sum()), 2) == round(
        float(pd.read_csv(ibm_ar_csv)["InvoiceAmount"].sum()), 2
    )
    customers = pd.read_parquet(tmp_path / "customers.parquet")
    assert customers["country"].value_counts().sort_index().to_dict() == {
        "391": 25,
        "406": 23,
        "770": 20,
        "818": 16,
        "897": 16,
    }
