"""The synthetic world keeps the data contract, is deterministic and does not depend on chunking."""

from __future__ import annotations

import re
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from typer.testing import CliRunner

from arsight.cli import app
from features.schema import TABLES
from features.sources.synth import SynthConfig, generate_world, synthesize_to_directory
from features.tables import Tables, read_raw_tables
from features.validate import validate_tables

SMALL = SynthConfig(customers=300, months=12, seed=11)
END = pd.Timestamp("2024-01-01")  # start 2023-01-01 + 12 months


@pytest.fixture(scope="module")
def small() -> Tables:
    return generate_world(SMALL)


def assert_tables_equal(left: Tables, right: Tables) -> None:
    assert [n for n, _ in left.items()] == [n for n, _ in right.items()]
    for name, frame in left.items():
        pd.testing.assert_frame_equal(frame, getattr(right, name), check_exact=True, obj=name)


def test_same_seed_gives_the_same_tables(small: Tables) -> None:
    assert_tables_equal(small, generate_world(SMALL))


def test_another_seed_gives_another_world(small: Tables) -> None:
    other = generate_world(SynthConfig(customers=300, months=12, seed=12))
    assert not small.invoices["amount"].head(100).equals(other.invoices["amount"].head(100))
    assert not small.customers["industry"].equals(other.customers["industry"])


def test_chunk_size_never_changes_the_world() -> None:
    # 1,030 customers span two random-stream blocks, so chunks of 7 cut across a block edge.
    base = SynthConfig(customers=1030, months=4, seed=5)
    default = generate_world(base)
    for chunk in (7, 1000):
        chunked = SynthConfig(customers=1030, months=4, seed=5, chunk_customers=chunk)
        assert_tables_equal(default, generate_world(chunked))


def test_every_table_has_exactly_the_canonical_columns_and_dtypes(small: Tables) -> None:
    assert [n for n, _ in small.items()] == [
        "customers",
        "invoices",
        "payments",
        "signals",
        "deals",
        "credit_notes",
    ]
    for name, frame in small.items():
        contract = TABLES[name]
        assert list(frame.columns) == contract.column_names, name
        assert [str(t) for t in frame.dtypes] == [c.dtype for c in contract.columns], name
        assert isinstance(frame.index, pd.RangeIndex) and frame.index.start == 0, name
        for column in contract.columns:
            if column.type == "date":
                values = frame[column.name].dropna()
                assert (values == values.dt.normalize()).all(), (name, column.name)


def test_the_world_passes_contract_validation_without_a_single_problem(small: Tables) -> None:
    report = validate_tables(dict(small.items()))
    assert report.problems == []
    assert report.ok


def test_ids_are_global_running_numbers(small: Tables) -> None:
    assert small.customers["customer_id"].iloc[[0, -1]].tolist() == ["C000000", "C000299"]
    invoice_ids = small.invoices["invoice_id"]
    assert invoice_ids.tolist() == [f"INV{i:09d}" for i in range(len(invoice_ids))]
    payment_ids = small.payments["payment_id"]
    assert payment_ids.tolist() == [f"PAY{i:09d}" for i in range(len(payment_ids))]
    assert all(re.fullmatch(r"D\d{7}", d) for d in small.deals["deal_id"])
    for name, frame in small.items():
        key = TABLES[name].key
        if key is not None:
            assert frame[key].is_unique, name


def test_no_fact_is_dated_on_or_after_the_end_of_history(small: Tables) -> None:
    assert small.invoices["issue_date"].max() < END
    assert small.invoices["cleared_date"].max() < END
    assert small.payments["payment_date"].max() < END
    assert small.signals["observed_date"].max() < END
    assert small.deals["created_date"].max() < END
    assert small.invoices["issue_date"].min() >= pd.Timestamp("2023-01-01")
    # Some invoices were paid after the end in the generator's world: here they are open.
    assert small.invoices["cleared_date"].isna().sum() > 0


def test_payments_complete_cleared_invoices_exactly_and_never_exceed_the_amount(
    small: Tables,
) -> None:
    payments = small.payments
    assert payments is not None and (payments["amount"] > 0).all()
    per_invoice = payments.groupby("invoice_id").agg(
        paid=("amount", "sum"), last=("payment_date", "max"), count=("amount", "size")
    )
    assert small.credit_notes is not None
    returns = small.credit_notes.loc[small.credit_notes["kind"] == "credit_note"]
    credited = returns.groupby("invoice_id")["amount"].sum().rename("credited")
    invoices = small.invoices.set_index("invoice_id").join(per_invoice).join(credited)
    invoices["credited"] = invoices["credited"].fillna(0.0)
    cleared = invoices[invoices["cleared_date"].notna()]
    # A return credit is paid less: payments and credits make up the amount exactly.
    assert (cleared["paid"] + cleared["credited"] == cleared["amount"]).all()
    assert (cleared["last"] == cleared["cleared_date"]).all()
    still_open = invoices[invoices["cleared_date"].isna()]
    owed = still_open["amount"] - still_open["credited"]
    assert (still_open["paid"].fillna(0.0) < owed).all()
    assert set(per_invoice["count"]) == {1, 2, 3}
    partial_open = still_open["paid"].notna().sum()
    assert partial_open > 0  # instalments paid before the end on invoices finished after it


def test_signals_and_deals_use_the_contract_vocabulary(small: Tables) -> None:
    assert sorted(small.signals["name"].unique()) == [
        "bank_credit_line",
        "credit_rating",
        "lawsuits_open",
        "tax_grade",
    ]
    ratings = small.signals.loc[small.signals["name"] == "credit_rating", "value"]
    assert ratings.between(1, 10).all() and (ratings == ratings.round()).all()
    grades = small.signals.loc[small.signals["name"] == "tax_grade", "value"]
    assert set(grades) <= {1.0, 2.0, 3.0, 4.0}
    assert set(small.deals["stage"]) == {"open", "won", "lost"}
    assert set(small.customers["payment_terms_days"]) <= {30, 45, 60, 90}
    joined = small.signals.merge(small.customers, on="customer_id")
    assert (joined["observed_date"] >= joined["onboarding_date"]).all()


def test_written_parquet_is_byte_identical_per_seed_and_reads_back_as_generated(
    tmp_path: Path, small: Tables
) -> None:
    first = synthesize_to_directory(SMALL, tmp_path / "a", progress=False)
    synthesize_to_directory(SMALL, tmp_path / "b", progress=False)
    names = sorted(p.name for p in (tmp_path / "a").iterdir())
    assert names == [f"{n}.parquet" for n in sorted(TABLES)]  # no temporary file left behind
    for name in names:
        assert (tmp_path / "a" / name).read_bytes() == (tmp_path / "b" / name).read_bytes()
    back = Tables(**read_raw_tables(tmp_path / "a"))
    assert_tables_equal(back, small)
    assert first.rows == {name: len(frame) for name, frame in small.items()}


def test_a_world_written_in_many_chunks_reads_back_whole_with_matching_summary(
    tmp_path: Path, small: Tables
) -> None:
    summary = synthesize_to_directory(
        SynthConfig(customers=300, months=12, seed=11, chunk_customers=64), tmp_path, False
    )
    assert_tables_equal(Tables(**read_raw_tables(tmp_path)), small)
    inv = small.invoices
    last = END - pd.Timedelta(days=1)
    due = inv[inv["due_date"] <= last]
    on_time = due["cleared_date"].notna() & (due["cleared_date"] <= due["due_date"])
    assert summary.invoices_due == len(due)
    assert summary.late_share == pytest.approx(1 - on_time.mean(), abs=1e-12)
    assert small.payments is not None and small.credit_notes is not None
    credits = small.credit_notes
    written_off = set(credits.loc[credits["kind"] == "write_off", "invoice_id"])
    uncleared = inv["cleared_date"].isna() & ~inv["invoice_id"].isin(written_off)
    assert summary.open_invoices_at_end == int(uncleared.sum())
    assert summary.written_off_invoices == len(written_off)
    open_amount = inv["amount"].sum() - small.payments["amount"].sum() - credits["amount"].sum()
    sales = inv.loc[inv["issue_date"] > last - pd.Timedelta(days=90), "amount"].sum()
    assert summary.portfolio_dso_days == pytest.approx(open_amount / sales * 90, rel=1e-9)
    onboarded = int((small.customers["onboarding_date"] >= pd.Timestamp("2023-01-01")).sum())
    assert summary.customers_onboarded_during_history == onboarded
    assert summary.history_end.isoformat() == "2024-01-01"


def test_a_blocked_write_leaves_the_directory_as_it_was(tmp_path: Path) -> None:
    blocker = tmp_path / "invoices.parquet"
    blocker.mkdir()
    (blocker / "keep").write_text("a directory where a table file should go")
    message = f"{blocker}: a directory is in the way; expected a file"
    with pytest.raises(IsADirectoryError, match=re.escape(message)):
        synthesize_to_directory(SynthConfig(customers=20, months=2), tmp_path, progress=False)
    assert [p.name for p in tmp_path.iterdir()] == ["invoices.parquet"]  # nothing half-done


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"customers": 0}, "SynthConfig.customers must be >= 1; got 0"),
        ({"months": 0}, "SynthConfig.months must be >= 1; got 0"),
        ({"chunk_customers": 0}, "SynthConfig.chunk_customers must be >= 1; got 0"),
        ({"seed": -1}, "SynthConfig.seed must be >= 0; got -1"),
    ],
)
def test_a_bad_config_is_refused_with_its_reason(kwargs: dict[str, int], message: str) -> None:
    with pytest.raises(ValueError, match=re.escape(message)):
        SynthConfig(**kwargs)


def test_end_of_history_follows_the_calendar() -> None:
    config = SynthConfig(months=14, start=pd.Timestamp("2024-03-15").date())
    assert config.end_day == np.datetime64("2025-05-15")
    assert config.history_days == 426


def test_the_cli_writes_a_world_and_prints_its_summary(tmp_path: Path) -> None:
    out = tmp_path / "world"
    args = ["data", "synth", "--customers", "25", "--months", "3", "--seed", "2", "--out", str(out)]
    result = CliRunner().invoke(app, args)
    assert result.exit_code == 0, result.output
    assert sorted(p.name for p in out.iterdir()) == [f"{n}.parquet" for n in sorted(TABLES)]
    assert "Synthetic world" in result.output
    customers = pd.read_parquet(out / "customers.parquet")
    assert len(customers) == 25
