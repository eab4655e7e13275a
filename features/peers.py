"""Peers: a customer's DSO and lateness against its industry at the same snapshot.

DSO persistently more than 20% above the industry's is a classic early warning (DOMAIN.md).
Medians are taken per (industry, as_of) over the customers known at that snapshot whose value
is not null, so they use only facts dated <= t like their inputs. Vectorised pandas groupby.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

DSO = "customer_dso_days"
LATE_SHARE = "customer_late_share_count_90d"


def _industry_median(frame: pd.DataFrame, column: str) -> pd.Series:
    """Median of `column` over the customers of the same industry and as_of (nulls skipped)."""
    return frame.groupby(["industry", "as_of"], dropna=False)[column].transform("median")


def peers(frame: pd.DataFrame) -> pd.DataFrame:
    """Relative position to the industry median at t, one row per row of `frame`.

    Args:
        frame: spine rows with columns industry, as_of, customer_dso_days and
            customer_late_share_count_90d. Not modified.

    Returns:
        The columns below, on the index of `frame`.

    Columns:
        peer_dso_ratio_to_industry_median (ratio): Customer DSO at t / median DSO at t of the
            customers in its industry; 1.2 = 20% above the industry. Null when the industry,
            the DSO or the median is unknown, or the median is 0.
        peer_late_share_90d_difference_to_industry_median (share): Customer late share by count
            over (t-90d, t] minus the median of its industry at t. Null when the industry, the
            share or the median is unknown.
    """
    known_industry = frame["industry"].notna()
    dso_median = _industry_median(frame, DSO)
    late_median = _industry_median(frame, LATE_SHARE)
    ratio = frame[DSO] / dso_median.where(dso_median > 0)
    difference = frame[LATE_SHARE] - late_median
    return pd.DataFrame(
        {
            "peer_dso_ratio_to_industry_median": ratio.where(known_industry, np.nan),
            "peer_late_share_90d_difference_to_industry_median": difference.where(
                known_industry, np.nan
            ),
        },
        index=frame.index,
    ).astype("float64")
