"""Registering what `training.workflow.develop` produced: plots, card, MLflow run, registry.

`train_and_register` is the whole of `arsight train`: the labelled frame (`build_frame`), the
development (`develop`), then, inside one MLflow training run, the plots, the model card, the
parameters and the report, registration as `challenger` and, with `promote`, the champion
decision. Only this module and `training.retrain` open training runs.
"""

from __future__ import annotations

import logging
import tempfile
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd

from features.labels import LabelDefinition
from features.tables import Tables
from models.bundle import ModelBundle
from training import tracking
from training.backtest import MODEL
from training.dataset import OVERDUE, feature_columns, labelled, tables_known_by
from training.invoice_data import build_invoice_rows
from training.model_card import CardContext, render_model_card
from training.plots import plot_beeswarm, plot_calibration, plot_dso_residuals, plot_roc
from training.promotion import decide_promotion
from training.settings import TrainingSettings
from training.workflow import DEFAULT_DEFINITION, Development, build_frame, develop

logger = logging.getLogger(__name__)

INPUT_EXAMPLE_ROWS = 5
BEESWARM_ROWS = 2000


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
        promoted, reason = decide_promotion(development.backtest, frame, champion, bundle)
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


def develop_and_register(
    frame: pd.DataFrame,
    settings: TrainingSettings,
    trained_as_of: pd.Timestamp,
    definition: LabelDefinition = DEFAULT_DEFINITION,
    trials: int | None = None,
    timeout: float | None = None,
    promote: bool = False,
    invoices: pd.DataFrame | None = None,
) -> tuple[Development, TrainingResult, tracking.TrackingStore]:
    """One training run on a labelled frame: develop, log, register, maybe promote.

    `invoices` (`training.invoice_data.build_invoice_rows`) adds the invoice payment model.
    Returns the development, the result and the store, for callers that go on comparing
    (`training.retrain`); `train_frame_and_register` keeps only the result.
    """
    store = tracking.open_store(settings)
    trials = settings.trials if trials is None else trials
    timeout = settings.timeout_seconds if timeout is None else timeout
    tags = {"trained_as_of": trained_as_of.date().isoformat()}
    with tracking.training_run(store, f"train-{trained_as_of.date()}", tags) as run_id:
        callbacks = [tracking.trial_logger(store, run_id)]
        development = develop(
            frame, settings, definition, trials, timeout, callbacks, invoices, trained_as_of
        )
        result = register_development(
            development, frame, settings, trained_as_of, promote, (store, run_id)
        )
    return development, result, store


def train_frame_and_register(
    frame: pd.DataFrame,
    settings: TrainingSettings,
    trained_as_of: pd.Timestamp,
    definition: LabelDefinition = DEFAULT_DEFINITION,
    trials: int | None = None,
    timeout: float | None = None,
    promote: bool = False,
    invoices: pd.DataFrame | None = None,
) -> TrainingResult:
    """`train_and_register` on a labelled frame already built (tests, notebooks); with
    `invoices` (`training.invoice_data.build_invoice_rows`) the invoice model too."""
    args = (frame, settings, trained_as_of, definition, trials, timeout, promote, invoices)
    return develop_and_register(*args)[1]


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
    known = tables_known_by(tables, end)
    invoices = build_invoice_rows(known, frame, settings.invoice_max_rows, settings.seed)
    logger.info("invoice rows: %d", len(invoices))
    args = (frame, settings, end, definition, trials, timeout, promote, invoices)
    return train_frame_and_register(*args)
