"""Serving settings: defaults below ARSIGHT_HOME, URLs kept as they are, MLflow's own variable."""

from __future__ import annotations

from pathlib import Path

import pytest

from serving.settings import ServingSettings


def test_defaults_live_below_home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("MLFLOW_TRACKING_URI", raising=False)
    settings = ServingSettings(_env_file=None, home=tmp_path)
    assert settings.online_store_location == str(tmp_path / "store" / "online.parquet")
    assert settings.audit_url == f"sqlite:///{tmp_path.resolve() / 'audit' / 'audit.db'}"
    assert settings.mlflow_uri == f"sqlite:///{tmp_path.resolve() / 'models' / 'mlflow.db'}"
    assert settings.model_uri == "models:/arsight@champion"
    assert (settings.poll_seconds, settings.reasons_top_k) == (30.0, 3)


def test_environment_and_urls(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("MLFLOW_TRACKING_URI", "http://mlflow:5000")
    monkeypatch.setenv("ARSIGHT_ONLINE_STORE", "postgresql+psycopg://db/features")
    monkeypatch.setenv("ARSIGHT_AUDIT_DB_URL", "postgresql+psycopg://db/audit")
    monkeypatch.setenv("ARSIGHT_API_KEYS", "crm:k")
    settings = ServingSettings(_env_file=None)
    assert settings.mlflow_uri == "http://mlflow:5000"
    assert settings.online_store_location == "postgresql+psycopg://db/features"
    assert settings.audit_url == "postgresql+psycopg://db/audit"
    assert settings.api_keys is not None and settings.api_keys.get_secret_value() == "crm:k"
    assert "crm:k" not in repr(settings)
