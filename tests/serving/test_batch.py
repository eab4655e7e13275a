"""The scoring job end to end: one row per customer, previous tiers, skip, force, rejects, CLI."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from typer.testing import CliRunner

from arsight.cli import app
from features.store import read_online_store
from features.tables import Tables, write_tables
from serving.batch.job import run_batch
from serving.batch.outputs import read_metadata
from serving.batch.rows import SCORE_FILE_COLUMNS
from serving.batch.types import BatchError, ExitCode
from serving.settings import get_serving_settings
from tests.serving.batch_fixtures import (  # noqa: F401 (fixtures)
    TwoRuns,
    two_runs_fixture,
    world_dir_fixture,
)


def test_one_row_per_customer_with_the_contract_columns(two_runs: TwoRuns, world: Tables) -> None:
    scores = pd.read_parquet(two_runs.second.paths.scores)
    assert list(scores.columns) == SCORE_FILE_COLUMNS
    assert scores["customer_id"].tolist() == sorted(world.customers["customer_id"])
    assert scores["scored"].all()
    assert (scores["as_of"] == two_runs.second_as_of).all()
    assert set(scores["model_name"]) == {"arsight"}
    assert set(scores["model_version"]) == {"1"}
    assert set(scores["policy_version"]) == {"2026.12-1"}
    # the invoice model's expectation: open amount x P(not paid on time), invoices due soon
    invoices = pd.read_parquet(two_runs.second.paths.invoices)
    as_of = two_runs.second_as_of
    soon = invoices.loc[
        (invoices["due_date"] > as_of) & (invoices["due_date"] <= as_of + pd.Timedelta(days=30))
    ]
    late = (soon["open_amount"] * (1 - soon["p_paid_on_time"])).groupby(soon["customer_id"])
    expected = scores["customer_id"].map(late.sum()).fillna(0.0)
    np.testing.assert_allclose(scores["expected_overdue_amount"], expected, rtol=1e-12)
    assert (scores["dso_30d_p10"] <= scores["dso_30d_p90"]).all()


def test_previous_tier_is_the_tier_of_the_previous_run(two_runs: TwoRuns) -> None:
    first = pd.read_parquet(two_runs.first.paths.scores).set_index("customer_id")
    second = pd.read_parquet(two_runs.second.paths.scores).set_index("customer_id")
    assert first["previous_risk_tier"].isna().all()
    pd.testing.assert_series_equal(
        second["previous_risk_tier"], first["risk_tier"], check_names=False
    )
    meta = read_metadata(two_runs.second.paths.scores)
    assert meta is not None
    assert meta["previous_as_of"] == two_runs.first_as_of.date().isoformat()
    assert meta["kind"] == "scores"


def test_online_store_is_refreshed_as_of_the_run(two_runs: TwoRuns) -> None:
    store = read_online_store(two_runs.settings.online_store_location)
    assert store.features_as_of == two_runs.second_as_of
    assert len(store.frame) == two_runs.second.rows


def test_rerun_skips_and_force_rewrites_identical_bytes(two_runs: TwoRuns) -> None:
    paths = two_runs.second.paths
    files = [paths.scores, *paths.companions()]
    before = {p: p.read_bytes() for p in files}
    mtime = paths.scores.stat().st_mtime_ns
    request = two_runs.request(two_runs.second_as_of, paths.scores)
    skipped = run_batch(request, two_runs.settings)
    assert skipped.status == "skipped"
    assert skipped.rows == two_runs.second.rows
    assert skipped.alerts == two_runs.second.alerts
    assert skipped.tier_counts == two_runs.second.tier_counts
    assert paths.scores.stat().st_mtime_ns == mtime
    forced = two_runs.request(two_runs.second_as_of, paths.scores, force=True)
    assert run_batch(forced, two_runs.settings).status == "written"
    assert paths.scores.stat().st_mtime_ns != mtime
    assert {p: p.read_bytes() for p in files} == before


@pytest.fixture(scope="module")
def odd_world(tmp_path_factory: pytest.TempPathFactory, world: Tables) -> Path:
    """The world plus a customer onboarded after the run and one with a bad credit limit."""
    extra = world.customers.iloc[:2].copy()
    extra["customer_id"] = ["CZ-LATE", "CZ-BAD"]
    extra["onboarding_date"] = pd.Timestamp("2030-01-01")
    extra.loc[extra.index[1], "credit_limit"] = -5.0
    customers = pd.concat([world.customers, extra], ignore_index=True)
    directory = tmp_path_factory.mktemp("odd-world")
    write_tables(Tables(customers, world.invoices, world.payments, world.signals), directory)
    return directory


def test_customers_that_cannot_be_scored_get_a_reason(
    two_runs: TwoRuns, odd_world: Path, tmp_path: Path
) -> None:
    request = two_runs.request(
        two_runs.second_as_of, tmp_path / "scores.parquet", track=False, refresh_store=False
    )
    request = type(request)(**{**request.__dict__, "directory": odd_world})
    result = run_batch(request, two_runs.private_settings(tmp_path))
    scores = pd.read_parquet(result.paths.scores).set_index("customer_id")
    assert result.rows == two_runs.second.rows + 2
    assert result.not_scored == 2
    day = two_runs.second_as_of.date().isoformat()
    assert scores.loc["CZ-LATE", "not_scored_reason"] == (
        f"not a customer as of {day}: onboarded later, or no invoice issued by then"
    )
    assert scores.loc["CZ-BAD", "not_scored_reason"] == (
        "customer record rejected by validation: column credit_limit, value '-5.0': must be >= 0"
    )
    assert scores.loc[["CZ-LATE", "CZ-BAD"], "overdue_probability"].isna().all()
    assert not scores.loc[["CZ-LATE", "CZ-BAD"], "scored"].any()
    rejects = pd.read_csv(result.paths.rejects)
    assert rejects.to_dict("records") == [
        {
            "table": "customers",
            "row": 302,
            "key": "CZ-BAD",
            "reason": "column credit_limit, value '-5.0': must be >= 0",
        }
    ]


def test_too_many_rejects_exit_1_with_rejects_written(
    two_runs: TwoRuns, odd_world: Path, tmp_path: Path
) -> None:
    request = two_runs.request(two_runs.second_as_of, tmp_path / "scores.parquet")
    request = type(request)(**{**request.__dict__, "directory": odd_world, "max_reject_share": 0})
    with pytest.raises(BatchError) as caught:
        run_batch(request, two_runs.private_settings(tmp_path))
    assert caught.value.exit_code == ExitCode.TOO_MANY_REJECTS
    rows = len(pd.read_parquet(odd_world / "invoices.parquet")) + 302
    rows += len(pd.read_parquet(odd_world / "payments.parquet"))
    rows += len(pd.read_parquet(odd_world / "signals.parquet"))
    assert str(caught.value) == (
        f"1 input rows rejected ({1 / rows:.1%}), above --max-reject-share 0.0%; "
        f"reasons in {tmp_path / 'rejects.csv'}"
    )
    assert (tmp_path / "rejects.csv").is_file()
    assert not (tmp_path / "scores.parquet").exists()


@pytest.fixture
def cli_env(two_runs: TwoRuns, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ARSIGHT_HOME", str(two_runs.home))
    monkeypatch.setenv("MLFLOW_TRACKING_URI", two_runs.settings.mlflow_uri)
    monkeypatch.setenv("ARSIGHT_ONLINE_STORE", two_runs.settings.online_store_location)
    get_serving_settings.cache_clear()
    yield
    get_serving_settings.cache_clear()


def test_cli_help_documents_the_exit_codes() -> None:
    result = CliRunner().invoke(app, ["score", "--help"], env={"COLUMNS": "200"})
    assert result.exit_code == 0
    for line in (
        "0: written, or skipped because FILE exists;",
        "1: more input rows rejected than --max-reject-share (see rejects.csv);",
        "2: bad input: data contract, options or policy;",
        "3: model registry, MLflow or audit database unavailable.",
    ):
        assert line in result.output


@pytest.mark.usefixtures("cli_env")
def test_cli_score_skips_existing_output(two_runs: TwoRuns) -> None:
    out = two_runs.second.paths.scores
    day = two_runs.second_as_of.date().isoformat()
    args = ["score", str(two_runs.data), "--as-of", day, "--out", str(out)]
    result = CliRunner().invoke(app, args, env={"COLUMNS": "300"})
    assert result.exit_code == 0, result.output
    tiers = ", ".join(f"{k} {v}" for k, v in two_runs.second.tier_counts.items())
    assert result.stdout.strip() == (
        f"{out}: skipped; 300 customers, 0 not scored, {two_runs.second.alerts} alerts; {tiers}"
    )


@pytest.mark.usefixtures("cli_env")
def test_cli_score_refuses_a_non_parquet_out(two_runs: TwoRuns, tmp_path: Path) -> None:
    args = ["score", str(two_runs.data), "--as-of", "2024-01-31", "--out", str(tmp_path / "s.csv")]
    result = CliRunner().invoke(app, args, env={"COLUMNS": "300"})
    assert result.exit_code == 2
    assert result.stderr.strip() == f"error: --out {tmp_path / 's.csv'}: expected a .parquet file"


@pytest.mark.usefixtures("cli_env")
def test_cli_score_without_a_registered_model_exits_3(
    two_runs: TwoRuns, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("MLFLOW_TRACKING_URI", f"sqlite:///{tmp_path / 'empty.db'}")
    get_serving_settings.cache_clear()
    args = [
        "score",
        str(two_runs.data),
        "--as-of",
        "2024-01-31",
        "--out",
        str(tmp_path / "s.parquet"),
    ]
    result = CliRunner().invoke(app, args, env={"COLUMNS": "300"})
    assert result.exit_code == 3
    assert result.stderr.strip().splitlines()[-1] == (
        f"error: model registry at sqlite:///{tmp_path / 'empty.db'}: the registry database "
        "does not exist (serving and scoring never create one: train a model, or point "
        "MLFLOW_TRACKING_URI at the registry)"
    )
    assert not (tmp_path / "s.parquet").exists()
    assert not (tmp_path / "empty.db").exists()  # scoring never creates a registry


def test_chunk_size_does_not_change_any_number(two_runs: TwoRuns, tmp_path: Path) -> None:
    out = tmp_path / "runs" / "x" / "scores.parquet"
    request = two_runs.request(
        two_runs.first_as_of, out, chunk_size=40, track=False, refresh_store=False
    )
    run_batch(request, two_runs.private_settings(tmp_path))
    pd.testing.assert_frame_equal(
        pd.read_parquet(out), pd.read_parquet(two_runs.first.paths.scores)
    )
    pd.testing.assert_frame_equal(
        pd.read_parquet(out.with_name("contributions.parquet")),
        pd.read_parquet(two_runs.first.paths.contributions),
    )


def test_previous_must_be_a_scores_file(two_runs: TwoRuns, tmp_path: Path) -> None:
    worklist = two_runs.second.paths.worklist
    request = two_runs.request(
        two_runs.second_as_of, tmp_path / "scores.parquet", previous=worklist, track=False
    )
    with pytest.raises(BatchError) as caught:
        run_batch(request, two_runs.private_settings(tmp_path))
    assert caught.value.exit_code == ExitCode.BAD_INPUT
    assert str(caught.value) == f"--previous {worklist}: not a scores file"


@pytest.mark.usefixtures("cli_env")
def test_cli_score_far_beyond_the_data_is_refused_unless_allowed(
    two_runs: TwoRuns, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # its own audit database: the allowed run must not add a third night to the fixture's
    monkeypatch.setenv("ARSIGHT_AUDIT_DB_URL", f"sqlite:///{tmp_path / 'audit.db'}")
    get_serving_settings.cache_clear()
    end = two_runs.second_as_of
    late = (end + pd.Timedelta(days=31)).date().isoformat()
    out = tmp_path / late / "scores.parquet"
    args = ["score", str(two_runs.data), "--as-of", late, "--out", str(out), "--no-track"]
    refused = CliRunner().invoke(app, args, env={"COLUMNS": "300"})
    assert refused.exit_code == 2
    assert refused.stderr.strip().splitlines()[-1] == (
        f"error: --as-of {late} is 31 days after the data's last fact ({end.date()}), more than "
        "the 30-day horizon: the scores would describe a ledger that stopped being updated; "
        "refresh the data or pass --allow-as-of-beyond-data"
    )
    assert not out.exists()
    allowed = CliRunner().invoke(
        app, [*args, "--allow-as-of-beyond-data", "--no-online-store"], env={"COLUMNS": "300"}
    )
    assert allowed.exit_code == 0, allowed.output
    assert out.is_file()
