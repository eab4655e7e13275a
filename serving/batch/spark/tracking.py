"""Finishing a Spark scoring run: metrics, the MLflow run, then the scores renamed into place.

The run is logged through the batch job's `serving.batch.tracking.log_scoring_run` (same
experiment, same metrics), with the engine and the cluster configuration (`spark_*`
parameters) among its parameters. As in the pandas engine the scores are renamed into place
last, so their presence means the run completed.
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING

import pandas as pd
from mlflow.exceptions import MlflowException

from serving.batch.metrics import run_metrics, transition_matrix
from serving.batch.outputs import OutputPaths
from serving.batch.spark.output import write_scores
from serving.batch.tracking import ScoringRunRecord, log_scoring_run
from serving.batch.types import BatchError, BatchRequest, BatchResult, ExitCode
from serving.policy import TIERS
from serving.settings import ServingSettings

if TYPE_CHECKING:
    from pyspark.sql import DataFrame

logger = logging.getLogger(__name__)

SUMMARY_COLUMNS = [
    "customer_id",
    "scored",
    "risk_tier",
    "previous_risk_tier",
    "overdue_probability",
    "expected_overdue_amount",
]
"""The columns the run's metrics need; only these are collected on the driver."""


def log_run(
    settings: ServingSettings,
    summary: pd.DataFrame,
    params: dict[str, str],
    metrics: dict[str, float],
) -> str:
    """Log the run to MLflow; the worklist artifact is empty (the Spark engine builds none)."""
    scored = summary.loc[summary["scored"]]
    record = ScoringRunRecord(
        run_name=f"score-{params['as_of']}",
        params=params,
        metrics=metrics,
        probabilities=scored["overdue_probability"].to_numpy(float),
        transitions=transition_matrix(summary),
        worklist=pd.DataFrame({"customer_id": pd.Series([], dtype="str")}),
        tags={"engine": "spark"},
    )
    try:
        return log_scoring_run(settings.mlflow_uri, record)
    except (MlflowException, OSError) as exc:
        raise BatchError(f"MLflow {settings.mlflow_uri}: {exc}", ExitCode.UNAVAILABLE) from exc


def finish_spark_run(
    request: BatchRequest,
    settings: ServingSettings,
    paths: OutputPaths,
    scores: DataFrame,
    meta: dict[str, str],
    cluster: dict[str, str],
    rejects: tuple[int, float],
) -> BatchResult:
    """Metrics, MLflow (when tracked), then the scores directory (see the module docstring).

    Args:
        rejects: number of rejected input rows and their share of the rows read.
    """
    scores = scores.persist()
    try:
        summary = scores.select(*SUMMARY_COLUMNS).toPandas()
        summary = summary.astype({"overdue_probability": "float64"})
        logger.info("%d customers scored", int(summary["scored"].sum()))
        metrics = run_metrics(summary, 0, {}, rejects[0])
        meta = meta | {"reject_share": f"{rejects[1]:.10g}"}
        params = meta | cluster | {"rows": str(len(summary)), "chunk_size": str(request.chunk_size)}
        run_id = log_run(settings, summary, params, metrics) if request.track else None
        totals = {k: f"{v:.10g}" for k, v in metrics.items()}
        write_scores(scores, paths.scores, meta | cluster | totals | {"kind": "scores"})
    finally:
        scores.unpersist()
    return BatchResult(
        status="written",
        paths=paths,
        rows=len(summary),
        not_scored=int(metrics["rows_not_scored"]),
        alerts=0,
        tier_counts={t: int(metrics[f"tier_{t}"]) for t in TIERS},
        reject_share=rejects[1],
        run_id=run_id,
    )
