"""Reasons: probability points add up, sentences read well (SHAP itself: tests/model)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from models.attribution import probability_points
from models.bundle import ModelBundle
from serving.policy import load_policy
from serving.reasons import reason_text, wording_of
from serving.scoring import build_reason_context, score_frame


@pytest.fixture(scope="module")
def rows(store_frame: pd.DataFrame) -> pd.DataFrame:
    return store_frame.set_index("customer_id").iloc[:40]


def test_probability_points_add_up_to_probability_minus_base(
    tiny_bundle: ModelBundle, rows: pd.DataFrame
) -> None:
    features = rows[tiny_bundle.feature_names]
    points, base = probability_points(
        tiny_bundle.explain(features).overdue, tiny_bundle.calibrator.transform
    )
    probability = tiny_bundle.predict(features)["overdue_probability"]
    np.testing.assert_allclose(points.sum(axis=1), probability - base, atol=1e-12)
    expected_base = tiny_bundle.calibrator.transform(
        np.array([tiny_bundle.explain(features).overdue["expected_value"].iloc[0]])
    )
    assert base.iloc[0] == pytest.approx(expected_base[0], abs=1e-15)


def test_probability_points_when_contributions_cancel() -> None:
    contributions = pd.DataFrame({"a": [0.0, 1.0], "b": [0.0, 1.0], "expected_value": [0.0, 0.0]})
    sigmoid = lambda raw: 1.0 / (1.0 + np.exp(-raw))  # noqa: E731
    points, base = probability_points(contributions, sigmoid)
    assert base.tolist() == [0.5, 0.5]
    assert points.iloc[0].tolist() == [0.0, 0.0]
    p = sigmoid(2.0)
    assert points.iloc[1].tolist() == pytest.approx([(p - 0.5) / 2, (p - 0.5) / 2], abs=1e-15)


def test_reason_sentences() -> None:
    late = wording_of("customer_late_share_count_90d", categorical=False)
    assert reason_text(late, 0.45, 0.12) == (
        "Paid 45% of invoices late in the last 90 days (industry: 12%)"
    )
    assert reason_text(late, None, 0.12) == "Late share, last 90 days: unknown (industry: 12%)"
    assert reason_text(late, 0.45, None) == "Paid 45% of invoices late in the last 90 days"
    industry = wording_of("customer_industry", categorical=True)
    assert reason_text(industry, "retail", None) == "Industry: retail"
    ratio = wording_of("peer_dso_ratio_to_industry_median", categorical=False)
    assert reason_text(ratio, 1.35, 1.0) == "DSO is 1.35x the industry's (industry: 1.00x)"
    extra = wording_of("customer_noise", categorical=False)
    assert reason_text(extra, 2.0, None) == "Customer noise: 2"


def test_score_frame_is_what_the_api_serves(
    tiny_bundle: ModelBundle, store_frame: pd.DataFrame
) -> None:
    policy = load_policy()
    portfolio = store_frame.set_index("customer_id")
    context = build_reason_context(portfolio, tiny_bundle, policy, top_k=2)
    scored = score_frame(portfolio.iloc[:5], tiny_bundle, policy, context)
    assert list(scored.index) == list(portfolio.index[:5])
    assert scored["reasons_overdue"].map(len).tolist() == [2] * 5
    assert scored["reasons_delinquency"].map(len).tolist() == [2] * 5
    medians = context.medians
    industry = portfolio["customer_industry"].iloc[0]
    assert medians.at[industry, "customer_dso_days"] == pytest.approx(
        portfolio.loc[portfolio["customer_industry"] == industry, "customer_dso_days"].median()
    )
    explained = tiny_bundle.explain(portfolio.iloc[:5][tiny_bundle.feature_names])
    points, _ = probability_points(explained.overdue, tiny_bundle.calibrator.transform)
    for customer, reasons in scored["reasons_overdue"].items():
        top = points.loc[customer].abs().sort_values(ascending=False, kind="stable").index[:2]
        assert [r["feature"] for r in reasons] == list(top)
        assert [r["contribution"] for r in reasons] == points.loc[customer, top].tolist()
        assert reasons[0]["value"] == (
            None if pd.isna(portfolio.at[customer, top[0]]) else portfolio.at[customer, top[0]]
        )
