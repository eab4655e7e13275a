"""The terms review on hand-built customers: cuts where the tier caps, rewards for punctual
customers with large orders, the high-value stable flag."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
from typer.testing import CliRunner

from arsight.cli import app
from serving.batch.terms_review import REVIEW_COLUMNS, terms_review
from serving.policy import load_policy
from tests.serving.batch_fixtures import TwoRuns, two_runs_fixture, world_dir_fixture  # noqa: F401

POLICY = load_policy()


def test_cuts_and_rewards_with_their_reasons() -> None:
    rows = pd.DataFrame(
        {
            "customer_id": ["punctual", "yellow", "small", "late", "capped", "young"],
            "customer_name": ["P", "Y", "S", "L", "C", "N"],
            "scored": [True] * 6,
            "risk_tier": ["green", "yellow", "green", "green", "green", "green"],
            "recommended_terms_days": [60, 30, 30, 45, 90, 30],
        }
    )
    features = pd.DataFrame(
        {
            "customer_terms_days": [60.0, 60.0, 30.0, 45.0, 90.0, 30.0],
            "customer_days_late_mean_365d": [-2.0, 10.0, -1.0, 3.0, -5.0, -1.0],
            "customer_late_share_count_365d": [0.0, 0.4, 0.0, 0.3, 0.02, 0.0],
            # young: 240,000 in its 73 days is 100,000 a month, large, but too new for a reward
            "customer_sales_amount_365d": [3e6, 2_400_000.0, 600_000.0, 5e6, 4e6, 240_000.0],
            "customer_tenure_days": [1500.0, 800.0, 2000.0, 900.0, 400.0, 73.0],
            "customer_order_volume_change_90d": [0.1, -0.2, 0.0, 0.0, 0.3, 0.1],
        },
        index=pd.Index(
            ["punctual", "yellow", "small", "late", "capped", "young"], name="customer_id"
        ),
    )
    review = terms_review(rows, features, POLICY)
    assert tuple(review.columns) == REVIEW_COLUMNS
    assert review[["customer_id", "kind", "current_terms_days", "proposed_terms_days"]].to_dict(
        "records"
    ) == [
        {"customer_id": "yellow", "kind": "cut", "current_terms_days": 60.0,
         "proposed_terms_days": 30.0},
        {"customer_id": "punctual", "kind": "reward", "current_terms_days": 60.0,
         "proposed_terms_days": 75.0},
    ]  # fmt: skip
    assert review["reason"].tolist() == [
        "tier yellow caps terms at 30 days (agreed 60)",
        "punctual with monthly orders of 250,000: +15 days (policy: +15); high-value stable",
    ]


def test_the_report_writes_the_latest_runs_review(two_runs: TwoRuns, tmp_path: Path) -> None:
    out = tmp_path / "review.csv"
    args = ["report", "terms-review", "--runs-dir", str(two_runs.home / "runs"), "--out", str(out)]
    result = CliRunner().invoke(app, args)
    assert result.exit_code == 0, result.output
    written = pd.read_csv(out)
    expected = pd.read_parquet(two_runs.second.paths.terms_review)
    assert written["customer_id"].astype(str).tolist() == expected["customer_id"].tolist()
    assert written["reason"].fillna("").tolist() == expected["reason"].tolist()
    kinds = expected["kind"].value_counts()
    assert f"run {two_runs.second_as_of.date()}: {kinds.get('cut', 0)} cuts" in result.output
    empty = CliRunner().invoke(
        app, ["report", "terms-review", "--runs-dir", str(tmp_path), "--out", str(out)]
    )
    assert empty.exit_code == 2
