"""A small labelled snapshot frame shaped like `features.build.build_training_frame` output.

Customers have a latent riskiness that drives both their history features and their future
outcomes, so a model can learn something real in a few trees. Built once per session.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from training.settings import TrainingSettings

INDUSTRIES = np.array(["construction", "retail", "software", "wholesale"])
SEGMENTS = np.array(["small", "medium", "large"])


def make_training_frame(customers: int = 300, months: int = 18, seed: int = 0) -> pd.DataFrame:
    """Month-end snapshots x customers with features, overdue_30d and dso_30d."""
    rng = np.random.default_rng(seed)
    risk = rng.normal(size=customers)
    industry = INDUSTRIES[rng.integers(0, len(INDUSTRIES), customers)]
    segment = SEGMENTS[rng.integers(0, len(SEGMENTS), customers)]
    snapshots = pd.date_range("2024-01-31", periods=months, freq="ME")
    frames = []
    for month, as_of in enumerate(snapshots):
        drift = risk + 0.3 * np.sin(month / 3 + risk) + rng.normal(scale=0.5, size=customers)
        late_share = 1 / (1 + np.exp(-(drift - 0.5)))
        dso_now = 35 + 12 * drift + rng.normal(scale=4, size=customers)
        outcome = drift + 0.4 * (industry == "construction") + rng.normal(scale=0.8, size=customers)
        overdue = (outcome > 0.8).astype(float)
        overdue[rng.random(customers) < 0.15] = np.nan  # no invoice due in the window
        dso_future = dso_now + 3 * drift + rng.normal(scale=5, size=customers)
        frames.append(
            pd.DataFrame(
                {
                    "customer_id": [f"C{i:04d}" for i in range(customers)],
                    "as_of": as_of,
                    "customer_late_share_count_180d": np.where(
                        rng.random(customers) < 0.05, np.nan, late_share
                    ),
                    "customer_dso_days": dso_now,
                    "customer_open_amount": rng.lognormal(9, 1, customers),
                    "customer_noise": rng.normal(size=customers),
                    "customer_industry": pd.Series(industry, dtype="str").where(
                        rng.random(customers) > 0.03
                    ),
                    "customer_segment": pd.Series(segment, dtype="str"),
                    "overdue_30d": overdue,
                    "dso_30d": dso_future,
                }
            )
        )
    frame = pd.concat(frames, ignore_index=True)
    last = snapshots[-1]
    frame.loc[frame["as_of"] == last, ["overdue_30d", "dso_30d"]] = np.nan  # not yet known
    return frame


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
