"""MLflow for training: the only module of `training` that imports MLflow.

Runs, nested trial runs, parameters, metrics, artifacts, the bundle as a pyfunc model,
registration as `<model_name>` with alias `challenger`, and moving `champion`. The rest of
the training code runs without MLflow; `training.workflow` calls these functions. The store is
always named (`TrackingStore`): MLflow's process-wide URIs are never read or set.
"""

from __future__ import annotations

import json
import logging
import math
import tempfile
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import optuna
import pandas as pd
from mlflow.entities import Metric, Param
from mlflow.exceptions import MlflowException
from mlflow.tracking import MlflowClient
from mlflow.utils.mlflow_tags import MLFLOW_PARENT_RUN_ID
from mlflow.utils.time import get_current_time_millis

from models.bundle import ModelBundle
from models.pyfunc import load_bundle, log_bundle
from training.errors import RegistryError
from training.settings import TrainingSettings

logger = logging.getLogger(__name__)

CHALLENGER = "challenger"
CHAMPION = "champion"


@dataclass(frozen=True)
class TrackingStore:
    """One MLflow store, named explicitly: its URI, a client for it and the training experiment.

    Every call of this module goes through `client` (tracking and registry URI both set), so
    training never reads or changes MLflow's process-wide URIs.
    """

    uri: str
    client: MlflowClient
    experiment_id: str


def open_store(settings: TrainingSettings) -> TrackingStore:
    """The configured store, with the embedded store's folder and the experiment created."""
    uri = settings.tracking_uri()
    if settings.embedded_store:
        settings.models_dir.mkdir(parents=True, exist_ok=True)
    client = MlflowClient(tracking_uri=uri, registry_uri=uri)
    experiment = client.get_experiment_by_name(settings.experiment)
    if experiment is not None:
        return TrackingStore(uri, client, str(experiment.experiment_id))
    # A database store keeps no files: artifacts go under ARSIGHT_HOME; a tracking server
    # (http) chooses its own artifact root.
    location = (
        None if uri.startswith(("http:", "https:", "databricks")) else settings.artifact_location()
    )
    experiment_id = client.create_experiment(settings.experiment, artifact_location=location)
    return TrackingStore(uri, client, str(experiment_id))


@contextmanager
def training_run(store: TrackingStore, run_name: str, tags: dict[str, str]) -> Iterator[str]:
    """An MLflow run around one training; yields its run id; FAILED if the block raises."""
    run = store.client.create_run(store.experiment_id, run_name=run_name, tags=tags)
    run_id = str(run.info.run_id)
    try:
        yield run_id
    except BaseException:
        store.client.set_terminated(run_id, "FAILED")
        raise
    store.client.set_terminated(run_id, "FINISHED")


def trial_logger(
    store: TrackingStore, parent_run_id: str
) -> Callable[[optuna.Study, optuna.trial.FrozenTrial], None]:
    """An Optuna callback logging each finished trial as a nested run of `parent_run_id`."""

    def log_trial(study: optuna.Study, trial: optuna.trial.FrozenTrial) -> None:
        client = store.client
        tags = {MLFLOW_PARENT_RUN_ID: parent_run_id, "state": trial.state.name}
        run = client.create_run(store.experiment_id, run_name=f"trial-{trial.number}", tags=tags)
        run_id = run.info.run_id
        stamp = get_current_time_millis()
        metrics = [Metric("valid_auc", trial.value, stamp, 0)] if trial.value is not None else []
        metrics += [
            Metric("valid_auc_by_round", value, stamp, int(step))
            for step, value in trial.intermediate_values.items()
        ]
        params = [Param(k, str(v)) for k, v in trial.params.items()]
        client.log_batch(run_id, metrics=metrics, params=params)
        client.set_terminated(run_id, "FINISHED")
        logger.debug("trial %d of study %s logged", trial.number, study.study_name)

    return log_trial


def finite_metrics(metrics: dict[str, float], prefix: str = "") -> dict[str, float]:
    """Metrics MLflow can store (NaN dropped), keys prefixed."""
    return {f"{prefix}{k}": float(v) for k, v in metrics.items() if not math.isnan(float(v))}


def report_metrics(report: dict[str, Any]) -> dict[str, float]:
    """The run's metrics: last-fold metrics of the model (bare) and each baseline (prefixed
    with its name), and the model's AUC margins (`margin_auc_over_<baseline>`); the same for
    the delinquency model under `delinquency_` (`delinquency_auc`, `delinquency_logistic_auc`,
    `delinquency_margin_auc_over_logistic`, ...) and the invoice model under `invoice_`
    (`invoice_mae_days`, `invoice_paid_on_due_date_mae_days`,
    `invoice_margin_mae_ratio_over_customer_median_days_late`, ...) and its cash forecast
    under `cash_` (`cash_wape_weeks_1_4`, `cash_due_date_wape_weeks_1_4`, ...)."""
    metrics: dict[str, float] = {}
    credit = report.get("delinquency", {})
    invoice = report.get("invoice", {})
    for section, prefix in ((report, ""), (credit, "delinquency_"), (invoice, "invoice_")):
        for name, values in section.get("last_fold", {}).items():
            metrics |= finite_metrics(values, prefix if name == "model" else f"{prefix}{name}_")
        margins = {k: v for k, v in section.get("margins", {}).items() if v is not None}
        metrics |= finite_metrics(margins, f"{prefix}margin_")
    cash = invoice.get("cash_forecast", {})
    for name, values in cash.get("wape", {}).items():
        scores = {k: v for k, v in values.items() if v is not None}
        metrics |= finite_metrics(scores, f"cash_{'' if name == 'model' else name + '_'}wape_")
    if "coverage_p10_p90" in cash:
        metrics["cash_coverage_p10_p90"] = float(cash["coverage_p10_p90"])
    return metrics


def log_results(
    store: TrackingStore,
    run_id: str,
    params: dict[str, Any],
    report: dict[str, Any],
    card: str,
    plots: list[Path],
) -> None:
    """Parameters, last-fold metrics of the model and each baseline, report, card and plots."""
    client = store.client
    plain = [Param(k, str(v)) for k, v in params.items() if not isinstance(v, dict | list)]
    stamp = get_current_time_millis()
    metrics = [Metric(key, value, stamp, 0) for key, value in report_metrics(report).items()]
    client.log_batch(run_id, metrics=metrics, params=plain)
    with tempfile.TemporaryDirectory(prefix="arsight-eval-") as tmp:
        directory = Path(tmp)
        (directory / "report.json").write_text(json.dumps(report, indent=2, default=str))
        (directory / "model_card.md").write_text(card)
        pd.DataFrame(report["fold_metrics"]).to_csv(directory / "fold_metrics.csv", index=False)
        pd.DataFrame(report["deciles"]).to_csv(directory / "deciles.csv", index=False)
        for segment, rows in report["segments"].items():
            pd.DataFrame(rows).to_csv(directory / f"segments_{segment}.csv", index=False)
        client.log_artifacts(run_id, str(directory), artifact_path="evaluation")
    for path in plots:
        client.log_artifact(run_id, str(path), artifact_path="plots")


def register_bundle(
    store: TrackingStore,
    run_id: str,
    bundle: ModelBundle,
    model_name: str,
    input_example: pd.DataFrame,
    description: str,
) -> str:
    """Log the bundle as a pyfunc model, register a new version, alias it `challenger`.

    Returns:
        The new version number.
    """
    version = log_bundle(
        bundle, store.client, run_id, input_example=input_example, registered_model_name=model_name
    )
    store.client.update_model_version(model_name, version, description=description)
    store.client.set_registered_model_alias(model_name, CHALLENGER, version)
    return version


def alias_version(store: TrackingStore, model_name: str, alias: str) -> str | None:
    """The version behind `alias`, or None when the model or alias does not exist."""
    try:
        return str(store.client.get_model_version_by_alias(model_name, alias).version)
    except MlflowException:
        return None


def load_alias(store: TrackingStore, model_name: str, alias: str) -> ModelBundle | None:
    """The bundle behind `models:/<model_name>@<alias>`, or None when there is none."""
    if alias_version(store, model_name, alias) is None:
        return None
    return load_bundle(f"models:/{model_name}@{alias}", store.uri)


def promote(store: TrackingStore, model_name: str, version: str, reason: str) -> None:
    """Move `champion` to `version`, recording why on the version."""
    store.client.set_registered_model_alias(model_name, CHAMPION, version)
    store.client.set_model_version_tag(model_name, version, "promotion", reason)
    logger.info("%s version %s is champion: %s", model_name, version, reason)


def tag_run(store: TrackingStore, run_id: str, tags: dict[str, str]) -> None:
    """Tags on the training run (registered version, promotion outcome)."""
    for key, value in tags.items():
        store.client.set_tag(run_id, key, value)


def load_model(store: TrackingStore, model_uri: str) -> ModelBundle:
    """The bundle at `model_uri` (runs:/, models:/name@alias, models:/name/version).

    Raises:
        RegistryError: the URI does not resolve to a model.
    """
    try:
        return load_bundle(model_uri, store.uri)
    except MlflowException as exc:
        raise RegistryError(f"{model_uri}: no such model ({exc.message})") from exc
