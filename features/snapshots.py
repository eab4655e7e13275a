"""Training snapshot dates: month ends over the history whose labels can be known.

A snapshot t needs `min_history_days` of history before it (counted from the first invoice)
so that its trailing-window features mean something, and its labels need data up to
t + horizon + grace, so the last horizon + grace days before the data end (or `as_of`, when
training as if today were that date) hold no snapshot.
"""

from __future__ import annotations

import pandas as pd

from features.labels import DEFAULT_DEFINITION, LabelDefinition
from features.tables import Tables, data_end_of


def month_end_snapshots(
    tables: Tables,
    definition: LabelDefinition = DEFAULT_DEFINITION,
    as_of: pd.Timestamp | None = None,
    min_history_days: int = 90,
) -> list[pd.Timestamp]:
    """Month ends t with first invoice + min_history_days <= t <= end - (horizon + grace).

    Args:
        tables: canonical tables.
        definition: the label definition whose horizon and grace are left out at the end.
        as_of: treat this date as the data end (default: the latest fact date in `tables`).
        min_history_days: history required before the first snapshot.

    Returns:
        Month-end dates at midnight, ascending; empty when the history is too short.
    """
    end = data_end_of(tables) if as_of is None else pd.Timestamp(as_of).normalize()
    last = end - pd.Timedelta(days=definition.horizon_days + definition.grace_days)
    first = tables.invoices["issue_date"].min() + pd.Timedelta(days=min_history_days)
    if pd.isna(first) or first > last:
        return []
    return list(pd.date_range(first, last, freq="ME", unit="ns").normalize())
