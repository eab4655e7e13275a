"""The evaluation report of a backtest: what the bundle, MLflow and the model card carry.

Last-fold metrics of the model and every baseline, the model's margin over the customer's own
prior late share, per-fold metrics, deciles, industry and size segments, the calibration choice
and the CQR interval's held-out coverage, all as JSON-ready values.
"""

from __future__ import annotations

from typing import Any

import pandas as pd

from training.backtest import MODEL, RAW_P10, RAW_P90, BacktestResult
from training.dataset import DSO, OVERDUE, labelled
from training.evaluate import coverage, decile_table, segment_table
from training.intervals import ALPHA, P10, P90

SEGMENTS = ("customer_industry", "customer_segment")
"""Frame columns the report breaks metrics down by (industry and size segment)."""


def records(table: pd.DataFrame) -> list[dict[str, Any]]:
    """A table as JSON-ready rows (NaN -> None)."""
    rows = table.astype(object).where(table.notna(), None).to_dict(orient="records")
    return [{str(k): v for k, v in row.items()} for row in rows]


def segment_records(result: BacktestResult, frame: pd.DataFrame) -> dict[str, list[dict[str, Any]]]:
    """Per segment column: the model's and every baseline's last-fold metrics, side by side."""
    tables: dict[str, list[dict[str, Any]]] = {}
    for segment in (s for s in SEGMENTS if s in frame):
        parts = []
        for name, rows in result.scored.items():
            last = rows.loc[rows["fold"] == result.last_fold.number]
            last = last.assign(**{segment: frame.loc[last.index, segment]})
            parts.append(segment_table(last, segment).assign(model=name))
        tables[segment] = records(pd.concat(parts, ignore_index=True))
    return tables


PRIOR_LATE_SHARE = "customer_prior_late_share"
"""The baseline the overdue model's margin is reported over (training/baselines.py)."""


def auc_margin(last_fold: dict[str, dict[str, float]], baseline: str) -> float | None:
    """The model's last-fold AUC minus `baseline`'s; None when either is missing or NaN."""
    model = last_fold.get(MODEL, {}).get("auc")
    other = last_fold.get(baseline, {}).get("auc")
    if model is None or other is None or model != model or other != other:
        return None
    return float(model - other)


def build_report(result: BacktestResult, frame: pd.DataFrame) -> dict[str, Any]:
    """The evaluation report saved with the bundle: last fold, every fold, deciles, segments."""
    last = result.scored[MODEL]
    last = labelled(last.loc[last["fold"] == result.last_fold.number], OVERDUE)
    deciles = decile_table(last[OVERDUE].to_numpy(float), last["overdue_probability"].to_numpy())
    last_fold = result.metrics()
    return {
        "folds": [fold.to_dict() for fold in result.folds],
        "last_fold": last_fold,
        "margins": {f"auc_over_{PRIOR_LATE_SHARE}": auc_margin(last_fold, PRIOR_LATE_SHARE)},
        "fold_metrics": records(result.fold_table()),
        "deciles": records(deciles),
        "segments": segment_records(result, frame),
        "calibration": {
            "method": result.calibrator.method,
            "held_out_brier": result.calibration_briers,
        },
        "interval": interval_report(result),
    }


def interval_report(result: BacktestResult) -> dict[str, Any]:
    """The CQR adjustment and the p10-p90 coverage of folds 2.. before and after it.

    Only folds after the first count as held out: their adjustment was fitted on earlier
    folds, so their coverage is an honest out-of-time reading (None with a single fold).
    """
    rows = result.scored[MODEL]
    rows = labelled(rows.loc[rows["fold"] != result.folds[0].number], DSO)
    y = rows[DSO].to_numpy(float)
    return {
        "method": "cqr",
        "alpha": ALPHA,
        "adjustment_days": result.interval_adjustment_days,
        "fold_adjustment_days": result.fold_interval_adjustments,
        "held_out_rows": len(rows),
        "held_out_coverage_before": coverage(
            rows[RAW_P10].to_numpy(float), rows[RAW_P90].to_numpy(float), y
        ),
        "held_out_coverage_after": coverage(
            rows[P10].to_numpy(float), rows[P90].to_numpy(float), y
        ),
    }
