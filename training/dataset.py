"""Training data: tables as known on a date, the labelled snapshot frame, time-based folds.

Backtests are rolling-origin and never random (ARCHITECTURE.md, Time): the last
`folds x fold_snapshots` snapshots are cut into consecutive test blocks; each fold trains on
the snapshots T with T + gap_days < the block's first snapshot (ARCHITECTURE.md: test on
snapshots in (T + 30d, ...]), so every training label was known before the first test date.
Tuning uses one more split carved the same way out of the FIRST fold's training rows, so it
never sees a test row of any fold.
"""

from __future__ import annotations

import hashlib
import logging
from dataclasses import dataclass, replace

import pandas as pd

from features.tables import Tables
from training.errors import DatasetError

logger = logging.getLogger(__name__)

KEYS = ("customer_id", "as_of")
OVERDUE = "overdue_30d"
DSO = "dso_30d"
DELINQUENT = "delinquent_90d"
TARGETS = (OVERDUE, DSO, DELINQUENT)
"""Label columns of a training frame (`features.labels.LABEL_COLUMNS`); never features."""
PROBABILITY = {OVERDUE: "overdue_probability", DELINQUENT: "delinquency_probability"}
"""The calibrated probability column that models and baselines score each binary label as."""


def tables_known_by(tables: Tables, as_of: pd.Timestamp) -> Tables:
    """The tables as they stood at the end of `as_of`: nothing dated later survives.

    Invoices issued later are dropped and settlements after `as_of` are undone (the invoice
    is open again); payments, signals, deals and credit notes dated later are dropped.
    Customers stay.
    """
    invoices = tables.invoices.loc[tables.invoices["issue_date"] <= as_of].copy()
    if "cleared_date" in invoices:
        invoices["cleared_date"] = invoices["cleared_date"].where(invoices["cleared_date"] <= as_of)

    def known(frame: pd.DataFrame | None, column: str) -> pd.DataFrame | None:
        return None if frame is None else frame.loc[frame[column] <= as_of].copy()

    return replace(
        tables,
        invoices=invoices,
        payments=known(tables.payments, "payment_date"),
        signals=known(tables.signals, "observed_date"),
        deals=known(tables.deals, "created_date"),
        credit_notes=known(tables.credit_notes, "credit_date"),
    )


def feature_columns(frame: pd.DataFrame) -> list[str]:
    """Every column of a training frame that is a feature (not a key, not a label)."""
    return [c for c in frame.columns if c not in KEYS and c not in TARGETS]


def categorical_columns(frame: pd.DataFrame) -> list[str]:
    """Feature columns holding text (pandas "str", object or category dtype)."""
    return [
        c
        for c in feature_columns(frame)
        if not pd.api.types.is_numeric_dtype(frame[c]) and not pd.api.types.is_bool_dtype(frame[c])
    ]


def data_fingerprint(frame: pd.DataFrame) -> str:
    """SHA-256 over the frame's columns and row hashes: same data, same fingerprint."""
    digest = hashlib.sha256(",".join(map(str, frame.columns)).encode())
    digest.update(pd.util.hash_pandas_object(frame, index=False).to_numpy().tobytes())
    return digest.hexdigest()


@dataclass(frozen=True)
class Fold:
    """One rolling-origin fold: train on snapshots <= train_end, test on [test_start, test_end]."""

    number: int
    train_end: pd.Timestamp
    test_start: pd.Timestamp
    test_end: pd.Timestamp

    def split(self, frame: pd.DataFrame) -> tuple[pd.DataFrame, pd.DataFrame]:
        """(train rows, test rows) of `frame` by `as_of`."""
        train = frame.loc[frame["as_of"] <= self.train_end]
        test = frame.loc[(frame["as_of"] >= self.test_start) & (frame["as_of"] <= self.test_end)]
        return train, test

    def to_dict(self) -> dict[str, str | int]:
        return {
            "fold": self.number,
            "train_end": self.train_end.date().isoformat(),
            "test_start": self.test_start.date().isoformat(),
            "test_end": self.test_end.date().isoformat(),
        }


def rolling_origin_folds(
    as_of_values: pd.Series, folds: int, fold_snapshots: int, gap_days: int
) -> list[Fold]:
    """Consecutive test blocks over the latest snapshots, each with its training cut-off.

    Raises:
        DatasetError: too few snapshots for the folds, or a fold without training rows.
    """
    snapshots = sorted(pd.to_datetime(as_of_values.unique()))
    needed = folds * fold_snapshots
    if len(snapshots) <= needed:
        raise DatasetError(
            f"backtest needs more than {needed} snapshots ({folds} folds x {fold_snapshots}); "
            f"got {len(snapshots)}"
        )
    result = []
    for number in range(folds):
        start = len(snapshots) - needed + number * fold_snapshots
        block = snapshots[start : start + fold_snapshots]
        cutoff = block[0] - pd.Timedelta(days=gap_days)
        earlier = [s for s in snapshots if s < cutoff]
        if not earlier:
            raise DatasetError(
                f"fold {number + 1}: no snapshot before {cutoff.date()} to train on "
                f"(gap {gap_days} days before test start {block[0].date()})"
            )
        result.append(Fold(number + 1, earlier[-1], block[0], block[-1]))
    return result


def tuning_fold(frame: pd.DataFrame, first: Fold, fold_snapshots: int, gap_days: int) -> Fold:
    """The train/valid split for tuning, carved out of the FIRST fold's training rows.

    Every backtest fold tests on snapshots after the first fold's training end, so parameters
    and boosting rounds chosen here have seen no test row of any fold.
    """
    train, _ = first.split(frame)
    folds = rolling_origin_folds(train["as_of"], 1, fold_snapshots, gap_days)
    return replace(folds[0], number=0)


def labelled(frame: pd.DataFrame, target: str) -> pd.DataFrame:
    """Rows whose `target` is known (the label definition excludes the others)."""
    kept = frame.loc[frame[target].notna()]
    logger.debug("%s: %d of %d rows labelled", target, len(kept), len(frame))
    return kept
