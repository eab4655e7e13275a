"""The nightly step: judge the runs of 30 and 90 days before, flag model alerts, write them.

For each lookback L of the policy (`monitoring.lookbacks_days`), the run judged is the latest
completed run dated on or before t - L and after t - L - 31 days (none: nothing judged for
that lookback); its scores, invoices and cash forecast are judged on the outcomes known at t
(`serving.batch.monitoring.judge`) and each figure read against the model card's backtest
(`serving.batch.monitoring.references`). The result is `judged.parquet` in the run directory (one
row per lookback and figure), MLflow metrics `judged_<L>d_<figure>` on the scoring run, and a
model alert (pushed like the early warnings) for each figure past its margin.
"""

from __future__ import annotations

import logging
from pathlib import Path

import pandas as pd

from features.labels import LabelDefinition
from features.tables import Tables
from models.bundle import ModelBundle
from serving.batch.monitoring.judge import cash_figures, customer_figures, invoice_figures
from serving.batch.monitoring.references import checks
from serving.batch.runs import Run, find_runs
from serving.policy import Monitoring

logger = logging.getLogger(__name__)

JUDGED_COLUMNS = (
    "lookback_days",
    "judged_as_of",
    "figure",
    "value",
    "reference",
    "margin",
    "alert",
)
COUNTS = ("_outcomes", "_weeks")
"""Figures that count outcomes: reported, never compared."""
WINDOW_DAYS = 31


def run_judged(runs: list[Run], t: pd.Timestamp, lookback_days: int) -> Run | None:
    """The latest run dated in (t - L - 31d, t - L], or None."""
    latest = t - pd.Timedelta(days=lookback_days)
    earliest = latest - pd.Timedelta(days=WINDOW_DAYS)
    found = [r for r in runs if earliest < pd.Timestamp(r.as_of) <= latest]
    return found[-1] if found else None


def figures_of(run: Run, tables: Tables, t: pd.Timestamp, bundle: ModelBundle) -> dict[str, float]:
    """Every figure of one past run that its outcomes known at t allow."""
    as_of = pd.Timestamp(run.as_of)
    scores = pd.read_parquet(run.paths.scores)
    definition = LabelDefinition(**bundle.label_definition)
    figures = customer_figures(scores, tables, as_of, t, definition)
    if run.paths.invoices.is_file():
        invoices = pd.read_parquet(run.paths.invoices)
        figures |= invoice_figures(invoices, tables, t)
        if run.paths.cash_forecast.is_file():
            forecast = pd.read_parquet(run.paths.cash_forecast)
            if "industry" in forecast:
                forecast = forecast[forecast["industry"] == "all"]
            figures |= cash_figures(forecast, invoices, tables, t)
    return figures


def judge_runs(
    runs_dir: Path, tables: Tables, t: pd.Timestamp, bundle: ModelBundle, policy: Monitoring
) -> pd.DataFrame:
    """`JUDGED_COLUMNS` for every lookback with a run to judge, sorted."""
    runs = find_runs(runs_dir)
    rows = []
    for lookback in sorted(policy.lookbacks_days):
        past = run_judged(runs, t, lookback)
        if past is None:
            continue
        rules = checks(bundle, policy, lookback)
        for figure, value in sorted(figures_of(past, tables, t, bundle).items()):
            check = None if figure.endswith(COUNTS) else rules.get(figure)
            if check is not None and check.reference is None:
                check = None  # no backtest figure to read it against: reported only
            rows.append(
                {
                    "lookback_days": lookback,
                    "judged_as_of": pd.Timestamp(past.as_of),
                    "figure": figure,
                    "value": value,
                    "reference": None if check is None else check.reference,
                    "margin": None if check is None else check.margin,
                    "alert": False if check is None else check.alert(value),
                }
            )
    frame = pd.DataFrame(rows, columns=list(JUDGED_COLUMNS))
    return frame.astype(
        {
            "lookback_days": "int64",
            "judged_as_of": "datetime64[ns]",
            "figure": "str",
            "value": "float64",
            "reference": "float64",
            "margin": "float64",
            "alert": "bool",
        }
    )


def judged_metrics(judged: pd.DataFrame) -> dict[str, float]:
    """The MLflow metrics of the judged figures: judged_<L>d_<figure>."""
    return {
        f"judged_{row.lookback_days}d_{row.figure}": float(row.value) for row in judged.itertuples()
    }
