"""The recommended credit limit on hand-built customers: exact figures and their basis."""

from __future__ import annotations

import numpy as np
import pandas as pd

from serving.credit_limit import recommended_limits
from serving.deals import assess_deal
from serving.policy import load_policy

POLICY = load_policy()


def customers() -> pd.DataFrame:
    rows = {
        # 1.44M a year = 120,000 a month on 60 days, 5 days late, green: 120,000 x 65/30 x 1.25
        "steady": (1_440_000.0, None, 60.0, 5.0, "large", None, None),
        # pays early: no less than punctual; yellow on 30 days: 60,000 x 30/30 x 1.0
        "early": (720_000.0, None, 30.0, -4.0, "small", None, None),
        # bank line 10M -> 6M in 180 days (40% cut) halves it; orange: 0.6 x 0.5
        "cut": (1_200_000.0, None, 45.0, 10.0, "medium", 6_000_000.0, -4_000_000.0),
        # only 90 days of sales (300,000 -> 100,000 a month), no terms on file: layer's 30
        "new": (np.nan, 300_000.0, np.nan, np.nan, "small", None, None),
        # huge: capped by the key layer's 20,000,000
        "huge": (240_000_000.0, None, 60.0, 0.0, "large", None, None),
        "red": (1_200_000.0, None, 30.0, 40.0, "small", None, None),
        # a customer for 73 days (2.4 months) who bought 240,000: 100,000 a month, not 20,000
        "young": (240_000.0, 240_000.0, 30.0, 0.0, "small", None, None, 73.0),
    }
    rows = {k: v if len(v) == 8 else (*v, np.nan) for k, v in rows.items()}
    columns = [
        "customer_sales_amount_365d",
        "customer_sales_amount_90d",
        "customer_terms_days",
        "customer_days_late_mean_365d",
        "customer_segment",
        "signal_bank_credit_line_latest",
        "signal_bank_credit_line_change_180d",
        "customer_tenure_days",
    ]
    return pd.DataFrame.from_dict(rows, orient="index", columns=columns)


def test_recommended_limits_and_their_basis() -> None:
    tiers = pd.Series(
        {"steady": "green", "early": "yellow", "cut": "orange", "new": "green", "huge": "green",
         "red": "red", "young": "green"}
    )  # fmt: skip
    limits = recommended_limits(POLICY, customers(), tiers)
    assert limits["recommended_credit_limit"].to_dict() == {
        "steady": 325_000.0,
        "early": 60_000.0,
        "cut": 55_000.0,  # 100,000 x 55/30 x 0.6 x 0.5
        "new": 125_000.0,
        "huge": 20_000_000.0,
        "red": 0.0,
        "young": 125_000.0,  # 100,000 x 30/30 x 1.25
    }
    basis = limits["credit_limit_basis"]
    assert basis["steady"] == (
        "monthly sales 120,000 x (60 days terms + 5 days late) / 30 x 1.25 (green)"
    )
    assert basis["cut"] == (
        "monthly sales 100,000 x (45 days terms + 10 days late) / 30 x 0.6 (orange) "
        "x 0.5 (bank line cut 40% in 180 days)"
    )
    assert basis["huge"].endswith(", capped at the key layer's 20,000,000")


def test_a_limit_review_quotes_the_recommended_limit() -> None:
    deal = assess_deal(
        POLICY,
        tier="green",
        delinquency_probability=0.02,
        segment="large",
        agreed_terms_days=45.0,
        open_amount=900_000.0,
        credit_limit=1_000_000.0,
        amount=50_000.0,
        requested_terms_days=45,
        recommended_limit=850_000.0,
    )
    assert deal.conditions == [
        "exposure after the deal is 95% of the credit limit: review the limit "
        "(recommended 850,000) (policy rule condition_above_utilisation)"
    ]
