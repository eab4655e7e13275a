"""The Spark engine against the pandas engine: same rows, same numbers, Spark in local mode.

A 10,000-customer synthetic world (plus a customer rejected by validation and one onboarded
after the scoring date) is scored once by each engine with the tiny champion of the serving
tests; every column of every row must agree, floats to 1e-9 (DuckDB sums in a different order
when it sees a partition instead of the whole ledger, so the last bits of a share may differ).
"""

from __future__ import annotations

import json
import math
import shutil
from collections.abc import Iterator
from dataclasses import dataclass, replace
from pathlib import Path

import pandas as pd
import pytest
from mlflow.tracking import MlflowClient
from typer.testing import CliRunner

from arsight.cli import app
from features.tables import Tables, data_end_of, read_raw_tables, write_tables
from models.bundle import ModelBundle
from serving.batch.job import run_batch
from serving.batch.rows import FLOAT_COLUMNS
from serving.batch.types import BatchError, BatchRequest, BatchResult, ExitCode
from serving.settings import ServingSettings, get_serving_settings
from tests.serving.conftest import Registry, make_settings

pyspark = pytest.importorskip("pyspark")

from pyspark.sql import SparkSession  # noqa: E402

from serving.batch.spark.inputs import build_ledger, read_tables  # noqa: E402
from serving.batch.spark.job import run_spark_batch  # noqa: E402
from serving.batch.spark.session import SparkSettings, build_session  # noqa: E402
from tests.conftest import synthetic_world  # noqa: E402

pytestmark = pytest.mark.slow  # Spark start-up and a 10,000-customer world: about 90 s

TOLERANCE = 1e-9
SPARK = SparkSettings(master="local[2]", partitions=4, shuffle_partitions=2)


@pytest.fixture(scope="module")
def spark() -> Iterator[SparkSession]:
    session = build_session(SPARK)
    yield session
    session.stop()


def _with_odd_customers(world: Tables, as_of: pd.Timestamp) -> Tables:
    """`world` plus CZ-BAD (negative credit limit: rejected) and CZ-LATE (onboarded later)."""
    extra = world.customers.iloc[:2].assign(
        customer_id=["CZ-BAD", "CZ-LATE"],
        credit_limit=[-5.0, 1000.0],
        onboarding_date=[world.customers["onboarding_date"].iloc[0], as_of + pd.Timedelta(days=5)],
    )
    customers = pd.concat([world.customers, extra], ignore_index=True)
    return replace(world, customers=customers)


@dataclass(frozen=True)
class BothEngines:
    """One world scored by both engines."""

    data: Path
    settings: ServingSettings
    pandas: BatchResult
    spark: BatchResult
    request: BatchRequest


@pytest.fixture(scope="module")
def customer_registry(
    tmp_path_factory: pytest.TempPathFactory, tiny_bundle: ModelBundle
) -> Registry:
    """A registry whose champion scores customers only: the engine refuses invoice models."""
    root = tmp_path_factory.mktemp("customer-registry")
    return Registry.create(root, replace(tiny_bundle, invoice_model=None))


@pytest.fixture(scope="module")
def both(
    tmp_path_factory: pytest.TempPathFactory, customer_registry: Registry, spark: SparkSession
) -> BothEngines:
    world = synthetic_world(10_000, 15, 3)
    as_of = data_end_of(world).normalize()
    data = tmp_path_factory.mktemp("world10k")
    write_tables(_with_odd_customers(world, as_of), data)
    home = tmp_path_factory.mktemp("spark-home")
    settings = make_settings(home, home / "store" / "online.parquet", customer_registry)
    base = BatchRequest(data, as_of.date(), home / "pandas" / "scores.parquet")
    pandas_result = run_batch(replace(base, track=False, refresh_store=False), settings)
    request = replace(base, out=home / "spark" / "scores.parquet", refresh_store=False)
    spark_result = run_spark_batch(request, settings, spark, SPARK)
    return BothEngines(data, settings, pandas_result, spark_result, request)


def _scores(path: Path) -> pd.DataFrame:
    return pd.read_parquet(path).sort_values("customer_id").reset_index(drop=True)


def _same_reasons(left: str | float | None, right: str | float | None) -> bool:
    """Two JSON reason lists agree: same features and texts, numbers to TOLERANCE."""
    if not isinstance(left, str) or not isinstance(right, str):
        return bool(pd.isna(left) and pd.isna(right))  # not scored: no reasons
    for a, b in zip(json.loads(left), json.loads(right), strict=True):
        if (a["feature"], a["text"]) != (b["feature"], b["text"]):
            return False
        for key in ("value", "contribution"):
            x, y = a[key], b[key]
            if isinstance(x, float) and isinstance(y, float):
                if not math.isclose(x, y, rel_tol=TOLERANCE, abs_tol=TOLERANCE):
                    return False
            elif x != y:
                return False
    return True


def test_spark_scores_equal_the_pandas_engine_scores(both: BothEngines) -> None:
    left, right = _scores(both.pandas.paths.scores), _scores(both.spark.paths.scores)
    assert list(right.columns) == list(left.columns)
    assert len(left) == 10_002
    assert right["customer_id"].tolist() == left["customer_id"].tolist()
    for column in FLOAT_COLUMNS:
        pd.testing.assert_series_equal(right[column], left[column], rtol=TOLERANCE, atol=0)
    for column in ("reasons_overdue", "reasons_dso"):
        same = [_same_reasons(a, b) for a, b in zip(left[column], right[column], strict=True)]
        assert all(same), f"{column}: {same.count(False)} rows differ"
    exact = left.columns.difference([*FLOAT_COLUMNS, "reasons_overdue", "reasons_dso"])
    assert right["as_of"].astype("datetime64[ns]").equals(left["as_of"].astype("datetime64[ns]"))
    assert right["recommended_terms_days"].astype("Int64").equals(left["recommended_terms_days"])
    for column in exact.difference(["as_of", "recommended_terms_days"]):
        assert right[column].equals(left[column]), column
    assert both.spark.tier_counts == both.pandas.tier_counts
    assert (both.spark.rows, both.spark.not_scored) == (10_002, both.pandas.not_scored)


def test_not_scored_customers_say_why_as_in_the_pandas_engine(both: BothEngines) -> None:
    scores = _scores(both.spark.paths.scores).set_index("customer_id")
    day = both.request.as_of.isoformat()
    assert scores.loc["CZ-LATE", "not_scored_reason"] == (
        f"not a customer as of {day}: onboarded later, or no invoice issued by then"
    )
    assert scores.loc["CZ-BAD", "not_scored_reason"] == (
        "customer record rejected by validation: column credit_limit, value '-5.0': must be >= 0"
    )
    rejects = pd.read_csv(both.spark.paths.rejects)
    assert rejects.to_dict("records") == [
        {
            "table": "customers",
            "row": 0,
            "key": "CZ-BAD",
            "reason": "column credit_limit, value '-5.0': must be >= 0",
        }
    ]


def test_mlflow_run_records_the_engine_and_cluster(both: BothEngines) -> None:
    assert both.spark.run_id is not None
    run = MlflowClient(both.settings.mlflow_uri).get_run(both.spark.run_id)
    params = run.data.params
    assert params["engine"] == "spark"
    assert params["spark_master"] == "local[2]"
    assert params["spark_partitions"] == "4"
    assert params["spark_version"] == pyspark.__version__
    assert params["spark_executor_memory"] == "default"
    assert run.data.tags["engine"] == "spark"
    assert run.data.metrics["rows"] == 10_002.0


def test_output_is_partitioned_parquet_renamed_into_place(both: BothEngines) -> None:
    target = both.spark.paths.scores
    parts = sorted(p.name for p in target.glob("part-*.parquet"))
    assert len(parts) == 4
    assert (target / "_SUCCESS").is_file()
    assert json.loads((target / "_arsight.json").read_text())["rows"] == "10002"
    assert not list(target.parent.glob(".*arsight-spark-tmp"))


def test_rerun_skips_unless_forced(both: BothEngines, spark: SparkSession) -> None:
    again = run_spark_batch(both.request, both.settings, spark, SPARK)
    assert again.status == "skipped"
    assert (again.rows, again.tier_counts) == (both.spark.rows, both.spark.tier_counts)


def test_ledger_partitions_give_back_the_raw_tables(
    tmp_path: Path, world: Tables, spark: SparkSession
) -> None:
    write_tables(world, tmp_path)
    ledger, layout = build_ledger(read_tables(spark, tmp_path), 1)
    raw = layout.split(ledger.toPandas())
    expected = read_raw_tables(tmp_path)
    assert list(raw) == list(expected)
    for name, frame in expected.items():
        keys = list(frame.columns[:2])
        got = raw[name].sort_values(keys).reset_index(drop=True)
        pd.testing.assert_frame_equal(got, frame.sort_values(keys).reset_index(drop=True))


def test_invoice_ids_repeated_across_customers_exit_2(
    tmp_path: Path, world: Tables, customer_registry: Registry, spark: SparkSession
) -> None:
    invoices = world.invoices.copy()
    invoices.loc[invoices.index[-1], "invoice_id"] = invoices["invoice_id"].iloc[0]
    data = tmp_path / "data"
    data.mkdir()
    write_tables(replace(world, invoices=invoices), data)
    settings = make_settings(tmp_path, tmp_path / "store.parquet", customer_registry)
    out = tmp_path / "run" / "scores.parquet"
    request = BatchRequest(data, data_end_of(world).date(), out, track=False)
    with pytest.raises(BatchError) as caught:
        run_spark_batch(request, settings, spark, SPARK)
    assert caught.value.exit_code == ExitCode.BAD_INPUT
    assert str(caught.value) == (
        f"keys not unique, e.g. ['invoices {invoices['invoice_id'].iloc[0]}']; the Spark engine "
        "needs unique invoice, payment and deal ids (run `arsight data validate` and score the "
        "valid rows)"
    )
    assert not out.exists()
    shutil.rmtree(data)


def test_settings_from_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SPARK_MASTER", "spark://10.0.0.5:7077")
    monkeypatch.setenv("SPARK_EXECUTOR_MEMORY", "8g")
    monkeypatch.setenv("SPARK_DRIVER_HOST", "10.0.0.4")
    monkeypatch.setenv("SPARK_CONF", '{"spark.executor.instances": "6"}')
    conf = SparkSettings(python="/opt/env/bin/python").spark_conf()
    assert conf == {
        "spark.master": "spark://10.0.0.5:7077",
        "spark.app.name": "arsight-score",
        "spark.ui.enabled": "false",
        "spark.ui.showConsoleProgress": "false",
        "spark.driver.host": "10.0.0.4",
        "spark.driver.bindAddress": "10.0.0.4",
        "spark.sql.shuffle.partitions": "8",
        "spark.sql.session.timeZone": "UTC",
        "spark.sql.execution.arrow.pyspark.enabled": "true",
        "spark.sql.legacy.parquet.nanosAsLong": "true",
        "spark.pyspark.python": "/opt/env/bin/python",
        "spark.executor.memory": "8g",
        "spark.executor.instances": "6",
    }


@pytest.fixture
def cli_env(both: BothEngines, monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    monkeypatch.setenv("ARSIGHT_HOME", str(both.settings.home))
    monkeypatch.setenv("MLFLOW_TRACKING_URI", both.settings.mlflow_uri)
    get_serving_settings.cache_clear()
    yield
    get_serving_settings.cache_clear()


@pytest.mark.usefixtures("cli_env")
def test_cli_spark_engine_skips_an_existing_output(both: BothEngines) -> None:
    out = both.spark.paths.scores
    day = both.request.as_of.isoformat()
    args = ["score", str(both.data), "--as-of", day, "--out", str(out), "--engine", "spark"]
    result = CliRunner().invoke(app, [*args, "--master", "local[2]"], env={"COLUMNS": "300"})
    assert result.exit_code == 0, result.output
    tiers = ", ".join(f"{k} {v}" for k, v in both.spark.tier_counts.items())
    assert result.stdout.strip() == (
        f"{out}: skipped; 10002 customers, {both.spark.not_scored} not scored, 0 alerts; {tiers}"
    )


@pytest.mark.usefixtures("cli_env")
def test_cli_master_needs_the_spark_engine(both: BothEngines, tmp_path: Path) -> None:
    out = tmp_path / "scores.parquet"
    day = both.request.as_of.isoformat()
    args = ["score", str(both.data), "--as-of", day, "--out", str(out), "--master", "local[2]"]
    result = CliRunner().invoke(app, args, env={"COLUMNS": "300"})
    assert result.exit_code == 2
    assert result.stderr.strip() == "error: --master applies to --engine spark only"
    assert not out.exists()


@pytest.mark.usefixtures("cli_env")
def test_cli_pandas_engine_refuses_a_spark_output_directory(both: BothEngines) -> None:
    out = both.spark.paths.scores
    day = both.request.as_of.isoformat()
    args = ["score", str(both.data), "--as-of", day, "--out", str(out), "--force"]
    result = CliRunner().invoke(app, args, env={"COLUMNS": "300"})
    assert result.exit_code == 2
    assert result.stderr.strip() == (
        f"error: --out {out}: a directory (Spark engine output); expected a file"
    )
    assert (out / "_SUCCESS").is_file()


def test_a_champion_with_an_invoice_model_is_refused(
    both: BothEngines, registry: Registry, spark: SparkSession, tmp_path: Path
) -> None:
    settings = make_settings(tmp_path, tmp_path / "store" / "online.parquet", registry)
    request = replace(both.request, out=tmp_path / "spark" / "scores.parquet")
    with pytest.raises(BatchError) as err:
        run_spark_batch(request, settings, spark, SPARK)
    assert err.value.exit_code == ExitCode.BAD_INPUT
    assert str(err.value) == (
        "models:/arsight/1 holds an invoice payment model, which the Spark engine does not "
        "score yet (no invoices.parquet, no invoice-based expected_overdue_amount): score with "
        "--engine pandas"
    )
