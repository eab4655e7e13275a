"""SQL that puts dated facts into snapshot buckets: which snapshot first knows each fact.

A fact dated d is known at the k-th snapshot date exactly when its bucket is <= k; the feature
groups aggregate per (customer, bucket) and take a running maximum or sum over buckets <= k.
"""

from __future__ import annotations

from collections.abc import Sequence

import pandas as pd


def bucket_sql(column: str, dates: Sequence[pd.Timestamp]) -> str:
    """SQL for the index of the first of `dates` (ascending) on or after `column`; null after all.

    A fact dated d is known at the k-th date exactly when its bucket is <= k. "Latest fact dated
    <= t" for every date then needs only a small aggregate per (customer, bucket) and a maximum
    over buckets <= k, instead of a sort of all facts (an ASOF join sorts its whole right side).
    """
    if not dates:
        return "NULL::INTEGER"
    cases = " ".join(
        f"WHEN {column} <= TIMESTAMP '{d.isoformat(sep=' ')}' THEN {k}" for k, d in enumerate(dates)
    )
    return f"CASE {cases} END"


def known_by_sql(column: str, dates: Sequence[pd.Timestamp]) -> str:
    """SQL condition: `column` is on or before the last of `dates` (its bucket is not null).

    Filter with it in WHERE before grouping by a bucket: DuckDB then skips later facts cheaply,
    whereas a HAVING on the bucket evaluates the CASE for every row at several times the cost.
    """
    return f"{column} <= TIMESTAMP '{max(dates).isoformat(sep=' ')}'" if dates else "FALSE"
