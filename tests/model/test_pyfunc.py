"""The MLflow pyfunc flavour: what it returns equals what the boosters compute."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import mlflow
import numpy as np
import pandas as pd
import pytest

from models.bundle import ModelBundle
from models.errors import ArtifactError
from models.interval import dso_interval
from models.pyfunc import load_bundle, load_pyfunc, log_bundle
from training.settings import TrainingSettings
from training.tracking import open_store, training_run


@pytest.fixture(scope="module")
def logged(
    bundle: ModelBundle, feature_rows: pd.DataFrame, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[tuple[str, str]]:
    """(model URI, tracking URI): the bundle logged once in a SQLite store of its own."""
    settings = TrainingSettings(
        _env_file=None, home=tmp_path_factory.mktemp("home"), mlflow_tracking_uri=None
    )
    store = open_store(settings)
    with training_run(store, "pyfunc", {}) as run_id:
        uri = log_bundle(bundle, store.client, run_id, input_example=feature_rows.head(3))
    yield uri, store.uri


def _local(logged: tuple[str, str]) -> Path:
    uri, tracking_uri = logged
    return Path(mlflow.artifacts.download_artifacts(uri, tracking_uri=tracking_uri))


def test_pyfunc_outputs_equal_the_boosters(
    logged: tuple[str, str], bundle: ModelBundle, feature_rows: pd.DataFrame
) -> None:
    output = load_pyfunc(*logged).predict(feature_rows)
    matrix = bundle.encode(feature_rows)
    raw = bundle.classifier.predict(matrix, raw_score=True)
    np.testing.assert_allclose(output["overdue_probability"], bundle.calibrator.transform(raw))
    np.testing.assert_allclose(output["dso_30d"], bundle.regressor.predict(matrix))
    low = np.asarray(bundle.regressor_p10.predict(matrix))
    high = np.asarray(bundle.regressor_p90.predict(matrix))
    p10, p90 = dso_interval(low, high, bundle.interval_adjustment_days)
    assert bundle.interval_adjustment_days != 0.0  # the interval below is the adjusted one
    np.testing.assert_allclose(output["dso_30d_p10"], p10)
    np.testing.assert_allclose(output["dso_30d_p90"], p90)
    expected = bundle.predict(feature_rows)
    np.testing.assert_allclose(output["dso_30d_p10"], expected["dso_30d_p10"])
    np.testing.assert_allclose(output["dso_30d_p90"], expected["dso_30d_p90"])
    contributions = bundle.classifier.predict(matrix, pred_contrib=True)
    shap_columns = [f"shap_overdue__{n}" for n in [*bundle.feature_names, "expected_value"]]
    np.testing.assert_allclose(output[shap_columns].to_numpy(), contributions)
    dso_columns = [f"shap_dso__{n}" for n in bundle.feature_names]
    np.testing.assert_allclose(
        output[dso_columns].to_numpy(), bundle.regressor.predict(matrix, pred_contrib=True)[:, :-1]
    )


def test_load_bundle_round_trips_everything(
    logged: tuple[str, str], bundle: ModelBundle, feature_rows: pd.DataFrame
) -> None:
    loaded = load_bundle(*logged)
    pd.testing.assert_frame_equal(loaded.predict(feature_rows), bundle.predict(feature_rows))
    assert loaded.feature_names == bundle.feature_names
    assert loaded.categorical_features == ["customer_industry", "customer_segment"]
    assert loaded.calibrator == bundle.calibrator
    assert loaded.interval_adjustment_days == bundle.interval_adjustment_days
    assert loaded.monotone == bundle.monotone
    assert loaded.metrics == bundle.metrics
    assert loaded.data_fingerprint == bundle.data_fingerprint
    assert loaded.label_definition == {
        "horizon_days": 30,
        "grace_days": 0,
        "dso_window_days": 90,
        "delinquent_days": 30,
        "delinquency_horizon_days": 90,
    }


def test_signature_names_every_feature(logged: tuple[str, str], bundle: ModelBundle) -> None:
    signature = mlflow.models.Model.load(_local(logged) / "MLmodel").signature
    assert signature.inputs.input_names() == bundle.feature_names
    assert signature.outputs.input_names()[:4] == [
        "overdue_probability",
        "dso_30d",
        "dso_30d_p10",
        "dso_30d_p90",
    ]


def test_bundle_files_are_portable_text(bundle: ModelBundle, tmp_path: Path) -> None:
    bundle.save(tmp_path / "b")
    assert sorted(p.name for p in (tmp_path / "b").iterdir()) == [
        "bundle.json",
        "classifier.txt",
        "regressor.txt",
        "regressor_p10.txt",
        "regressor_p90.txt",
    ]
    assert (tmp_path / "b" / "classifier.txt").read_text().startswith("tree\n")


def test_missing_booster_file_is_an_artifact_error(bundle: ModelBundle, tmp_path: Path) -> None:
    bundle.save(tmp_path / "b")
    (tmp_path / "b" / "regressor_p90.txt").unlink()
    with pytest.raises(
        ArtifactError, match=r"^.*/b: cannot read model bundle: .*regressor_p90\.txt"
    ):
        ModelBundle.load(tmp_path / "b")


def test_pyfunc_is_logged_from_code_with_nothing_pickled(logged: tuple[str, str]) -> None:
    local = _local(logged)
    files = sorted(p.relative_to(local).as_posix() for p in local.rglob("*") if p.is_file())
    assert not [f for f in files if f.endswith((".pkl", ".pickle", ".cloudpickle"))], files
    assert "pyfunc_entry.py" in files, files
    flavor = mlflow.models.Model.load(local / "MLmodel").flavors["python_function"]
    assert flavor["model_code_path"].endswith("pyfunc_entry.py")
