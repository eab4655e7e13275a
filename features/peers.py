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


PEER_KEYS = ["industry", "as_of"]


def industry_medians(frame: pd.DataFrame) -> pd.DataFrame:
    """Median DSO and late share per (industry, as_of) over the rows of `frame` (nulls skipped).

    The peer statistics, the only inputs of a feature that look across customers. A build
    that runs on part of the customers at a time (the Spark engine) computes them once over
    all customers and passes them to `peers`.

    Returns:
        Columns customer_dso_days and customer_late_share_count_90d, indexed by
        (industry, as_of); rows of unknown industry are left out (their peers are null).
    """
    return frame.groupby(PEER_KEYS)[[DSO, LATE_SHARE]].median()


def peers(frame: pd.DataFrame, medians: pd.DataFrame | None = None) -> pd.DataFrame:
    """Relative position to the industry median at t, one row per row of `frame`.

    Args:
        frame: spine rows with columns industry, as_of, customer_dso_days and
            customer_late_share_count_90d. Not modified.
        medians: `industry_medians` of the whole snapshot; default those of `frame`.

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
    table = industry_medians(frame) if medians is None else medians
    found = table.reindex(pd.MultiIndex.from_frame(frame[PEER_KEYS]))
    dso_median = pd.Series(found[DSO].to_numpy(), index=frame.index)
    late_median = pd.Series(found[LATE_SHARE].to_numpy(), index=frame.index)
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
