"""The points scorecard on hand-built customers: exact points, bands and missing flags."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd

from models.scorecard import Scorecard, score_scorecard

CARD = Scorecard()


def features() -> pd.DataFrame:
    columns = [
        "customer_segment",
        "signal_tax_grade_latest",
        "signal_bank_credit_line_latest",
        "signal_bank_credit_line_change_180d",
        "customer_days_late_mean_365d",
    ]
    rows = {
        "best": ("large", 1.0, 10_000_000.0, 0.0, -2.0),  # 20 + 25 + 20 + 35 = 100
        "usual": ("mid", 2.0, 6_000_000.0, -1_000_000.0, 4.0),  # 14 + 18 + 8 (14% cut: 14) + 30
        "cut": ("small", 3.0, 6_000_000.0, -4_000_000.0, 20.0),  # 8 + 10 + 0 + 10 = 28
        "unknown": (None, np.nan, np.nan, np.nan, np.nan),  # 10 + 12.5 + 10 + 17.5 = 50
    }
    return pd.DataFrame.from_dict(rows, orient="index", columns=columns)


def test_points_bands_and_missing_dimensions() -> None:
    scored = score_scorecard(CARD, features())
    assert scored["scorecard_points"].to_dict() == {
        "best": 100.0,
        "usual": 76.0,
        "cut": 28.0,
        "unknown": 50.0,
    }
    assert scored["scorecard_band"].to_dict() == {
        "best": "low",
        "usual": "medium",
        "cut": "high",
        "unknown": "high",
    }
    usual = {
        d["dimension"]: d["points"] for d in json.loads(scored.at["usual", "scorecard_dimensions"])
    }
    assert usual == {"size": 14.0, "tax": 18.0, "bank_line": 14.0, "history": 30.0}
    unknown = json.loads(scored.at["unknown", "scorecard_dimensions"])
    assert [(d["dimension"], d["points"], d["missing"]) for d in unknown] == [
        ("size", 10.0, True),
        ("tax", 12.5, True),
        ("bank_line", 10.0, True),
        ("history", 17.5, True),
    ]


def test_a_customer_that_stopped_paying_scores_its_overdue_days_not_half_points() -> None:
    frame = pd.DataFrame(
        {
            "segment": ["key", "potential", "general"],
            "signal_tax_grade_latest": [1.0, 1.0, 1.0],
            "signal_bank_credit_line_latest": [np.nan] * 3,
            "signal_bank_credit_line_change_180d": [np.nan] * 3,
            "customer_days_late_mean_365d": [np.nan, np.nan, np.nan],
            "customer_oldest_overdue_days": [75.0, 0.0, 12.0],
        },
        index=["stopped", "nothing_due", "recent"],
    )
    scored = score_scorecard(CARD, frame, segment_column="segment")
    dimensions = {
        i: {d["dimension"]: (d["points"], d["missing"]) for d in json.loads(text)}
        for i, text in scored["scorecard_dimensions"].items()
    }
    assert dimensions["stopped"]["history"] == (0.0, False)  # 75 days overdue, nothing paid
    assert dimensions["nothing_due"]["history"] == (17.5, True)  # nothing to judge: missing
    assert dimensions["recent"]["history"] == (20.0, False)  # 12 days overdue: the 15-day step
    assert {i: d["size"] for i, d in dimensions.items()} == {
        "stopped": (20.0, False),  # a key customer is large
        "nothing_due": (8.0, False),  # a potential one small
        "recent": (14.0, False),  # a general one mid-sized
    }
