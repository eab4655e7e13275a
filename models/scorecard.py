"""The practitioners' points scorecard: the transparent baseline every model is compared with.

DOMAIN ("A transparent points scorecard"): company size 20 points, tax-credit grade 25, bank
credit line 20, payment history 35; a total of 90 or more is low risk, 70-89 medium, below 70
high. The points of each dimension come from the same point-in-time features the models use,
so the scorecard at t never sees facts after t, and training (as a backtest baseline) and
serving (beside the model on every score) compute it with this one function:

- size: the customer's segment (`size_points`; an unknown segment counts as missing);
- tax-credit grade: the latest grade A-D (stored 1-4; `tax_points`);
- bank credit line: the share it was cut in the last 180 days (`bank_line_points`; a line
  never observed is missing);
- payment history: average days late over the last 365 days (`history_points`; no invoice
  settled in a year is missing).

A missing dimension scores `missing_share` of its maximum and is flagged: a customer with no
data on a dimension is neither rewarded nor punished for it, and the officer sees which ones.
"""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
from pydantic import BaseModel, ConfigDict, Field

SCORECARD_COLUMNS = ("scorecard_points", "scorecard_band", "scorecard_dimensions")


class Scorecard(BaseModel):
    """Points per dimension and the bands; the defaults are DOMAIN's."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    size_points: dict[str, float] = Field(
        default_factory=lambda: {
            "enterprise": 20.0,
            "large": 20.0,
            "mid": 14.0,
            "medium": 14.0,
            "small": 8.0,
        }
    )
    tax_points: dict[int, float] = Field(
        default_factory=lambda: {1: 25.0, 2: 18.0, 3: 10.0, 4: 0.0}
    )
    bank_line_points: list[tuple[float, float]] = Field(
        default_factory=lambda: [(0.05, 20.0), (0.15, 14.0), (0.30, 8.0)],
        description="(cut below this share, points); a larger cut scores 0",
    )
    history_points: list[tuple[float, float]] = Field(
        default_factory=lambda: [(0.0, 35.0), (5.0, 30.0), (15.0, 20.0), (30.0, 10.0)],
        description="(average days late at most this, points); later scores 0",
    )
    maxima: dict[str, float] = Field(
        default_factory=lambda: {"size": 20.0, "tax": 25.0, "bank_line": 20.0, "history": 35.0}
    )
    missing_share: float = Field(default=0.5, ge=0.0, le=1.0)
    low_risk_from: float = 90.0
    medium_risk_from: float = 70.0


def _number(features: pd.DataFrame, name: str) -> pd.Series:
    if name not in features:
        return pd.Series(np.nan, index=features.index, dtype="float64")
    return pd.to_numeric(features[name], errors="coerce").astype("float64")


def _steps(values: pd.Series, steps: list[tuple[float, float]], below: bool) -> pd.Series:
    """Points of the first step whose bound `values` stay under (or at), else 0."""
    points = pd.Series(0.0, index=values.index)
    for bound, score in reversed(steps):
        inside = values < bound if below else values <= bound
        points = points.where(~inside, score)
    return points.where(values.notna())


def dimension_points(card: Scorecard, features: pd.DataFrame) -> pd.DataFrame:
    """Points per dimension (NaN where the data is missing), one row per customer."""
    segment = features["customer_segment"] if "customer_segment" in features else None
    size = (
        segment.map(card.size_points).astype("float64")
        if segment is not None
        else pd.Series(np.nan, index=features.index)
    )
    grade = _number(features, "signal_tax_grade_latest").round()
    tax = grade.map(lambda g: card.tax_points.get(int(g), 0.0) if g == g else np.nan)
    latest = _number(features, "signal_bank_credit_line_latest")
    change = _number(features, "signal_bank_credit_line_change_180d").fillna(0.0)
    before = latest - change
    cut = (-change / before).where(before > 0).clip(lower=0.0)
    cut = cut.where(latest.notna())
    late = _number(features, "customer_days_late_mean_365d")
    return pd.DataFrame(
        {
            "size": size,
            "tax": tax.astype("float64"),
            "bank_line": _steps(cut, card.bank_line_points, below=True),
            "history": _steps(late, card.history_points, below=False),
        },
        index=features.index,
    )


def score_scorecard(card: Scorecard, features: pd.DataFrame) -> pd.DataFrame:
    """`SCORECARD_COLUMNS` per row: total points, band, and the dimensions as JSON text."""
    points = dimension_points(card, features)
    missing = points.isna()
    filled = points.fillna(pd.Series(card.maxima) * card.missing_share)
    total = filled.sum(axis=1)
    band = np.where(
        total >= card.low_risk_from,
        "low",
        np.where(total >= card.medium_risk_from, "medium", "high"),
    )
    details = [
        json.dumps(
            [
                {
                    "dimension": name,
                    "points": float(filled.at[i, name]),
                    "max_points": card.maxima[name],
                    "missing": bool(missing.at[i, name]),
                }
                for name in points.columns
            ]
        )
        for i in points.index
    ]
    return pd.DataFrame(
        {"scorecard_points": total, "scorecard_band": band, "scorecard_dimensions": details},
        index=features.index,
    ).astype({"scorecard_band": "str"})
