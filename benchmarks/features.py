"""Benchmark: point-in-time feature builds on a large synthetic world, against bare DuckDB.

Prints wall times and peak RSS for one as-of snapshot and for 24 monthly snapshots (features
and labels), and in the same run a bare DuckDB aggregate (five plain per-customer aggregates
over the same invoices, for one and for 12 snapshots) with the ratio of the full build to it.
The world is generated once into a cache directory and reused.

Usage (as a module, so that this file does not shadow the `features` package):
    .venv/bin/python -m benchmarks.features [--customers 100000] [--months 36]
        [--cache /tmp/arsight-bench] [--snapshots 24]
"""

from __future__ import annotations

import argparse
import resource
import time
from collections.abc import Callable
from pathlib import Path
from typing import TypeVar

import duckdb
import pandas as pd

from features.build import build_feature_frame, build_training_frame
from features.snapshots import month_end_snapshots
from features.sources.synth import SynthConfig, synthesize_to_directory
from features.tables import Tables, data_end_of, read_raw_tables

R = TypeVar("R")

BARE_SQL = """
SELECT i.customer_id, s.as_of,
       count(*) AS invoices,
       sum(i.amount) AS sales,
       avg(date_diff('day', i.due_date, i.cleared_date)) AS days_late_mean,
       max(i.issue_date) AS last_issue,
       sum(CASE WHEN i.cleared_date IS NULL OR i.cleared_date > s.as_of THEN i.amount END) AS open
FROM invoices i JOIN snaps s ON i.issue_date <= s.as_of
GROUP BY i.customer_id, s.as_of
"""


def peak_rss_gib() -> float:
    """Peak resident set size of this process so far (Linux reports KiB)."""
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024**2


def timed(label: str, run: Callable[[], R]) -> tuple[R, float]:
    """Run and print wall time, CPU time of all threads (robust when the machine is shared)
    and peak RSS."""
    start, cpu = time.perf_counter(), time.process_time()
    result = run()
    seconds, cpu_seconds = time.perf_counter() - start, time.process_time() - cpu
    print(
        f"{label:<48} {seconds:8.2f} s wall {cpu_seconds:8.2f} s CPU   "
        f"peak RSS {peak_rss_gib():5.2f} GiB",
        flush=True,
    )
    return result, seconds


def load_world(customers: int, months: int, cache: Path) -> Tables:
    """The cached world's canonical Parquet (written by the synthesiser, canonical by design)."""
    directory = cache / f"world-{customers // 1000}k-{months}m"
    if not (directory / "invoices.parquet").exists():
        config = SynthConfig(customers=customers, months=months, seed=1)
        timed(f"synthesise {directory}", lambda: synthesize_to_directory(config, directory))
    tables, _ = timed("read Parquet", lambda: Tables(**read_raw_tables(directory)))
    return tables


def bare_aggregate(invoices: pd.DataFrame, dates: list[pd.Timestamp]) -> int:
    """Five plain per-customer aggregates over the invoices issued <= t, for each date."""
    con = duckdb.connect()
    con.register("invoices", invoices[["customer_id", "issue_date", "due_date", "amount",
                                      "cleared_date"]])  # fmt: skip
    con.register("snaps", pd.DataFrame({"as_of": pd.Series(dates, dtype="datetime64[ns]")}))
    rows = len(con.sql(BARE_SQL).df())
    con.close()
    return rows


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--customers", type=int, default=100_000)
    parser.add_argument("--months", type=int, default=36)
    parser.add_argument("--cache", type=Path, default=Path("/tmp/arsight-bench"))
    parser.add_argument("--snapshots", type=int, default=24)
    args = parser.parse_args()

    tables = load_world(args.customers, args.months, args.cache)
    print(f"world: {len(tables.customers):,} customers, {len(tables.invoices):,} invoices, "
          f"{0 if tables.payments is None else len(tables.payments):,} payments")  # fmt: skip
    snapshots = month_end_snapshots(tables)[-args.snapshots :]
    latest = pd.Timestamp(data_end_of(tables))
    _, bare_one = timed(
        "bare DuckDB, 1 snapshot", lambda: bare_aggregate(tables.invoices, [latest])
    )
    _, bare_twelve = timed(
        "bare DuckDB, 12 snapshots", lambda: bare_aggregate(tables.invoices, snapshots[-12:])
    )
    one, one_s = timed(
        "features, 1 snapshot (as of data end)", lambda: build_feature_frame(tables, latest)
    )
    many, many_s = timed(
        f"features + labels, {len(snapshots)} monthly snapshots",
        lambda: build_training_frame(tables, snapshots),
    )
    print(f"rows: 1 snapshot {len(one):,}; {len(snapshots)} snapshots {len(many):,}")
    print(f"ratio full/bare: 1 snapshot {one_s / bare_one:.1f}x; "
          f"{len(snapshots)} snapshots vs 12 bare {many_s / bare_twelve:.1f}x")  # fmt: skip
    print(f"targets: 1 snapshot <= 10 s: {one_s:.1f} s; 24 snapshots <= 120 s: {many_s:.1f} s; "
          f"peak RSS < 8 GiB: {peak_rss_gib():.2f} GiB")  # fmt: skip


if __name__ == "__main__":
    main()
