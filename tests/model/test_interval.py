"""The DSO interval's CQR adjustment: one formula, stored in the bundle, used by every output."""

from __future__ import annotations

import json
from dataclasses import replace
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from models.bundle import ModelBundle
from models.interval import dso_interval
from training.intervals import fit_interval_adjustment
from training.model_card import CardContext, render_model_card
from training.workflow import Development

LOW = np.array([10.0, 30.0, 20.0, 19.0])
HIGH = np.array([30.0, 10.0, 21.0, 29.0])


def test_unadjusted_interval_is_sorted_per_row() -> None:
    p10, p90 = dso_interval(LOW, HIGH)
    np.testing.assert_array_equal(p10, [10.0, 10.0, 20.0, 19.0])
    np.testing.assert_array_equal(p90, [30.0, 30.0, 21.0, 29.0])


def test_positive_adjustment_widens_both_sides() -> None:
    p10, p90 = dso_interval(LOW, HIGH, 2.5)
    np.testing.assert_array_equal(p10, [7.5, 7.5, 17.5, 16.5])
    np.testing.assert_array_equal(p90, [32.5, 32.5, 23.5, 31.5])


def test_negative_adjustment_narrows_and_collapses_to_the_midpoint() -> None:
    p10, p90 = dso_interval(LOW, HIGH, -4.0)
    # [20, 21] would become [24, 17]: both bounds at its midpoint 20.5; [19, 29] -> [23, 25]
    np.testing.assert_array_equal(p10, [14.0, 14.0, 20.5, 23.0])
    np.testing.assert_array_equal(p90, [26.0, 26.0, 20.5, 25.0])


def test_bounds_are_floored_at_zero_days() -> None:
    p10, p90 = dso_interval(np.array([3.0, -6.0, -9.0]), np.array([40.0, 5.0, -2.0]), 4.0)
    # [-1, 44] -> [0, 44]; [-10, 9] -> [0, 9]; [-13, 2] -> [0, 2]
    np.testing.assert_array_equal(p10, [0.0, 0.0, 0.0])
    np.testing.assert_array_equal(p90, [44.0, 9.0, 2.0])
    p10, p90 = dso_interval(np.array([-8.0]), np.array([-4.0]), 1.0)
    np.testing.assert_array_equal([p10[0], p90[0]], [0.0, 0.0])  # both below 0: [0, 0]


def test_inputs_are_not_mutated() -> None:
    low, high = LOW.copy(), HIGH.copy()
    dso_interval(low, high, -4.0)
    np.testing.assert_array_equal(low, LOW)
    np.testing.assert_array_equal(high, HIGH)


def test_predict_applies_the_bundles_adjustment(
    bundle: ModelBundle, feature_rows: pd.DataFrame
) -> None:
    matrix = bundle.encode(feature_rows)
    low = np.asarray(bundle.regressor_p10.predict(matrix))
    high = np.asarray(bundle.regressor_p90.predict(matrix))
    for q in (0.0, 3.0, -1.5):
        predicted = replace(bundle, interval_adjustment_days=q).predict(feature_rows)
        p10, p90 = dso_interval(low, high, q)
        np.testing.assert_array_equal(predicted["dso_30d_p10"], p10)
        np.testing.assert_array_equal(predicted["dso_30d_p90"], p90)


def test_save_load_keeps_the_adjustment(
    bundle: ModelBundle, feature_rows: pd.DataFrame, tmp_path: Path
) -> None:
    adjusted = replace(bundle, interval_adjustment_days=-2.25)
    adjusted.save(tmp_path / "b")
    assert (
        json.loads((tmp_path / "b" / "bundle.json").read_text())["interval_adjustment_days"]
        == -2.25
    )
    loaded = ModelBundle.load(tmp_path / "b")
    assert loaded.interval_adjustment_days == -2.25
    pd.testing.assert_frame_equal(loaded.predict(feature_rows), adjusted.predict(feature_rows))


def test_bundle_saved_before_the_adjustment_loads_unadjusted(
    bundle: ModelBundle, feature_rows: pd.DataFrame, tmp_path: Path
) -> None:
    replace(bundle, interval_adjustment_days=7.0).save(tmp_path / "old")
    meta_path = tmp_path / "old" / "bundle.json"
    meta = json.loads(meta_path.read_text())
    del meta["interval_adjustment_days"]
    meta_path.write_text(json.dumps(meta))

    loaded = ModelBundle.load(tmp_path / "old")

    assert loaded.interval_adjustment_days == 0.0
    unadjusted = replace(bundle, interval_adjustment_days=0.0).predict(feature_rows)
    pd.testing.assert_frame_equal(loaded.predict(feature_rows), unadjusted)


def test_develop_stores_the_backtests_final_adjustment(development: Development) -> None:
    bundle, backtest = development.bundle, development.backtest
    interval = bundle.report["interval"]
    assert bundle.interval_adjustment_days == backtest.interval_adjustment_days
    assert interval["adjustment_days"] == backtest.interval_adjustment_days
    assert interval["method"] == "cqr" and interval["alpha"] == 0.2
    assert interval["fold_adjustment_days"][0] == 0.0
    assert len(interval["fold_adjustment_days"]) == len(backtest.folds)
    assert 0.0 <= interval["held_out_coverage_after"] <= 1.0
    rows = backtest.scored["model"]
    raw = rows.assign(dso_p10=rows["dso_p10_raw"], dso_p90=rows["dso_p90_raw"])
    assert backtest.interval_adjustment_days == fit_interval_adjustment(raw)  # on raw, not adjusted
    for fold, q in zip(backtest.folds, backtest.fold_interval_adjustments, strict=True):
        part = rows.loc[rows["fold"] == fold.number]
        p10, p90 = dso_interval(part["dso_p10_raw"], part["dso_p90_raw"], q)
        np.testing.assert_array_equal(part["dso_p10"], p10)  # the bundle's own formula
        np.testing.assert_array_equal(part["dso_p90"], p90)


def test_model_card_states_the_adjustment(development: Development) -> None:
    q = -1.234
    interval = {"alpha": 0.2, "held_out_coverage_before": 0.887, "held_out_coverage_after": 0.8}
    bundle = replace(
        development.bundle,
        interval_adjustment_days=q,
        report={**development.bundle.report, "interval": interval},
    )
    card = render_model_card(bundle, CardContext("arsight", "2025-03-31", 100, 0))
    assert (
        "- p10-p90 interval conformalised on held-out folds (CQR): narrowed by 1.2 days; "
        "held-out coverage 88.7% before, 80.0% after (each fold adjusted with earlier folds only; "
        "target 80%).\n"
    ) in card
    widened = render_model_card(
        replace(bundle, interval_adjustment_days=3.0), CardContext("arsight", "x", 1, 0)
    )
    assert "(CQR): widened by 3.0 days;" in widened
    kept = render_model_card(
        replace(bundle, interval_adjustment_days=0.04), CardContext("arsight", "x", 1, 0)
    )
    assert "(CQR): kept as the quantile models give it (adjustment +0.04 days);" in kept
    old = replace(bundle, interval_adjustment_days=0.0, report={})
    assert "- p10-p90 interval: the quantile models' raw output (not conformalised).\n" in (
        render_model_card(old, CardContext("arsight", "x", 1, 0))
    )


@pytest.mark.parametrize("q", [4.0, -3.0])
def test_every_row_keeps_p10_at_most_p90(
    bundle: ModelBundle, feature_rows: pd.DataFrame, q: float
) -> None:
    predicted = replace(bundle, interval_adjustment_days=q).predict(feature_rows)
    assert (predicted["dso_30d_p10"] <= predicted["dso_30d_p90"]).all()
