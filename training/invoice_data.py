"""The invoice model's data: point-in-time invoice rows, their sample, labels per cut-off.

Rows (`build_invoice_rows`): every invoice open at each training snapshot (the month ends of
the customer frame) with its own features and its customer's features at that snapshot
(`features.invoices.invoice_frame`: the one definition serving uses too), plus the outcome
column `outcome_cleared_date` read from the tables as known at the training as-of date (so no
clearing after it exists). Rows at the issue date are not added: the customer features would
have to be built for every issue day; every invoice open at a month end is already in, with
its age at t.

Sample: where there are more than `max_rows` rows, each row is kept with probability
`max_rows / rows`, decided by a seeded hash of (invoice_id, as_of): deterministic, and a row's
fate never depends on other rows, so adding data does not reshuffle the sample.

Labels (`training_rows`, `evaluation_rows`; censoring in `features.invoice_labels`):
- a model trained at cut-off K sees only rows whose delay bucket is decided at K (due date at
  least 90 days before K): target `days_late` is the exact days late, or for a row still open
  at K its lower bound K + 1 - due (> 90); `delay_bucket` is then always known;
- test rows are judged at the data end: days metrics on rows whose days late are known
  (cleared by then), bucket log-loss on rows whose bucket is decided (cleared, or open and
  more than 90 days late); rows open at the data end and less than 91 days late are left
  out of both and counted.
"""

from __future__ import annotations

import logging

import numpy as np
import pandas as pd

from features.catalog import feature_names
from features.invoice_labels import DECISION_DAYS, days_late_known_by, decided_by
from features.invoices import INVOICE_FEATURES, invoice_frame
from features.tables import Tables
from models.invoice_model import bucket_index

logger = logging.getLogger(__name__)

OUTCOME = "outcome_cleared_date"
"""The cleared date as known at the training as-of date (NaT while open): never a feature."""
DAYS = "days_late"
BUCKET = "delay_bucket"
EXACT = "days_late_known"
"""Test rows: exact days late at the data end (NaN when censored)."""
MAX_ROWS = 50_000
"""Default cap on invoice training rows (`TrainingSettings.invoice_max_rows`): an invoice open
at several month ends is several strongly correlated rows, so a sample loses little."""


def invoice_features_of(frame: pd.DataFrame) -> list[str]:
    """The invoice model's features in a row frame: the invoice's own, then the customer's."""
    own = [s.name for s in INVOICE_FEATURES]
    return own + [c for c in feature_names() if c in frame.columns]


def sample_rows(frame: pd.DataFrame, max_rows: int, seed: int) -> pd.DataFrame:
    """Rows kept with probability max_rows / len by a seeded hash of (invoice_id, as_of)."""
    if len(frame) <= max_rows:
        return frame
    key = f"arsight{seed:09d}"[-16:].rjust(16, "0")
    hashed = pd.util.hash_pandas_object(
        frame[["invoice_id", "as_of"]], index=False, hash_key=key
    ).to_numpy()
    uniform = hashed / float(2**64)
    kept = frame.loc[uniform < max_rows / len(frame)]
    logger.info("invoice rows sampled: %d of %d (seed %d)", len(kept), len(frame), seed)
    return kept.reset_index(drop=True)


def build_invoice_rows(
    tables: Tables, customer_frame: pd.DataFrame, max_rows: int = MAX_ROWS, seed: int = 0
) -> pd.DataFrame:
    """Invoice rows at the customer frame's snapshots with the outcome (module docstring).

    Args:
        tables: the tables as known at the training as-of date (`tables_known_by`).
        customer_frame: the labelled customer snapshot frame (its features are joined).
        max_rows: sample cap.
        seed: the sample's seed.
    """
    features = [c for c in feature_names() if c in customer_frame.columns]
    frame = invoice_frame(tables, customer_frame, features)
    cleared = tables.invoices.set_index("invoice_id")["cleared_date"]
    outcome = frame["invoice_id"].map(cleared).astype("datetime64[ns]")
    return sample_rows(frame.assign(**{OUTCOME: outcome}).copy(), max_rows, seed)


def training_rows(rows: pd.DataFrame, known_by: pd.Timestamp, grace_days: int) -> pd.DataFrame:
    """Rows whose bucket is decided at `known_by`, with `days_late` and `delay_bucket`."""
    decided = rows.loc[decided_by(rows["due_date"], known_by)]
    labels = days_late_known_by(decided["due_date"], decided[OUTCOME], known_by)
    days = labels["days_late_at_least"].to_numpy(float)
    return decided.assign(**{DAYS: days, BUCKET: bucket_index(days, grace_days).astype(float)})


def evaluation_rows(rows: pd.DataFrame, data_end: pd.Timestamp, grace_days: int) -> pd.DataFrame:
    """Every row with `days_late_known` (NaN censored) and `delay_bucket` (NaN undecided)."""
    labels = days_late_known_by(rows["due_date"], rows[OUTCOME], data_end)
    bound = labels["days_late_at_least"].to_numpy(float)
    decided = ~labels["is_censored"].to_numpy() | (bound > DECISION_DAYS)
    bucket = np.where(decided, bucket_index(bound, grace_days), np.nan)
    return rows.assign(**{EXACT: labels["days_late"].to_numpy(float), BUCKET: bucket})
