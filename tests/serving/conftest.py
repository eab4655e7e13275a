"""Serving fixtures: a small synthetic world, a tiny real model registered as champion in a
SQLite MLflow store, and an online store, all built once per session; an app per test.

The bundle is fitted directly with LightGBM (10 trees per model) on the real feature pipeline's
training frame, so the tests run the real bundle, registry, store and app, fast.
"""

from __future__ import annotations

import shutil
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, replace
from pathlib import Path

import numpy as np
import pandas as pd
import psycopg
import pytest
from fastapi.testclient import TestClient
from mlflow.tracking import MlflowClient

from features.build import online_frame
from features.store import write_online_store
from features.tables import Tables
from models.bundle import ModelBundle
from models.pyfunc import log_bundle
from serving.app import create_app
from serving.settings import ServingSettings
from tests.conftest import fit_tiny_bundle, fit_tiny_invoice_model, tiny_world

KEYS = {
    "crm": "crm-key-123",
    "risk": "risk-key-456",
    "collections": "collections-key-246",
    "admin": "admin-key-789",
}
AUTH = {role: {"Authorization": f"Bearer {key}"} for role, key in KEYS.items()}


EXPERIMENT = "serving-tests"


@dataclass(frozen=True)
class Registry:
    """A SQLite MLflow store with `arsight` v1 as champion."""

    uri: str
    bundle: ModelBundle

    @classmethod
    def create(cls, root: Path, bundle: ModelBundle) -> Registry:
        """A new store under `root` with `bundle` registered as `arsight` v1, champion."""
        uri = f"sqlite:///{root / 'mlflow.db'}"
        MlflowClient(uri).create_experiment(EXPERIMENT, artifact_location=str(root / "art"))
        registry = cls(uri, bundle)
        registry.register(bundle)
        return registry

    def register(
        self, bundle: ModelBundle, alias: str | None = "champion", name: str = "arsight"
    ) -> str:
        """Log and register `bundle` as a new version of `name`; point `alias` at it."""
        client = MlflowClient(tracking_uri=self.uri, registry_uri=self.uri)
        experiment = client.get_experiment_by_name(EXPERIMENT)
        assert experiment is not None
        run_id = client.create_run(experiment.experiment_id).info.run_id
        version = log_bundle(bundle, client, run_id, registered_model_name=name)
        client.set_terminated(run_id)
        if alias is not None:
            client.set_registered_model_alias(name, alias, version)
        return version


@pytest.fixture(scope="session")
def world_and_frame() -> tuple[Tables, pd.DataFrame]:
    return tiny_world(customers=300, months=15, seed=3)


@pytest.fixture(scope="session")
def world(world_and_frame: tuple[Tables, pd.DataFrame]) -> Tables:
    return world_and_frame[0]


@pytest.fixture(scope="session")
def training_frame(world_and_frame: tuple[Tables, pd.DataFrame]) -> pd.DataFrame:
    return world_and_frame[1]


@pytest.fixture(scope="session")
def tiny_bundle(world: Tables, training_frame: pd.DataFrame) -> ModelBundle:
    """The served bundle of the serving tests: every model a production bundle holds."""
    bundle = fit_tiny_bundle(training_frame)
    return replace(bundle, invoice_model=fit_tiny_invoice_model(world, training_frame))


@pytest.fixture(scope="session")
def registry(tmp_path_factory: pytest.TempPathFactory, tiny_bundle: ModelBundle) -> Registry:
    root = tmp_path_factory.mktemp("mlflow")
    uri = f"sqlite:///{root / 'mlflow.db'}"
    # Artifacts beside the database, never in the working directory's ./mlruns.
    MlflowClient(uri).create_experiment(EXPERIMENT, artifact_location=str(root / "art"))
    registry = Registry(uri, tiny_bundle)
    assert registry.register(tiny_bundle) == "1"
    return registry


@pytest.fixture(scope="session")
def store_frame(world: Tables) -> pd.DataFrame:
    return online_frame(world)


@pytest.fixture(scope="session")
def session_store(tmp_path_factory: pytest.TempPathFactory, store_frame: pd.DataFrame) -> Path:
    path = tmp_path_factory.mktemp("store") / "online.parquet"
    write_online_store(store_frame, path)
    return path


@pytest.fixture
def store_path(tmp_path: Path, session_store: Path) -> Path:
    """A private copy of the store, so a test may overwrite it."""
    path = tmp_path / "store" / "online.parquet"
    path.parent.mkdir()
    shutil.copy(session_store, path)
    return path


def make_settings(
    home: Path, store: Path | str, registry: Registry, **extra: object
) -> ServingSettings:
    values: dict[str, object] = {
        "home": home,
        "online_store": str(store),
        "tracking_uri": registry.uri,
        "api_keys": ",".join(f"{role}:{key}" for role, key in KEYS.items()),
        "poll_seconds": 0,
        "freeze_heap": False,
    }
    return ServingSettings(_env_file=None, **(values | extra))  # type: ignore[arg-type]


@pytest.fixture
def settings(tmp_path: Path, store_path: Path, registry: Registry) -> ServingSettings:
    return make_settings(tmp_path, store_path, registry)


@pytest.fixture
def client(settings: ServingSettings) -> Iterator[TestClient]:
    with TestClient(create_app(settings)) as test_client:
        yield test_client


@pytest.fixture(scope="session")
def scored_ids(store_frame: pd.DataFrame) -> list[str]:
    """Customers of the store with at least one numeric feature (all of them here)."""
    ids = store_frame["customer_id"].astype(str).tolist()
    assert len(ids) == len(np.unique(ids))
    return ids


PG_ADMIN = "postgresql://postgres@127.0.0.1:5432/test"


@pytest.fixture
def postgres_url() -> Iterator[str]:
    """A fresh database on the local PostgreSQL, dropped afterwards."""
    name = f"arsight_audit_{uuid.uuid4().hex[:10]}"
    try:
        admin = psycopg.connect(PG_ADMIN, autocommit=True)
    except psycopg.OperationalError as exc:
        pytest.skip(f"PostgreSQL at 127.0.0.1:5432 not reachable: {exc}")
    admin.execute(f'CREATE DATABASE "{name}"')
    try:
        yield f"postgresql+psycopg://postgres@127.0.0.1:5432/{name}"
    finally:
        admin.execute(f'DROP DATABASE "{name}" WITH (FORCE)')
        admin.close()
