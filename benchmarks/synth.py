"""How fast the synthetic world is written, and how much memory it takes.

Generates a world with `features.sources.synth.synthesize_to_directory` and prints wall time,
rows per second per table, peak resident memory, and PASS/FAIL against the targets (by default
100,000 customers x 36 months, about 10M invoices, in under 2 minutes and 4 GiB).

Usage: .venv/bin/python benchmarks/synth.py --customers 100000 --months 36 [--out DIR]
"""

from __future__ import annotations

import argparse
import resource
import shutil
import sys
import tempfile
import time
from pathlib import Path

from rich.console import Console
from rich.table import Table

from features.sources.synth import SynthConfig, synthesize_to_directory


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--customers", type=int, default=100_000)
    parser.add_argument("--months", type=int, default=36)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--chunk-customers", type=int, default=SynthConfig.chunk_customers)
    parser.add_argument("--out", type=Path, default=None, help="Keep the world here.")
    parser.add_argument("--max-seconds", type=float, default=120.0)
    parser.add_argument("--max-rss-gib", type=float, default=4.0)
    return parser.parse_args()


def main() -> int:
    args = parse_args()
    config = SynthConfig(
        customers=args.customers,
        months=args.months,
        seed=args.seed,
        chunk_customers=args.chunk_customers,
    )
    out = args.out or Path(tempfile.mkdtemp(prefix="arsight-synth-bench-"))
    console = Console()
    try:
        began = time.perf_counter()
        summary = synthesize_to_directory(config, out, progress=True)
        seconds = time.perf_counter() - began
        sizes = {p.stem: p.stat().st_size for p in out.glob("*.parquet")}
    finally:
        if args.out is None:
            shutil.rmtree(out, ignore_errors=True)
    peak_gib = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024**2  # KiB on Linux

    table = Table(title=f"synth {args.customers:,} customers x {args.months} months")
    for column in ("table", "rows", "rows/s", "MiB on disk"):
        table.add_column(column, justify="right")
    for name, rows in summary.rows.items():
        table.add_row(name, f"{rows:,}", f"{rows / seconds:,.0f}", f"{sizes[name] / 2**20:,.1f}")
    console.print(table)
    console.print(summary.to_rich())
    ok_time, ok_rss = seconds <= args.max_seconds, peak_gib <= args.max_rss_gib
    console.print(
        f"wall time {seconds:.1f} s (target <= {args.max_seconds:.0f} s): "
        f"{'PASS' if ok_time else 'FAIL'}"
    )
    console.print(
        f"peak RSS {peak_gib:.2f} GiB (target <= {args.max_rss_gib:.1f} GiB): "
        f"{'PASS' if ok_rss else 'FAIL'}"
    )
    console.print("PASS" if ok_time and ok_rss else "FAIL")
    return 0 if ok_time and ok_rss else 1


if __name__ == "__main__":
    sys.exit(main())
