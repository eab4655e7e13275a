"""The cash forecast's backtest on a hand-built ledger: exact WAPE, baselines, band shock."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from models.cash_forecast import Z_90
from models.invoice_model import BUCKETS
from training.cash_backtest import MEAN_DELAY, cash_backtest
from training.invoice_data import OUTCOME

T = pd.Timestamp("2026-01-31")


def row(due: str, amount: float, cleared: str, bucket: int, days: float, mean: float) -> dict:
    probabilities = np.eye(len(BUCKETS))[bucket]
    return {
        "as_of": T,
        "customer_id": f"C{amount:.0f}",
        "due_date": pd.Timestamp(due),
        "open_amount": amount,
        OUTCOME: pd.Timestamp(cleared),
        **dict(zip(BUCKETS, probabilities, strict=True)),
        **{f"predicted_days_late_{q}": days for q in ("p10", "p50", "p90")},
        MEAN_DELAY: mean,
    }


ROWS = pd.DataFrame(
    [
        # 11 days overdue at t, paid 10 days after t (week 2); the customer pays 20 days late
        row("2026-01-20", 100.0, "2026-02-10", 1, 21.0, 20.0),
        # due 28 days after t (week 4), paid 2 days late (day 30: week 5); no history
        row("2026-02-28", 50.0, "2026-03-02", 0, 0.0, np.nan),
    ]
)


def test_wape_of_the_model_and_both_baselines_on_a_hand_built_ledger() -> None:
    report = cash_backtest(ROWS, pd.Timestamp("2026-06-30"), grace_days=0)
    assert report["dates"] == ["2026-01-31"]
    wape = report["wape"]
    assert wape["model"] == pytest.approx({"weeks_1_4": 0.5, "weeks_1_13": 100 / 150})
    # due date: the overdue invoice in week 1 (it came in week 2), the other in week 4
    assert wape["due_date"] == pytest.approx({"weeks_1_4": 2.5, "weeks_1_13": 2.0})
    # average delay: 01-20 + 20 days is day 9 (week 2); no history: the due date
    assert wape["average_delay"] == pytest.approx({"weeks_1_4": 0.5, "weeks_1_13": 100 / 150})
    assert report["ratios"]["weeks_1_4_over_due_date"] == pytest.approx(0.2)
    # certain predictions: a zero-width band, right in 11 of 13 weeks
    assert report["coverage_p10_p90"] == pytest.approx(11 / 13)
    assert report["date_shocks"] == {"2026-01-31": 0.0}
    # shocks needed: 0 in 11 weeks, 1/z in week 4, uncoverable in week 5; the 12th smallest
    assert report["shock"] == pytest.approx(1 / Z_90)


def test_dates_without_13_observed_weeks_are_not_backtested() -> None:
    report = cash_backtest(ROWS, pd.Timestamp("2026-04-30"), grace_days=0)
    assert report == {"skipped": "no test snapshot with 13 weeks observed by 2026-04-30"}
