"""Retraining in steps a data scientist can look between: train, compare, then maybe promote.

`arsight train --promote` decides in one go. The retraining notebook splits that decision out:
`retrain` does what `training.registration.train_frame_and_register` does without `--promote`
(tune, backtest against the baselines, register the bundle as `challenger` in one MLflow run)
but also hands back the `Development`, so its backtest can be compared with the champion
(`training.compare`); `promote_challenger` is the explicit last step, judged exactly as
`--promote` judges (`training.promotion.decide_promotion`). Nothing here promotes by itself.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass

import pandas as pd

from features.labels import LabelDefinition
from models.bundle import ModelBundle
from training import tracking
from training.promotion import decide_promotion
from training.registration import TrainingResult, develop_and_register
from training.settings import TrainingSettings
from training.workflow import DEFAULT_DEFINITION, Development

logger = logging.getLogger(__name__)

DEFAULT_UI_URL = "http://127.0.0.1:5000"
"""Where `mlflow ui` listens unless told otherwise."""


@dataclass
class Retrained:
    """A registered challenger with the evidence behind it.

    Attributes:
        development: the tuned recipe, backtest (with every baseline) and bundle.
        result: the MLflow run, registered version and metrics.
        frame: the labelled snapshot frame it was trained and backtested on.
        experiment_id: the MLflow experiment holding the run.
    """

    development: Development
    result: TrainingResult
    frame: pd.DataFrame
    experiment_id: str


def retrain(
    frame: pd.DataFrame,
    settings: TrainingSettings,
    trained_as_of: pd.Timestamp,
    definition: LabelDefinition = DEFAULT_DEFINITION,
    trials: int | None = None,
    timeout: float | None = None,
    invoices: pd.DataFrame | None = None,
) -> Retrained:
    """Tune, backtest and register a challenger on `frame`; never touches `champion`.

    Args:
        frame: labelled snapshots (`training.workflow.build_frame`).
        settings: budget, backtest shape and registry names.
        trained_as_of: the date the model is trained as of (recorded on the run).
        definition: the label definition the frame was built with.
        trials: Optuna trials (default `settings.trials`); 0 keeps the default parameters.
        timeout: seconds for the search (default `settings.timeout_seconds`).
        invoices: invoice rows (`training.invoice_data.build_invoice_rows`) for the invoice
            payment model; without them the challenger has none.
    """
    development, result, store = develop_and_register(
        frame, settings, trained_as_of, definition, trials, timeout, False, invoices
    )
    logger.info("%s version %s registered as challenger", result.model_name, result.version)
    return Retrained(development, result, frame, store.experiment_id)


def current_champion(settings: TrainingSettings) -> ModelBundle | None:
    """The bundle behind `champion` in the configured registry, or None when there is none."""
    store = tracking.open_store(settings)
    return tracking.load_alias(store, settings.model_name, tracking.CHAMPION)


def promote_challenger(retrained: Retrained, settings: TrainingSettings) -> tuple[bool, str]:
    """Move `champion` to the challenger if it beats the current champion; (promoted?, why).

    The verdict is `decide_promotion`'s, the one `arsight train --promote` uses: the
    champion's recipe refitted on the challenger's last backtest fold, compared by AUC.
    """
    champion = current_champion(settings)
    backtest = retrained.development.backtest
    promoted, reason = decide_promotion(
        backtest, retrained.frame, champion, retrained.development.bundle
    )
    if promoted:
        tracking.promote(
            tracking.open_store(settings), settings.model_name, retrained.result.version, reason
        )
    else:
        logger.info("version %s not promoted: %s", retrained.result.version, reason)
    return promoted, reason


def mlflow_ui_command(tracking_uri: str) -> str:
    """The shell command that opens the MLflow UI on a tracking store."""
    return f"mlflow ui --backend-store-uri {tracking_uri}"


def run_url(experiment_id: str, run_id: str, ui_url: str = DEFAULT_UI_URL) -> str:
    """The page of one run in the MLflow UI started by `mlflow_ui_command`."""
    return f"{ui_url.rstrip('/')}/#/experiments/{experiment_id}/runs/{run_id}"
