"""The whole training flow against a real SQLite MLflow store in a temporary directory."""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass

import mlflow
import pandas as pd
import pytest

from models.pyfunc import load_bundle
from tests.conftest import make_training_frame
from training.registration import TrainingResult, train_frame_and_register
from training.settings import TrainingSettings

AS_OF = pd.Timestamp("2025-08-31")


@dataclass
class Registry:
    settings: TrainingSettings
    first: TrainingResult
    second: TrainingResult


@pytest.fixture(scope="module")
def registry(
    tmp_path_factory: pytest.TempPathFactory,
) -> Iterator[Registry]:
    """Two identical trainings with --promote: the first becomes champion, the second not."""
    frame = make_training_frame(customers=150, months=20, seed=5)
    settings = TrainingSettings(
        _env_file=None, home=tmp_path_factory.mktemp("home"), fold_snapshots=2, max_rounds=60
    )
    with pytest.MonkeyPatch.context() as patch:
        patch.delenv("MLFLOW_TRACKING_URI", raising=False)
        before = (mlflow.get_tracking_uri(), mlflow.get_registry_uri())
        first = train_frame_and_register(frame, settings, AS_OF, trials=2, promote=True)
        second = train_frame_and_register(frame, settings, AS_OF, trials=2, promote=True)
        # Training names its store explicitly: MLflow's process-wide URIs are left alone.
        assert (mlflow.get_tracking_uri(), mlflow.get_registry_uri()) == before
        yield Registry(settings, first, second)


def _client(registry: Registry) -> mlflow.MlflowClient:
    uri = registry.settings.tracking_uri()
    return mlflow.MlflowClient(tracking_uri=uri, registry_uri=uri)


def test_store_lives_under_arsight_home(registry: Registry) -> None:
    home = registry.settings.home
    uri = f"sqlite:///{(home / 'models' / 'mlflow.db').resolve()}"
    assert registry.settings.tracking_uri() == uri
    assert (home / "models" / "mlflow.db").is_file()
    assert any((home / "models" / "artifacts").iterdir())


def test_first_version_is_challenger_and_champion(registry: Registry) -> None:
    client = _client(registry)
    assert registry.first.version == "1"
    assert registry.first.promoted
    assert re.fullmatch(
        r"no champion yet; challenger AUC 0\.\d{4}", registry.first.promotion_reason
    )
    assert str(client.get_model_version_by_alias("arsight", "champion").version) == "1"
    tags = client.get_model_version("arsight", "1").tags
    assert tags["promotion"] == registry.first.promotion_reason


def test_identical_retrain_does_not_take_the_champion(registry: Registry) -> None:
    client = _client(registry)
    second = registry.second
    assert second.version == "2" and not second.promoted
    assert re.fullmatch(
        r"challenger AUC (\d\.\d{4}) does not beat champion AUC \1 \(champion recipe "
        r"refitted on the same fold\) on the last fold \(2025-06-30 to 2025-07-31\)",
        second.promotion_reason,
    ), second.promotion_reason
    assert str(client.get_model_version_by_alias("arsight", "challenger").version) == "2"
    assert str(client.get_model_version_by_alias("arsight", "champion").version) == "1"


def test_run_logs_params_metrics_artifacts_and_nested_trials(registry: Registry) -> None:
    client = _client(registry)
    run = client.get_run(registry.first.run_id)
    assert run.data.params["trials"] == "2"
    assert run.data.params["trained_as_of"] == "2025-08-31"
    assert run.data.params["data_fingerprint"] == registry.first.bundle.data_fingerprint
    assert run.data.params["horizon_days"] == "30"
    for key in (
        "auc",
        "ece",
        "dso_mae",
        "dso_coverage_p10_p90",
        "customer_prior_late_share_auc",
        "margin_auc_over_customer_prior_late_share",
        "logistic_auc",
        "points_scorecard_auc",
        "persistence_dso_mae",
        "lightgbm_untuned_auc",
    ):
        assert key in run.data.metrics, key
    assert run.data.metrics["auc"] == registry.first.metrics["auc"]
    assert run.data.tags["registered_version"] == "1"
    artifacts = {a.path for a in client.list_artifacts(run.info.run_id, "evaluation")}
    assert artifacts == {
        "evaluation/report.json",
        "evaluation/model_card.md",
        "evaluation/fold_metrics.csv",
        "evaluation/deciles.csv",
        "evaluation/segments_customer_industry.csv",
        "evaluation/segments_customer_segment.csv",
    }
    plots = {a.path for a in client.list_artifacts(run.info.run_id, "plots")}
    assert plots == {
        "plots/calibration.png",
        "plots/roc.png",
        "plots/shap_beeswarm.png",
        "plots/dso_residuals.png",
    }
    children = client.search_runs(
        [run.info.experiment_id], f"tags.mlflow.parentRunId = '{run.info.run_id}'"
    )
    assert sorted(c.info.run_name for c in children) == ["trial-0", "trial-1"]
    assert all("learning_rate" in c.data.params for c in children)


def test_report_compares_with_every_baseline_per_segment(registry: Registry) -> None:
    report = registry.first.bundle.report
    assert list(report["last_fold"]) == [
        "model",
        "customer_prior_late_share",
        "points_scorecard",
        "logistic",
        "persistence",
        "lightgbm_untuned",
    ]
    assert len(report["folds"]) == 3
    industries = pd.DataFrame(report["segments"]["customer_industry"])
    assert set(industries["model"]) == set(report["last_fold"])
    assert set(industries["customer_industry"]) == {
        "construction",
        "retail",
        "software",
        "wholesale",
        "unknown",
    }
    assert len(report["deciles"]) == 10
    assert report["calibration"]["method"] in {"isotonic", "platt"}


def test_model_card_and_registered_bundle(registry: Registry) -> None:
    card = registry.first.model_card
    assert card.startswith("# Model card: arsight version 1\n")
    assert "| model | auc | pr_auc | brier |" in card
    assert "`customer_late_share_count_180d` (+)" in card
    margin = registry.first.bundle.report["margins"]["auc_over_customer_prior_late_share"]
    assert (
        f"Overdue AUC margin over `customer_prior_late_share` (each customer's own late "
        f"share before t): {margin:+.3f}." in card
    )
    bundle = load_bundle("models:/arsight@champion", registry.settings.tracking_uri())
    assert bundle.data_fingerprint == registry.first.bundle.data_fingerprint
    assert bundle.report == registry.first.bundle.report
