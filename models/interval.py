"""The DSO p10-p90 interval: the one definition of how two quantile forecasts become it.

The bundle (`ModelBundle.predict`, hence serving, batch, Spark and the pyfunc) and the backtest
(training/backtest.py) both call `dso_interval`, so the interval a user sees and the interval
the backtest judges are the same formula. The adjustment is the conformalised-quantile-regression
(CQR) correction fitted out of time by training/intervals.py and stored in the bundle.
"""

from __future__ import annotations

import numpy as np


def sorted_interval(low: np.ndarray, high: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The raw (p10, p90) of the two quantile models, sorted per row (they may cross).

    This is what the CQR adjustment is fitted on (training/intervals.py); users only ever see
    `dso_interval` of it.
    """
    low, high = np.asarray(low, dtype=float), np.asarray(high, dtype=float)
    return np.minimum(low, high), np.maximum(low, high)


def dso_interval(
    low: np.ndarray, high: np.ndarray, adjustment_days: float = 0.0
) -> tuple[np.ndarray, np.ndarray]:
    """The (p10, p90) interval from the raw p10 and p90 forecasts, in days.

    1. Sorted per row: the two quantile models are fitted separately and may cross; the lower
       forecast is the p10.
    2. Widened by `adjustment_days` on both sides, `[p10 - q, p90 + q]` (CQR); a negative `q`
       narrows the interval.
    3. Where a negative `q` exceeds half the width, the bounds would cross; both are set to the
       row's midpoint instead. The midpoint is where the two bounds meet when narrowing goes
       on symmetrically, so the collapsed interval keeps the row's centre (what the quantile
       models agree on), and `p10 <= p90` still holds for everything downstream (charts,
       coverage). A zero-width interval honestly says "this row's band was narrower than the
       model's typical over-coverage".

    Args:
        low: the p10 model's forecasts.
        high: the p90 model's forecasts (same length).
        adjustment_days: the CQR adjustment `q` in days (0.0: the raw, sorted interval).

    Returns:
        (p10, p90) arrays of float64, 0 <= p10 <= p90 on every row.
    """
    p10, p90 = sorted_interval(low, high)
    p10, p90 = p10 - adjustment_days, p90 + adjustment_days
    crossed = p10 > p90
    if crossed.any():
        middle = (p10[crossed] + p90[crossed]) / 2.0
        p10[crossed], p90[crossed] = middle, middle
    p10 = np.maximum(p10, 0.0)
    return p10, np.maximum(p90, p10)
