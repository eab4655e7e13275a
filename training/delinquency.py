"""The credit-risk model: a calibrated LightGBM classifier of delinquent_90d, backtested.

It goes through the same code as the overdue classifier: `fit_models` with the task
`delinquency_classifier` (the shared tuned parameters, its own rounds by early stopping, the
monotone constraints), `score_folds` for the rolling-origin backtest with its baselines
(training/baselines.py: the customer's prior severe share, logistic regression, untuned
LightGBM) and `calibrate_folds` for the out-of-time choice and fit of the calibrator.

Folds: the same construction as the overdue folds (`rolling_origin_folds` with the same
number of folds and snapshots per fold) over the snapshots where delinquent_90d is known, with
the label's own horizon (default 90 days) as the gap, so every training label of fold k was
known before its first test date. Its test blocks therefore end 60 days (horizon 90 - 30)
before the overdue folds' do: the last 60 days of snapshots have no delinquency outcome yet.
Where the frame has no delinquent_90d column, too few labelled snapshots, or one class only,
there is no delinquency model and the report says why (`skipped`).
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import Any

import pandas as pd

from features.labels import LabelDefinition
from training.backtest import MODEL, BacktestResult, calibrate_folds, score_folds
from training.baselines import make_delinquency_baselines
from training.dataset import (
    DELINQUENT,
    PROBABILITY,
    Fold,
    feature_columns,
    labelled,
    rolling_origin_folds,
    tuning_fold,
)
from training.errors import DatasetError
from training.evaluate import decile_table
from training.report import auc_margin, records
from training.settings import TrainingSettings
from training.train import DELINQUENCY_TASK, Recipe, choose_rounds, fit_models

logger = logging.getLogger(__name__)

SEVERE_BASELINE = "customer_prior_severe_share"
"""The simple rule the delinquency model must beat (with logistic regression)."""


@dataclass
class DelinquencyDevelopment:
    """The delinquency model's backtest, rounds and reason for a skip ("" when fitted)."""

    backtest: BacktestResult | None
    recipe: Recipe
    skipped: str = ""


def delinquency_folds(
    frame: pd.DataFrame, settings: TrainingSettings, definition: LabelDefinition
) -> list[Fold]:
    """Rolling-origin folds over the snapshots with a known delinquent_90d (module docstring).

    Raises:
        DatasetError: no label column, too few labelled snapshots, a single class overall
            or in a fold's training rows, or a history too short for folds long enough for
            the horizon (see `_long_enough_folds`).
    """
    if DELINQUENT not in frame:
        raise DatasetError(f"the frame has no {DELINQUENT} column")
    known = labelled(frame, DELINQUENT)
    if known[DELINQUENT].nunique() < 2:
        raise DatasetError(f"{DELINQUENT} has {known[DELINQUENT].nunique()} class(es) only")
    gap = definition.delinquency_horizon_days
    folds = _long_enough_folds(known, settings, gap)
    for fold in folds:
        classes = fold.split(known)[0][DELINQUENT].nunique()
        if classes < 2:
            raise DatasetError(f"fold {fold.number}: {classes} {DELINQUENT} class(es) to train on")
    return folds


def _long_enough_folds(known: pd.DataFrame, settings: TrainingSettings, gap: int) -> list[Fold]:
    """Folds of `fold_snapshots` months, lengthened until a later fold trains on an earlier
    fold's outcomes (the out-of-time calibration needs it; with 1-month folds and a 90-day
    horizon no fold's outcome is known before the last fold trains).

    Raises:
        DatasetError: the history is too short for any such folds.
    """
    snapshots = known["as_of"].nunique()
    block = settings.fold_snapshots
    while settings.folds * block < snapshots:
        folds = rolling_origin_folds(known["as_of"], settings.folds, block, gap)
        if folds[-1].train_end >= folds[0].test_start:
            if block != settings.fold_snapshots:
                logger.info("delinquency folds of %d snapshots (horizon %d days)", block, gap)
            return folds
        block += 1
    raise DatasetError(
        f"{snapshots} snapshots with a known {DELINQUENT} are too few for {settings.folds} "
        f"folds long enough for the {gap}-day horizon (a later fold must train on an earlier "
        "fold's outcomes, so the calibrator can be chosen out of time)"
    )


def delinquency_rounds(
    frame: pd.DataFrame, recipe: Recipe, folds: list[Fold], settings: TrainingSettings, gap: int
) -> Recipe:
    """The classifier's rounds by early stopping on a split carved out of the first fold."""
    split = tuning_fold(labelled(frame, DELINQUENT), folds[0], settings.fold_snapshots, gap)
    train, valid = split.split(frame)
    return choose_rounds(recipe, train, valid, settings.max_rounds, (DELINQUENCY_TASK,))


def raw_scores(recipe: Recipe, train: pd.DataFrame, test: pd.DataFrame) -> pd.DataFrame:
    """The delinquency classifier fitted on `train`: its raw log-odds on `test`."""
    models = fit_models(recipe, train, (DELINQUENCY_TASK,))
    x = models.encoder.transform(test[feature_columns(test)])
    raw = models.boosters[DELINQUENCY_TASK].predict(x, raw_score=True)
    return pd.DataFrame({"raw_score": raw}, index=test.index)


def run_delinquency_backtest(
    frame: pd.DataFrame, folds: list[Fold], recipe: Recipe, seed: int, threads: int
) -> BacktestResult:
    """The model and its baselines on every fold; calibrated as the overdue classifier is."""
    baselines = make_delinquency_baselines(seed, threads)
    scored = score_folds(
        frame, folds, lambda train, test: raw_scores(recipe, train, test), baselines, (DELINQUENT,)
    )
    probability, calibrator, briers = calibrate_folds(scored[MODEL], folds, DELINQUENT)
    scored[MODEL] = scored[MODEL].assign(**{PROBABILITY[DELINQUENT]: probability})
    return BacktestResult(folds, scored, calibrator, briers, label=DELINQUENT)


def develop_delinquency(
    frame: pd.DataFrame, recipe: Recipe, settings: TrainingSettings, definition: LabelDefinition
) -> DelinquencyDevelopment:
    """Rounds and backtest of the delinquency classifier, or the reason there is none."""
    try:
        folds = delinquency_folds(frame, settings, definition)
        gap = definition.delinquency_horizon_days
        recipe = delinquency_rounds(frame, recipe, folds, settings, gap)
    except DatasetError as exc:
        logger.warning("no delinquency model: %s", exc)
        return DelinquencyDevelopment(None, recipe, str(exc))
    backtest = run_delinquency_backtest(frame, folds, recipe, settings.seed, settings.threads)
    return DelinquencyDevelopment(backtest, recipe)


def delinquency_report(development: DelinquencyDevelopment) -> dict[str, Any]:
    """The report section: folds, last-fold metrics, margins, deciles, calibration."""
    result = development.backtest
    if result is None:
        return {"skipped": development.skipped}
    last_fold = result.metrics()
    last = result.scored[MODEL]
    last = labelled(last.loc[last["fold"] == result.last_fold.number], DELINQUENT)
    deciles = decile_table(
        last[DELINQUENT].to_numpy(float), last[PROBABILITY[DELINQUENT]].to_numpy(float)
    )
    return {
        "label": DELINQUENT,
        "folds": [fold.to_dict() for fold in result.folds],
        "last_fold": last_fold,
        "margins": {
            f"auc_over_{name}": auc_margin(last_fold, name)
            for name in result.scored
            if name != MODEL
        },
        "fold_metrics": records(result.fold_table()),
        "deciles": records(deciles),
        "calibration": {
            "method": result.calibrator.method,
            "held_out_brier": result.calibration_briers,
        },
    }
