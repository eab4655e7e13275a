"""Evaluation metrics and calibration on hand-built numbers."""

from __future__ import annotations

import numpy as np
import pytest
from sklearn.isotonic import IsotonicRegression
from sklearn.linear_model import LogisticRegression

from training.calibrate import (
    FoldScores,
    brier,
    choose_calibrator,
    compare_methods,
    fit_calibrator,
)
from training.evaluate import (
    classification_metrics,
    decile_table,
    expected_calibration_error,
    regression_metrics,
)


def test_ece_weights_bins_by_rows() -> None:
    y = np.array([0, 0, 1, 1, 1])
    p = np.array([0.05, 0.05, 0.95, 0.95, 0.55])
    # bin 0: |0.05 - 0| x 2/5; bin 9: |0.95 - 1| x 2/5; bin 5: |0.55 - 1| x 1/5
    assert expected_calibration_error(y, p) == pytest.approx(0.02 + 0.02 + 0.09)


def test_classification_metrics_exact() -> None:
    y = np.array([0.0, 0.0, 1.0, 1.0])
    p = np.array([0.1, 0.6, 0.4, 0.9])
    metrics = classification_metrics(y, p)
    assert metrics["auc"] == pytest.approx(0.75)
    assert metrics["brier"] == pytest.approx((0.01 + 0.36 + 0.36 + 0.01) / 4)
    assert metrics["log_loss"] == pytest.approx(-np.mean(np.log([0.9, 0.4, 0.4, 0.9])))
    assert metrics["late_share"] == 0.5
    single = classification_metrics(np.zeros(3), np.array([0.1, 0.2, 0.3]))
    assert np.isnan(single["auc"]) and np.isnan(single["pr_auc"])


def test_decile_table_lift_and_capture() -> None:
    p = np.arange(20)[::-1] / 20  # riskiest first
    y = np.array([1, 1, 1, 0] + [0] * 15 + [1], dtype=float)
    table = decile_table(y, p)
    assert table["rows"].tolist() == [2] * 10
    assert table["late"].tolist() == [2, 1, 0, 0, 0, 0, 0, 0, 0, 1]
    assert table["lift"].iloc[0] == pytest.approx(1.0 / 0.2)
    assert table["capture"].tolist()[:3] == [0.5, 0.75, 0.75]
    assert table["capture"].iloc[-1] == 1.0


def test_regression_metrics_with_interval() -> None:
    y = np.array([10.0, 20.0, 30.0, 40.0])
    pred = np.array([12.0, 18.0, 30.0, 50.0])
    p10 = np.array([9.0, 21.0, 29.0, 39.0])
    p90 = np.array([11.0, 25.0, 31.0, 39.5])
    metrics = regression_metrics(y, pred, p10, p90)
    assert metrics == {
        "mae": 3.5,
        "rmse": pytest.approx(np.sqrt((4 + 4 + 0 + 100) / 4)),
        "rows": 4.0,
        "coverage_p10_p90": 0.5,  # 10 and 30 inside; 20 below, 40 above
        "interval_width": 2.125,
    }
    assert set(regression_metrics(y, pred)) == {"mae", "rmse", "rows"}


def test_platt_and_isotonic_match_scikit_learn() -> None:
    rng = np.random.default_rng(0)
    raw = rng.normal(size=500)
    y = (raw + rng.normal(size=500) > 0.3).astype(float)
    platt = fit_calibrator("platt", raw, y)
    reference = LogisticRegression(C=1e6).fit(raw.reshape(-1, 1), y)
    np.testing.assert_allclose(
        platt.transform(raw), reference.predict_proba(raw.reshape(-1, 1))[:, 1], atol=1e-9
    )
    isotonic = fit_calibrator("isotonic", raw, y)
    iso = IsotonicRegression(out_of_bounds="clip", y_min=0.0, y_max=1.0).fit(raw, y)
    probe = np.linspace(-4, 4, 101)
    np.testing.assert_allclose(isotonic.transform(probe), iso.predict(probe), atol=1e-12)
    with pytest.raises(ValueError, match=r"^unknown calibration method 'beta'"):
        fit_calibrator("beta", raw, y)


def test_calibration_choice_is_out_of_time_and_by_brier() -> None:
    rng = np.random.default_rng(1)
    folds = []
    for _ in range(3):
        raw = rng.normal(size=400)
        # a step-shaped truth that a sigmoid cannot follow: isotonic must win
        y = (rng.random(400) < np.where(raw > 0, 0.9, 0.1)).astype(float)
        folds.append(FoldScores(raw, y))
    briers = compare_methods(folds)
    assert briers["isotonic"] < briers["platt"]
    calibrator, reported = choose_calibrator(folds)
    assert calibrator.method == "isotonic" and reported == briers
    with pytest.raises(ValueError) as caught:
        compare_methods(folds[:1])
    assert str(caught.value) == "calibration choice needs at least 2 folds; got 1"


def test_calibration_choice_fits_only_on_what_each_fold_may_know() -> None:
    rng = np.random.default_rng(2)
    folds = [FoldScores(rng.normal(size=300), (rng.random(300) < 0.4).astype(float))]
    folds += [FoldScores(rng.normal(size=300), (rng.random(300) < 0.4).astype(float))]
    folds += [FoldScores(rng.normal(size=300), (rng.random(300) < 0.4).astype(float))]
    # fold 2 may know nothing, fold 3 only fold 1: one comparison, fitted on fold 1, on fold 3
    briers = compare_methods(folds, [None, folds[0]])
    expected = {
        m: brier(folds[2].y, fit_calibrator(m, folds[0].raw, folds[0].y).transform(folds[2].raw))
        for m in ("isotonic", "platt")
    }
    assert briers == expected
    assert briers != compare_methods(folds)  # the default also fits fold 3 on fold 2's rows
    with pytest.raises(ValueError) as caught:
        compare_methods(folds, [None, None])
    assert str(caught.value) == "calibration choice needs a fold with earlier labels to fit on"
