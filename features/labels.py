"""Labels: overdue_30d and dso_30d exactly as ARCHITECTURE.md defines them, with censoring.

- overdue_30d(c, t) = 1.0 if any invoice of c with due_date in (t, t+horizon] is cleared more
  than `grace_days` after its due date or is still open at due_date + grace; 0.0 if all are
  paid in time; NaN (excluded) if c has no invoice due in the window, or if
  t + horizon + grace > data_end (the outcome of the last such invoice is not known yet).
- dso_30d(c, t) = DSO(c, t+horizon) with the receivables definition (`create_position`);
  NaN if t + horizon > data_end or that DSO is null.
- delinquent_90d(c, t): the credit-risk label, see `features.delinquency_label` (its own
  horizon `delinquency_horizon_days` and threshold `delinquent_days`).

Rows: one per customer known at t (the spine of `features.session`), like the feature frame.
Facts dated after data_end are never used: with the censoring rule every due date + grace
that decides a label is <= data_end, so a clearing after data_end reads as "late", which it is.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import asdict, dataclass

import pandas as pd

from features.delinquency_label import DELINQUENCY_COLUMN, delinquency_in_session
from features.receivables import create_position
from features.session import Session, normalise_dates, open_session
from features.tables import Tables, data_end_of

LABEL_COLUMNS: tuple[str, ...] = ("overdue_30d", "dso_30d", DELINQUENCY_COLUMN)


@dataclass(frozen=True)
class LabelDefinition:
    """How the labels are defined; recorded with every model.

    Attributes:
        horizon_days: the outcome window after t, in days.
        grace_days: days after the due date an invoice may clear and still count as in time.
        dso_window_days: the sales window of the DSO label, in days.
        delinquent_days: delinquent_90d counts an invoice still unpaid more than this many
            days past its due date (30+ days past due is delinquency in credit practice).
        delinquency_horizon_days: the outcome window of delinquent_90d after t, in days.
    """

    horizon_days: int = 30
    grace_days: int = 0
    dso_window_days: int = 90
    delinquent_days: int = 30
    delinquency_horizon_days: int = 90

    def __post_init__(self) -> None:
        if self.horizon_days < 1 or self.grace_days < 0 or self.dso_window_days < 1:
            raise ValueError(
                "LabelDefinition needs horizon_days >= 1, grace_days >= 0, dso_window_days >= 1; "
                f"got {self.to_dict()}"
            )
        if self.delinquent_days < 0 or self.delinquency_horizon_days < 1:
            raise ValueError(
                "LabelDefinition needs delinquent_days >= 0, delinquency_horizon_days >= 1; "
                f"got {self.to_dict()}"
            )

    def to_dict(self) -> dict[str, int]:
        """The definition as plain values, for MLflow params and the model bundle."""
        return {k: int(v) for k, v in asdict(self).items()}


DEFAULT_DEFINITION = LabelDefinition()
"""The definitions of ARCHITECTURE.md: 30-day horizon, no grace, 90-day DSO window; delinquent
means more than 30 days past due within 90 days."""

OVERDUE_SQL = """
WITH due AS (
    SELECT i.customer_id, t.as_of,
           max(CASE WHEN i.cleared_date IS NULL
                      OR i.cleared_date > i.due_date + INTERVAL {grace} DAY
                    THEN 1.0 ELSE 0.0 END) AS any_late
    FROM invoices i JOIN snapshot_dates t
      ON i.due_date > t.as_of AND i.due_date <= t.as_of + INTERVAL {horizon} DAY
    GROUP BY i.customer_id, t.as_of
)
SELECT s.customer_id, s.as_of,
       CASE WHEN s.as_of + INTERVAL {censor} DAY > TIMESTAMP '{data_end}' THEN NULL
            ELSE due.any_late END AS overdue_30d,
       CASE WHEN s.as_of + INTERVAL {horizon} DAY > TIMESTAMP '{data_end}' THEN NULL
            ELSE d.dso_days END AS dso_30d
FROM spine s
LEFT JOIN due ON due.customer_id = s.customer_id AND due.as_of = s.as_of
LEFT JOIN label_position d ON d.customer_id = s.customer_id AND d.as_of = s.as_of
ORDER BY s.as_of, s.customer_id
"""


def labels_in_session(
    session: Session, definition: LabelDefinition, data_end: pd.Timestamp
) -> pd.DataFrame:
    """The three labels for every spine row of an open session (see the module docstring)."""
    session.con.execute(
        f"""
        CREATE OR REPLACE TEMP TABLE label_probes AS
        SELECT customer_id, as_of, as_of + INTERVAL {definition.horizon_days} DAY AS ref_date
        FROM spine
        """
    )
    create_position(session, "label_probes", "label_position", definition.dso_window_days)
    sql = OVERDUE_SQL.format(
        censor=definition.horizon_days + definition.grace_days,
        grace=definition.grace_days,
        horizon=definition.horizon_days,
        data_end=pd.Timestamp(data_end).normalize().isoformat(sep=" "),
    )
    frame = session.frame(sql)
    delinquency = delinquency_in_session(
        session, definition.delinquent_days, definition.delinquency_horizon_days, data_end
    )
    if not frame[["customer_id", "as_of"]].equals(delinquency[["customer_id", "as_of"]]):
        raise RuntimeError("the delinquency label was computed for a different spine")
    return frame.assign(
        customer_id=session.decode(frame["customer_id"]),
        as_of=frame["as_of"].astype("datetime64[ns]"),
        overdue_30d=frame["overdue_30d"].astype("float64"),
        dso_30d=frame["dso_30d"].astype("float64"),
        **{DELINQUENCY_COLUMN: delinquency[DELINQUENCY_COLUMN].to_numpy()},
    )


def build_labels(
    tables: Tables,
    as_ofs: Sequence[pd.Timestamp],
    definition: LabelDefinition = LabelDefinition(),
    data_end: pd.Timestamp | None = None,
) -> pd.DataFrame:
    """Labels for every customer known at each of `as_ofs`.

    Args:
        tables: canonical tables.
        as_ofs: snapshot dates.
        definition: horizons, grace, DSO window and the delinquency threshold.
        data_end: last date facts are known (default: the latest fact date in `tables`);
            labels whose outcome is not known by then are NaN.

    Returns:
        Columns customer_id, as_of, overdue_30d (1.0/0.0/NaN), dso_30d (NaN = excluded),
        delinquent_90d (1.0/0.0/NaN), sorted by as_of, customer_id, on a RangeIndex.
    """
    end = data_end_of(tables) if data_end is None else pd.Timestamp(data_end)
    session = open_session(tables, normalise_dates(as_ofs))
    try:
        return labels_in_session(session, definition, end).reset_index(drop=True)
    finally:
        session.close()
