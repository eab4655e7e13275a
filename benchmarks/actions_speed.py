"""Benchmark: planning the day's collections actions for 100,000 customers (issue 16 target).

Target: actions and forecast for 100,000 customers (~450,000 open invoices) add <= 60 s to the
nightly job on this 2-core machine (the forecast part: benchmarks/cash_speed.py). This times
`serving.collections.generate.generate_actions` (history read, ladder, inserts, superseding,
the open actions listed) on a temp SQLite audit database over three nights: the first night
(every past-due invoice gets its first action: the largest write), the night after (mostly
carried over) and a week later (many invoices move a stage), on random predictions shaped like
the invoice model's (benchmarks/cash_speed.py `predictions`).

Usage: PYTHONPATH=$PWD .venv/bin/python -m benchmarks.actions_speed [--invoices 450000]
"""

from __future__ import annotations

import argparse
import tempfile
import time
from pathlib import Path

import numpy as np
import pandas as pd

from benchmarks.cash_speed import predictions
from serving.audit import AuditLog
from serving.collections.generate import generate_actions
from serving.policy import load_policy

TARGET_SECONDS = 60.0


def ladder_input(invoices: int, customers: int, as_of: pd.Timestamp) -> pd.DataFrame:
    """Open invoices with predictions, their customer's tier and the ledger's dispute flag."""
    rng = np.random.default_rng(1)
    frame = predictions(invoices, customers, as_of, seed=0)
    tiers = np.array(["green", "yellow", "orange", "red"])[
        rng.choice(4, invoices, p=[0.6, 0.22, 0.12, 0.06])
    ]
    return frame.assign(
        invoice_id=[f"INV{i:09d}" for i in range(invoices)],
        risk_tier=tiers,
        disputed=rng.random(invoices) < 0.02,
        predicted_payment_date=frame["due_date"]
        + pd.to_timedelta(frame["predicted_days_late_p50"].round(), unit="D"),
    )


def night(audit: AuditLog, base: pd.DataFrame, day: pd.Timestamp) -> tuple[float, dict[str, int]]:
    policy = load_policy()
    frame = base.assign(days_past_due=(day - base["due_date"]).dt.days)
    start = time.perf_counter()
    ledger_open = frame["invoice_id"].tolist()
    result = generate_actions(
        audit.engine, policy.dunning, policy.version, frame, day.date(), ledger_open
    )
    return time.perf_counter() - start, result.counts | {"open": len(result.actions)}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--invoices", type=int, default=450_000)
    parser.add_argument("--customers", type=int, default=100_000)
    args = parser.parse_args()
    as_of = pd.Timestamp("2026-01-01")
    base = ladder_input(args.invoices, args.customers, as_of)
    with tempfile.TemporaryDirectory() as directory:
        audit = AuditLog(f"sqlite:///{Path(directory) / 'audit.db'}")
        audit.migrate()
        worst = 0.0
        for offset in (0, 1, 7):
            day = as_of + pd.Timedelta(days=offset)
            seconds, counts = night(audit, base, day)
            worst = max(worst, seconds)
            print(
                f"{day.date()}: {seconds:.1f} s, {counts['new_actions']:,} new actions, "
                f"{counts['open']:,} open, {counts['skipped_reliable_before_due']:,} reliable "
                "invoices not chased before due"
            )
        audit.dispose()
    verdict = "PASS" if worst <= TARGET_SECONDS else "FAIL"
    print(
        f"{args.invoices:,} open invoices: slowest night {worst:.1f} s "
        f"(the actions' share of the {TARGET_SECONDS:.0f} s target with the forecast) {verdict}"
    )


if __name__ == "__main__":
    main()
