"""`arsight evaluate`: how a registered model does on the snapshots of a date window.

The window's month-end snapshots are built with the same feature code and the label
definition recorded in the bundle, labelled with everything the data directory knows, scored
by the bundle and judged with the training report's metrics (overall, deciles, per segment).
A model that saw these snapshots in training will look better than it is; pick a window
after its `trained_as_of` for an honest reading.
"""

from __future__ import annotations

import logging
from typing import Any

import pandas as pd

from features.build import build_training_frame
from features.labels import LabelDefinition
from features.tables import Tables
from models.bundle import ModelBundle
from training.dataset import DSO, KEYS, OVERDUE, labelled
from training.errors import DatasetError
from training.evaluate import decile_table, evaluate_scored, segment_table
from training.report import SEGMENTS, records

logger = logging.getLogger(__name__)


def window_snapshots(start: pd.Timestamp, end: pd.Timestamp) -> list[pd.Timestamp]:
    """Month ends in [start, end]."""
    return list(pd.date_range(start, end, freq="ME", unit="ns").normalize())


def score_frame(bundle: ModelBundle, frame: pd.DataFrame) -> pd.DataFrame:
    """Keys, labels and the bundle's predictions, in the columns `evaluate_scored` reads."""
    predictions = bundle.predict(frame[[*KEYS, *bundle.feature_names]])
    return pd.concat(
        [
            frame[[*KEYS, OVERDUE, DSO]],
            predictions.rename(
                columns={"dso_30d": "dso_pred", "dso_30d_p10": "dso_p10", "dso_30d_p90": "dso_p90"}
            ),
        ],
        axis=1,
    )


def evaluate_window(
    tables: Tables, bundle: ModelBundle, start: pd.Timestamp, end: pd.Timestamp
) -> dict[str, Any]:
    """Metrics, deciles and segment tables of `bundle` on the snapshots in [start, end].

    Raises:
        DatasetError: the window holds no month end, or none of its rows has a known label.
    """
    snapshots = window_snapshots(start, end)
    if not snapshots:
        raise DatasetError(f"no month end between {start.date()} and {end.date()}")
    definition = LabelDefinition(**bundle.label_definition)
    frame = build_training_frame(tables, snapshots, definition).reset_index(drop=True)
    scored = score_frame(bundle, frame)
    late = labelled(scored, OVERDUE)
    if late.empty and labelled(scored, DSO).empty:
        raise DatasetError(
            f"no labelled rows between {start.date()} and {end.date()}: outcomes are not known yet"
        )
    report: dict[str, Any] = {
        "window": {"from": start.date().isoformat(), "to": end.date().isoformat()},
        "snapshots": len(snapshots),
        "metrics": evaluate_scored(scored),
        "deciles": [],
        "segments": {},
    }
    if not late.empty:
        report["deciles"] = records(
            decile_table(late[OVERDUE].to_numpy(float), late["overdue_probability"].to_numpy())
        )
    for segment in (s for s in SEGMENTS if s in frame):
        with_segment = scored.assign(**{segment: frame[segment]})
        report["segments"][segment] = records(segment_table(with_segment, segment))
    return report
