"""MLflow for training: the only module of `training` that imports MLflow.

Runs, nested trial runs, parameters, metrics, artifacts, the bundle as a pyfunc model,
registration as `<model_name>` with alias `challenger`, and moving `champion`. The rest of
the training code runs without MLflow; `training.workflow` calls these functions.
"""

from __future__ import annotations

import json
import logging
import math
import os
import tempfile
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import mlflow
import optuna
import pandas as pd
from mlflow.exceptions import MlflowException

from models.bundle import ModelBundle
from models.pyfunc import load_bundle, log_bundle
from training.errors import RegistryError
from training.settings import TrainingSettings

logger = logging.getLogger(__name__)

CHALLENGER = "challenger"
CHAMPION = "champion"


def configure_tracking(settings: TrainingSettings) -> str:
    """Point MLflow at the configured store; create the embedded store's folder and experiment.

    The experiment is not made the process-wide active one: runs name it explicitly.

    Returns:
        The id of the training experiment.
    """
    uri = settings.tracking_uri()
    embedded = not os.environ.get("MLFLOW_TRACKING_URI")
    if embedded:
        settings.models_dir.mkdir(parents=True, exist_ok=True)
    # Both URIs: the registry URI is process-wide state too, and a registry left pointing at
    # another store (a server's loader, an earlier job) would receive this run's model.
    mlflow.set_tracking_uri(uri)
    mlflow.set_registry_uri(uri)
    client = mlflow.MlflowClient()
    experiment = client.get_experiment_by_name(settings.experiment)
    if experiment is not None:
        return str(experiment.experiment_id)
    # A database store keeps no files: artifacts go under ARSIGHT_HOME; a tracking server
    # (http) chooses its own artifact root.
    location = (
        None if uri.startswith(("http:", "https:", "databricks")) else settings.artifact_location()
    )
    return str(client.create_experiment(settings.experiment, artifact_location=location))


@contextmanager
def training_run(experiment_id: str, run_name: str, tags: dict[str, str]) -> Iterator[str]:
    """An MLflow run around one training; yields its run id."""
    with mlflow.start_run(experiment_id=experiment_id, run_name=run_name, tags=tags) as run:
        yield run.info.run_id


def trial_logger() -> Callable[[optuna.Study, optuna.trial.FrozenTrial], None]:
    """An Optuna callback logging each finished trial as a nested run of the active run."""

    def log_trial(study: optuna.Study, trial: optuna.trial.FrozenTrial) -> None:
        parent = mlflow.active_run()
        experiment_id = parent.info.experiment_id if parent else None
        name = f"trial-{trial.number}"
        with mlflow.start_run(experiment_id=experiment_id, run_name=name, nested=True):
            mlflow.log_params(trial.params)
            mlflow.set_tag("state", trial.state.name)
            if trial.value is not None:
                mlflow.log_metric("valid_auc", trial.value)
            for step, value in trial.intermediate_values.items():
                mlflow.log_metric("valid_auc_by_round", value, step=step)
        logger.debug("trial %d of study %s logged", trial.number, study.study_name)

    return log_trial


def finite_metrics(metrics: dict[str, float], prefix: str = "") -> dict[str, float]:
    """Metrics MLflow can store (NaN dropped), keys prefixed."""
    return {f"{prefix}{k}": float(v) for k, v in metrics.items() if not math.isnan(float(v))}


def log_results(
    params: dict[str, Any], report: dict[str, Any], card: str, plots: list[Path]
) -> None:
    """Parameters, last-fold metrics of the model and each baseline, report, card and plots."""
    mlflow.log_params({k: v for k, v in params.items() if not isinstance(v, dict | list)})
    for name, metrics in report["last_fold"].items():
        mlflow.log_metrics(finite_metrics(metrics, "" if name == "model" else f"{name}_"))
    with tempfile.TemporaryDirectory(prefix="arsight-eval-") as tmp:
        directory = Path(tmp)
        (directory / "report.json").write_text(json.dumps(report, indent=2, default=str))
        (directory / "model_card.md").write_text(card)
        pd.DataFrame(report["fold_metrics"]).to_csv(directory / "fold_metrics.csv", index=False)
        pd.DataFrame(report["deciles"]).to_csv(directory / "deciles.csv", index=False)
        for segment, rows in report["segments"].items():
            pd.DataFrame(rows).to_csv(directory / f"segments_{segment}.csv", index=False)
        mlflow.log_artifacts(str(directory), artifact_path="evaluation")
    for path in plots:
        mlflow.log_artifact(str(path), artifact_path="plots")


def register_bundle(
    bundle: ModelBundle, model_name: str, input_example: pd.DataFrame, description: str
) -> str:
    """Log the bundle as a pyfunc model, register a new version, alias it `challenger`.

    Returns:
        The new version number.
    """
    info = log_bundle(bundle, input_example=input_example, registered_model_name=model_name)
    version = str(info.registered_model_version)
    client = mlflow.MlflowClient()
    client.update_model_version(model_name, version, description=description)
    client.set_registered_model_alias(model_name, CHALLENGER, version)
    return version


def alias_version(model_name: str, alias: str) -> str | None:
    """The version behind `alias`, or None when the model or alias does not exist."""
    try:
        return str(mlflow.MlflowClient().get_model_version_by_alias(model_name, alias).version)
    except MlflowException:
        return None


def load_alias(model_name: str, alias: str) -> ModelBundle | None:
    """The bundle behind `models:/<model_name>@<alias>`, or None when there is none."""
    if alias_version(model_name, alias) is None:
        return None
    return load_bundle(f"models:/{model_name}@{alias}")


def promote(model_name: str, version: str, reason: str) -> None:
    """Move `champion` to `version`, recording why on the version."""
    client = mlflow.MlflowClient()
    client.set_registered_model_alias(model_name, CHAMPION, version)
    client.set_model_version_tag(model_name, version, "promotion", reason)
    logger.info("%s version %s is champion: %s", model_name, version, reason)


def tag_run(tags: dict[str, str]) -> None:
    """Tags on the active run (registered version, promotion outcome)."""
    mlflow.set_tags(tags)


def active_run_id() -> str:
    """The id of the active run (raises if none is active)."""
    run = mlflow.active_run()
    if run is None:
        raise RuntimeError("no active MLflow run")
    return run.info.run_id


def load_model(model_uri: str) -> ModelBundle:
    """The bundle at `model_uri` (runs:/, models:/name@alias, models:/name/version).

    Raises:
        RegistryError: the URI does not resolve to a model.
    """
    try:
        return load_bundle(model_uri)
    except MlflowException as exc:
        raise RegistryError(f"{model_uri}: no such model ({exc.message})") from exc
