"""Drift of a scoring run against the training data: population stability index (PSI).

PSI = sum over bins of (current share - reference share) x ln(current / reference), bins
being the reference's deciles (numeric) or its categories (categorical), plus one bin for
nulls, since a feature going missing is drift too. Shares are floored at `EPSILON` so an empty
bin does not make the index infinite. Rules of thumb: < 0.1 stable, 0.1-0.25 watch, > 0.25
shifted.

The reference is the training data of the model, rebuilt with the same feature code: the last
`REFERENCE_SNAPSHOTS` month-end snapshots a model trained as of `trained_as_of` learned from
(`features.snapshots.month_end_snapshots`). The bundle stores no copy of its training frame, so
rebuilding it from the tables is the one way to compare like with like; three snapshots keep
the cost at three snapshot builds while covering a quarter of training behaviour.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass

import numpy as np
import pandas as pd

from features.build import build_feature_frame
from features.snapshots import month_end_snapshots
from features.tables import Tables
from models.bundle import ModelBundle

logger = logging.getLogger(__name__)

EPSILON = 1e-4
DECILES = np.linspace(0.1, 0.9, 9)
REFERENCE_SNAPSHOTS = 3
TOP_FEATURES = 5
SCORE = "overdue_probability"


@dataclass(frozen=True)
class DriftReport:
    """PSI per monitored column, and the reference it was measured against.

    Attributes:
        psi: column -> PSI; the score first, then the top features by model gain.
        reference_rows: rows of the reference frame.
        reference_snapshots: the snapshot dates (ISO) the reference was built at.
    """

    psi: dict[str, float]
    reference_rows: int
    reference_snapshots: list[str]


def _shares(codes: np.ndarray, bins: int) -> np.ndarray:
    counts = np.bincount(codes, minlength=bins).astype(float)
    total = counts.sum()
    shares = counts / total if total > 0 else counts
    return np.maximum(shares, EPSILON)


def _index(reference: np.ndarray, current: np.ndarray) -> float:
    return float(np.sum((current - reference) * np.log(current / reference)))


def numeric_psi(reference: np.ndarray, current: np.ndarray) -> float:
    """PSI of a numeric column over the reference's deciles plus a null bin."""
    reference = np.asarray(reference, dtype=float)
    current = np.asarray(current, dtype=float)
    finite = reference[~np.isnan(reference)]
    edges = np.unique(np.quantile(finite, DECILES)) if len(finite) else np.array([])
    bins = len(edges) + 2

    def codes(values: np.ndarray) -> np.ndarray:
        placed = np.searchsorted(edges, values, side="left")
        return np.where(np.isnan(values), bins - 1, placed)

    return _index(_shares(codes(reference), bins), _shares(codes(current), bins))


def categorical_psi(reference: pd.Series, current: pd.Series) -> float:
    """PSI of a categorical column over the reference's categories, other and null bins."""
    categories = sorted(reference.dropna().astype("str").unique())
    lookup = {c: i for i, c in enumerate(categories)}
    other, missing = len(categories), len(categories) + 1

    def codes(values: pd.Series) -> np.ndarray:
        mapped = values.astype("str").map(lookup).fillna(other).to_numpy(dtype=int)
        return np.where(values.isna().to_numpy(), missing, mapped)

    bins = len(categories) + 2
    return _index(_shares(codes(reference), bins), _shares(codes(current), bins))


def top_features(bundle: ModelBundle, k: int = TOP_FEATURES) -> list[str]:
    """The classifier's `k` features with the largest total gain (ties by name)."""
    gain = bundle.classifier.feature_importance(importance_type="gain")
    ranked = sorted(zip(bundle.feature_names, gain, strict=True), key=lambda x: (-x[1], x[0]))
    return [name for name, _ in ranked[:k]]


def reference_frame(
    tables: Tables, trained_as_of: pd.Timestamp, snapshots: int = REFERENCE_SNAPSHOTS
) -> pd.DataFrame:
    """Features of the last `snapshots` training snapshots of a model trained at that date.

    Returns an empty frame when the history is too short for any training snapshot.
    """
    dates = month_end_snapshots(tables, as_of=pd.Timestamp(trained_as_of))[-snapshots:]
    if not dates:
        return pd.DataFrame()
    return build_feature_frame(tables, dates)


def measure_drift(
    reference: pd.DataFrame, current: pd.DataFrame, current_scores: pd.Series, bundle: ModelBundle
) -> DriftReport:
    """PSI of the score and of the top features, current run against `reference`.

    Args:
        reference: the reference feature frame (`reference_frame`); empty gives no PSI.
        current: the run's feature frame (rows that were scored).
        current_scores: the run's overdue probabilities.
        bundle: the model scoring both.
    """
    if reference.empty:
        logger.warning("no training snapshot to compare with: PSI not measured")
        return DriftReport({}, 0, [])
    reference_scores = bundle.predict(reference[bundle.feature_names])[SCORE]
    psi = {SCORE: numeric_psi(reference_scores.to_numpy(), current_scores.to_numpy())}
    for name in top_features(bundle):
        if name in bundle.categorical_features:
            psi[name] = categorical_psi(reference[name], current[name])
        else:
            psi[name] = numeric_psi(reference[name].to_numpy(), current[name].to_numpy())
    dates = sorted(pd.Timestamp(d).date().isoformat() for d in reference["as_of"].unique())
    return DriftReport(psi, len(reference), dates)
