"""The Spark engine's passes over the data, before scoring (see `serving.batch.spark.job`).

Reading and checking the tables, the per-partition feature rows, the small aggregate passes
per industry (peer and reason medians, collected on the driver), the rejected rows and the
previous run's tiers.
"""

from __future__ import annotations

import warnings
from collections.abc import Mapping
from functools import partial
from pathlib import Path
from typing import TYPE_CHECKING

import pandas as pd
import pyarrow.parquet as pq

from features.catalog import FEATURES
from features.errors import FeaturesError
from features.peers import DSO, LATE_SHARE
from features.tables import table_file
from serving.batch.spark.inputs import TableLayout, build_ledger, read_tables
from serving.batch.spark.output import feature_row_schema, median_schema
from serving.batch.spark.partition import (
    INDUSTRY,
    ROW_COLUMNS,
    SourceFlags,
    customer_features,
    peer_medians,
    reason_medians,
    rejects_of,
)
from serving.batch.types import BatchError, ExitCode
from serving.layers import portfolio_sales

SALES_365D = "customer_sales_amount_365d"

if TYPE_CHECKING:
    from pyspark.sql import DataFrame, SparkSession

UNIQUE_KEYS = {
    "invoices": "invoice_id",
    "payments": "payment_id",
    "deals": "deal_id",
    "credit_notes": "credit_note_id",
}
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


def global_portfolio_sales(known: DataFrame) -> float:
    """The 12-month sales of every known customer (`serving.layers.portfolio_sales`): the
    layers' shares are of the whole portfolio, not of a partition."""
    sales = known.select(SALES_365D).toPandas()[SALES_365D]
    return portfolio_sales(pd.to_numeric(sales, errors="coerce"))


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


def feature_rows(
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


def rejected_rows(rows: DataFrame) -> pd.DataFrame:
    """The rejected input rows, as the pandas engine lists them (row numbers 0)."""
    from pyspark.sql import functions as F

    found = rows.filter(F.col("reject_table").isNotNull()).select(*ROW_COLUMNS).toPandas()
    return rejects_of(found)


def previous_tiers(spark: SparkSession, path: Path | None) -> DataFrame | None:
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
