"""From tables to a calibrated, explained, backtested model: `build_frame` and `develop`.

Registering the result is `training.registration` (`train_and_register`). The steps, in
order: the tables as known on the as-of date; the labelled snapshot frame; the rolling-origin
folds; one time-based tuning split (outside the objective); Optuna; rounds by
early stopping; the backtest of the tuned recipe and every baseline on the same folds, which
also chooses the calibrator; the same for the delinquency classifier where delinquent_90d is
known (training/delinquency.py); the invoice payment model on the same folds where invoice rows
are given (training/invoice.py); the final fit on every labelled row and the report. Then, in
`training.registration`: plots and card, MLflow logging, registration as `challenger` and, with
`promote`, the champion decision.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass

import optuna
import pandas as pd

from features.build import FEATURE_PIPELINE_VERSION, build_training_frame
from features.labels import LabelDefinition
from features.snapshots import month_end_snapshots
from features.tables import Tables, data_end_of
from models.bundle import ModelBundle
from training.backtest import MODEL, BacktestResult, run_backtest
from training.baselines import make_baselines
from training.dataset import (
    OVERDUE,
    Fold,
    categorical_columns,
    data_fingerprint,
    feature_columns,
    labelled,
    rolling_origin_folds,
    tables_known_by,
    tuning_fold,
)
from training.delinquency import DelinquencyDevelopment, delinquency_report, develop_delinquency
from training.errors import DatasetError
from training.invoice import InvoiceDevelopment, develop_invoice, invoice_settings
from training.report import build_report
from training.settings import TrainingSettings
from training.train import (
    CORE_TASKS,
    DEFAULT_PARAMS,
    DELINQUENCY_TASK,
    Recipe,
    choose_rounds,
    fit_encoder,
    fit_models,
    matrix,
    monotone_directions,
)
from training.tune import best_params, make_objective, tune

logger = logging.getLogger(__name__)

TrialCallback = Callable[[optuna.Study, optuna.trial.FrozenTrial], None]
DEFAULT_DEFINITION = LabelDefinition()


@dataclass
class Development:
    """What `develop` produced, before anything is logged."""

    bundle: ModelBundle
    backtest: BacktestResult
    recipe: Recipe
    trials: int
    delinquency: DelinquencyDevelopment | None = None
    invoice: InvoiceDevelopment | None = None


def build_frame(
    tables: Tables, as_of: pd.Timestamp | None, definition: LabelDefinition
) -> tuple[pd.DataFrame, pd.Timestamp]:
    """The labelled snapshot frame as if today were `as_of` (default: the data end)."""
    end = data_end_of(tables) if as_of is None else pd.Timestamp(as_of).normalize()
    known = tables_known_by(tables, end)
    snapshots = month_end_snapshots(known, definition, as_of=end)
    if not snapshots:
        raise DatasetError(f"no training snapshot: the history up to {end.date()} is too short")
    frame = build_training_frame(known, snapshots, definition, data_end=end)
    return frame.reset_index(drop=True), end


def tune_recipe(
    frame: pd.DataFrame,
    split: Fold,
    settings: TrainingSettings,
    trials: int,
    timeout: float | None,
    callbacks: list[TrialCallback],
) -> Recipe:
    """Tuned parameters (defaults without trials) and each model's rounds on the tuning split."""
    train, valid = split.split(frame)
    params = dict(DEFAULT_PARAMS)
    if trials > 0:
        encoder = fit_encoder(train)
        objective = make_objective(
            matrix(train, encoder, OVERDUE),
            matrix(valid, encoder, OVERDUE),
            feature_columns(frame),
            encoder.categorical_features,
            seed=settings.seed,
            max_rounds=settings.max_rounds,
            threads=settings.threads,
        )
        study = tune(objective, trials, timeout, settings.seed, callbacks)
        params = best_params(study) or params
    recipe = Recipe({**params, "num_threads": settings.threads}, seed=settings.seed)
    return choose_rounds(recipe, train, valid, settings.max_rounds)


def develop(
    frame: pd.DataFrame,
    settings: TrainingSettings,
    definition: LabelDefinition,
    trials: int,
    timeout: float | None = None,
    trial_callbacks: list[TrialCallback] | None = None,
    invoices: pd.DataFrame | None = None,
    data_end: pd.Timestamp | None = None,
) -> Development:
    """Tune, backtest against the baselines, calibrate and fit the final bundle (no MLflow).

    `invoices` (`training.invoice_data.build_invoice_rows`) adds the invoice payment model,
    judged with outcomes known at `data_end` (default: the frame's last snapshot + horizon +
    grace, where its labels end). Longer than a screen only because it lists the bundle's
    fields, one per line.
    """
    gap = definition.horizon_days + definition.grace_days
    folds = rolling_origin_folds(
        labelled(frame, OVERDUE)["as_of"], settings.folds, settings.fold_snapshots, gap
    )
    split = tuning_fold(labelled(frame, OVERDUE), folds[0], settings.fold_snapshots, gap)
    recipe = tune_recipe(frame, split, settings, trials, timeout, trial_callbacks or [])
    features = feature_columns(frame)
    backtest = run_backtest(
        frame, folds, recipe, make_baselines(features, settings.seed, settings.threads)
    )
    delinquency = develop_delinquency(frame, recipe, settings, definition)
    recipe = delinquency.recipe
    credit = delinquency.backtest
    end = frame["as_of"].max() + pd.Timedelta(days=gap) if data_end is None else data_end
    invoice = develop_invoice(
        invoices, folds, recipe.params, invoice_settings(settings, definition, end)
    )
    final = fit_models(
        recipe, frame, CORE_TASKS if credit is None else (*CORE_TASKS, DELINQUENCY_TASK)
    )
    report = {
        **build_report(backtest, frame),
        "delinquency": delinquency_report(delinquency),
        "invoice": invoice.report,
    }
    bundle = ModelBundle(
        classifier=final.boosters["classifier"],
        regressor=final.boosters["regressor"],
        regressor_p10=final.boosters["regressor_p10"],
        regressor_p90=final.boosters["regressor_p90"],
        calibrator=backtest.calibrator,
        encoder=final.encoder,
        feature_names=features,
        categorical_features=categorical_columns(frame),
        pipeline_version=FEATURE_PIPELINE_VERSION,
        label_definition=definition.to_dict(),
        data_fingerprint=data_fingerprint(frame),
        monotone=monotone_directions(features),
        params={**recipe.params, "rounds": recipe.rounds, "seed": recipe.seed},
        metrics=backtest.metrics()[MODEL],
        report=report,
        interval_adjustment_days=backtest.interval_adjustment_days,
        delinquency_classifier=final.boosters.get(DELINQUENCY_TASK),
        delinquency_calibrator=None if credit is None else credit.calibrator,
        invoice_model=invoice.model,
    )
    return Development(bundle, backtest, recipe, trials, delinquency, invoice)
