"""Peer features: DSO ratio and late-share difference to the industry median at t."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest

from features.build import build_feature_frame
from features.peers import peers
from tests.features.builders import day, invoice, make_tables, row_of


def test_peers_against_the_median_of_the_same_industry_and_snapshot() -> None:
    frame = pd.DataFrame(
        {
            "industry": pd.array(["x", "x", "x", "x", None, "y"], dtype="str"),
            "as_of": [day("2024-01-31")] * 3 + [day("2024-02-29")] * 3,
            "customer_dso_days": [30.0, 60.0, 90.0, 40.0, 50.0, 0.0],
            "customer_late_share_count_90d": [0.0, 0.5, np.nan, 0.25, 1.0, 0.5],
        },
        index=[10, 11, 12, 13, 14, 15],
    )
    result = peers(frame)
    assert list(result.index) == [10, 11, 12, 13, 14, 15]
    assert result["peer_dso_ratio_to_industry_median"].tolist() == pytest.approx(
        [0.5, 1.0, 1.5, 1.0, np.nan, np.nan],
        nan_ok=True,  # y's median DSO is 0
    )
    assert result["peer_late_share_90d_difference_to_industry_median"].tolist() == pytest.approx(
        [-0.25, 0.25, np.nan, 0.0, np.nan, 0.0], nan_ok=True
    )
    assert frame["customer_dso_days"].tolist() == [30.0, 60.0, 90.0, 40.0, 50.0, 0.0]


def test_peers_in_the_built_frame() -> None:
    customers = [
        {"customer_id": c, "industry": "x", "onboarding_date": "2024-01-01"} for c in "ABC"
    ]
    # DSO at t: A 100 open of 100 sold = 90; B 100 of 200 = 45; C nothing open = 0.
    invoices = [
        invoice("A1", "A", "2024-06-01", "2024-06-30", 100.0),
        invoice("B1", "B", "2024-06-01", "2024-06-30", 100.0),
        invoice("B2", "B", "2024-06-02", "2024-07-02", 100.0, "2024-06-20"),
        invoice("C1", "C", "2024-06-01", "2024-06-30", 100.0, "2024-06-10"),
        invoice("C2", "C", "2024-06-02", "2024-07-02", 100.0, "2024-06-20"),
    ]
    frame = build_feature_frame(make_tables(customers, invoices), day("2024-06-30"))
    ratios = [row_of(frame, c)["peer_dso_ratio_to_industry_median"] for c in "ABC"]
    assert ratios == pytest.approx([2.0, 1.0, 0.0])  # DSO 90, 45, 0; median 45
    assert math.isnan(row_of(frame, "A")["peer_late_share_90d_difference_to_industry_median"])
