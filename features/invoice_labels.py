"""The invoice model's label: days late, as known on a date, with right-censoring explicit.

Days late of a settled invoice = cleared_date - due_date (negative = early; ARCHITECTURE.md,
Definitions). Known on date K only when cleared_date <= K; an invoice still open at K is
*right-censored*: it is known to clear after K, so to be at least K + 1 - due_date days late,
and nothing more. `days_late_known_by` gives both, so that a backtest fold can ask what was
known at its own cut-off and the final fit what is known at the data end.

How the models use censored rows (docs/training.md, "Invoice payment model"): a row enters
training only when its delay bucket is decided whatever happens after K, i.e. its due date is
at least `DECISION_DAYS` before K (then it either cleared with a known bucket or is known to be
over 90 days late). The rule depends on the due date only, never on the outcome, so it drops
no outcome selectively.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

DECISION_DAYS = 90
"""Days after the due date at which every delay bucket is decided (the last one is > 90)."""


def days_late_known_by(
    due_date: pd.Series, cleared_date: pd.Series, known_by: pd.Timestamp
) -> pd.DataFrame:
    """Days late as known at the end of `known_by`, one row per input row (same index).

    Returns:
        days_late: cleared_date - due_date where cleared <= known_by, else NaN (censored).
        days_late_at_least: days_late where known, else known_by + 1 - due_date (the least
            it can be: the invoice clears after known_by).
        is_censored: True where the invoice is still open at known_by.
    """
    k = pd.Timestamp(known_by).normalize()
    known = cleared_date.notna() & (cleared_date <= k)
    exact = (cleared_date - due_date).dt.days.astype("float64").where(known)
    bound = ((k - due_date).dt.days + 1).astype("float64")
    return pd.DataFrame(
        {
            "days_late": exact,
            "days_late_at_least": exact.where(known, bound),
            "is_censored": ~known.to_numpy(dtype=bool),
        },
        index=due_date.index,
    )


def decided_by(due_date: pd.Series, known_by: pd.Timestamp) -> pd.Series:
    """Whether every delay bucket of the invoice is decided at `known_by` (module docstring)."""
    limit = pd.Timestamp(known_by).normalize() - pd.Timedelta(days=DECISION_DAYS)
    return pd.Series(np.asarray(due_date <= limit, dtype=bool), index=due_date.index)
