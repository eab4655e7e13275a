"""Batch and online scoring agree: same probabilities, DSO, tiers and reasons for the same features.

The online service is the real app (TestClient) serving the online store the batch job
refreshed, with the same champion; every customer is compared to 1e-9.
"""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd
import pytest
from fastapi.testclient import TestClient

from serving.app import create_app
from tests.serving.batch_fixtures import (  # noqa: F401 (fixtures)
    TwoRuns,
    two_runs_fixture,
    world_dir_fixture,
)
from tests.serving.conftest import AUTH, Registry, make_settings

NUMBERS = ["overdue_probability", "base_probability", "dso_30d", "dso_30d_p10", "dso_30d_p90"]


def _same_reasons(batch: list[dict[str, object]], online: list[dict[str, object]]) -> None:
    assert [r["feature"] for r in batch] == [r["feature"] for r in online]
    assert [r["text"] for r in batch] == [r["text"] for r in online]
    assert [r["value"] for r in batch] == [r["value"] for r in online]
    for b, o in zip(batch, online, strict=True):
        assert b["contribution"] == pytest.approx(o["contribution"], abs=1e-9)


def test_batch_and_online_answers_are_identical(
    two_runs: TwoRuns, registry: Registry, tmp_path: Path
) -> None:
    scores = pd.read_parquet(two_runs.second.paths.scores).set_index("customer_id")
    settings = make_settings(tmp_path, two_runs.settings.online_store_location, registry)
    ids = scores.index.tolist()
    with TestClient(create_app(settings)) as client:
        response = client.post("/v1/scores", json={"customer_ids": ids}, headers=AUTH["risk"])
    assert response.status_code == 200, response.text
    online = {s["customer_id"]: s for s in response.json()["scores"]}
    assert sorted(online) == ids
    for customer_id, row in scores.iterrows():
        served = online[customer_id]
        for name in NUMBERS:
            assert row[name] == pytest.approx(served[name], abs=1e-9), (customer_id, name)
        assert row["risk_tier"] == served["risk_tier"]
        assert json.loads(row["overlays"]) == served["overlays"]
        assert served["features_as_of"] == two_runs.second_as_of.date().isoformat()
        assert served["model_version"] == row["model_version"]
        assert served["policy_version"] == row["policy_version"]
        _same_reasons(json.loads(row["reasons_overdue"]), served["reasons"]["overdue"])
        _same_reasons(json.loads(row["reasons_dso"]), served["reasons"]["dso"])
