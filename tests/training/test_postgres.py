"""The same training flow with PostgreSQL as the MLflow backend store."""

from __future__ import annotations

import secrets
from collections.abc import Iterator
from pathlib import Path

import mlflow
import pandas as pd
import psycopg
import pytest

from models.pyfunc import load_bundle
from tests.conftest import make_training_frame
from training.registration import train_frame_and_register
from training.settings import TrainingSettings

pytestmark = [pytest.mark.postgres, pytest.mark.slow]

SERVER = "postgresql://postgres@127.0.0.1:5432/test"


@pytest.fixture
def postgres_uri(monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    """A fresh database for this test, dropped afterwards; skips where no server answers."""
    name = f"arsight_mlflow_{secrets.token_hex(4)}"
    try:
        admin = psycopg.connect(SERVER, autocommit=True, connect_timeout=3)
    except psycopg.OperationalError as exc:
        pytest.skip(f"PostgreSQL not reachable at {SERVER}: {exc}")
    admin.execute(f'CREATE DATABASE "{name}"')
    uri = f"postgresql+psycopg://postgres@127.0.0.1:5432/{name}"
    monkeypatch.setenv("MLFLOW_TRACKING_URI", uri)
    try:
        yield uri
    finally:
        admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        admin.close()


def test_train_register_and_promote_on_postgres(postgres_uri: str, tmp_path: Path) -> None:
    frame = make_training_frame(customers=120, months=20, seed=9)
    settings = TrainingSettings(_env_file=None, home=tmp_path, fold_snapshots=2, max_rounds=40)
    result = train_frame_and_register(
        frame, settings, pd.Timestamp("2025-02-28"), trials=1, promote=True
    )
    assert settings.tracking_uri() == postgres_uri
    client = mlflow.MlflowClient(tracking_uri=postgres_uri, registry_uri=postgres_uri)
    assert str(client.get_model_version_by_alias("arsight", "challenger").version) == "1"
    assert str(client.get_model_version_by_alias("arsight", "champion").version) == "1"
    assert result.promoted
    run = client.get_run(result.run_id)
    assert run.info.artifact_uri.startswith((tmp_path / "models" / "artifacts").as_uri())
    bundle = load_bundle("models:/arsight@champion", postgres_uri)
    rows = frame[bundle.feature_names].head(20)
    pd.testing.assert_frame_equal(bundle.predict(rows), result.bundle.predict(rows))
