"""Served intervals are the bundle's adjusted (CQR) interval, online and in batch (and Spark)."""

from __future__ import annotations

from dataclasses import replace

import numpy as np
import pandas as pd
import pytest

from models.bundle import ModelBundle
from serving.batch.rows import score_chunks
from serving.policy import load_policy
from serving.scoring import build_reason_context, score_frame

INTERVAL = ["dso_30d_p10", "dso_30d_p90"]


@pytest.mark.parametrize("q", [6.5, -2.0])
def test_online_and_batch_scores_carry_the_adjusted_interval(
    tiny_bundle: ModelBundle, store_frame: pd.DataFrame, q: float
) -> None:
    bundle = replace(tiny_bundle, interval_adjustment_days=q)
    policy = load_policy()
    portfolio = store_frame.set_index("customer_id").iloc[:40]
    context = build_reason_context(portfolio, bundle, policy, top_k=1)
    expected = bundle.predict(portfolio[bundle.feature_names])[INTERVAL]

    online = score_frame(portfolio, bundle, policy, context)
    batch, _ = score_chunks(portfolio, bundle, policy, context, chunk_size=16)

    pd.testing.assert_frame_equal(online[INTERVAL], expected)
    pd.testing.assert_frame_equal(batch[INTERVAL], expected.loc[batch.index])
    raw = tiny_bundle.predict(portfolio[bundle.feature_names])[INTERVAL]
    # rows whose raw p10 was above 0 (not floored) and wide enough not to collapse
    wide = ((raw["dso_30d_p90"] - raw["dso_30d_p10"]) >= 2 * abs(q)) & (raw["dso_30d_p10"] > 0)
    assert wide.any()
    np.testing.assert_allclose(
        online.loc[wide, "dso_30d_p10"], np.maximum(raw.loc[wide, "dso_30d_p10"] - q, 0.0)
    )
    np.testing.assert_allclose(online.loc[wide, "dso_30d_p90"], raw.loc[wide, "dso_30d_p90"] + q)
