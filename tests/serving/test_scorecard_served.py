"""The scorecard and the recommended limit beside the model on every served score."""

from __future__ import annotations

import json

import pandas as pd
from fastapi.testclient import TestClient

from models.scorecard import Scorecard, score_scorecard
from serving.credit_limit import recommended_limits
from serving.policy import load_policy
from tests.serving.conftest import AUTH


def test_every_score_carries_the_scorecard_and_the_recommended_limit(
    client: TestClient, store_frame: pd.DataFrame, scored_ids: list[str]
) -> None:
    ids = scored_ids[:20]
    scores = client.post("/v1/scores", json={"customer_ids": ids}, headers=AUTH["crm"]).json()
    frame = store_frame.set_index("customer_id") if "customer_id" in store_frame else store_frame
    rows = frame.loc[ids]
    card = score_scorecard(Scorecard(), rows)
    tiers = pd.Series({s["customer_id"]: s["risk_tier"] for s in scores["scores"]})
    limits = recommended_limits(load_policy(), rows, tiers.loc[ids])
    for score in scores["scores"]:
        c = score["customer_id"]
        assert score["scorecard_points"] == card.at[c, "scorecard_points"]
        assert score["scorecard_band"] == card.at[c, "scorecard_band"]
        assert score["scorecard_dimensions"] == json.loads(card.at[c, "scorecard_dimensions"])
        assert score["recommended_credit_limit"] == limits.at[c, "recommended_credit_limit"]
        assert score["credit_limit_basis"] == limits.at[c, "credit_limit_basis"]
