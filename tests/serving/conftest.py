"""Serving fixtures: a small synthetic world, a tiny real model registered as champion in a
SQLite MLflow store, and an online store, all built once per session; an app per test.

The bundle is fitted directly with LightGBM (10 trees per model) on the real feature pipeline's
training frame, so the tests run the real bundle, registry, store and app, fast.
"""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import lightgbm as lgb
import numpy as np
import pandas as pd
import pytest
from fastapi.testclient import TestClient
from mlflow.tracking import MlflowClient
from sklearn.linear_model import LogisticRegression

from features.build import FEATURE_PIPELINE_VERSION, build_training_frame, online_frame
from features.catalog import categorical_names, feature_names
from features.snapshots import month_end_snapshots
from features.sources.synth import SynthConfig, generate_world
from features.store import write_online_store
from features.tables import Tables
from models.bundle import Calibrator, ModelBundle
from models.encoding import CategoricalEncoder
from models.pyfunc import log_bundle
from serving.app import create_app
from serving.settings import ServingSettings

KEYS = {"crm": "crm-key-123", "risk": "risk-key-456", "admin": "admin-key-789"}
AUTH = {role: {"Authorization": f"Bearer {key}"} for role, key in KEYS.items()}


def _booster(
    params: dict[str, object], x: pd.DataFrame, y: pd.Series, cats: list[str], rounds: int = 10
) -> lgb.Booster:
    base = {
        "num_leaves": 7,
        "learning_rate": 0.2,
        "min_data_in_leaf": 20,
        "verbose": -1,
        "seed": 0,
        "deterministic": True,
        "num_threads": 1,
    }
    data = lgb.Dataset(x, y, categorical_feature=cats, free_raw_data=False)
    return lgb.train({**base, **params}, data, num_boost_round=rounds)


def fit_tiny_bundle(
    frame: pd.DataFrame, names: list[str] | None = None, rounds: int = 10
) -> ModelBundle:
    """Classifier, DSO regressor, p10/p90 and a Platt calibrator on `frame`, `rounds` trees each."""
    names = names or feature_names()
    cats = [c for c in categorical_names() if c in names]
    encoder = CategoricalEncoder(cats).fit(frame)
    x = encoder.transform(frame[names])
    late = frame["overdue_30d"].notna()
    dso = frame["dso_30d"].notna()
    y_late, y_dso = frame.loc[late, "overdue_30d"], frame.loc[dso, "dso_30d"]

    def regressor(params: dict[str, object]) -> lgb.Booster:
        return _booster(params, x[dso], y_dso, cats, rounds)

    classifier = _booster({"objective": "binary"}, x[late], y_late, cats, rounds)
    raw = classifier.predict(x[late], raw_score=True).reshape(-1, 1)
    platt = LogisticRegression().fit(raw, y_late.astype(int))
    return ModelBundle(
        classifier=classifier,
        regressor=regressor({"objective": "regression"}),
        regressor_p10=regressor({"objective": "quantile", "alpha": 0.1}),
        regressor_p90=regressor({"objective": "quantile", "alpha": 0.9}),
        calibrator=Calibrator(
            "platt", slope=float(platt.coef_[0, 0]), intercept=float(platt.intercept_[0])
        ),
        encoder=encoder,
        feature_names=list(names),
        categorical_features=cats,
        pipeline_version=FEATURE_PIPELINE_VERSION,
        label_definition={"horizon_days": 30, "grace_days": 0, "dso_window_days": 90},
        data_fingerprint="tests",
        metrics={"auc": 0.75},
    )


EXPERIMENT = "serving-tests"


@dataclass(frozen=True)
class Registry:
    """A SQLite MLflow store with `arsight` v1 as champion."""

    uri: str
    bundle: ModelBundle

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
def world() -> Tables:
    return generate_world(SynthConfig(customers=300, months=15, seed=3))


@pytest.fixture(scope="session")
def training_frame(world: Tables) -> pd.DataFrame:
    return build_training_frame(world, month_end_snapshots(world))


@pytest.fixture(scope="session")
def tiny_bundle(training_frame: pd.DataFrame) -> ModelBundle:
    return fit_tiny_bundle(training_frame)


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
