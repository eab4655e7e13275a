"""Model-behaviour tests (issue 4 item 9): monotonicity, ids ignored, SHAP additivity."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
import shap

from models.bundle import ModelBundle
from models.errors import FeatureMismatchError

LATE_SHARE = "customer_late_share_count_180d"


def test_constrained_feature_is_monotone_in_the_bundle(bundle: ModelBundle) -> None:
    assert bundle.monotone == {LATE_SHARE: 1}
    constraints = bundle.classifier.params["monotone_constraints"]
    assert [bundle.feature_names[i] for i, c in enumerate(constraints) if c] == [LATE_SHARE]


def test_worse_payment_history_never_lowers_probability_or_dso(
    bundle: ModelBundle, feature_rows: pd.DataFrame
) -> None:
    grid = np.linspace(0.0, 1.0, 21)
    rows = feature_rows.head(50)
    probabilities, dso = [], []
    for value in grid:
        predicted = bundle.predict(rows.assign(**{LATE_SHARE: value}))
        probabilities.append(predicted["overdue_probability"].to_numpy())
        dso.append(predicted["dso_30d"].to_numpy())
    assert (np.diff(np.array(probabilities), axis=0) >= 0).all()
    assert (np.diff(np.array(dso), axis=0) >= -1e-9).all()
    # the constraint binds on something real: the riskiest value does raise some scores
    assert (np.array(probabilities)[-1] > np.array(probabilities)[0]).any()


def test_predictions_ignore_customer_id(bundle: ModelBundle, feature_rows: pd.DataFrame) -> None:
    with_ids = feature_rows.assign(customer_id=[f"C{i}" for i in range(len(feature_rows))])
    other_ids = with_ids.assign(customer_id=with_ids["customer_id"].iloc[::-1].to_numpy())
    pd.testing.assert_frame_equal(bundle.predict(with_ids), bundle.predict(other_ids))
    pd.testing.assert_frame_equal(bundle.predict(with_ids), bundle.predict(feature_rows))


def test_predict_keeps_index_and_orders_interval(
    bundle: ModelBundle, feature_rows: pd.DataFrame
) -> None:
    predicted = bundle.predict(feature_rows)
    assert list(predicted.columns) == [
        "overdue_probability",
        "dso_30d",
        "dso_30d_p10",
        "dso_30d_p90",
        "delinquency_probability",
    ]
    assert predicted.index.equals(feature_rows.index)
    assert (predicted["dso_30d_p10"] <= predicted["dso_30d_p90"]).all()
    assert predicted["overdue_probability"].between(0, 1).all()


def test_shap_contributions_sum_to_raw_scores(
    bundle: ModelBundle, feature_rows: pd.DataFrame
) -> None:
    explanation = bundle.explain(feature_rows)
    assert list(explanation.overdue.columns) == [*bundle.feature_names, "expected_value"]
    np.testing.assert_allclose(
        explanation.overdue.sum(axis=1), bundle.raw_overdue_score(feature_rows), atol=1e-9
    )
    np.testing.assert_allclose(
        explanation.dso.sum(axis=1), bundle.predict(feature_rows)["dso_30d"], atol=1e-9
    )


def test_native_contributions_equal_shap_tree_explainer(
    bundle: ModelBundle, feature_rows: pd.DataFrame
) -> None:
    matrix = bundle.encode(feature_rows)
    explanation = bundle.explain(feature_rows)
    for booster, ours in (
        (bundle.classifier, explanation.overdue),
        (bundle.regressor, explanation.dso),
    ):
        explainer = shap.TreeExplainer(booster)
        values = explainer.shap_values(matrix)
        np.testing.assert_allclose(ours[bundle.feature_names].to_numpy(), values, atol=1e-6)
        assert ours["expected_value"].iloc[0] == pytest.approx(explainer.expected_value, abs=1e-6)


def test_mismatched_features_are_named(bundle: ModelBundle, feature_rows: pd.DataFrame) -> None:
    wrong = feature_rows.drop(columns=["customer_noise"]).assign(customer_mood=1.0)
    with pytest.raises(FeatureMismatchError) as caught:
        bundle.predict(wrong)
    assert str(caught.value) == (
        "feature frame does not match the model: missing ['customer_noise'], "
        "extra ['customer_mood']; expected the 6 features of pipeline 2"
    )


def test_unseen_category_is_treated_as_missing(
    bundle: ModelBundle, feature_rows: pd.DataFrame
) -> None:
    unseen = feature_rows.assign(customer_industry="shipbuilding")
    missing = feature_rows.assign(customer_industry=pd.Series(np.nan, dtype="str"))
    pd.testing.assert_frame_equal(bundle.predict(unseen), bundle.predict(missing))
