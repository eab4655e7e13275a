"""The notebook's waterfall (training.explain) shows the reasons the API returns, number for number.

Training and serving never import each other; both reach `ModelBundle.explain` and the
rescaling to probability points (`models.attribution`). This test asks the real app.
"""

from __future__ import annotations

import pandas as pd
import pytest
from fastapi.testclient import TestClient

from models.bundle import ModelBundle
from tests.serving.conftest import AUTH
from training.explain import explain_customer


def test_waterfall_numbers_equal_the_api_reasons(
    client: TestClient, scored_ids: list[str], tiny_bundle: ModelBundle, store_frame: pd.DataFrame
) -> None:
    ids = scored_ids[:6]
    response = client.post("/v1/scores", json={"customer_ids": ids}, headers=AUTH["crm"])
    assert response.status_code == 200
    rows = store_frame.set_index("customer_id")
    for score in response.json()["scores"]:
        row = rows.loc[[score["customer_id"]], tiny_bundle.feature_names]
        explained = explain_customer(tiny_bundle, row)
        reasons = score["reasons"]["overdue"]
        top = explained.top(len(reasons))
        assert [r["feature"] for r in top] == [r["feature"] for r in reasons]
        assert [r["value"] for r in top] == [r["value"] for r in reasons]
        assert [r["contribution"] for r in top] == pytest.approx(
            [r["contribution"] for r in reasons], abs=1e-12
        )
        assert explained.base_probability == pytest.approx(score["base_probability"], abs=1e-12)
        assert explained.probability == pytest.approx(score["overdue_probability"], abs=1e-12)
