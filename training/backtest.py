"""Rolling-origin backtest of a recipe and every baseline on the same folds.

For each fold the four LightGBM models and each baseline are fitted on the fold's training
rows and score its test rows. The classifier's raw scores on the test rows are out-of-sample,
so they also choose and fit the calibrator (training/calibrate.py). Reported probabilities of
fold k are calibrated with the chosen method fitted on the rows of folds before k whose labels
fold k's model could have known (`known_before`); a fold with none (fold 1, and fold 2 when
folds are one month long) shows the uncalibrated sigmoid. The choice between Platt and isotonic
follows the same rule.
The DSO p10-p90 interval is conformalised the same way (CQR, training/intervals.py): fold k's
reported interval is adjusted with `q` fitted on its `known_before` rows (fold 1: unadjusted),
and the bundle's adjustment is fitted on every fold's out-of-sample rows.
The headline metrics are those of the last fold, the most recent out-of-time period; the
report built from a result is `training.report`.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from models.bundle import Calibrator
from models.interval import dso_interval, sorted_interval
from training.baselines import Baseline
from training.calibrate import FoldScores, choose_calibrator, fit_calibrator
from training.dataset import DSO, KEYS, OVERDUE, PROBABILITY, Fold, feature_columns, labelled
from training.evaluate import evaluate_scored
from training.intervals import ALPHA, P10, P90, fit_interval_adjustment
from training.train import Recipe, fit_models

logger = logging.getLogger(__name__)

MODEL = "model"
RAW_P10, RAW_P90 = "dso_p10_raw", "dso_p90_raw"
"""The model's interval before its CQR adjustment (`dso_p10`/`dso_p90` hold the adjusted one)."""


@dataclass
class BacktestResult:
    """Scored test rows of every fold for the model and each baseline, and the calibrator.

    Attributes:
        folds: the folds, oldest first.
        scored: name -> test rows with `fold`, keys, labels, `overdue_probability` and/or
            `dso_pred` (the model also has `raw_score`, `dso_p10`, `dso_p90` adjusted with
            earlier folds' CQR adjustment, and the unadjusted `dso_p10_raw`, `dso_p90_raw`).
        calibrator: the chosen method fitted on every fold's out-of-sample scores.
        calibration_briers: mean held-out Brier of each calibration method.
        label: the binary label the metrics judge; its probability column is
            `training.dataset.PROBABILITY[label]`.
        interval_adjustment_days: the CQR adjustment fitted on every fold's out-of-sample
            rows: the bundle's.
        fold_interval_adjustments: the adjustment applied to each fold's reported interval
            (fitted on earlier folds; 0.0 for the first).
    """

    folds: list[Fold]
    scored: dict[str, pd.DataFrame]
    calibrator: Calibrator
    calibration_briers: dict[str, float] = field(default_factory=dict)
    interval_adjustment_days: float = 0.0
    fold_interval_adjustments: list[float] = field(default_factory=list)
    label: str = OVERDUE
    """The binary label the metrics judge (delinquent_90d for the delinquency backtest)."""

    @property
    def last_fold(self) -> Fold:
        return self.folds[-1]

    def metrics(self, fold: int | None = None) -> dict[str, dict[str, float]]:
        """name -> metrics on one fold's test rows (default: the last fold)."""
        number = self.last_fold.number if fold is None else fold
        return {
            name: evaluate_scored(
                rows.loc[rows["fold"] == number], self.label, PROBABILITY[self.label]
            )
            for name, rows in self.scored.items()
        }

    def fold_table(self) -> pd.DataFrame:
        """One row per (model, fold) with the headline metrics."""
        rows = []
        for fold in self.folds:
            for name, metrics in self.metrics(fold.number).items():
                rows.append({"model": name, **fold.to_dict(), **metrics})
        return pd.DataFrame(rows)


def score_test(models: Any, test: pd.DataFrame) -> pd.DataFrame:
    """The model's raw score, DSO forecast and unadjusted interval on `test`.

    Probabilities and the interval's CQR adjustment come later, from earlier folds.
    """
    x = models.encoder.transform(test[feature_columns(test)])
    boosters = models.boosters
    p10, p90 = sorted_interval(
        boosters["regressor_p10"].predict(x), boosters["regressor_p90"].predict(x)
    )
    return pd.DataFrame(
        {
            "raw_score": boosters["classifier"].predict(x, raw_score=True),
            "dso_pred": boosters["regressor"].predict(x),
            P10: p10,
            P90: p90,
        },
        index=test.index,
    )


def frame_rows(
    test: pd.DataFrame, fold: Fold, scores: pd.DataFrame, labels: Sequence[str] = (OVERDUE, DSO)
) -> pd.DataFrame:
    """Keys and `labels` of `test` beside one model's scores, tagged with the fold."""
    base = test[[*KEYS, *labels]].assign(fold=fold.number)
    return pd.concat([base, scores], axis=1)


def known_before(model_rows: pd.DataFrame, folds: list[Fold], k: int) -> pd.DataFrame:
    """Scored rows of the folds before fold k whose labels fold k's model could have known.

    Fold k's model trains on snapshots up to its `train_end` (labels known before its test
    start); a later row of an earlier fold, whose outcome falls after that, is left out here
    too, so calibration and the interval adjustment of fold k look no further ahead than its
    model did.
    """
    earlier = model_rows["fold"].isin([f.number for f in folds[:k]])
    return model_rows.loc[earlier & (model_rows["as_of"] <= folds[k].train_end)]


def overdue_scores(rows: pd.DataFrame, label: str = OVERDUE) -> FoldScores:
    """The raw scores and `label` (default overdue_30d) of the labelled `rows`."""
    known = labelled(rows, label)
    return FoldScores(known["raw_score"].to_numpy(), known[label].to_numpy(float))


def calibrate_folds(
    model_rows: pd.DataFrame, folds: list[Fold], label: str = OVERDUE
) -> tuple[pd.Series, Calibrator, dict[str, float]]:
    """Probabilities per fold from calibrators fitted on earlier folds; the final calibrator.

    Both the choice of method and each fold's calibrator fit only on `known_before` rows.
    `label` is the outcome the raw scores predict (overdue_30d, or delinquent_90d on the
    delinquency folds, whose `train_end` already leaves that label's horizon out).
    """
    fold_scores = [
        overdue_scores(model_rows.loc[model_rows["fold"] == f.number], label) for f in folds
    ]
    fit_on: list[FoldScores | None] = []
    for k in range(1, len(folds)):
        earlier = overdue_scores(known_before(model_rows, folds, k), label)
        fit_on.append(earlier if len(earlier.y) else None)
    calibrator, briers = choose_calibrator(fold_scores, fit_on)
    probability = 1.0 / (1.0 + np.exp(-model_rows["raw_score"]))
    for fold, earlier in zip(folds[1:], fit_on, strict=True):
        if earlier is None:  # one-month folds: the previous fold ends after this one's cut-off
            logger.info("fold %d: no earlier labels known in time; uncalibrated", fold.number)
            continue
        fitted = fit_calibrator(calibrator.method, earlier.raw, earlier.y)
        mask = model_rows["fold"] == fold.number
        probability[mask] = fitted.transform(model_rows.loc[mask, "raw_score"].to_numpy())
    return probability, calibrator, briers


def adjust_interval_folds(
    model_rows: pd.DataFrame, folds: list[Fold], alpha: float = ALPHA
) -> tuple[pd.DataFrame, float, list[float]]:
    """Intervals per fold adjusted with CQR fitted on earlier folds; the final adjustment.

    Every fold's interval goes through `models.interval.dso_interval`, the bundle's formula
    (fold 1 with no adjustment), so the backtest judges what users will see.

    Args:
        model_rows: the model's scored rows of every fold, with `fold`, `as_of`, the label
            and the raw sorted `dso_p10`, `dso_p90` (`models.interval.sorted_interval`).
        folds: the folds, oldest first.
        alpha: miscoverage target.

    Returns:
        The adjusted `dso_p10`, `dso_p90` (same index), the adjustment fitted on all folds and
        the one applied to each fold (0.0 for the first, which has no earlier fold).
    """
    adjusted = model_rows[[P10, P90]].copy()
    applied = []
    for k, fold in enumerate(folds):
        q = fit_interval_adjustment(known_before(model_rows, folds, k), alpha) if k else 0.0
        mask = model_rows["fold"] == fold.number
        low, high = dso_interval(
            model_rows.loc[mask, P10].to_numpy(float), model_rows.loc[mask, P90].to_numpy(float), q
        )
        adjusted.loc[mask, P10], adjusted.loc[mask, P90] = low, high
        applied.append(q)
    final = fit_interval_adjustment(model_rows, alpha)
    logger.info("DSO interval CQR adjustment: %.2f days (per fold: %s)", final, applied)
    return adjusted, final, applied


ModelScores = Callable[[pd.DataFrame, pd.DataFrame], pd.DataFrame]
"""(train rows, test rows) -> the model's scores of the test rows, fitted on the train rows."""


def score_folds(
    frame: pd.DataFrame,
    folds: list[Fold],
    model_scores: ModelScores,
    baselines: Sequence[Baseline],
    labels: Sequence[str] = (OVERDUE, DSO),
) -> dict[str, pd.DataFrame]:
    """The model's and every baseline's scored test rows of all folds (see `frame_rows`)."""
    parts: dict[str, list[pd.DataFrame]] = {MODEL: []}
    parts.update({b.name: [] for b in baselines})
    for fold in folds:
        train, test = fold.split(frame)
        logger.info("fold %d: %d train rows, %d test rows", fold.number, len(train), len(test))
        parts[MODEL].append(frame_rows(test, fold, model_scores(train, test), labels))
        for baseline in baselines:
            scores = baseline.fit(train).score(test)
            parts[baseline.name].append(frame_rows(test, fold, scores, labels))
    return {name: pd.concat(rows) for name, rows in parts.items()}


def run_backtest(
    frame: pd.DataFrame, folds: list[Fold], recipe: Recipe, baselines: list[Baseline]
) -> BacktestResult:
    """Fit and score the recipe and every baseline on each fold; choose the calibrator."""

    def model_scores(train: pd.DataFrame, test: pd.DataFrame) -> pd.DataFrame:
        return score_test(fit_models(recipe, train), test)

    scored = score_folds(frame, folds, model_scores, baselines)
    probability, calibrator, briers = calibrate_folds(scored[MODEL], folds)
    intervals, adjustment, applied = adjust_interval_folds(scored[MODEL], folds)
    scored[MODEL] = scored[MODEL].assign(
        overdue_probability=probability,
        **{RAW_P10: scored[MODEL][P10], RAW_P90: scored[MODEL][P90]},
        **{P10: intervals[P10], P90: intervals[P90]},
    )
    return BacktestResult(folds, scored, calibrator, briers, adjustment, applied)
