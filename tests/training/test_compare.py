"""Challenger-versus-champion tables on hand-built backtests and small real bundles."""

from __future__ import annotations

import re
from dataclasses import replace

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
import pytest
from matplotlib.figure import Figure

from models.bundle import Calibrator
from tests.conftest import fit_tiny_bundle, make_training_frame
from training.backtest import BacktestResult
from training.compare import (
    METRICS_SHOWN,
    calibration_table,
    compare_last_fold,
    lift_table,
    metrics_table,
    plot_calibration_curves,
    plot_lift,
)
from training.dataset import OVERDUE, Fold, labelled, rolling_origin_folds
from training.promotion import decide_promotion

FOLD = Fold(2, pd.Timestamp("2024-03-31"), pd.Timestamp("2024-05-31"), pd.Timestamp("2024-05-31"))


def hand_backtest() -> BacktestResult:
    """Fold 2 holds five rows (one without an overdue label); fold 1 rows must be ignored."""
    model = pd.DataFrame(
        {
            "fold": [1, 2, 2, 2, 2, 2],
            "overdue_30d": [0.0, 1.0, 0.0, 1.0, 0.0, np.nan],
            "dso_30d": [99.0, 40.0, 20.0, 50.0, 10.0, 30.0],
            "overdue_probability": [0.99, 0.9, 0.2, 0.6, 0.4, 0.5],
            "dso_pred": [0.0, 38.0, 22.0, 45.0, 15.0, 30.0],
        }
    )
    prior = model[["fold", "overdue_30d", "dso_30d"]].assign(overdue_probability=0.5)
    persistence = model[["fold", "overdue_30d", "dso_30d"]].assign(dso_pred=35.0)
    folds = [replace(FOLD, number=1), FOLD]
    scored = {"model": model, "prior": prior, "persistence": persistence}
    return BacktestResult(folds, scored, Calibrator("platt"))


def test_without_champion_the_challenger_stands_beside_the_baselines() -> None:
    comparison = compare_last_fold(hand_backtest(), pd.DataFrame(), champion=None)

    assert list(comparison.scored) == ["challenger", "prior", "persistence"]
    assert comparison.champion_note == "no champion yet"
    assert comparison.fold == FOLD
    assert comparison.scored["challenger"]["fold"].tolist() == [2, 2, 2, 2, 2]


def test_metrics_table_has_one_column_per_model_on_the_last_fold() -> None:
    table = metrics_table(compare_last_fold(hand_backtest(), pd.DataFrame(), champion=None))

    assert list(table.index) == list(METRICS_SHOWN)
    assert list(table.columns) == ["challenger", "prior", "persistence"]
    challenger = table["challenger"]
    assert challenger["auc"] == 1.0
    assert challenger["brier"] == pytest.approx((0.01 + 0.04 + 0.16 + 0.16) / 4)
    assert challenger["dso_mae"] == pytest.approx((2 + 2 + 5 + 5 + 0) / 5)
    assert challenger["lift_top_decile"] == 2.0
    assert (challenger["late_share"], challenger["rows"]) == (0.5, 4.0)
    assert table.at["auc", "prior"] == 0.5
    assert table.at["brier", "prior"] == 0.25
    assert np.isnan(table.at["auc", "persistence"])
    assert table.at["dso_mae", "persistence"] == pytest.approx((5 + 15 + 15 + 25 + 5) / 5)


def test_without_baselines_only_the_challenger_remains() -> None:
    comparison = compare_last_fold(hand_backtest(), pd.DataFrame(), None, baselines=False)

    assert list(comparison.scored) == ["challenger"]


def test_calibration_table_bins_by_quantile_and_skips_dso_only_models() -> None:
    comparison = compare_last_fold(hand_backtest(), pd.DataFrame(), champion=None)

    table = calibration_table(comparison, bins=2)

    assert table.loc[table["model"] == "challenger", ["predicted", "observed"]].to_numpy(
        float
    ).tolist() == [[pytest.approx(0.3), 0.0], [pytest.approx(0.75), 1.0]]
    assert sorted(set(table["model"])) == ["challenger", "prior"]


def test_lift_table_has_deciles_per_model() -> None:
    lift = lift_table(compare_last_fold(hand_backtest(), pd.DataFrame(), champion=None))

    challenger = lift.loc[lift["model"] == "challenger"]
    assert challenger["decile"].tolist() == [1, 3, 6, 8]
    assert challenger["lift"].tolist() == [2.0, 2.0, 0.0, 0.0]
    assert challenger["capture"].tolist() == [0.5, 1.0, 1.0, 1.0]
    assert list(lift.columns)[:2] == ["model", "decile"]
    assert set(lift["model"]) == {"challenger", "prior"}


def test_plots_draw_one_line_or_bar_group_per_model() -> None:
    comparison = compare_last_fold(hand_backtest(), pd.DataFrame(), champion=None)

    calibration = plot_calibration_curves(calibration_table(comparison, bins=2))
    lift = plot_lift(lift_table(comparison))

    assert isinstance(calibration, Figure) and isinstance(lift, Figure)
    labels = [line.get_label() for line in calibration.axes[0].get_lines()]
    assert labels == ["perfect", "challenger", "prior"]
    assert [c.get_label() for c in lift.axes[0].containers] == ["challenger", "prior"]
    plt.close("all")


@pytest.fixture(scope="module")
def frame() -> pd.DataFrame:
    return make_training_frame(customers=80, months=10, seed=1)


@pytest.fixture(scope="module")
def real_backtest(frame: pd.DataFrame) -> BacktestResult:
    """Folds over the real frame; the challenger's scores are a fixed function of one feature."""
    folds = rolling_origin_folds(labelled(frame, OVERDUE)["as_of"], 3, 1, 30)
    _, test = folds[-1].split(frame)
    raw = (test["customer_dso_days"].to_numpy() - 35) / 12
    rows = test[["customer_id", "as_of", "overdue_30d", "dso_30d"]].assign(
        fold=folds[-1].number, raw_score=raw, overdue_probability=1 / (1 + np.exp(-raw))
    )
    return BacktestResult(folds, {"model": rows}, Calibrator("platt"))


def test_champion_refitted_on_the_fold_matches_the_promotion_verdict(
    frame: pd.DataFrame, real_backtest: BacktestResult
) -> None:
    champion = fit_tiny_bundle(frame, calibrator=Calibrator("platt", slope=1.0))

    comparison = compare_last_fold(real_backtest, frame, champion)
    table = metrics_table(comparison)

    assert comparison.champion_note == "champion recipe refitted on the same fold"
    _, reason = decide_promotion(real_backtest, frame, champion)
    aucs = re.findall(r"AUC (\d\.\d{4})", reason)
    assert aucs == [f"{table.at['auc', 'challenger']:.4f}", f"{table.at['auc', 'champion']:.4f}"]


def test_champion_with_other_features_is_refitted_on_the_fold_with_its_own_features(
    frame: pd.DataFrame, real_backtest: BacktestResult
) -> None:
    own = frame.drop(columns=["customer_noise"])
    champion = fit_tiny_bundle(own)

    comparison = compare_last_fold(real_backtest, frame, champion)

    train, test = real_backtest.last_fold.split(own)
    test = labelled(test, OVERDUE)
    refitted = fit_tiny_bundle(train)  # the champion's recipe on the fold's training rows only
    expected = champion.calibrator.transform(
        refitted.raw_overdue_score(test[champion.feature_names])
    )
    rows = comparison.scored["champion"]
    n = len(champion.feature_names)
    assert comparison.champion_note == (
        f"champion recipe refitted on the same fold with its own {n} features"
    )
    assert rows.index.equals(test.index)
    np.testing.assert_array_equal(rows["overdue_probability"].to_numpy(), expected)
    as_trained = champion.predict(test[champion.feature_names])["overdue_probability"]
    assert not np.allclose(rows["overdue_probability"], as_trained)  # it saw these rows


def test_champion_without_a_recipe_is_scored_as_trained_through_its_calibrator(
    frame: pd.DataFrame, real_backtest: BacktestResult
) -> None:
    champion = fit_tiny_bundle(frame.drop(columns=["customer_noise"]))
    champion.params = {}

    comparison = compare_last_fold(real_backtest, frame, champion)

    rows = comparison.scored["champion"]
    _, test = real_backtest.last_fold.split(frame)
    expected = champion.predict(labelled(test, OVERDUE)[champion.feature_names])
    assert comparison.champion_note == "champion as trained"
    assert rows.index.equals(expected.index)
    np.testing.assert_allclose(rows["overdue_probability"], expected["overdue_probability"])


def test_champion_needing_an_unknown_feature_is_left_out_with_the_reason(
    frame: pd.DataFrame, real_backtest: BacktestResult
) -> None:
    champion = fit_tiny_bundle(frame)
    champion = replace(champion, feature_names=[*champion.feature_names, "customer_gone_days"])

    comparison = compare_last_fold(real_backtest, frame, champion, baselines=False)

    assert list(comparison.scored) == ["challenger"]
    assert comparison.champion_note == (
        "champion cannot be scored on today's features (missing ['customer_gone_days'])"
    )
