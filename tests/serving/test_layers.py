"""Layers from data on hand-built customers: exact layers, bases, RFM segments and values."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from serving.layers import customer_layers, customer_value, rfm_segments
from serving.policy import load_policy

POLICY = load_policy()
COLUMNS = [
    "customer_segment",
    "customer_tenure_days",
    "customer_sales_amount_365d",
    "customer_order_volume_change_90d",
    "customer_days_since_last_invoice",
    "customer_invoice_count_365d",
]


def portfolio() -> pd.DataFrame:
    rows = {
        # 6 years, 6M a year: strategic by amount, though its segment says "small"
        "leader": ("small", 2190.0, 6_000_000.0, 0.1, 5.0, 60.0),
        # 3 years, 1.2M: key; an "enterprise" segment does not make it strategic
        "regional": ("enterprise", 1095.0, 1_200_000.0, 0.0, 10.0, 24.0),
        # 6 years and 6M, but orders halved in 90 days: one layer lower
        "shrinking": ("large", 2190.0, 6_000_000.0, -0.6, 3.0, 50.0),
        # one year, 60,000: general by amount
        "young": ("mid", 365.0, 60_000.0, 0.2, 20.0, 12.0),
        # 4 years, small: general by tenure (an established small customer is no start-up)
        "old_small": ("small", 1460.0, 20_000.0, 0.0, 25.0, 6.0),
        # 8 months, 30,000: a start-up with a small share: potential
        "startup": ("mid", 240.0, 30_000.0, 0.5, 12.0, 8.0),
        # no sales history: the layer of its segment
        "unknown": ("large", np.nan, np.nan, np.nan, np.nan, np.nan),
        # 3 years, 1.2M but lapsed 120 days, 2 orders: low value at risk? no, 1.2M > 0.5M
        "lapsed_big": ("mid", 1095.0, 1_200_000.0, np.nan, 120.0, 2.0),
        # 3 years, 300,000 in 2 orders, none for 100 days: at risk of churn, at most general
        "lapsed": ("mid", 1095.0, 300_000.0, np.nan, 100.0, 2.0),
    }
    return pd.DataFrame.from_dict(rows, orient="index", columns=COLUMNS)


def test_layers_come_from_tenure_size_growth_and_rfm() -> None:
    layers = customer_layers(POLICY, portfolio())
    assert layers["customer_layer"].to_dict() == {
        "leader": "strategic",
        "regional": "key",
        "shrinking": "key",
        "young": "general",
        "old_small": "general",
        "startup": "potential",
        "unknown": "key",
        "lapsed_big": "key",
        "lapsed": "general",
    }
    basis = layers["layer_basis"]
    assert basis["leader"] == (
        "strategic: a customer for 6.0 years, 12-month sales 6,000,000 (40.5% of the portfolio's)"
    )
    assert basis["shrinking"] == (
        "key: a customer for 6.0 years, 12-month sales 6,000,000 (40.5% of the portfolio's); "
        "orders down 50%+ in 90 days: one layer lower"
    )
    assert basis["unknown"] == "key: no sales history, the layer of segment large"
    assert basis["lapsed"].endswith("; low value at risk of churn (RFM)")


def test_a_large_share_of_a_small_sellers_sales_makes_a_customer_strategic() -> None:
    few = pd.DataFrame.from_dict(
        {
            "big": ("small", 2000.0, 400_000.0, 0.0, 5.0, 20.0),  # 40% of 1,000,000
            "mid": ("small", 800.0, 200_000.0, 0.0, 5.0, 20.0),  # 20%: key
            "rest": ("small", 400.0, 400_000.0, 0.0, 5.0, 20.0),  # 40% but 1.1 years: general
        },
        orient="index",
        columns=COLUMNS,
    )
    layers = customer_layers(POLICY, few)["customer_layer"].to_dict()
    assert layers == {"big": "strategic", "mid": "key", "rest": "general"}
    partition = customer_layers(POLICY, few.loc[["mid"]], total_sales=1_000_000.0)
    assert partition["customer_layer"].tolist() == ["key"]  # a Spark partition: same share


def test_rfm_segments() -> None:
    assert rfm_segments(POLICY, portfolio()).to_dict() == {
        "leader": "loyal_high_value",
        "regional": "loyal_high_value",
        "shrinking": "loyal_high_value",
        "young": "regular",
        "old_small": "regular",
        "startup": "regular",
        "unknown": "at_risk_low_value",
        "lapsed_big": "regular",
        "lapsed": "at_risk_low_value",
    }


def test_value_is_sales_net_of_financing_the_days_late_and_the_expected_loss() -> None:
    frame = pd.DataFrame(
        {
            "customer_sales_amount_365d": [1_200_000.0, 1_200_000.0],
            "customer_days_late_mean_365d": [10.0, -3.0],
            "customer_open_amount": [200_000.0, 200_000.0],
        },
        index=["late", "early"],
    )
    value = customer_value(POLICY, frame, pd.Series([0.10, 0.01], index=frame.index))
    # late: 1,200,000 - 1,200,000 x 10/365 x 8% - 200,000 x 10% x 50%
    assert value["late"] == pytest.approx(1_200_000 - 2_630.137 - 10_000, abs=1e-3)
    assert value["early"] == pytest.approx(1_200_000 - 0 - 1_000, abs=1e-9)  # early is not paid for
