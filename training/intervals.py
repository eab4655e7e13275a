"""Conformalised quantile regression (CQR): fitting the DSO interval's adjustment out of time.

The p10 and p90 LightGBM models are fitted on the training rows, where they tend to be right;
out of time their interval covers too much (small ledgers) or too little. CQR (Romano, Patterson
and Candes, 2019) corrects it with one number fitted on rows the models never saw, the
backtest's held-out fold rows, exactly as the classifier's calibrator is fitted:

- conformity score of a row: `E = max(p10 - y, y - p90)`, the distance in days by which `y`
  falls outside the interval (negative: how far inside it is);
- adjustment `q`: the `ceil((n + 1)(1 - alpha)) / n` empirical quantile of the n scores, i.e.
  their k-th smallest with `k = ceil((n + 1)(1 - alpha))`; the `+ 1` is the finite-sample
  correction that makes `[p10 - q, p90 + q]` cover a new exchangeable row with probability
  at least `1 - alpha`;
- `alpha = 0.2`: the target is 80% coverage, the middle of issue 4's 75-85% band.

`q` may be negative (the interval narrows). Applying it is `models.interval.dso_interval`,
shared with the bundle, so training and serving use one formula.
"""

from __future__ import annotations

import logging
import math

import numpy as np
import pandas as pd

from training.dataset import DSO, labelled
from training.evaluate import coverage

__all__ = [
    "ALPHA",
    "P10",
    "P90",
    "conformity_scores",
    "conformal_quantile",
    "coverage",
    "fit_interval_adjustment",
]

logger = logging.getLogger(__name__)

ALPHA = 0.2
"""Miscoverage target: the adjusted p10-p90 interval should hold 80% of outcomes."""
P10, P90 = "dso_p10", "dso_p90"
"""Columns of scored rows holding the (unadjusted, sorted) interval."""


def conformity_scores(p10: np.ndarray, p90: np.ndarray, y: np.ndarray) -> np.ndarray:
    """Per row, `max(p10 - y, y - p90)`: days outside the interval (negative when inside)."""
    return np.maximum(np.asarray(p10, float) - y, np.asarray(y, float) - p90)


def conformal_quantile(scores: np.ndarray, alpha: float = ALPHA) -> float:
    """The `ceil((n + 1)(1 - alpha)) / n` empirical quantile of `scores`: the CQR adjustment.

    It is the k-th smallest score, `k = ceil((n + 1)(1 - alpha))`. With few rows k can exceed n
    (the level is above 1); the largest score is then used, the widest adjustment the data
    supports (the finite-sample guarantee would need an infinite one). No rows: 0.0, no
    adjustment, logged.

    Raises:
        ValueError: alpha is not strictly between 0 and 1.
    """
    if not 0.0 < alpha < 1.0:
        raise ValueError(f"alpha must be strictly between 0 and 1; got {alpha}")
    values = np.sort(np.asarray(scores, dtype=float))
    n = len(values)
    if n == 0:
        logger.warning("no held-out rows to conformalise the DSO interval: adjustment 0.0")
        return 0.0
    # Rounded first so that float noise (5 x 0.8 = 4.000000000000001) cannot add a rank.
    k = math.ceil(round((n + 1) * (1.0 - alpha), 9))
    if k > n:
        logger.info(
            "CQR quantile level %d/%d is above 1 (%d held-out rows): using the largest score",
            k,
            n,
            n,
        )
        return float(values[-1])
    return float(values[k - 1])


def fit_interval_adjustment(rows: pd.DataFrame, alpha: float = ALPHA) -> float:
    """The CQR adjustment in days from out-of-sample scored rows.

    Args:
        rows: scored rows with `dso_p10`, `dso_p90` (the raw, sorted interval) and the label
            `dso_30d`; rows without a label are left out.
        alpha: miscoverage target.
    """
    known = labelled(rows, DSO)
    scores = conformity_scores(
        known[P10].to_numpy(float), known[P90].to_numpy(float), known[DSO].to_numpy(float)
    )
    return conformal_quantile(scores, alpha)
