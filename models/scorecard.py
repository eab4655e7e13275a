"""The practitioners' points scorecard: the transparent baseline every model is compared with.

DOMAIN ("A transparent points scorecard"): company size 20 points, tax-credit grade 25, bank
credit line 20, payment history 35; a total of 90 or more is low risk, 70-89 medium, below 70
high. The points of each dimension come from the same point-in-time features the models use,
so the scorecard at t never sees facts after t, and training (as a backtest baseline) and
serving (beside the model on every score) compute it with this one function:

- size: the customer's segment (`size_points`, by segment or layer name: strategic and key
  customers are large; an unknown segment counts as missing), read from the policy's segment
  column;
- tax-credit grade: the latest grade A-D (stored 1-4; `tax_points`);
- bank credit line: the share it was cut in the last 180 days (`bank_line_points`; a line
  never observed is missing);
- payment history: average days late over the last 365 days (`history_points`). A customer
  that settled nothing in a year but has an invoice overdue is scored on its oldest overdue
  invoice's days past due: a customer that stopped paying is not "missing data", it is the
  worst history there is. With nothing settled and nothing overdue, history is missing.

A missing dimension scores `missing_share` of its maximum and is flagged: a customer with no
data on a dimension is neither rewarded nor punished for it, and the officer sees which ones.
"""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
from pydantic import BaseModel, ConfigDict, Field

from features.derived import bank_line_cut, number_column

SCORECARD_COLUMNS = ("scorecard_points", "scorecard_band", "scorecard_dimensions")


class Scorecard(BaseModel):
    """Points per dimension and the bands; the defaults are DOMAIN's."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    size_points: dict[str, float] = Field(
        default_factory=lambda: {
            "strategic": 20.0,
            "enterprise": 20.0,
            "key": 20.0,
            "large": 20.0,
            "general": 14.0,
            "mid": 14.0,
            "medium": 14.0,
            "small": 8.0,
            "potential": 8.0,
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


def _steps(values: pd.Series, steps: list[tuple[float, float]], below: bool) -> pd.Series:
    """Points of the first step whose bound `values` stay under (or at), else 0."""
    points = pd.Series(0.0, index=values.index)
    for bound, score in reversed(steps):
        inside = values < bound if below else values <= bound
        points = points.where(~inside, score)
    return points.where(values.notna())


def dimension_points(
    card: Scorecard, features: pd.DataFrame, segment_column: str = "customer_segment"
) -> pd.DataFrame:
    """Points per dimension (NaN where the data is missing), one row per customer."""
    segment = features[segment_column] if segment_column in features else None
    size = (
        segment.map(card.size_points).astype("float64")
        if segment is not None
        else pd.Series(np.nan, index=features.index)
    )
    grade = number_column(features, "signal_tax_grade_latest").round()
    tax = grade.map(lambda g: card.tax_points.get(int(g), 0.0) if g == g else np.nan)
    cut = bank_line_cut(features)
    overdue = number_column(features, "customer_oldest_overdue_days")
    late = number_column(features, "customer_days_late_mean_365d")
    late = late.fillna(overdue.where(overdue > 0))
    return pd.DataFrame(
        {
            "size": size,
            "tax": tax.astype("float64"),
            "bank_line": _steps(cut, card.bank_line_points, below=True),
            "history": _steps(late, card.history_points, below=False),
        },
        index=features.index,
    )


def score_scorecard(
    card: Scorecard, features: pd.DataFrame, segment_column: str = "customer_segment"
) -> pd.DataFrame:
    """`SCORECARD_COLUMNS` per row: total points, band, and the dimensions as JSON text
    (`segment_column`: where the segment is, the serving policy's `context.segment`)."""
    points = dimension_points(card, features, segment_column)
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
