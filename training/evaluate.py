"""Evaluation metrics and tables: what every model version and baseline is judged by.

Classification (overdue_30d): AUC, PR-AUC (average precision), Brier, log-loss, expected
calibration error (ECE, 10 equal-width bins, weighted by bin size), and lift and capture by
risk decile. Regression (dso_30d): MAE, RMSE and the share of outcomes inside the p10-p90
interval. `segment_table` repeats the metrics per industry or size segment.
"""

from __future__ import annotations

import logging

import numpy as np
import pandas as pd

from models.metrics import (  # defined there, shared with serving's judged predictions
    ECE_BINS,  # noqa: F401
    classification_metrics,
    expected_calibration_error,  # noqa: F401
)

logger = logging.getLogger(__name__)

MIN_SEGMENT_ROWS = 30
"""Segments with fewer labelled rows get no metrics (too noisy to read); they are counted."""


def decile_table(y: np.ndarray, p: np.ndarray) -> pd.DataFrame:
    """Lift and cumulative capture by risk decile (decile 1 = the riskiest tenth).

    Ties in `p` are broken by row order so deciles have equal sizes (within one row).
    """
    order = np.argsort(-p, kind="stable")
    decile = np.empty(len(p), dtype=int)
    decile[order] = np.arange(len(p)) * 10 // max(len(p), 1) + 1
    frame = pd.DataFrame({"decile": decile, "y": y, "p": p})
    table = frame.groupby("decile").agg(rows=("y", "size"), late=("y", "sum"), mean_p=("p", "mean"))
    base = y.mean() if len(y) else float("nan")
    table["late_share"] = table["late"] / table["rows"]
    table["lift"] = table["late_share"] / base
    table["capture"] = table["late"].cumsum() / max(y.sum(), 1)
    return table.reset_index()


def coverage(p10: np.ndarray, p90: np.ndarray, y: np.ndarray) -> float | None:
    """Share of `y` inside `[p10, p90]` (bounds count as inside); None without rows."""
    if len(y) == 0:
        return None
    return float(np.mean((y >= p10) & (y <= p90)))


def regression_metrics(
    y: np.ndarray, pred: np.ndarray, p10: np.ndarray | None = None, p90: np.ndarray | None = None
) -> dict[str, float]:
    """MAE, RMSE and (with an interval) p10-p90 coverage and mean width, in days."""
    result = {
        "mae": float(np.mean(np.abs(pred - y))),
        "rmse": float(np.sqrt(np.mean((pred - y) ** 2))),
        "rows": float(len(y)),
    }
    if p10 is not None and p90 is not None:
        covered = coverage(p10, p90, y)
        result["coverage_p10_p90"] = float("nan") if covered is None else covered
        result["interval_width"] = float(np.mean(p90 - p10))
    return result


def segment_table(scored: pd.DataFrame, segment: str) -> pd.DataFrame:
    """Metrics per value of `segment` (nulls as "unknown") for one model's scored test rows.

    `scored` has columns `segment`, `overdue_30d`, `overdue_probability`, `dso_30d`,
    `dso_pred`, `dso_p10`, `dso_p90` (labels may be NaN where excluded).
    """
    rows = []
    for value, group in scored.groupby(scored[segment].fillna("unknown"), sort=True):
        row: dict[str, object] = {segment: value}
        late = group.loc[group["overdue_30d"].notna()]
        if len(late) >= MIN_SEGMENT_ROWS and "overdue_probability" in late:
            metrics = classification_metrics(
                late["overdue_30d"].to_numpy(float), late["overdue_probability"].to_numpy(float)
            )
            row.update({k: metrics[k] for k in ("auc", "brier", "ece", "late_share")})
        row["overdue_rows"] = len(late)
        dso = group.loc[group["dso_30d"].notna()]
        if len(dso) >= MIN_SEGMENT_ROWS and "dso_pred" in dso:
            metrics = regression_metrics(
                dso["dso_30d"].to_numpy(float),
                dso["dso_pred"].to_numpy(float),
                dso["dso_p10"].to_numpy(float) if "dso_p10" in dso else None,
                dso["dso_p90"].to_numpy(float) if "dso_p90" in dso else None,
            )
            row.update({f"dso_{k}": v for k, v in metrics.items() if k != "rows"})
        row["dso_rows"] = len(dso)
        rows.append(row)
    return pd.DataFrame(rows)


def evaluate_scored(
    scored: pd.DataFrame,
    label: str = "overdue_30d",
    probability: str = "overdue_probability",
) -> dict[str, float]:
    """Flat metrics of one model's scored test rows (columns as in `segment_table`).

    `label` and `probability` name the binary outcome and its score (overdue_30d by default;
    the delinquency backtest passes delinquent_90d and delinquency_probability); DSO metrics
    are added where the rows have `dso_30d`.
    """
    metrics: dict[str, float] = {}
    late = scored.loc[scored[label].notna()]
    if probability in scored and len(late):
        y = late[label].to_numpy(float)
        metrics.update(classification_metrics(y, late[probability].to_numpy(float)))
        deciles = decile_table(y, late[probability].to_numpy(float))
        metrics["lift_top_decile"] = float(deciles["lift"].iloc[0])
        metrics["capture_top_decile"] = float(deciles["capture"].iloc[0])
        metrics["capture_top_3_deciles"] = float(deciles["capture"].iloc[min(2, len(deciles) - 1)])
    if "dso_30d" not in scored:
        return metrics
    dso = scored.loc[scored["dso_30d"].notna()]
    if "dso_pred" in scored and len(dso):
        interval = "dso_p10" in dso and dso["dso_p10"].notna().all()
        regression = regression_metrics(
            dso["dso_30d"].to_numpy(float),
            dso["dso_pred"].to_numpy(float),
            dso["dso_p10"].to_numpy(float) if interval else None,
            dso["dso_p90"].to_numpy(float) if interval else None,
        )
        metrics.update({f"dso_{k}": v for k, v in regression.items()})
    return metrics
