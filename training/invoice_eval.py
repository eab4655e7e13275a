"""How the invoice payment model is judged: days-late and bucket metrics, segments, report.

Days metrics on test rows whose days late are known at the data end: MAE and RMSE of the p50,
the share within +-3 and +-7 days, and the share inside the p10-p90 interval (models with an
interval only). Bucket log-loss (natural log, the 5 classes of `models.invoice_model.BUCKETS`)
on rows whose bucket is decided. Rows open at the data end and at most 90 days late are in
neither, and counted (`censored_rows`). Segments (industry, size) repeat the metrics where
they have at least `MIN_SEGMENT_ROWS` rows with known days late.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd
from sklearn.metrics import log_loss

from models.invoice_model import BUCKETS, DAYS_COLUMNS
from training.dataset import Fold
from training.evaluate import MIN_SEGMENT_ROWS
from training.intervals import ALPHA
from training.invoice_data import BUCKET, EXACT
from training.report import records

SEGMENTS = ("customer_industry", "customer_segment")
P10, P50, P90 = DAYS_COLUMNS


def days_metrics(rows: pd.DataFrame) -> dict[str, float]:
    """MAE, RMSE, within +-3 / +-7 days, p10-p90 coverage of rows with known days late."""
    known = rows.loc[rows[EXACT].notna()]
    if known.empty:
        return {"days_rows": 0.0}
    error = known[P50].to_numpy(float) - known[EXACT].to_numpy(float)
    metrics = {
        "mae_days": float(np.mean(np.abs(error))),
        "rmse_days": float(np.sqrt(np.mean(error**2))),
        "within_3_days": float(np.mean(np.abs(error) <= 3)),
        "within_7_days": float(np.mean(np.abs(error) <= 7)),
        "days_rows": float(len(known)),
    }
    if P10 in known and known[P10].notna().all():
        y = known[EXACT].to_numpy(float)
        inside = (known[P10].to_numpy(float) <= y) & (y <= known[P90].to_numpy(float))
        metrics["coverage_p10_p90"] = float(np.mean(inside))
        metrics["width_p10_p90_days"] = float(np.mean(known[P90] - known[P10]))
    return metrics


def bucket_metrics(rows: pd.DataFrame) -> dict[str, float]:
    """Bucket log-loss of rows whose bucket is decided (models with bucket probabilities)."""
    decided = rows.loc[rows[BUCKET].notna()]
    metrics = {"bucket_rows": float(len(decided))}
    if BUCKETS[0] in rows and len(decided):
        probabilities = np.clip(decided[list(BUCKETS)].to_numpy(float), 1e-15, 1.0)
        labels = decided[BUCKET].to_numpy(int)
        metrics["bucket_log_loss"] = float(
            log_loss(labels, probabilities, labels=list(range(len(BUCKETS))))
        )
        on_time = (labels == 0).astype(float)
        metrics["on_time_brier"] = float(np.mean((decided[BUCKETS[0]] - on_time) ** 2))
    return metrics


def invoice_metrics(rows: pd.DataFrame) -> dict[str, float]:
    """Every metric of one model's scored test rows (module docstring)."""
    censored = rows[EXACT].isna() & rows[BUCKET].isna()
    return {
        **days_metrics(rows),
        **bucket_metrics(rows),
        "censored_rows": float(censored.sum()),
    }


def segment_records(scored: dict[str, pd.DataFrame], fold: int) -> dict[str, list[dict[str, Any]]]:
    """Per industry and size segment: every model's last-fold metrics, side by side."""
    tables: dict[str, list[dict[str, Any]]] = {}
    for segment in SEGMENTS:
        rows: list[dict[str, Any]] = []
        for name, frame in scored.items():
            if segment not in frame:
                continue
            last = frame.loc[frame["fold"] == fold]
            for value, group in last.groupby(last[segment].fillna("unknown"), sort=True):
                known = int(group[EXACT].notna().sum())
                row: dict[str, Any] = {segment: value, "model": name, "days_rows": known}
                if known >= MIN_SEGMENT_ROWS:
                    row |= invoice_metrics(group)
                rows.append(row)
        if rows:
            tables[segment] = rows
    return tables


def fold_table(scored: dict[str, pd.DataFrame]) -> pd.DataFrame:
    """Every model's metrics per fold."""
    rows = [
        {"fold": int(str(fold)), "model": name, **invoice_metrics(group)}
        for name, frame in scored.items()
        for fold, group in frame.groupby("fold", sort=True)
    ]
    return pd.DataFrame(rows)


def mae_ratio(last_fold: dict[str, dict[str, float]], baseline: str) -> float | None:
    """The model's last-fold MAE over `baseline`'s (below 1: the model is better)."""
    model = last_fold.get("model", {}).get("mae_days")
    other = last_fold.get(baseline, {}).get("mae_days")
    if model is None or not other:
        return None
    return float(model / other)


def invoice_report(
    scored: dict[str, pd.DataFrame],
    folds: list[Fold],
    adjustments: dict[int, float],
    adjustment: float,
    rows: int,
    final_rows: int,
) -> dict[str, Any]:
    """The `invoice` section of the bundle's report (what the model card and MLflow show)."""
    last = folds[-1].number
    last_fold = {
        name: invoice_metrics(frame.loc[frame["fold"] == last]) for name, frame in scored.items()
    }
    model = scored["model"]
    later = model.loc[model["fold"] > folds[0].number]
    return {
        "folds": [fold.to_dict() for fold in folds],
        "last_fold": last_fold,
        "margins": {
            f"mae_ratio_over_{name}": mae_ratio(last_fold, name)
            for name in scored
            if name != "model"
        },
        "fold_metrics": records(fold_table(scored)),
        "segments": segment_records(scored, last),
        "interval": {
            "alpha": ALPHA,
            "adjustment_days": adjustment,
            "fold_adjustment_days": {str(k): v for k, v in adjustments.items()},
            "held_out_coverage": days_metrics(later).get("coverage_p10_p90"),
        },
        "rows": {"invoice_rows": rows, "final_training_rows": final_rows},
    }
