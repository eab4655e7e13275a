"""Metrics shared by training (backtests) and serving (predictions judged against outcomes).

One definition each, so the figure a nightly run reports for last month's predictions is the
figure the model card's backtest reported: AUC, PR-AUC, Brier, log-loss and expected
calibration error (ECE, 10 equal-width bins weighted by bin size) of probabilities, and WAPE
(weighted absolute percentage error) of a forecast.
"""

from __future__ import annotations

import numpy as np
from sklearn.metrics import average_precision_score, log_loss, roc_auc_score

ECE_BINS = 10


def expected_calibration_error(y: np.ndarray, p: np.ndarray, bins: int = ECE_BINS) -> float:
    """Sum over equal-width probability bins of |mean p - late share| x bin share of rows."""
    index = np.minimum((p * bins).astype(int), bins - 1)
    total = 0.0
    for b in range(bins):
        mask = index == b
        if mask.any():
            total += mask.mean() * abs(p[mask].mean() - y[mask].mean())
    return float(total)


def classification_metrics(y: np.ndarray, p: np.ndarray) -> dict[str, float]:
    """AUC, PR-AUC, Brier, log-loss, ECE and base rate of probabilities `p` for outcomes `y`.

    Ranking metrics are NaN when only one class is present (they are undefined).
    """
    both = len(np.unique(y)) == 2
    clipped = np.clip(p, 1e-15, 1 - 1e-15)
    return {
        "auc": float(roc_auc_score(y, p)) if both else float("nan"),
        "pr_auc": float(average_precision_score(y, p)) if both else float("nan"),
        "brier": float(np.mean((p - y) ** 2)),
        "log_loss": float(log_loss(y, clipped, labels=[0, 1])),
        "ece": expected_calibration_error(y, p),
        "late_share": float(np.mean(y)),
        "rows": float(len(y)),
    }


def wape(forecast: np.ndarray, actual: np.ndarray) -> float | None:
    """sum |forecast - actual| / sum actual; None when nothing was actually received."""
    total = float(np.sum(actual))
    return float(np.sum(np.abs(np.asarray(forecast) - actual))) / total if total > 0 else None
