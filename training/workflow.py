"""From tables to a registered, calibrated, explained model: `train_and_register`.

The steps, in order: the tables as known on the as-of date; the labelled snapshot frame; the
rolling-origin folds; one time-based tuning split (outside the objective); Optuna; rounds by
early stopping; the backtest of the tuned recipe and every baseline on the same folds, which
also chooses the calibrator; the same for the delinquency classifier where delinquent_90d is
known (training/delinquency.py); the final fit on every labelled row; report, plots and card;
MLflow logging, registration as `challenger` and, with `promote`, the champion decision.
"""

from __future__ import annotations

import logging
import tempfile
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import optuna
import pandas as pd

from features.build import FEATURE_PIPELINE_VERSION, build_training_frame
from features.labels import LabelDefinition
from features.snapshots import month_end_snapshots
from features.tables import Tables, data_end_of
from models.bundle import ModelBundle
from training import tracking
from training.backtest import MODEL, BacktestResult, build_report, run_backtest
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
from training.model_card import CardContext, render_model_card
from training.plots import plot_beeswarm, plot_calibration, plot_dso_residuals, plot_roc
from training.promotion import decide_promotion
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
INPUT_EXAMPLE_ROWS = 5
BEESWARM_ROWS = 2000


@dataclass
class Development:
    """What `develop` produced, before anything is logged."""

    bundle: ModelBundle
    backtest: BacktestResult
    recipe: Recipe
    trials: int
    delinquency: DelinquencyDevelopment | None = None


@dataclass
class TrainingResult:
    """The outcome of `train_and_register`, for the CLI and the demo.

    Attributes:
        run_id: the MLflow run.
        model_name: the registered model.
        version: the new registered version (alias `challenger`).
        metrics: the model's last-fold backtest metrics.
        baseline_metrics: each baseline's last-fold metrics.
        model_card: the markdown card.
        promoted: whether `champion` now points at this version.
        promotion_reason: why it was or was not promoted ("" without --promote).
    """

    run_id: str
    model_name: str
    version: str
    metrics: dict[str, float]
    baseline_metrics: dict[str, dict[str, float]]
    model_card: str
    promoted: bool = False
    promotion_reason: str = ""
    bundle: ModelBundle | None = field(default=None, repr=False)


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
) -> Development:
    """Tune, backtest against the baselines, calibrate and fit the final bundle (no MLflow).

    Longer than a screen only because it lists the bundle's fields, one per line.
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
    final = fit_models(
        recipe, frame, CORE_TASKS if credit is None else (*CORE_TASKS, DELINQUENCY_TASK)
    )
    report = {**build_report(backtest, frame), "delinquency": delinquency_report(delinquency)}
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
    )
    return Development(bundle, backtest, recipe, trials, delinquency)


def draw_plots(development: Development, frame: pd.DataFrame, directory: Path) -> list[Path]:
    """Calibration, ROC (model and baselines), SHAP beeswarm and DSO residuals, last fold."""
    backtest, bundle = development.backtest, development.bundle
    last = backtest.last_fold.number
    rows = {n: labelled(s.loc[s["fold"] == last], OVERDUE) for n, s in backtest.scored.items()}
    y = rows[MODEL][OVERDUE].to_numpy(float)
    probabilities = {
        name: r["overdue_probability"].to_numpy(float)
        for name, r in rows.items()
        if "overdue_probability" in r
    }
    dso = labelled(backtest.scored[MODEL].loc[backtest.scored[MODEL]["fold"] == last], "dso_30d")
    sample = frame.loc[rows[MODEL].index[:BEESWARM_ROWS], feature_columns(frame)]
    return [
        plot_calibration(y, probabilities[MODEL], directory / "calibration.png"),
        plot_roc(y, probabilities, directory / "roc.png"),
        plot_beeswarm(
            bundle.explain(sample).overdue, bundle.encode(sample), directory / "shap_beeswarm.png"
        ),
        plot_dso_residuals(
            dso["dso_30d"].to_numpy(float),
            dso["dso_pred"].to_numpy(float),
            directory / "dso_residuals.png",
        ),
    ]


def log_development(
    development: Development,
    frame: pd.DataFrame,
    context: CardContext,
    run: tuple[tracking.TrackingStore, str],
) -> str:
    """Plots, model card, parameters and the report into the training run; the card."""
    bundle = development.bundle
    with tempfile.TemporaryDirectory(prefix="arsight-plots-") as tmp:
        plots = draw_plots(development, frame, Path(tmp))
        card = render_model_card(bundle, context)
        params = {
            **bundle.label_definition,
            **development.recipe.params,
            "trials": development.trials,
            "trained_as_of": context.trained_as_of,
            "data_fingerprint": bundle.data_fingerprint,
            "pipeline_version": bundle.pipeline_version,
            "training_rows": len(frame),
            "calibration": bundle.calibrator.method,
        }
        tracking.log_results(*run, params, bundle.report, card, plots)
    return card


def register_development(
    development: Development,
    frame: pd.DataFrame,
    settings: TrainingSettings,
    trained_as_of: pd.Timestamp,
    promote: bool,
    run: tuple[tracking.TrackingStore, str],
) -> TrainingResult:
    """Inside training run `run` (store, run id): log results, register `challenger`, decide
    on `champion`."""
    bundle = development.bundle
    store, run_id = run
    context = CardContext(
        settings.model_name,
        trained_as_of.date().isoformat(),
        len(frame),
        development.trials,
        run_id=run_id,
    )
    card = log_development(development, frame, context, run)
    champion = (
        tracking.load_alias(store, settings.model_name, tracking.CHAMPION) if promote else None
    )
    example = frame.loc[frame.index[:INPUT_EXAMPLE_ROWS], bundle.feature_names]
    version = tracking.register_bundle(store, run_id, bundle, settings.model_name, example, card)
    card = render_model_card(bundle, CardContext(**{**context.__dict__, "version": version}))
    promoted, reason = False, ""
    if promote:
        promoted, reason = decide_promotion(development.backtest, frame, champion)
        if promoted:
            tracking.promote(store, settings.model_name, version, reason)
    tracking.tag_run(
        store,
        run_id,
        {"registered_version": version, "promoted": str(promoted), "promotion": reason},
    )
    baselines = {k: v for k, v in bundle.report["last_fold"].items() if k != MODEL}
    return TrainingResult(
        run_id,
        settings.model_name,
        version,
        bundle.metrics,
        baselines,
        card,
        promoted,
        reason,
        bundle,
    )


def train_frame_and_register(
    frame: pd.DataFrame,
    settings: TrainingSettings,
    trained_as_of: pd.Timestamp,
    definition: LabelDefinition = DEFAULT_DEFINITION,
    trials: int | None = None,
    timeout: float | None = None,
    promote: bool = False,
) -> TrainingResult:
    """`train_and_register` on a labelled frame already built (tests, notebooks)."""
    store = tracking.open_store(settings)
    trials = settings.trials if trials is None else trials
    timeout = settings.timeout_seconds if timeout is None else timeout
    tags = {"trained_as_of": trained_as_of.date().isoformat()}
    with tracking.training_run(store, f"train-{trained_as_of.date()}", tags) as run_id:
        development = develop(
            frame, settings, definition, trials, timeout, [tracking.trial_logger(store, run_id)]
        )
        return register_development(
            development, frame, settings, trained_as_of, promote, (store, run_id)
        )


def train_and_register(
    tables: Tables,
    settings: TrainingSettings,
    as_of: pd.Timestamp | None = None,
    trials: int | None = None,
    timeout: float | None = None,
    promote: bool = False,
    definition: LabelDefinition = DEFAULT_DEFINITION,
) -> TrainingResult:
    """Train as if today were `as_of`, register the bundle as `challenger`, maybe promote.

    Args:
        tables: canonical tables (e.g. `features.validate.load_valid_tables(directory)`).
        settings: budget, backtest shape, registry names.
        as_of: no fact dated later is used for features or labels (default: the data end).
        trials: Optuna trials (default `settings.trials`); 0 uses default parameters.
        timeout: seconds for the search (default `settings.timeout_seconds`).
        promote: move `champion` here if it beats the current one (or there is none).
        definition: the label definition.
    """
    frame, end = build_frame(tables, as_of, definition)
    logger.info("training frame: %d rows x %d columns as of %s", *frame.shape, end.date())
    return train_frame_and_register(frame, settings, end, definition, trials, timeout, promote)
