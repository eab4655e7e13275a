"""The portfolio page's "predictions checked against what happened" panel.

Reads `judged.parquet` of every completed run (`serving.batch.monitoring.step`): the latest run's
figures with their backtest counterpart and alert, and the trend of the late-payment AUC
judged 30 days on, so a risk officer sees whether the model still ranks customers as its card
says and when it started to slip.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import pandas as pd
from markupsafe import Markup

from serving.batch.runs import find_runs
from serving.pages import charts

LABELS = {
    "overdue_auc": "Late-payment AUC",
    "overdue_ece": "Late-payment calibration error",
    "delinquency_auc": "Credit-risk AUC (30+ days behind)",
    "delinquency_ece": "Credit-risk calibration error",
    "invoice_mae_days": "Invoice payment date MAE (days)",
    "invoice_coverage_p10_p90": "Invoice p10-p90 coverage",
    "cash_wape": "Cash forecast WAPE",
    "cash_band_coverage": "Cash weeks inside the p10-p90 band",
}
"""The judged figures the panel shows, in business words (counts are left out)."""
TREND = ("overdue_auc", 30)


@dataclass(frozen=True)
class JudgedView:
    """The latest run's judged figures and the trend chart (None where there is nothing)."""

    latest: list[dict[str, object]]
    as_of: str | None
    trend: Markup | None


def judged_history(runs_dir: Path) -> pd.DataFrame:
    """Every run's judged figures with the run's as-of date, oldest run first."""
    frames = [
        pd.read_parquet(run.paths.judged).assign(run_as_of=run.as_of)
        for run in find_runs(runs_dir)
        if run.paths.judged.is_file()
    ]
    frames = [f for f in frames if not f.empty]
    return pd.concat(frames, ignore_index=True) if frames else pd.DataFrame()


def judged_view(runs_dir: Path) -> JudgedView:
    """What the panel shows (empty before any run judged another)."""
    history = judged_history(runs_dir)
    if history.empty:
        return JudgedView([], None, None)
    history = history[history["figure"].isin(LABELS)]
    last = str(history["run_as_of"].max())
    latest = history[history["run_as_of"] == last].assign(
        label=lambda f: f["figure"].map(LABELS),
        judged_as_of=lambda f: f["judged_as_of"].dt.date.astype("str"),
    )
    figure, lookback = TREND
    points = history[(history["figure"] == figure) & (history["lookback_days"] == lookback)]
    trend = None
    if len(points):
        trend = charts.line_chart(
            list(points["run_as_of"]),
            [float(v) for v in points["value"]],
            title=f"{LABELS[figure]} of the predictions made {lookback} days before each run",
            fmt=lambda v: f"{v:.3f}",
        )
    return JudgedView(latest.to_dict("records"), last, trend)
