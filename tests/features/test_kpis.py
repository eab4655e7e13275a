"""The monthly collections KPIs on a hand-built ledger: exact values, portfolio and industry."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from typer.testing import CliRunner

from arsight.cli import app
from features.kpis import KPI_COLUMNS, kpis_by_month
from features.tables import write_tables
from tests.features.builders import credit, invoice, make_tables

END = pd.Timestamp("2026-03-31")


@pytest.fixture(scope="module")
def kpis() -> pd.DataFrame:
    tables = make_tables(
        customers=[
            {"customer_id": "A", "industry": "retail"},
            {"customer_id": "B", "industry": "construction"},
        ],
        invoices=[
            invoice("I1", "A", "2026-02-10", "2026-03-10", 1000.0, "2026-03-08"),
            invoice("I2", "A", "2026-03-05", "2026-04-04", 500.0),
            invoice("I3", "B", "2026-01-20", "2026-03-15", 2000.0, "2026-04-10"),
            invoice("I4", "B", "2025-11-01", "2025-12-01", 400.0),
        ],
        payments=[
            {
                "payment_id": "P1",
                "invoice_id": "I1",
                "payment_date": "2026-03-08",
                "amount": 1000.0,
            },
            {
                "payment_id": "P3",
                "invoice_id": "I3",
                "payment_date": "2026-04-10",
                "amount": 2000.0,
            },
        ],
    )
    return kpis_by_month(tables, [END]).set_index("industry")


def test_portfolio_kpis_of_the_month(kpis: pd.DataFrame) -> None:
    assert tuple(kpis.reset_index()[list(KPI_COLUMNS)].columns) == KPI_COLUMNS
    assert list(kpis.columns) == [c for c in KPI_COLUMNS if c != "industry"]
    row = kpis.loc["all"]
    assert row["month_end"] == END
    assert row["dso_days"] == pytest.approx(2900 / 3500 * 90)
    assert row["best_possible_dso_days"] == pytest.approx(500 / 3500 * 90)
    assert row["average_days_delinquent"] == pytest.approx(2400 / 3500 * 90)
    assert row["cei"] == pytest.approx(1000 / 3400)
    assert row["on_time_collection_rate"] == pytest.approx(1000 / 3000)
    assert row["collection_rate"] == pytest.approx(1000 / 3900)
    assert row["overdue_share"] == pytest.approx(2400 / 2900)
    assert row["over_90_share"] == pytest.approx(400 / 2900)
    assert np.isnan(row["bad_debt_rate"])  # no credit_notes table: unknown, not 0
    assert np.isnan(row["written_off_amount"])
    assert (row["open_amount"], row["invoiced_amount"], row["collected_amount"]) == (
        2900.0,
        500.0,
        1000.0,
    )


def test_industry_kpis_split_the_portfolio(kpis: pd.DataFrame) -> None:
    retail, construction = kpis.loc["retail"], kpis.loc["construction"]
    assert (retail["dso_days"], retail["average_days_delinquent"], retail["cei"]) == (
        pytest.approx(30.0),
        pytest.approx(0.0),
        pytest.approx(1.0),
    )
    assert (retail["on_time_collection_rate"], retail["overdue_share"]) == (1.0, 0.0)
    assert construction["dso_days"] == pytest.approx(108.0)
    assert (construction["cei"], construction["on_time_collection_rate"]) == (0.0, 0.0)
    assert construction["over_90_share"] == pytest.approx(400 / 2400)
    assert kpis.index.tolist() == ["all", "construction", "retail"]


def test_bad_debt_rate_is_the_months_write_offs_over_its_sales() -> None:
    # March: A invoices 1,000 (J2) and writes off 150 of J1; B invoices 3,000 (J4), writes
    # off 400 of J3 and credits 500 of J4 for returns (a credit note is not bad debt). J5's
    # write-off is dated in April: not March's. February: nothing written off, 2,000 sold.
    tables = make_tables(
        customers=[
            {"customer_id": "A", "industry": "retail"},
            {"customer_id": "B", "industry": "construction"},
        ],
        invoices=[
            invoice("J1", "A", "2025-09-01", "2025-10-01", 150.0),
            invoice("J2", "A", "2026-03-02", "2026-04-01", 1000.0),
            invoice("J3", "B", "2025-09-15", "2025-10-15", 400.0),
            invoice("J4", "B", "2026-03-10", "2026-04-09", 3000.0),
            invoice("J5", "B", "2026-02-01", "2026-03-03", 2000.0),
        ],
        credit_notes=[
            credit("K1", "J1", "2026-03-31", 150.0, kind="write_off"),
            credit("K2", "J3", "2026-03-01", 400.0, kind="write_off"),
            credit("K3", "J4", "2026-03-20", 500.0),
            credit("K4", "J5", "2026-04-01", 2000.0, kind="write_off"),
        ],
    )
    kpis = kpis_by_month(tables, [pd.Timestamp("2026-02-28"), END])
    march = kpis.loc[kpis["month_end"] == END].set_index("industry")
    february = kpis.loc[kpis["month_end"] == pd.Timestamp("2026-02-28")].set_index("industry")

    assert march["bad_debt_rate"].to_dict() == {
        "all": 550 / 4000,
        "construction": 400 / 3000,
        "retail": 150 / 1000,
    }
    assert march["written_off_amount"].to_dict() == {
        "all": 550.0,
        "construction": 400.0,
        "retail": 150.0,
    }
    assert february.loc["all", "bad_debt_rate"] == 0.0
    assert np.isnan(february.loc["retail", "bad_debt_rate"])  # nothing invoiced: no base
    # The stocks are net of credits: at March 31 J1 and J3 are written off, J4 owes 2,500.
    assert march.loc["all", "open_amount"] == 1000.0 + 2500.0 + 2000.0
    assert march.loc["all", "collected_amount"] == 0.0  # neither credits nor write-offs


def test_facts_after_the_month_end_change_nothing() -> None:
    base = [
        invoice("I1", "A", "2026-02-10", "2026-03-10", 1000.0, "2026-04-20"),
    ]
    later = [
        invoice("I1", "A", "2026-02-10", "2026-03-10", 1000.0, "2026-05-30"),
        invoice("I9", "A", "2026-04-02", "2026-05-02", 700.0),
    ]
    customers = [{"customer_id": "A", "industry": "retail"}]
    written_off = [credit("K1", "I1", "2026-03-31", 100.0, kind="write_off")]
    after_end = [*written_off, credit("K2", "I1", "2026-04-01", 900.0, kind="write_off")]
    before = kpis_by_month(make_tables(customers, base, credit_notes=written_off), [END])
    after = kpis_by_month(make_tables(customers, later, credit_notes=after_end), [END])
    pd.testing.assert_frame_equal(before, after)


def test_the_report_command_writes_the_months_asked_for(tmp_path: Path) -> None:
    tables = make_tables(
        customers=[{"customer_id": "A", "industry": "retail"}],
        invoices=[
            invoice("I1", "A", "2026-01-10", "2026-02-10", 1000.0, "2026-02-08"),
            invoice("I2", "A", "2026-03-31", "2026-04-30", 500.0),
        ],
    )
    write_tables(tables, tmp_path / "data")
    out = tmp_path / "kpis.csv"
    args = ["report", "kpis", str(tmp_path / "data"), "--from", "2026-02", "--out", str(out)]
    result = CliRunner().invoke(app, args)
    assert result.exit_code == 0, result.output
    written = pd.read_csv(out, parse_dates=["month_end"])
    assert written[["month_end", "industry"]].astype({"month_end": "str"}).values.tolist() == [
        ["2026-02-28", "all"],
        ["2026-02-28", "retail"],
        ["2026-03-31", "all"],
        ["2026-03-31", "retail"],
    ]
    assert written["on_time_collection_rate"].tolist()[:2] == [1.0, 1.0]
    bad = CliRunner().invoke(app, [*args[:5], "--to", "2026-13", "--out", str(out)])
    assert bad.exit_code == 2
    assert "'2026-13' is not a month YYYY-MM" in bad.output
