"""Each scoring job is one MLflow run in experiment arsight-scoring."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
from mlflow.tracking import MlflowClient

from serving.batch.outputs import read_metadata
from serving.batch.tracking import EXPERIMENT
from tests.serving.batch_fixtures import (  # noqa: F401 (fixtures)
    TwoRuns,
    two_runs_fixture,
    world_dir_fixture,
)


def test_a_run_per_job_with_params_metrics_and_artifacts(two_runs: TwoRuns) -> None:
    client = MlflowClient(tracking_uri=two_runs.settings.mlflow_uri)
    experiment = client.get_experiment_by_name(EXPERIMENT)
    assert experiment is not None
    run = client.get_run(two_runs.second.run_id)
    assert run.info.experiment_id == experiment.experiment_id
    assert run.info.status == "FINISHED"
    meta = read_metadata(two_runs.second.paths.scores)
    assert meta is not None
    params = run.data.params
    assert params["as_of"] == two_runs.second_as_of.date().isoformat()
    assert params["model_name"] == "arsight"
    assert params["model_version"] == "1"
    assert params["policy_version"] == "2026.12-1"
    assert params["data_fingerprint"] == meta["data_fingerprint"]
    metrics = run.data.metrics
    assert metrics["rows"] == 300
    assert metrics["rows_not_scored"] == 0
    assert metrics["alerts"] == two_runs.second.alerts
    for tier, count in two_runs.second.tier_counts.items():
        assert metrics[f"tier_{tier}"] == count
    assert metrics["psi_overdue_probability"] == float(meta["psi_overdue_probability"])
    assert metrics["expected_overdue_amount"] == float(meta["expected_overdue_amount"])
    names = sorted(a.path for a in client.list_artifacts(run.info.run_id))
    assert names == ["score_histogram.png", "tier_transitions.csv", "worklist_top100.csv"]


def test_transition_matrix_counts_every_customer(two_runs: TwoRuns, tmp_path: Path) -> None:
    client = MlflowClient(tracking_uri=two_runs.settings.mlflow_uri)
    local = client.download_artifacts(two_runs.second.run_id, "tier_transitions.csv", str(tmp_path))
    matrix = pd.read_csv(local, index_col=0)
    assert list(matrix.index) == ["green", "yellow", "orange", "red", "none"]
    assert list(matrix.columns) == ["green", "yellow", "orange", "red", "not_scored"]
    assert int(matrix.to_numpy().sum()) == 300
    assert matrix.sum(axis=0)[["green", "yellow", "orange", "red"]].to_dict() == (
        two_runs.second.tier_counts
    )
    first = two_runs.first.tier_counts
    assert matrix.sum(axis=1)[["green", "yellow", "orange", "red"]].to_dict() == first
