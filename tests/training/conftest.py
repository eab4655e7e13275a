"""Training fixtures over the shared synthetic frame (`tests.conftest.make_training_frame`).

Customers have a latent riskiness that drives both their history features and their future
outcomes, so a model can learn something real in a few trees. Built once per session.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pandas as pd
import pytest

from tests.conftest import make_training_frame
from training.settings import TrainingSettings


@pytest.fixture(scope="session")
def training_frame() -> pd.DataFrame:
    return make_training_frame()


@pytest.fixture
def training_settings(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> Iterator[TrainingSettings]:
    """Settings whose embedded MLflow store lives in tmp_path."""
    monkeypatch.delenv("MLFLOW_TRACKING_URI", raising=False)
    yield TrainingSettings(_env_file=None, home=tmp_path, trials=2, fold_snapshots=2, max_rounds=60)
