"""CQR of the DSO interval on hand-built numbers: scores, quantile, folds and the report."""

from __future__ import annotations

import logging

import numpy as np
import pandas as pd
import pytest

from models.bundle import Calibrator
from training.backtest import (
    RAW_P10,
    RAW_P90,
    BacktestResult,
    adjust_interval_folds,
    calibrate_folds,
)
from training.calibrate import fit_calibrator
from training.dataset import Fold
from training.evaluate import coverage
from training.intervals import (
    ALPHA,
    conformal_quantile,
    conformity_scores,
    fit_interval_adjustment,
)
from training.report import interval_report

DAY = pd.Timestamp("2024-01-31")
MONTH_ENDS = [pd.Timestamp(d) for d in ("2024-11-30", "2025-01-31", "2025-03-31", "2025-05-31")]
FOLDS = [Fold(n, MONTH_ENDS[n - 1], MONTH_ENDS[n], MONTH_ENDS[n]) for n in (1, 2, 3)]
"""Fold k tests on MONTH_ENDS[k] and trains up to MONTH_ENDS[k - 1], the earlier fold's date."""


def test_conformity_score_is_days_outside_the_interval() -> None:
    p10, p90 = np.full(4, 10.0), np.full(4, 30.0)
    y = np.array([5.0, 12.0, 30.0, 41.0])
    # below by 5; inside (2 above p10, 18 below p90); on p90; above by 11
    np.testing.assert_array_equal(conformity_scores(p10, p90, y), [5.0, -2.0, 0.0, 11.0])


def test_quantile_is_the_kth_smallest_score() -> None:
    scores = np.array([9.0, 1.0, 8.0, 2.0, 7.0, 3.0, 6.0, 4.0, 5.0])
    # n = 9, k = ceil(10 x 0.8) = 8
    assert conformal_quantile(scores) == 8.0
    assert ALPHA == 0.2


def test_negative_quantile_narrows() -> None:
    # every outcome well inside [10, 30]: scores 10 - y = -1 .. -9, k = 8 -> -2
    y = np.arange(11.0, 20.0)
    scores = conformity_scores(np.full(9, 10.0), np.full(9, 30.0), y)
    assert conformal_quantile(scores) == -2.0


def test_ties_count_once_each() -> None:
    scores = np.array([1.0, 3.0, 3.0, 3.0, 3.0, 0.0, 0.0, 5.0, 7.0])
    # sorted: 0 0 1 3 3 3 3 5 7; 8th smallest = 5
    assert conformal_quantile(scores) == 5.0
    assert conformal_quantile(np.full(9, 3.0)) == 3.0


def test_level_above_one_uses_the_largest_score(caplog: pytest.LogCaptureFixture) -> None:
    # n = 3: k = ceil(4 x 0.8) = 4 > 3
    with caplog.at_level(logging.INFO, logger="training.intervals"):
        assert conformal_quantile(np.array([2.0, -1.0, 4.5])) == 4.5
    assert "CQR quantile level 4/3 is above 1 (3 held-out rows)" in caplog.text


def test_no_rows_means_no_adjustment(caplog: pytest.LogCaptureFixture) -> None:
    with caplog.at_level(logging.WARNING, logger="training.intervals"):
        assert conformal_quantile(np.array([])) == 0.0
    assert "no held-out rows to conformalise the DSO interval: adjustment 0.0" in caplog.text


def test_rank_is_not_raised_by_float_noise() -> None:
    # (9 + 1) x (1 - 0.7) is 3.0000000000000004 in floats; k must be 3, not 4
    assert conformal_quantile(np.arange(1.0, 10.0), alpha=0.7) == 3.0


def test_alpha_outside_zero_one_is_refused() -> None:
    with pytest.raises(ValueError, match=r"^alpha must be strictly between 0 and 1; got 1\.0$"):
        conformal_quantile(np.array([1.0]), alpha=1.0)


def test_fit_skips_rows_without_a_label() -> None:
    rows = pd.DataFrame(
        {
            "dso_p10": [10.0, 10.0, 10.0, 10.0],
            "dso_p90": [30.0, 30.0, 30.0, 30.0],
            "dso_30d": [35.0, np.nan, 20.0, 12.0],
        }
    )
    # labelled scores 5, -10, -2; n = 3 -> level above 1 -> the largest, 5
    assert fit_interval_adjustment(rows) == 5.0
    assert fit_interval_adjustment(rows.iloc[[1]]) == 0.0


def test_coverage_counts_bounds_as_inside() -> None:
    y = np.array([10.0, 30.0, 31.0, 9.0])
    assert coverage(np.full(4, 10.0), np.full(4, 30.0), y) == 0.5
    assert coverage(np.array([]), np.array([]), np.array([])) is None


def fold_rows(fold3_labels: list[float]) -> pd.DataFrame:
    """Three folds of the model's scored rows: raw interval [10, 30] everywhere.

    Fold 1: scores 5, 3, 1, -1, -3 (y = 35, 33, 31, 19, 13) and one unlabelled row.
    Fold 2: scores 4, 2, 0, -2 (y = 34, 32, 30, 12).
    """
    labels = [35.0, 33.0, 31.0, 19.0, 13.0, np.nan, 34.0, 32.0, 30.0, 12.0, *fold3_labels]
    folds = [1] * 6 + [2] * 4 + [3] * len(fold3_labels)
    n = len(labels)
    return pd.DataFrame(
        {
            "fold": folds,
            "as_of": [MONTH_ENDS[f] for f in folds],
            "dso_30d": labels,
            "dso_p10": np.full(n, 10.0),
            "dso_p90": 30.0,
        }
    )


def test_fold_k_is_adjusted_with_earlier_folds_only() -> None:
    rows = fold_rows([20.0, 20.0, 20.0])
    adjusted, final, applied = adjust_interval_folds(rows, FOLDS)

    # fold 2: fold 1's 5 scores, k = ceil(6 x 0.8) = 5 -> the largest, 5
    # fold 3: folds 1-2's 9 scores (-3 -2 -1 0 1 2 3 4 5), k = 8 -> 4
    # final: 12 scores, fold 3's are -10 x 3: k = ceil(13 x 0.8) = 11 -> 4
    assert applied == [0.0, 5.0, 4.0]
    assert final == 4.0
    np.testing.assert_array_equal(adjusted["dso_p10"], [10.0] * 6 + [5.0] * 4 + [6.0] * 3)
    np.testing.assert_array_equal(adjusted["dso_p90"], [30.0] * 6 + [35.0] * 4 + [34.0] * 3)


def test_later_labels_never_change_earlier_folds_intervals() -> None:
    before, final_before, applied_before = adjust_interval_folds(fold_rows([20.0] * 3), FOLDS)
    after, final_after, applied_after = adjust_interval_folds(fold_rows([90.0] * 3), FOLDS)

    pd.testing.assert_frame_equal(before, after)  # fold 3's own interval uses folds 1-2 only
    assert applied_before == applied_after == [0.0, 5.0, 4.0]
    # only the final adjustment sees fold 3: its scores are now 60 x 3; k = 11 -> 60
    assert (final_before, final_after) == (4.0, 60.0)


def test_rows_of_an_earlier_fold_after_the_folds_training_end_are_left_out() -> None:
    rows = fold_rows([20.0] * 3)
    late = rows.iloc[[6]].assign(as_of=pd.Timestamp("2025-04-30"), dso_30d=90.0)  # fold 2 row
    with_late = pd.concat([rows, late], ignore_index=True)

    _, final, applied = adjust_interval_folds(with_late, FOLDS)

    # its outcome came after fold 3's training end: fold 3 is adjusted as before (4, not 5);
    # the final adjustment, fitted on every row, sees it: 13 scores, k = 12 -> 5
    assert applied == [0.0, 5.0, 4.0]
    assert final == 5.0


def test_report_states_adjustment_and_held_out_coverage() -> None:
    rows = fold_rows([20.0, 20.0, 32.0])
    adjusted, final, applied = adjust_interval_folds(rows, FOLDS)
    scored = rows.assign(
        **{RAW_P10: rows["dso_p10"], RAW_P90: rows["dso_p90"]},
        dso_p10=adjusted["dso_p10"],
        dso_p90=adjusted["dso_p90"],
    )
    result = BacktestResult(FOLDS, {"model": scored}, Calibrator("platt"), {}, final, applied)

    # held out = folds 2-3's 7 labelled rows; raw [10, 30] holds 30, 12, 20, 20 (4 of 7);
    # fold 2 on [5, 35] holds all 4, fold 3 on [6, 34] holds all 3
    assert interval_report(result) == {
        "method": "cqr",
        "alpha": 0.2,
        "adjustment_days": 4.0,
        "fold_adjustment_days": [0.0, 5.0, 4.0],
        "held_out_rows": 7,
        "held_out_coverage_before": pytest.approx(4 / 7),
        "held_out_coverage_after": 1.0,
    }


def test_calibration_of_fold_k_uses_only_labels_its_model_could_know() -> None:
    # one-month folds, gap 30 days: test month, and the last snapshot before test - 30 days
    tests = [pd.Timestamp(d) for d in ("2025-01-31", "2025-02-28", "2025-03-31")]
    train_ends = [pd.Timestamp(d) for d in ("2024-12-31", "2024-12-31", "2025-01-31")]
    folds = [Fold(n, train_ends[n - 1], tests[n - 1], tests[n - 1]) for n in (1, 2, 3)]
    raw = np.array([-1.0, 1.0, -1.0, 1.0, -2.0, 2.0])
    rows = pd.DataFrame(
        {
            "fold": [1, 1, 2, 2, 3, 3],
            "as_of": [tests[0], tests[0], tests[1], tests[1], tests[2], tests[2]],
            "overdue_30d": [0.0, 1.0, 1.0, 0.0, 0.0, 1.0],
            "raw_score": raw,
        }
    )

    probability, calibrator, _ = calibrate_folds(rows, folds)

    sigmoid = 1.0 / (1.0 + np.exp(-raw))
    # fold 1: nothing earlier; fold 2: fold 1's rows are dated after its cut-off (2024-12-31)
    np.testing.assert_array_equal(probability[:4], sigmoid[:4])
    # fold 3 (cut-off 2025-01-31) is calibrated on fold 1's two rows, not fold 2's
    fitted = fit_calibrator(calibrator.method, raw[:2], np.array([0.0, 1.0]))
    np.testing.assert_allclose(probability[4:], fitted.transform(raw[4:]))
