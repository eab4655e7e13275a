"""The MLflow side of a scoring job: the only module of the batch job that calls MLflow.

One run per job in experiment `arsight-scoring`: parameters (as_of, model name and version,
policy version, data fingerprint), metrics (rows, rows not scored, tier counts, mean
probability, portfolio expected overdue amount, PSI), artifacts (score histogram PNG, tier
transition matrix CSV, top-100 worklist CSV). Also reads back when the served model was
trained (the `trained_as_of` parameter of its training run), for the drift reference.
"""

from __future__ import annotations

import logging
import math
import tempfile
from dataclasses import dataclass, field
from pathlib import Path

import matplotlib
import numpy as np
import pandas as pd
from mlflow.entities import Metric, Param
from mlflow.exceptions import MlflowException
from mlflow.tracking import MlflowClient
from mlflow.utils.time import get_current_time_millis

from serving.model_loader import ModelRef

logger = logging.getLogger(__name__)

EXPERIMENT = "arsight-scoring"
WORKLIST_ARTIFACT_ROWS = 100


@dataclass
class ScoringRunRecord:
    """Everything one scoring job logs."""

    run_name: str
    params: dict[str, str]
    metrics: dict[str, float]
    probabilities: np.ndarray
    transitions: pd.DataFrame
    worklist: pd.DataFrame
    tags: dict[str, str] = field(default_factory=dict)


def artifact_location(tracking_uri: str) -> str | None:
    """Artifacts beside an embedded SQLite store (`<dir>/artifacts`); the server's default else."""
    if not tracking_uri.startswith("sqlite:///"):
        return None
    database = Path(tracking_uri.removeprefix("sqlite:///"))
    return (database.parent / "artifacts").resolve().as_uri()


def _experiment_id(client: MlflowClient, tracking_uri: str) -> str:
    experiment = client.get_experiment_by_name(EXPERIMENT)
    if experiment is not None:
        return str(experiment.experiment_id)
    return str(client.create_experiment(EXPERIMENT, artifact_location(tracking_uri)))


def trained_as_of(tracking_uri: str, ref: ModelRef) -> pd.Timestamp | None:
    """The `trained_as_of` parameter of the run that trained `ref`; None if not recorded."""
    if ref.run_id is None:
        return None
    try:
        run = MlflowClient(tracking_uri=tracking_uri).get_run(ref.run_id)
    except MlflowException as exc:
        logger.warning("cannot read training run %s: %s", ref.run_id, exc)
        return None
    value = run.data.params.get("trained_as_of")
    return pd.Timestamp(value) if value else None


def draw_histogram(probabilities: np.ndarray, path: Path) -> Path:
    """Histogram of the overdue probabilities, 20 bins over [0, 1]."""
    matplotlib.use("Agg", force=True)
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(6, 4))
    ax.hist(probabilities, bins=20, range=(0.0, 1.0), color="#4472c4", edgecolor="white")
    ax.set(xlabel="overdue probability", ylabel="customers", title="Scores of this run")
    fig.tight_layout()
    fig.savefig(path, dpi=100)
    plt.close(fig)
    return path


def log_scoring_run(tracking_uri: str, record: ScoringRunRecord) -> str:
    """Log one scoring job as a finished MLflow run; return its run id."""
    client = MlflowClient(tracking_uri=tracking_uri, registry_uri=tracking_uri)
    experiment_id = _experiment_id(client, tracking_uri)
    stamp = get_current_time_millis()
    metrics = [
        Metric(k, float(v), stamp, 0) for k, v in record.metrics.items() if math.isfinite(float(v))
    ]
    params = [Param(k, str(v)) for k, v in record.params.items()]
    run = client.create_run(experiment_id, run_name=record.run_name, tags=record.tags)
    run_id = str(run.info.run_id)
    try:
        client.log_batch(run_id, metrics=metrics, params=params)
        with tempfile.TemporaryDirectory(prefix="arsight-scoring-") as tmp:
            directory = Path(tmp)
            draw_histogram(record.probabilities, directory / "score_histogram.png")
            record.transitions.to_csv(directory / "tier_transitions.csv")
            top = record.worklist.head(WORKLIST_ARTIFACT_ROWS)
            top.to_csv(directory / "worklist_top100.csv", index=False)
            client.log_artifacts(run_id, str(directory))
    except BaseException:
        client.set_terminated(run_id, "FAILED")
        raise
    client.set_terminated(run_id, "FINISHED")
    logger.info("scoring run %s logged to %s", run_id, tracking_uri)
    return run_id
