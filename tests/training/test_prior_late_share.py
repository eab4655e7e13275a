"""The customer's own prior late share: the honest simple baseline of the overdue model."""

from __future__ import annotations

import numpy as np
import pandas as pd

from models.bundle import Calibrator
from training.backtest import BacktestResult
from training.baselines import CustomerPriorLateShare
from training.dataset import Fold
from training.report import auc_margin


def frame(share: list[float], overdue: list[float]) -> pd.DataFrame:
    return pd.DataFrame(
        {
            "customer_id": [f"C{i}" for i in range(len(share))],
            "as_of": pd.Timestamp("2024-01-31"),
            "customer_late_share_count_365d": share,
            "customer_late_share_count_90d": [0.9] * len(share),
            "overdue_30d": overdue,
            "dso_30d": np.nan,
        }
    )


def test_each_customer_gets_its_own_share_and_new_ones_the_base_rate() -> None:
    # base rate of the labelled training rows: 1 late of 4 known (the NaN row is excluded)
    train = frame([0.5, 0.0, 1.0, np.nan, 0.2], [1.0, 0.0, 0.0, 0.0, np.nan])
    test = frame([0.25, np.nan, 0.75], [1.0, 0.0, 1.0]).set_index(pd.Index([7, 8, 9]))
    baseline = CustomerPriorLateShare().fit(train)
    scores = baseline.score(test)
    assert baseline.name == "customer_prior_late_share"
    assert baseline.feature_ == "customer_late_share_count_365d"
    assert baseline.fallback_ == 0.25
    assert scores["overdue_probability"].tolist() == [0.25, 0.25, 0.75]
    assert scores.index.tolist() == [7, 8, 9]


def test_a_shorter_window_serves_when_the_year_is_absent() -> None:
    train = frame([0.5], [1.0]).drop(columns="customer_late_share_count_365d")
    scores = CustomerPriorLateShare().fit(train).score(train)
    assert scores["overdue_probability"].tolist() == [0.9]


def test_without_any_late_share_everyone_gets_the_base_rate() -> None:
    train = frame([0.5, 0.5], [1.0, 0.0]).drop(
        columns=["customer_late_share_count_365d", "customer_late_share_count_90d"]
    )
    scores = CustomerPriorLateShare().fit(train).score(train)
    assert scores["overdue_probability"].tolist() == [0.5, 0.5]


def test_report_states_the_margin_over_it() -> None:
    y = [1.0, 0.0, 1.0, 0.0]
    model = frame([0.0] * 4, y).assign(fold=1, overdue_probability=[0.9, 0.1, 0.8, 0.2])
    prior = frame([0.0] * 4, y).assign(fold=1, overdue_probability=[0.9, 0.8, 0.1, 0.2])
    fold = Fold(1, *[pd.Timestamp("2024-01-31")] * 3)
    result = BacktestResult(
        [fold], {"model": model, "customer_prior_late_share": prior}, Calibrator("platt")
    )
    last_fold = result.metrics()
    # model AUC 1.0; prior: late 0.9 outranks both on-time rows, late 0.1 neither -> 2 of 4
    assert last_fold["customer_prior_late_share"]["auc"] == 0.5
    assert auc_margin(last_fold, "customer_prior_late_share") == 0.5
    assert auc_margin(last_fold, "missing") is None
