"""Spark benchmark: scoring throughput of the Spark engine (local mode) vs the pandas engine.

What is measured, exactly: the scoring pass of a nightly run over N customers' feature rows
(default 1,000,000): the champion bundle's predictions, exact TreeSHAP for both models,
reasons, tiers, overlays and recommended terms, one output row per customer written as
Parquet. Not measured: reading the ledger and computing features (see the parity test for a
whole run). The N rows are a synthetic world's feature frame (2,000 customers as of its last
day) replicated with suffixed customer ids, so the values and the reasons' industry medians
are those of a real world. Both engines call the same `serving.batch.rows.score_chunks` and
`assemble_rows`, with the same bundle (a LightGBM model of `--trees` trees per booster) and
the same reason context.

- pandas: one process; score_chunks in chunks of 10,000 rows, assemble_rows, one Parquet file.
- Spark: `serving.batch.spark.partition.score_partition` over the feature rows read from Parquet
  (`mapInPandas`, `--partitions` partitions), written as partitioned Parquet.

Usage: .venv/bin/python benchmarks/spark.py [--customers 1000000] [--master local[*]]
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import pandas as pd  # noqa: E402

if TYPE_CHECKING:
    from serving.batch.spark.partition import ScoringPlan


@dataclass(frozen=True)
class Setup:
    """The replicated feature rows, the model, the policy and the reason context."""

    rows: pd.DataFrame
    plan: ScoringPlan


def build(customers: int, world_customers: int, trees: int) -> Setup:
    """World -> bundle of `trees` trees -> feature rows replicated to `customers` rows."""
    from features.build import build_training_frame, online_frame
    from features.peers import industry_medians
    from features.snapshots import month_end_snapshots
    from features.sources.synth import SynthConfig, generate_world
    from features.tables import data_end_of
    from serving.batch.spark.partition import ScoringPlan, peer_input
    from serving.policy import load_policy
    from serving.scoring import build_reason_context
    from tests.conftest import fit_tiny_bundle

    world = generate_world(SynthConfig(customers=world_customers, months=15, seed=3))
    bundle = fit_tiny_bundle(build_training_frame(world, month_end_snapshots(world)), rounds=trees)
    as_of = data_end_of(world).normalize()
    frame = online_frame(world, as_of).drop(columns="as_of")
    copies = -(-customers // len(frame))
    rows = pd.concat(
        [frame.assign(customer_id=frame["customer_id"] + f"-{k:04d}") for k in range(copies)],
        ignore_index=True,
    ).iloc[:customers]
    none = pd.Series(pd.NA, index=rows.index, dtype="str")
    rows = rows.assign(is_known=True, reject_table=none, reject_key=none, reject_reason=none)
    policy = load_policy(None)
    context = build_reason_context(rows.set_index("customer_id", drop=False), bundle, policy)
    model = {"model_name": "arsight", "model_version": "bench", "policy_version": policy.version}
    medians = industry_medians(peer_input(frame, as_of))
    plan = ScoringPlan(as_of, medians, bundle, policy, context, 10_000, model)
    return Setup(rows, plan)


def run_pandas(setup: Setup, out: Path) -> float:
    """Seconds for the pandas engine's scoring pass, Parquet written."""
    from serving.batch.spark.partition import score_partition

    start = time.perf_counter()
    scored = next(score_partition([setup.rows], setup.plan))
    scored.to_parquet(out, index=False)
    return time.perf_counter() - start


def run_spark(setup: Setup, directory: Path, master: str, partitions: int) -> tuple[float, int]:
    """Seconds for the Spark engine's scoring pass (from Parquet feature rows to Parquet)."""
    from functools import partial

    from serving.batch.spark.job import score_with_broadcast
    from serving.batch.spark.output import score_row_schema
    from serving.batch.spark.partition import ROW_COLUMNS, for_spark
    from serving.batch.spark.session import SparkSettings, build_session, default_partitions

    settings = SparkSettings(master=master, partitions=partitions)
    spark = build_session(settings)
    count = default_partitions(spark, settings)
    features = directory / "features.parquet"
    columns = [*ROW_COLUMNS, *(c for c in setup.rows.columns if c not in ROW_COLUMNS)]
    for_spark(setup.rows[columns]).to_parquet(features, index=False)
    shipped = spark.sparkContext.broadcast(setup.plan)
    start = time.perf_counter()
    rows = spark.read.parquet(str(features)).repartition(count)
    scored = rows.mapInPandas(partial(score_with_broadcast, plan=shipped), score_row_schema())
    scored.write.mode("overwrite").parquet(str(directory / "scores"))
    seconds = time.perf_counter() - start
    spark.stop()
    return seconds, count


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--customers", type=int, default=1_000_000)
    parser.add_argument("--world", type=int, default=2_000, help="customers of the world")
    parser.add_argument("--trees", type=int, default=100, help="trees per booster")
    parser.add_argument("--master", default="local[*]")
    parser.add_argument("--partitions", type=int, default=0, help="0: twice the cores")
    args = parser.parse_args()
    setup = build(args.customers, args.world, args.trees)
    n = len(setup.rows)
    print(f"{n:,} customers' feature rows ({args.world:,}-customer world replicated), "
          f"{args.trees} trees per booster")  # fmt: skip
    with tempfile.TemporaryDirectory(prefix="arsight-bench-spark-") as tmp:
        directory = Path(tmp)
        pandas_seconds = run_pandas(setup, directory / "pandas.parquet")
        print(f"pandas engine: {pandas_seconds:8.1f} s  {n / pandas_seconds:10,.0f} rows/s")
        spark_seconds, partitions = run_spark(setup, directory, args.master, args.partitions)
        print(
            f"spark {args.master} ({partitions} partitions): {spark_seconds:8.1f} s  "
            f"{n / spark_seconds:10,.0f} rows/s"
        )


if __name__ == "__main__":
    main()
