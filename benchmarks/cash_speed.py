"""Benchmark: the nightly job's 13-week cash forecast for 100,000 customers (issue 16 target).

Target: actions and forecast for 100,000 customers (~450,000 open invoices) add <= 60 s to the
nightly job on this 2-core machine. This times the forecast part alone: the portfolio, four
industries and every customer (`models.cash_forecast.forecast_by`, what
`serving.cash.cash_frames` calls) on random invoice predictions shaped like the model's.

Usage: PYTHONPATH=$PWD .venv/bin/python -m benchmarks.cash_speed [--invoices 450000]
"""

from __future__ import annotations

import argparse
import time

import numpy as np
import pandas as pd

from models.cash_forecast import forecast_by
from models.invoice_model import BUCKETS, DAYS_COLUMNS


def predictions(invoices: int, customers: int, as_of: pd.Timestamp, seed: int) -> pd.DataFrame:
    """Random open invoices with bucket probabilities and floored, ordered days-late quantiles."""
    rng = np.random.default_rng(seed)
    due = rng.integers(-120, 90, invoices)
    low = np.maximum(-due + 1, rng.normal(0, 20, invoices))
    spread = np.column_stack(
        [low, low + rng.exponential(10, invoices), low + rng.exponential(40, invoices)]
    )
    days = np.sort(spread, axis=1)
    return pd.DataFrame(
        {
            "customer_id": [f"C{i:06d}" for i in rng.integers(0, customers, invoices)],
            "industry": np.array(["a", "b", "c", "d"])[rng.integers(0, 4, invoices)],
            "due_date": as_of + pd.to_timedelta(due, unit="D"),
            "open_amount": rng.uniform(1, 1e4, invoices),
            **dict(zip(BUCKETS, rng.dirichlet(np.ones(len(BUCKETS)), invoices).T, strict=True)),
            **dict(zip(DAYS_COLUMNS, days.T, strict=True)),
        }
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--invoices", type=int, default=450_000)
    parser.add_argument("--customers", type=int, default=100_000)
    args = parser.parse_args()
    as_of = pd.Timestamp("2026-01-01")
    frame = predictions(args.invoices, args.customers, as_of, seed=0)
    start = time.perf_counter()
    forecast_by(frame, as_of, 0, 0.07, [None, "industry", "customer_id"])
    seconds = time.perf_counter() - start
    print(
        f"{args.invoices:,} invoices, {frame['customer_id'].nunique():,} customers: {seconds:.1f} s"
    )


if __name__ == "__main__":
    main()
