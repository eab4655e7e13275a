"""The delinquency classifier: backtest on its own folds, baselines, calibration, bundle fields."""

from __future__ import annotations

import json
import math
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from features.labels import LabelDefinition
from models.bundle import ModelBundle
from models.pyfunc import predict_with_reasons
from tests.conftest import make_training_frame
from training.baselines import CustomerPriorSevereShare, LogisticBaseline
from training.dataset import DELINQUENT, feature_columns
from training.delinquency import delinquency_folds
from training.errors import DatasetError
from training.model_card import CardContext, render_model_card
from training.settings import TrainingSettings
from training.workflow import Development, develop

SETTINGS = TrainingSettings(_env_file=None, fold_snapshots=2, max_rounds=60, trials=0)


def credit_frame(customers: int = 200, months: int = 18, seed: int = 5) -> pd.DataFrame:
    """The small training frame plus a severe-share feature and delinquent_90d driven by risk."""
    frame = make_training_frame(customers, months, seed)
    rng = np.random.default_rng(seed)
    late = frame["customer_late_share_count_180d"].fillna(0.5).to_numpy()
    severe = np.clip(late**3 + rng.normal(scale=0.03, size=len(frame)), 0, 1)
    outcome = 4 * late**3 + rng.normal(scale=0.35, size=len(frame))
    delinquent = (outcome > np.quantile(outcome, 0.88)).astype(float)
    delinquent[rng.random(len(frame)) < 0.1] = np.nan  # not active at t
    last_known = frame["as_of"].max() - pd.Timedelta(days=90)
    delinquent[(frame["as_of"] > last_known).to_numpy()] = np.nan  # outcome not known yet
    severe_share = pd.Series(severe).where(rng.random(len(frame)) > 0.05)
    return frame.assign(customer_severe_late_share_365d=severe_share, **{DELINQUENT: delinquent})


@pytest.fixture(scope="module")
def frame() -> pd.DataFrame:
    return credit_frame()


@pytest.fixture(scope="module")
def development(frame: pd.DataFrame) -> Development:
    return develop(frame, SETTINGS, LabelDefinition(), trials=0)


def test_backtest_against_the_baselines_on_folds_that_leave_the_horizon_out(
    development: Development, frame: pd.DataFrame
) -> None:
    credit = development.bundle.report["delinquency"]
    assert list(credit["last_fold"]) == [
        "model",
        "customer_prior_severe_share",
        "points_scorecard",
        "logistic",
        "lightgbm_untuned",
    ]
    assert list(credit["margins"]) == [
        "auc_over_customer_prior_severe_share",
        "auc_over_points_scorecard",
        "auc_over_logistic",
        "auc_over_lightgbm_untuned",
    ]
    known = frame.loc[frame[DELINQUENT].notna(), "as_of"]
    snapshots = sorted(known.unique())
    folds = development.delinquency.backtest.folds  # type: ignore[union-attr]
    assert [f.test_start for f in folds] == [snapshots[-6], snapshots[-4], snapshots[-2]]
    assert folds[-1].test_end == known.max()
    for fold in folds:  # every training label was known before the test block starts
        assert fold.train_end + pd.Timedelta(days=90) < fold.test_start
    model = credit["last_fold"]["model"]
    assert model["auc"] > 0.75
    assert credit["calibration"]["method"] in {"isotonic", "platt"}
    assert credit["margins"]["auc_over_logistic"] == pytest.approx(
        model["auc"] - credit["last_fold"]["logistic"]["auc"]
    )


def test_bundle_predicts_a_calibrated_delinquency_probability(
    development: Development, frame: pd.DataFrame
) -> None:
    bundle = development.bundle
    assert "delinquency_classifier" in bundle.params["rounds"]
    assert bundle.monotone["customer_severe_late_share_365d"] == 1
    assert bundle.label_definition["delinquent_days"] == 30
    assert bundle.label_definition["delinquency_horizon_days"] == 90
    rows = frame[bundle.feature_names].tail(50)
    raw = bundle.delinquency_classifier.predict(bundle.encode(rows), raw_score=True)  # type: ignore[union-attr]
    predicted = bundle.predict(rows)
    np.testing.assert_array_equal(
        predicted["delinquency_probability"],
        bundle.delinquency_calibrator.transform(raw),  # type: ignore[union-attr]
    )
    assert predicted["delinquency_probability"].between(0, 1).all()
    explanation = bundle.explain(rows)
    np.testing.assert_allclose(explanation.delinquency.sum(axis=1), raw, atol=1e-9)  # type: ignore[union-attr]
    output = predict_with_reasons(bundle, rows)
    assert "shap_delinquency__expected_value" in output
    np.testing.assert_array_equal(
        output["delinquency_probability"], predicted["delinquency_probability"]
    )


def test_save_load_round_trip_and_bundles_saved_before(
    development: Development, frame: pd.DataFrame, tmp_path: Path
) -> None:
    bundle = development.bundle
    rows = frame[bundle.feature_names].tail(20)
    bundle.save(tmp_path / "b")
    assert (tmp_path / "b" / "delinquency_classifier.txt").exists()
    loaded = ModelBundle.load(tmp_path / "b")
    pd.testing.assert_frame_equal(loaded.predict(rows), bundle.predict(rows))
    (tmp_path / "b" / "delinquency_classifier.txt").unlink()
    meta = json.loads((tmp_path / "b" / "bundle.json").read_text())
    del meta["delinquency_calibrator"]
    (tmp_path / "b" / "bundle.json").write_text(json.dumps(meta))
    old = ModelBundle.load(tmp_path / "b")
    assert old.delinquency_classifier is None and old.delinquency_calibrator is None
    assert old.predict(rows)["delinquency_probability"].isna().all()
    assert old.explain(rows).delinquency is None
    pd.testing.assert_series_equal(
        old.predict(rows)["overdue_probability"], bundle.predict(rows)["overdue_probability"]
    )


def test_model_card_has_the_credit_section(development: Development) -> None:
    card = render_model_card(development.bundle, CardContext("arsight", "2025-06-30", 100, 0))
    assert "## Credit risk: delinquency_probability" in card
    assert (
        "- Calibrated probability that the customer has an invoice unpaid more than 30 days past "
        "its due date on some day of the next 90 days" in card
    )
    assert "| customer_prior_severe_share |" in card
    assert "AUC margin of the model over each baseline: customer_prior_severe_share " in card


def test_without_the_label_there_is_no_delinquency_model() -> None:
    frame = make_training_frame(customers=120, months=15, seed=2).drop(columns=DELINQUENT)
    development = develop(frame, SETTINGS, LabelDefinition(), trials=0)
    assert development.bundle.report["delinquency"] == {
        "skipped": "the frame has no delinquent_90d column"
    }
    assert development.bundle.delinquency_classifier is None
    card = render_model_card(development.bundle, CardContext("arsight", "x", 1, 0))
    assert "- Not trained: the frame has no delinquent_90d column." in card


def test_severe_share_baseline_is_the_customer_share_or_the_base_rate() -> None:
    train = pd.DataFrame(
        {"customer_severe_late_share_365d": [0.1, 0.0, np.nan], DELINQUENT: [1.0, 0.0, np.nan]}
    )
    test = pd.DataFrame({"customer_severe_late_share_365d": [0.25, np.nan]}, index=[4, 5])
    scores = CustomerPriorSevereShare().fit(train).score(test)
    assert scores["delinquency_probability"].tolist() == [0.25, 0.5]
    assert scores.index.tolist() == [4, 5]
    without = CustomerPriorSevereShare().fit(train).score(test.drop(columns=test.columns))
    assert without["delinquency_probability"].tolist() == [0.5, 0.5]


def test_logistic_baseline_fits_the_label_it_is_given(frame: pd.DataFrame) -> None:
    known = frame.loc[frame[DELINQUENT].notna()]
    baseline = LogisticBaseline(seed=0, label=DELINQUENT).fit(known.head(2000))
    scores = baseline.score(known.tail(5))
    assert list(scores.columns) == ["delinquency_probability"]
    assert not math.isnan(scores.iloc[0, 0])
    assert DELINQUENT not in feature_columns(frame)


def test_folds_need_both_classes_in_every_fold_training_rows(frame: pd.DataFrame) -> None:
    early = frame["as_of"] <= sorted(frame["as_of"].unique())[7]
    quiet = frame.assign(**{DELINQUENT: frame[DELINQUENT].where(~early, 0.0)})
    with pytest.raises(DatasetError) as err:
        delinquency_folds(quiet, SETTINGS, LabelDefinition())
    assert str(err.value) == "fold 1: 1 delinquent_90d class(es) to train on"


def test_one_month_folds_are_lengthened_for_the_horizon(frame: pd.DataFrame) -> None:
    monthly = TrainingSettings(_env_file=None, fold_snapshots=1, max_rounds=60, trials=0)
    folds = delinquency_folds(frame, monthly, LabelDefinition())
    # 1-month folds leave no earlier fold's outcome known before the last fold trains
    assert [len(pd.date_range(f.test_start, f.test_end, freq="ME")) for f in folds] == [2, 2, 2]
    assert folds[-1].train_end >= folds[0].test_start
    short = frame.loc[frame["as_of"] >= sorted(frame["as_of"].unique())[-6]]
    with pytest.raises(DatasetError) as err:
        delinquency_folds(short, monthly, LabelDefinition())
    assert str(err.value) == (
        "3 snapshots with a known delinquent_90d are too few for 3 folds long enough for the "
        "90-day horizon (a later fold must train on an earlier fold's outcomes, so the "
        "calibrator can be chosen out of time)"
    )
