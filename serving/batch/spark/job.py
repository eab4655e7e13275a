"""`arsight score --engine spark`: the scoring job on Spark, with the pandas engine's code.

Passes (see docs/spark.md):

1. Read the table files and stack them into one ledger frame partitioned by customer
   (`serving.batch.spark.inputs`, `passes`); keys that must be unique across customers are
   checked first.
2. Per partition (`mapInPandas`): validation and the one feature code, one row per customer.
   The result is persisted: every later pass reads it.
3. The small aggregate passes, per industry (`applyInPandas`): the peer medians, then the
   reason texts' medians over the features with global peers. Both are a few rows per
   industry, collected on the driver.
4. Per partition: peers against the global medians, the champion bundle, reasons, tiers and
   terms (`serving.batch.rows.score_chunks`, `assemble_rows`).
5. The previous run's tiers are joined, the scores written as partitioned Parquet, atomically,
   and the run logged to MLflow with the engine and cluster configuration.

The output holds exactly the rows and columns of the pandas engine's scores file (a test
checks them equal to 1e-9). What the Spark engine does not do: alerts, the worklist, drift
(PSI) and the online-store refresh, which need the whole portfolio in one process; run the
pandas engine for them, or read the scores directory into them.

`run_on_spark` builds the session from the `SPARK_*` settings, `--master` overriding
`SPARK_MASTER`, and stops it when the job ends unless it was already running in this process
(a notebook's or a test's session is left alone).
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Iterator
from functools import partial
from typing import TYPE_CHECKING

import pandas as pd

from serving.batch.champion import Champion, load_model
from serving.batch.history import find_previous
from serving.batch.outputs import OutputPaths, write_csv
from serving.batch.rejects import check_rejects
from serving.batch.spark.output import (
    read_directory_metadata,
    remove_stale_directories,
    score_row_schema,
)
from serving.batch.spark.partition import ScoringPlan, score_partition
from serving.batch.spark.passes import (
    feature_rows,
    global_peer_medians,
    global_portfolio_sales,
    global_reason_medians,
    previous_tiers,
    rejected_rows,
    with_previous,
)
from serving.batch.spark.session import SparkSettings, cluster_description, default_partitions
from serving.batch.spark.tracking import finish_spark_run
from serving.batch.types import BatchError, BatchRequest, BatchResult, ExitCode
from serving.errors import PolicyError
from serving.policy import TIERS
from serving.reasons import feature_texts
from serving.scoring import ReasonContext
from serving.settings import ServingSettings

if TYPE_CHECKING:
    from pyspark.core.broadcast import Broadcast
    from pyspark.sql import DataFrame, SparkSession

logger = logging.getLogger(__name__)


def run_on_spark(
    request: BatchRequest, settings: ServingSettings, spark_settings: SparkSettings
) -> BatchResult:
    """The Spark engine's job in a session built from `spark_settings` (see the module)."""
    try:
        from pyspark.errors import PySparkRuntimeError
        from pyspark.sql import SparkSession
    except ImportError as exc:
        raise BatchError(
            "--engine spark needs pyspark: pip install 'arsight[spark]'", ExitCode.BAD_INPUT
        ) from exc
    from serving.batch.spark.session import build_session

    if request.refresh_store:
        logger.warning("--engine spark does not refresh the online store; run the pandas engine")
    running = SparkSession.getActiveSession()
    try:
        spark = build_session(spark_settings) if running is None else running
    except (PySparkRuntimeError, OSError) as exc:  # no Java, or the gateway did not start
        raise BatchError(f"Spark {spark_settings.master}: {exc}", ExitCode.UNAVAILABLE) from exc
    try:
        return run_spark_batch(request, settings, spark, spark_settings)
    finally:
        if running is None:
            spark.stop()


def refuse_invoice_model(champion: Champion) -> None:
    """Refuse a champion with an invoice payment model: this engine does not score invoices.

    Its partitions carry customer feature rows only, so it can write neither invoices.parquet
    nor the invoice model's expected_overdue_amount; running anyway would give numbers that
    differ from the pandas engine's without saying so.

    Raises:
        BatchError: exit 2, naming the model and the way out.
    """
    if champion.bundle.invoice_model is not None:
        raise BatchError(
            f"{champion.ref.uri} holds an invoice payment model, which the Spark engine does "
            "not score yet (no invoices.parquet, no invoice-based expected_overdue_amount): "
            "score with --engine pandas",
            ExitCode.BAD_INPUT,
        )


def run_spark_batch(
    request: BatchRequest,
    settings: ServingSettings,
    spark: SparkSession,
    spark_settings: SparkSettings,
) -> BatchResult:
    """Run one scoring job on `spark` (see the module docstring); `request.out` is a directory.

    Raises:
        BatchError: with the exit code the CLI should use.
    """
    paths = OutputPaths(request.out)
    remove_stale_directories(paths.directory)
    if paths.scores.exists() and not request.force:
        logger.info("%s exists: skipped (use --force to rewrite)", paths.scores)
        return skipped_result(paths)
    champion = load_model(settings)
    refuse_invoice_model(champion)
    as_of = pd.Timestamp(request.as_of)
    partitions = default_partitions(spark, spark_settings)
    rows, read = feature_rows(spark, request.directory, as_of, partitions)
    logger.info("%d input rows read from %s", read, request.directory)
    try:
        champion.policy.check_columns(rows.columns)
        rejects, share = checked_rejects(rows, read, partitions, request, paths)
        plan = scoring_plan(rows, champion, settings, request)
        shipped = spark.sparkContext.broadcast(plan)
        scores = rows.mapInPandas(partial(score_with_broadcast, plan=shipped), score_row_schema())
        previous = previous_tiers(spark, find_previous(paths, as_of, request.previous))
        write_csv(rejects, paths.rejects)
        meta = {"as_of": as_of.date().isoformat(), **champion.provenance(), "engine": "spark"}
        cluster = cluster_description(spark, spark_settings)
        scores = with_previous(scores, previous)
        return finish_spark_run(
            request, settings, paths, scores, meta, cluster, (len(rejects), share)
        )
    except PolicyError as exc:
        raise BatchError(str(exc), ExitCode.BAD_INPUT) from exc
    finally:
        rows.unpersist()


def checked_rejects(
    rows: DataFrame, read: int, partitions: int, request: BatchRequest, paths: OutputPaths
) -> tuple[pd.DataFrame, float]:
    """The rejected rows and their share of the `read` rows; exit 1 above the limit."""
    rejects = rejected_rows(rows)
    logger.info("features of %d partitions computed; %d rows rejected", partitions, len(rejects))
    share = len(rejects) / read if read else 0.0
    check_rejects(rejects, share, request.max_reject_share, paths)
    return rejects, share


def scoring_plan(
    rows: DataFrame, champion: Champion, settings: ServingSettings, request: BatchRequest
) -> ScoringPlan:
    """What every partition scores with: global peer and reason medians, texts, the model."""
    as_of = pd.Timestamp(request.as_of)
    bundle, policy = champion.bundle, champion.policy
    known = rows.filter("is_known")
    peers = global_peer_medians(known, as_of)
    industry = policy.context.industry
    medians = global_reason_medians(known, as_of, peers, industry, champion.numeric_features())
    logger.info("peer and reason medians of %d industries computed", len(medians))
    texts = feature_texts(bundle.feature_names, bundle.categorical_features)
    context = ReasonContext(texts, medians, industry, settings.reasons_top_k)
    total_sales = global_portfolio_sales(known)
    return ScoringPlan(
        as_of, peers, bundle, policy, context, request.chunk_size, champion.provenance(),
        total_sales,
    )  # fmt: skip


def score_with_broadcast(
    batches: Iterable[pd.DataFrame], plan: Broadcast[ScoringPlan]
) -> Iterator[pd.DataFrame]:
    """`score_partition` with the plan read from its broadcast variable on the executor."""
    return score_partition(batches, plan.value)


def skipped_result(paths: OutputPaths) -> BatchResult:
    """The result of a run whose output directory already exists (nothing recomputed)."""
    meta = read_directory_metadata(paths.scores) or {}
    counts: dict[str, int] = {
        t: int(float(meta[f"tier_{t}"])) for t in TIERS if f"tier_{t}" in meta
    }
    return BatchResult(
        status="skipped",
        paths=paths,
        rows=int(float(meta.get("rows", 0))),
        not_scored=int(float(meta.get("rows_not_scored", 0))),
        alerts=0,
        tier_counts=counts,
        reject_share=float(meta.get("reject_share", 0.0)),
        run_id=None,
    )
