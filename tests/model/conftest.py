"""A small real bundle, trained once per session without MLflow (no mocks of our own code)."""

from __future__ import annotations

import pandas as pd
import pytest

from features.labels import LabelDefinition
from models.bundle import ModelBundle
from tests.conftest import make_training_frame
from training.settings import TrainingSettings
from training.workflow import Development, develop


@pytest.fixture(scope="session")
def model_frame() -> pd.DataFrame:
    return make_training_frame(customers=200, months=15, seed=3)


@pytest.fixture(scope="session")
def development(model_frame: pd.DataFrame) -> Development:
    settings = TrainingSettings(_env_file=None, fold_snapshots=2, max_rounds=60, trials=0)
    return develop(model_frame, settings, LabelDefinition(), trials=0)


@pytest.fixture(scope="session")
def bundle(development: Development) -> ModelBundle:
    return development.bundle


@pytest.fixture(scope="session")
def feature_rows(model_frame: pd.DataFrame, bundle: ModelBundle) -> pd.DataFrame:
    """200 rows of the latest snapshot, features only, with a non-trivial index."""
    latest = model_frame.loc[model_frame["as_of"] == model_frame["as_of"].max()]
    rows = latest[bundle.feature_names].head(200)
    return rows.set_axis([f"row{i}" for i in range(len(rows))])
