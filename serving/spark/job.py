"""`arsight score --engine spark`: the scoring job on Spark, with the pandas engine's code.

Passes (see docs/spark.md):

1. Read the table files and stack them into one ledger frame partitioned by customer
   (`serving.spark.inputs`); keys that must be unique across customers are checked first.
2. Per partition (`mapInPandas`): validation and the one feature code, one row per customer.
   The result is persisted: every later pass reads it.
3. The small aggregate passes, per industry (`applyInPandas`): the peer medians, then the
   reason texts' medians over the features with global peers. Both are a few rows per
   industry, collected on the driver.
4. Per partition: peers against the global medians, the champion bundle, reasons, tiers and
   terms (`serving.batch_rows.score_chunks`, `assemble_rows`).
5. The previous run's tiers are joined, the scores written as partitioned Parquet, atomically,
   and the run logged to MLflow with the engine and cluster configuration.

The output holds exactly the rows and columns of the pandas engine's scores file (a test
checks them equal to 1e-9). What the Spark engine does not do: alerts, the worklist, drift
(PSI) and the online-store refresh, which need the whole portfolio in one process; run the
pandas engine for them, or read the scores directory into them.
"""

from __future__ import annotations

import logging
import warnings
from collections.abc import Iterable, Iterator, Mapping
from functools import partial
from pathlib import Path
from typing import TYPE_CHECKING

import pandas as pd
import pyarrow.parquet as pq

from features.catalog import FEATURES
from features.errors import FeaturesError
from features.peers import DSO, LATE_SHARE
from features.tables import table_file
from serving.batch import check_rejects, load_model
from serving.batch_outputs import OutputPaths, write_csv
from serving.batch_run import BatchError, BatchRequest, BatchResult, ExitCode, find_previous
from serving.errors import PolicyError
from serving.policy import TIERS
from serving.reasons import feature_texts
from serving.scoring import ReasonContext
from serving.settings import ServingSettings
from serving.spark.inputs import TableLayout, build_ledger, read_tables
from serving.spark.output import (
    feature_row_schema,
    median_schema,
    read_directory_metadata,
    remove_stale_directories,
    score_row_schema,
)
from serving.spark.partition import (
    INDUSTRY,
    ROW_COLUMNS,
    ScoringPlan,
    SourceFlags,
    customer_features,
    peer_medians,
    reason_medians,
    rejects_of,
    score_partition,
)
from serving.spark.session import SparkSettings, cluster_description, default_partitions
from serving.spark.tracking import finish_spark_run

if TYPE_CHECKING:
    from pyspark.core.broadcast import Broadcast
    from pyspark.sql import DataFrame, SparkSession

logger = logging.getLogger(__name__)

UNIQUE_KEYS = {"invoices": "invoice_id", "payments": "payment_id", "deals": "deal_id"}
"""Keys unique per table whose duplicates may sit in different customers' partitions."""
UNTYPED = "Cannot infer the eval type from type hints"
"""PySpark's warning for a `functools.partial`; the eval type is given by applyInPandas."""


def check_unique_keys(tables: Mapping[str, tuple[DataFrame, TableLayout]]) -> None:
    """Fail (exit 2) when a key repeats across its table: partitions could not see it.

    One Spark job over the keys of every table in `UNIQUE_KEYS`.
    """
    from pyspark.sql import functions as F

    keys = [
        tables[name][0].select(F.lit(name).alias("table"), F.col(key).cast("string").alias("key"))
        for name, key in UNIQUE_KEYS.items()
        if name in tables and key in tables[name][0].columns
    ]
    stacked = keys[0]
    for more in keys[1:]:
        stacked = stacked.unionByName(more)
    counts = stacked.filter(F.col("key").isNotNull()).groupBy("table", "key").count()
    repeated = counts.filter(F.col("count") > 1).limit(5).collect()
    if repeated:
        examples = sorted(f"{row['table']} {row['key']}" for row in repeated)
        raise BatchError(
            f"keys not unique, e.g. {examples}; the Spark engine needs unique invoice, payment "
            "and deal ids (run `arsight data validate` and score the valid rows)",
            ExitCode.BAD_INPUT,
        )


def rows_read(tables: Mapping[str, tuple[DataFrame, TableLayout]], directory: Path) -> int:
    """Rows of every table file: from the Parquet footers, by a Spark count for CSV."""
    total = 0
    for name, (frame, _) in tables.items():
        path = table_file(directory, name)
        parquet = path is not None and path.suffix == ".parquet"
        total += pq.ParquetFile(path).metadata.num_rows if parquet else frame.count()
    return total


def source_flags(tables: Mapping[str, tuple[DataFrame, TableLayout]]) -> SourceFlags:
    """Source-wide facts the feature SQL depends on, decided once (see `partition`)."""
    from pyspark.sql import functions as F

    invoices = tables["invoices"][0]
    disputed = "disputed" in invoices.columns and bool(
        invoices.select(F.count("disputed")).first()[0]  # type: ignore[index]
    )
    return SourceFlags(
        has_payments="payments" in tables,
        has_signals="signals" in tables,
        has_deals="deals" in tables,
        has_disputed=disputed,
    )


def global_peer_medians(known: DataFrame, as_of: pd.Timestamp) -> pd.DataFrame:
    """`features.peers.industry_medians` over every known customer, indexed as it returns."""
    schema = median_schema("industry", [DSO, LATE_SHARE])
    grouped = known.select(INDUSTRY, DSO, LATE_SHARE).groupBy(INDUSTRY)
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", message=UNTYPED, category=UserWarning)
        found = grouped.applyInPandas(partial(peer_medians, as_of=as_of), schema).toPandas()
    found.insert(1, "as_of", pd.Series(as_of, index=found.index, dtype="datetime64[ns]"))
    return found.set_index(["industry", "as_of"]).sort_index()


def global_reason_medians(
    known: DataFrame, as_of: pd.Timestamp, peers: pd.DataFrame, industry: str, numeric: list[str]
) -> pd.DataFrame:
    """`serving.reasons.industry_medians` over every known customer with global peers."""
    function = partial(reason_medians, as_of=as_of, medians=peers, industry=industry)
    grouped = known.groupBy(industry)
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", message=UNTYPED, category=UserWarning)
        found = grouped.applyInPandas(
            partial(function, numeric=numeric), median_schema(industry, numeric)
        ).toPandas()
    return found.set_index(industry).sort_index()


def _feature_rows(
    spark: SparkSession, directory: Path, as_of: pd.Timestamp, partitions: int
) -> tuple[DataFrame, int]:
    """Passes 1 and 2: the persisted feature rows of every customer and the rows read."""
    try:
        tables = read_tables(spark, directory)
    except FeaturesError as exc:
        raise BatchError(str(exc), ExitCode.BAD_INPUT) from exc
    check_unique_keys(tables)
    flags = source_flags(tables)
    ledger, layout = build_ledger(tables, partitions)
    columns = [*ROW_COLUMNS, *(s.name for s in FEATURES)]
    compute = partial(customer_features, layout=layout, as_of=as_of, flags=flags, columns=columns)
    read = rows_read(tables, directory)
    return ledger.mapInPandas(compute, feature_row_schema()).persist(), read


def _rejects(rows: DataFrame) -> pd.DataFrame:
    """The rejected input rows, as the pandas engine lists them (row numbers 0)."""
    from pyspark.sql import functions as F

    found = rows.filter(F.col("reject_table").isNotNull()).select(*ROW_COLUMNS).toPandas()
    return rejects_of(found)


def _previous_tiers(spark: SparkSession, path: Path | None) -> DataFrame | None:
    """customer_id and previous_risk_tier of the previous run's scored rows, if any."""
    if path is None:
        return None
    previous = spark.read.parquet(str(path)).filter("scored")
    return previous.selectExpr("customer_id AS previous_id", "risk_tier AS previous_tier")


def with_previous(scores: DataFrame, previous: DataFrame | None) -> DataFrame:
    """`scores` with previous_risk_tier from `previous` (null for new customers)."""
    if previous is None:
        return scores
    joined = scores.join(previous, scores["customer_id"] == previous["previous_id"], "left")
    return joined.withColumn("previous_risk_tier", joined["previous_tier"]).select(scores.columns)


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
    ref, bundle, policy = load_model(settings)
    as_of = pd.Timestamp(request.as_of)
    partitions = default_partitions(spark, spark_settings)
    rows, read = _feature_rows(spark, request.directory, as_of, partitions)
    logger.info("%d input rows read from %s", read, request.directory)
    try:
        policy.check_columns(rows.columns)
        rejects = _rejects(rows)
        logger.info(
            "features of %d partitions computed; %d rows rejected", partitions, len(rejects)
        )
        share = len(rejects) / read if read else 0.0
        check_rejects(rejects, share, request.max_reject_share, paths)
        known = rows.filter("is_known")
        peers = global_peer_medians(known, as_of)
        numeric = [n for n in bundle.feature_names if n not in bundle.categorical_features]
        industry = policy.context.industry
        medians = global_reason_medians(known, as_of, peers, industry, numeric)
        logger.info("peer and reason medians of %d industries computed", len(medians))
        catalog = {s.name: (s.definition, s.unit, s.kind) for s in FEATURES}
        texts = feature_texts(bundle.feature_names, catalog)
        context = ReasonContext(texts, medians, industry, settings.reasons_top_k)
        model = {"model_name": ref.name, "model_version": ref.version}
        model["policy_version"] = policy.version
        plan = ScoringPlan(as_of, peers, bundle, policy, context, request.chunk_size, model)
        shipped = spark.sparkContext.broadcast(plan)
        scores = rows.mapInPandas(partial(score_with_broadcast, plan=shipped), score_row_schema())
        previous = find_previous(paths, as_of, request.previous)
        scores = with_previous(scores, _previous_tiers(spark, previous))
        write_csv(rejects, paths.rejects)
        meta = {"as_of": as_of.date().isoformat(), **model, "engine": "spark"}
        cluster = cluster_description(spark, spark_settings)
        counts = (len(rejects), share)
        return finish_spark_run(request, settings, paths, scores, meta, cluster, counts)
    except PolicyError as exc:
        raise BatchError(str(exc), ExitCode.BAD_INPUT) from exc
    finally:
        rows.unpersist()


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
