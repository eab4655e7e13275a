"""How long data-contract validation takes on a large ledger built in memory.

Builds raw tables as they arrive from CSV files (every cell text), breaks a share of the
invoice rows, and times `features.validate.validate_tables`.

Usage: .venv/bin/python benchmarks/bench_validate.py --invoices 10000000 --bad-share 0.001
"""

from __future__ import annotations

import argparse
import time

import numpy as np
import pandas as pd

from features.validate import validate_tables


def text_ids(prefix: str, n: int) -> pd.Series:
    """`prefix0`, `prefix1`, ... as pandas text."""
    return prefix + pd.Series(np.arange(n)).astype("str")


def pick_text(values: list[str], codes: np.ndarray) -> pd.Series:
    """Text column drawn from a few distinct values (fast to build for millions of rows)."""
    return pd.Series(pd.Categorical.from_codes(codes, categories=values)).astype("str")


def build_raw(customers: int, invoices: int, payments: int, bad_share: float, seed: int) -> dict:
    """Raw text tables: customers, invoices, payments (one per invoice, half paid)."""
    rng = np.random.default_rng(seed)
    days = pd.date_range("2020-01-01", periods=1500, freq="D")
    day_text = [d.strftime("%Y-%m-%d") for d in days]
    issue = rng.integers(0, 1400, invoices)
    raw_invoices = pd.DataFrame(
        {
            "invoice_id": text_ids("I", invoices),
            "customer_id": text_ids("C", customers)
            .iloc[rng.integers(0, customers, invoices)]
            .reset_index(drop=True),
            "issue_date": pick_text(day_text, issue),
            "due_date": pick_text(day_text, issue + 30),
            "amount": pick_text(
                ["100.0", "2500.5", "99.99", "12000"], rng.integers(0, 4, invoices)
            ),
            "currency": pick_text(["EUR", "USD"], rng.integers(0, 2, invoices)),
            "cleared_date": pick_text(day_text, issue + rng.integers(0, 90, invoices)),
            "disputed": pick_text(["false", "true"], (rng.random(invoices) < 0.05).astype(int)),
        }
    )
    bad = rng.random(invoices) < bad_share
    raw_invoices.loc[bad, "due_date"] = "2019-12-31"
    paid = raw_invoices.iloc[:payments]
    raw_payments = pd.DataFrame(
        {
            "payment_id": text_ids("P", len(paid)),
            "invoice_id": paid["invoice_id"].to_numpy(),
            "payment_date": paid["cleared_date"].to_numpy(),
            "amount": "50.0",
        }
    )
    raw_customers = pd.DataFrame(
        {"customer_id": text_ids("C", customers), "credit_limit": "10000", "segment": "key"}
    )
    return {"customers": raw_customers, "invoices": raw_invoices, "payments": raw_payments}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--customers", type=int, default=100_000)
    parser.add_argument("--invoices", type=int, default=10_000_000)
    parser.add_argument("--payments", type=int, default=0)
    parser.add_argument("--bad-share", type=float, default=0.001)
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()
    started = time.perf_counter()
    raw = build_raw(args.customers, args.invoices, args.payments, args.bad_share, args.seed)
    built = time.perf_counter()
    report = validate_tables(raw)
    done = time.perf_counter()
    rejected = {name: len(frame) for name, frame in report.rejects.items()}
    print(
        f"built {args.invoices:,} invoices, {args.payments:,} payments in {built - started:.1f} s"
    )
    print(f"validate_tables: {done - built:.1f} s; ok={report.ok}; rejected rows {rejected}")
    print(f"problems: {len(report.problems):,}")


if __name__ == "__main__":
    main()
