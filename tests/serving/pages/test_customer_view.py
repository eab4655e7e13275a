"""The customer page's own numbers: the waterfall and the health-signal series."""

from __future__ import annotations

import math

import pandas as pd
import pytest
from fastapi.testclient import TestClient

from features.wording import wording_for
from serving.pages.customer import signal_series, waterfall_steps
from serving.snapshot import Served
from tests.serving.batch_fixtures import TwoRuns


def test_waterfall_adds_up_to_the_served_probability(
    risk_client: TestClient, two_runs: TwoRuns
) -> None:
    served: Served = risk_client.app.state.refresher.current()  # type: ignore[attr-defined]
    customer_id = str(pd.read_parquet(two_runs.second.paths.worklist)["customer_id"].iloc[0])
    record = served.scores[customer_id]
    base, steps = waterfall_steps(served, served.store.frame.loc[[customer_id]])
    assert base == pytest.approx(record["base_delinquency_probability"], abs=1e-12)
    total = base + sum(delta for _, delta in steps)
    assert total == pytest.approx(record["delinquency_probability"], abs=1e-9)
    others = len(served.bundle.feature_names) - 8
    assert len(steps) == 9 and steps[-1][0] == f"{others} other features"
    top = [wording_for(r["feature"]) for r in record["reasons_delinquency"]]
    assert [label.split(": ")[0] for label, _ in steps[: len(top)]] == [w.label for w in top]


def test_signal_series_reconstructs_past_values_from_changes() -> None:
    row = pd.Series(
        {
            "signal_credit_rating_latest": 7.0,
            "signal_credit_rating_change_90d": -1.0,
            "signal_credit_rating_change_180d": math.nan,
            "signal_bank_credit_line_latest": 700_000.0,
            "signal_bank_credit_line_change_90d": -300_000.0,
            "signal_bank_credit_line_change_180d": -500_000.0,
            "signal_lawsuits_open_latest": math.nan,
            "signal_tax_grade_latest": None,
        }
    )
    series = signal_series(row, pd.Timestamp("2024-03-31"))
    assert [(s.name, s.values) for s in series] == [
        ("credit_rating", [None, 8.0, 7.0]),
        ("bank_credit_line", [1_200_000.0, 1_000_000.0, 700_000.0]),
    ]
    assert series[0].labels == ["2023-10-03", "2024-01-01", "2024-03-31"]
