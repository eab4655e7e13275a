"""Calibration of the classifier: isotonic or Platt, chosen on held-out folds by Brier score.

The classifier's raw log-odds on each backtest fold's test rows are out-of-sample. For every
fold after the first, each method is fitted on the earlier folds' scores and scored (Brier) on
that fold, so the choice itself is out of time; the method with the lower mean Brier wins and
is refitted on all folds' scores. The result is a `models.bundle.Calibrator` (plain numbers).
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
from sklearn.isotonic import IsotonicRegression
from sklearn.linear_model import LogisticRegression

from models.bundle import Calibrator

logger = logging.getLogger(__name__)

METHODS = ("isotonic", "platt")


@dataclass(frozen=True)
class FoldScores:
    """Out-of-sample raw scores of one fold's test rows and their labels."""

    raw: np.ndarray
    y: np.ndarray


def fit_calibrator(method: str, raw: np.ndarray, y: np.ndarray) -> Calibrator:
    """Fit `method` ("isotonic" or "platt") mapping raw scores to probabilities of y == 1."""
    if method == "platt":
        model = LogisticRegression(C=1e6).fit(raw.reshape(-1, 1), y)
        return Calibrator(
            "platt", slope=float(model.coef_[0, 0]), intercept=float(model.intercept_[0])
        )
    if method == "isotonic":
        iso = IsotonicRegression(out_of_bounds="clip", y_min=0.0, y_max=1.0).fit(raw, y)
        return Calibrator(
            "isotonic",
            x=tuple(float(v) for v in iso.X_thresholds_),
            y=tuple(float(v) for v in iso.y_thresholds_),
        )
    raise ValueError(f"unknown calibration method {method!r}; expected one of {METHODS}")


def brier(y: np.ndarray, p: np.ndarray) -> float:
    """Mean squared error of probabilities against 0/1 outcomes."""
    return float(np.mean((p - y) ** 2))


def compare_methods(
    folds: Sequence[FoldScores], fit_on: Sequence[FoldScores | None] | None = None
) -> dict[str, float]:
    """Mean out-of-time Brier of each method: fit on what preceded fold k, score on fold k.

    Args:
        folds: out-of-sample scores of each fold, oldest first.
        fit_on: for fold k (k >= 1), the scores to fit on (`fit_on[k - 1]`); None there
            skips fold k. Default: every row of folds 0..k-1. The backtest passes only the
            rows whose labels fold k's model could have known.
    """
    if len(folds) < 2:
        raise ValueError(f"calibration choice needs at least 2 folds; got {len(folds)}")
    if fit_on is None:
        fit_on = [
            FoldScores(
                np.concatenate([f.raw for f in folds[:k]]), np.concatenate([f.y for f in folds[:k]])
            )
            for k in range(1, len(folds))
        ]
    scores: dict[str, list[float]] = {m: [] for m in METHODS}
    for k, earlier in enumerate(fit_on, start=1):
        if earlier is None or len(earlier.y) == 0:
            continue
        for method in METHODS:
            calibrator = fit_calibrator(method, earlier.raw, earlier.y)
            scores[method].append(brier(folds[k].y, calibrator.transform(folds[k].raw)))
    if not scores[METHODS[0]]:
        raise ValueError("calibration choice needs a fold with earlier labels to fit on")
    return {m: float(np.mean(v)) for m, v in scores.items()}


def choose_calibrator(
    folds: Sequence[FoldScores], fit_on: Sequence[FoldScores | None] | None = None
) -> tuple[Calibrator, dict[str, float]]:
    """The method with the lowest held-out Brier, refitted on every fold's scores.

    Args:
        folds: out-of-sample scores of each fold, oldest first.
        fit_on: what each later fold's comparison fits on (see `compare_methods`).

    Returns:
        The calibrator and the mean held-out Brier of each method (for the report).
    """
    briers = compare_methods(folds, fit_on)
    method = min(METHODS, key=lambda m: (briers[m], m))
    logger.info("calibration: %s chosen (held-out Brier %s)", method, briers)
    raw = np.concatenate([f.raw for f in folds])
    y = np.concatenate([f.y for f in folds])
    return fit_calibrator(method, raw, y), briers
