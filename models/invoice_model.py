"""What the invoice payment model IS: when each open invoice will be paid, per invoice.

An `InvoiceModel` holds a LightGBM multiclass booster over the delay buckets and three
LightGBM quantile regressors of days late (cleared_date - due_date) at 0.1, 0.5 and 0.9, with
the categorical encoder, the ordered feature list, the grace days and the CQR adjustment of
the p10-p90 interval (fitted out of time by training/invoice.py). It travels inside the
`ModelBundle` as its optional `invoice_model` (None in bundles without one).

`predict` is the one formula every user of the model sees (batch, API, backtest):

- an invoice open at t clears after t, so its days late are at least `floor = days past due
  at t + 1`; buckets wholly below the floor get probability 0 and the rest are renormalised
  (they sum to 1), and every days-late quantile is floored at it;
- the p10-p90 interval is sorted, widened by the CQR adjustment (a negative one narrows it,
  crossing bounds meet at their midpoint, as `models.interval.dso_interval` does), widened
  again where needed to hold the p50 (p10 <= p50 <= p90 on every row) and floored;
- `predicted_payment_date` is due date + the p50 rounded to whole days (the caller adds it,
  the model works in days).
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import lightgbm as lgb
import numpy as np
import pandas as pd

from models.contributions import tree_contributions
from models.encoding import CategoricalEncoder
from models.errors import ArtifactError, FeatureMismatchError
from models.interval import sorted_interval

BUCKETS: tuple[str, ...] = (
    "p_paid_on_time",
    "p_late_1_30",
    "p_late_31_60",
    "p_late_61_90",
    "p_late_over_90",
)
"""Delay buckets in class order: paid by due + grace_days, 1-30, 31-60, 61-90, over 90 days
or never (ARCHITECTURE.md, Definitions)."""
BUCKET_UPPER_DAYS: tuple[int, ...] = (30, 60, 90)
"""Largest days late of the 1-30, 31-60 and 61-90 buckets (the first ends at grace_days)."""
DAYS_COLUMNS: tuple[str, ...] = (
    "predicted_days_late_p10",
    "predicted_days_late_p50",
    "predicted_days_late_p90",
)
DAYS_PAST_DUE = "invoice_days_past_due"
"""The feature the known floor is read from (t - due_date)."""
BOOSTERS: dict[str, str] = {
    "buckets": "invoice_buckets.txt",
    "days_p10": "invoice_days_p10.txt",
    "days_p50": "invoice_days_p50.txt",
    "days_p90": "invoice_days_p90.txt",
}
DIRECTORY = "invoice_model"
"""Subdirectory of a saved bundle holding the invoice model."""


def bucket_bounds(grace_days: int) -> np.ndarray:
    """Upper days-late bound of every bucket but the last: (grace, 30, 60, 90)."""
    return np.array([grace_days, *BUCKET_UPPER_DAYS], dtype=float)


def bucket_index(days_late: np.ndarray, grace_days: int) -> np.ndarray:
    """The bucket (0 = paid on time ... 4 = over 90) of each days-late value."""
    return np.searchsorted(bucket_bounds(grace_days), np.asarray(days_late, float), side="left")


def known_floor(days_past_due: np.ndarray) -> np.ndarray:
    """Least possible days late of an invoice open at t: it clears on t + 1 at the earliest."""
    return np.asarray(days_past_due, dtype=float) + 1.0


def possible_buckets(probabilities: np.ndarray, floor: np.ndarray, grace_days: int) -> np.ndarray:
    """Bucket probabilities with the buckets below the floor removed, rows summing to 1."""
    upper = np.append(bucket_bounds(grace_days), np.inf)
    allowed = upper[None, :] >= floor[:, None]
    kept = np.where(allowed, probabilities, 0.0)
    total = kept.sum(axis=1, keepdims=True)
    first = allowed.argmax(axis=1)  # where all allowed mass is 0: the earliest possible bucket
    fallback = np.eye(len(upper))[first]
    return np.where(total > 0, kept / np.where(total > 0, total, 1.0), fallback)


def days_late_quantiles(
    p10: np.ndarray,
    p50: np.ndarray,
    p90: np.ndarray,
    adjustment_days: float | np.ndarray,
    floor: np.ndarray,
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The final (p10, p50, p90) in days late from the raw quantile forecasts (module doc).

    `adjustment_days` is one CQR adjustment, or one per row (the backtest: one per fold).
    """
    low, high = sorted_interval(p10, p90)
    low, high = low - adjustment_days, high + adjustment_days
    crossed = low > high
    middle = (low + high) / 2.0
    low, high = np.where(crossed, middle, low), np.where(crossed, middle, high)
    median = np.maximum(np.asarray(p50, float), floor)
    low = np.maximum(np.minimum(low, median), floor)
    high = np.maximum(high, median)
    return low, median, high


@dataclass
class InvoiceModel:
    """The invoice payment model; see the module docstring.

    Attributes:
        buckets: multiclass booster over `BUCKETS` (raw class scores -> softmax).
        days_p10, days_p50, days_p90: quantile boosters of days late.
        encoder: categorical encoder of the invoice rows.
        feature_names: ordered features (the invoice's own, then the customer's).
        categorical_features: the encoded ones.
        grace_days: days after the due date that still count as paid on time.
        interval_adjustment_days: CQR adjustment of the p10-p90 interval (0.0: raw).
        cash_band_shock: relative portfolio shock of the cash forecast's band, fitted out of
            time by the cash backtest (`models.cash_forecast`; 0.0: none fitted).
        params: LightGBM parameters, rounds and seed (the recipe).
    """

    buckets: lgb.Booster
    days_p10: lgb.Booster
    days_p50: lgb.Booster
    days_p90: lgb.Booster
    encoder: CategoricalEncoder
    feature_names: list[str]
    categorical_features: list[str]
    grace_days: int = 0
    interval_adjustment_days: float = 0.0
    params: dict[str, Any] = field(default_factory=dict)
    cash_band_shock: float = 0.0

    def matrix(self, rows: pd.DataFrame) -> np.ndarray:
        """The encoded float64 matrix of the model's features (other columns are ignored:
        invoice rows carry keys, dates and amounts).

        Raises:
            FeatureMismatchError: a feature of the model is missing.
        """
        missing = [name for name in self.feature_names if name not in rows.columns]
        if missing:
            raise FeatureMismatchError(
                f"invoice rows do not match the invoice model: missing {missing}; expected "
                f"its {len(self.feature_names)} features"
            )
        return self.encoder.transform_array(rows[self.feature_names])

    def predict(self, rows: pd.DataFrame) -> pd.DataFrame:
        """`BUCKETS` (summing to 1) and `DAYS_COLUMNS` per row, same index."""
        x = self.matrix(rows)
        floor = known_floor(rows[DAYS_PAST_DUE].to_numpy(float))
        raw = np.asarray(self.buckets.predict(x)).reshape(len(rows), len(BUCKETS))
        probabilities = possible_buckets(raw, floor, self.grace_days)
        p10, p50, p90 = days_late_quantiles(
            np.asarray(self.days_p10.predict(x)),
            np.asarray(self.days_p50.predict(x)),
            np.asarray(self.days_p90.predict(x)),
            self.interval_adjustment_days,
            floor,
        )
        frame = pd.DataFrame(probabilities, index=rows.index, columns=list(BUCKETS))
        return frame.assign(**dict(zip(DAYS_COLUMNS, (p10, p50, p90), strict=True)))

    def explain(self, rows: pd.DataFrame) -> pd.DataFrame:
        """Exact TreeSHAP of the p50 model in days: one column per feature + expected_value,
        each row summing to the raw (unfloored) p50 forecast."""
        values = tree_contributions(self.days_p50, self.matrix(rows))
        return pd.DataFrame(
            values, index=rows.index, columns=[*self.feature_names, "expected_value"]
        )

    def save(self, directory: Path) -> None:
        """Four model text files and `invoice_model.json` in `directory`."""
        directory.mkdir(parents=True, exist_ok=True)
        for attribute, filename in BOOSTERS.items():
            getattr(self, attribute).save_model(str(directory / filename))
        meta = {
            "feature_names": self.feature_names,
            "categorical_features": self.categorical_features,
            "grace_days": self.grace_days,
            "interval_adjustment_days": self.interval_adjustment_days,
            "cash_band_shock": self.cash_band_shock,
            "params": self.params,
            "encoder": self.encoder.to_dict(),
        }
        (directory / "invoice_model.json").write_text(json.dumps(meta, indent=2, default=str))

    @classmethod
    def load(cls, directory: Path) -> InvoiceModel:
        """Read a model written by `save`.

        Raises:
            ArtifactError: a file is missing or unreadable.
        """
        try:
            meta = json.loads((directory / "invoice_model.json").read_text())
            boosters = {
                attribute: lgb.Booster(model_file=str(directory / filename))
                for attribute, filename in BOOSTERS.items()
            }
        except (OSError, ValueError, lgb.basic.LightGBMError) as exc:
            raise ArtifactError(f"{directory}: cannot read the invoice model: {exc}") from exc
        return cls(
            **boosters,
            encoder=CategoricalEncoder.from_dict(meta["encoder"]),
            feature_names=list(meta["feature_names"]),
            categorical_features=list(meta["categorical_features"]),
            grace_days=int(meta["grace_days"]),
            interval_adjustment_days=float(meta["interval_adjustment_days"]),
            params=dict(meta["params"]),
            cash_band_shock=float(meta.get("cash_band_shock", 0.0)),  # absent before the forecast
        )
