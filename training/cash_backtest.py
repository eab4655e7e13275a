"""The cash forecast's backtest: forecast vs actual receipts, week by week, out of time.

Treasury will trust a weekly cash-in figure only if it beat the rules of thumb it replaces on
dates the model never saw. The invoice model's backtest (training/invoice.py) already scores,
at every test snapshot of every fold, the invoices open there with a model trained only on
rows decided before the fold's cut-off (and the fold's own CQR adjustment); this module turns
those out-of-time predictions into `models.cash_forecast.forecast_receipts`, the formula the
batch job uses, and compares them with what came in.

- As-of dates: the last `MAX_DATES` test snapshots (month ends) whose 13 weeks are all
  observed by the data end (t + 91 days <= data end).
- Actual receipts of week k: the open amount at t of the invoices (of those open at t) cleared
  in that week (the model forecasts clearing; a partial payment is counted when the invoice
  clears). Where the invoice rows are a sample (`training.invoice_data.sample_rows`), forecast,
  actuals and baselines are of the same sample.
- Baselines: `due_date`, every invoice paid on its due date, an overdue one (due on or before
  t) in week 1; `average_delay`, paid on due date + the customer's mean days late over the
  year before t (`customer_days_late_mean_365d`, the feature at t; 0 without history), a date
  on or before t again meaning week 1.
- WAPE = sum |forecast - actual| / sum actual over the dates' weeks 1-4 and 1-13.
- Band: the relative shock of `models.cash_forecast` is fitted like the DSO interval's CQR
  adjustment: per week the shock that would just have covered it, and their
  `ceil((n + 1) 0.8)`-th smallest (`training.intervals.conformal_quantile`). Date t uses the
  weeks of earlier dates already over at t (none: 0.0); the model keeps the shock of all weeks.
  Coverage is the share of the dates' weeks whose actual lies in the band so built.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from models.cash_forecast import HORIZON_WEEKS, Z_90, forecast_receipts, week_starts
from training.intervals import conformal_quantile
from training.invoice_data import OUTCOME
from training.report import records

MAX_DATES = 6
HORIZON_DAYS = 7 * HORIZON_WEEKS
MEAN_DELAY = "customer_days_late_mean_365d"
METHODS = ("model", "due_date", "average_delay")
SPANS = {"weeks_1_4": 4, "weeks_1_13": HORIZON_WEEKS}
UNCOVERABLE = 1e6
"""The shock needed to cover a week of receipts with no forecast receipts at all."""


def backtest_dates(rows: pd.DataFrame, data_end: pd.Timestamp) -> list[pd.Timestamp]:
    """The last `MAX_DATES` snapshots of `rows` whose 13 weeks end by `data_end`."""
    dates = sorted(pd.Timestamp(t) for t in rows["as_of"].unique())
    horizon = pd.Timedelta(days=HORIZON_DAYS)
    return [t for t in dates if t + horizon <= pd.Timestamp(data_end)][-MAX_DATES:]


def weekly_sums(amount: np.ndarray, days_after: np.ndarray) -> np.ndarray:
    """Amounts received `days_after` days after t (1 .. 91), summed per week 1 .. 13."""
    days = np.nan_to_num(np.asarray(days_after, float), nan=-1.0)
    week = np.where((days >= 1) & (days <= HORIZON_DAYS), np.ceil(days / 7), 0).astype(int)
    return np.bincount(week, weights=amount, minlength=HORIZON_WEEKS + 1)[1:]


def date_weeks(rows: pd.DataFrame, t: pd.Timestamp, grace_days: int) -> pd.DataFrame:
    """13 rows for one as-of date: actual, model (expected and raw sd), both baselines."""
    amount = rows["open_amount"].to_numpy(float)
    to_due = (rows["due_date"] - t).dt.days.to_numpy(float)
    delay = rows[MEAN_DELAY].fillna(0.0).to_numpy(float) if MEAN_DELAY in rows else 0.0
    forecast = forecast_receipts(rows, t, grace_days)
    expected = forecast["expected_receipts"].to_numpy(float)
    return pd.DataFrame(
        {
            "as_of": t,
            "week": np.arange(1, HORIZON_WEEKS + 1),
            "week_start": week_starts(t),
            "actual": weekly_sums(amount, (rows[OUTCOME] - t).dt.days.to_numpy(float)),
            "model": expected,
            "model_sd": (forecast["p90"].to_numpy(float) - expected) / Z_90,
            "due_date": weekly_sums(amount, np.maximum(to_due, 1.0)),
            "average_delay": weekly_sums(amount, np.maximum(to_due + np.round(delay), 1.0)),
        }
    )


def needed_shock(weeks: pd.DataFrame) -> np.ndarray:
    """Per week, the smallest relative shock whose band would have held its actual receipts."""
    error = (weeks["actual"] - weeks["model"]).abs().to_numpy(float) / Z_90
    excess = np.sqrt(np.maximum(error**2 - weeks["model_sd"].to_numpy(float) ** 2, 0.0))
    model = weeks["model"].to_numpy(float)
    ratio = excess / np.where(model > 0, model, 1.0)
    return np.where(model > 0, ratio, np.where(excess > 0, UNCOVERABLE, 0.0))


def date_shocks(weeks: pd.DataFrame) -> dict[pd.Timestamp, float]:
    """Each date's shock from the earlier dates' weeks already over at it (0.0: none)."""
    ended = weeks["week_start"] + pd.Timedelta(days=6)
    shocks = {}
    for t in sorted(weeks["as_of"].unique()):
        known = weeks.loc[(weeks["as_of"] < t) & (ended <= t)]
        shocks[pd.Timestamp(t)] = conformal_quantile(needed_shock(known)) if len(known) else 0.0
    return shocks


def with_band(weeks: pd.DataFrame, shocks: dict[pd.Timestamp, float]) -> pd.DataFrame:
    """The model's p10 and p90 per week, each date with its own shock."""
    shock = weeks["as_of"].map(shocks).to_numpy(float)
    model = weeks["model"].to_numpy(float)
    half = Z_90 * np.sqrt(weeks["model_sd"].to_numpy(float) ** 2 + (shock * model) ** 2)
    return weeks.assign(p10=np.maximum(model - half, 0.0), p90=model + half)


def wape(weeks: pd.DataFrame, method: str, last_week: int) -> float | None:
    """sum |method - actual| / sum actual over weeks 1 .. last_week of every date."""
    part = weeks.loc[weeks["week"] <= last_week]
    total = float(part["actual"].sum())
    error = float(np.abs(part[method] - part["actual"]).sum())
    return error / total if total > 0 else None


def ratio(a: float | None, b: float | None) -> float | None:
    return None if a is None or not b else a / b


def cash_backtest(rows: pd.DataFrame, data_end: pd.Timestamp, grace_days: int) -> dict[str, Any]:
    """The `cash_forecast` section of the invoice report (module docstring).

    Args:
        rows: the invoice model's scored test rows (final bucket probabilities and days-late
            quantiles) with as_of, customer_id, due_date, open_amount and the outcome.
        data_end: the last date whose receipts are known.
        grace_days: the invoice model's grace days.
    """
    dates = backtest_dates(rows, data_end)
    if not dates:
        return {"skipped": f"no test snapshot with 13 weeks observed by {data_end.date()}"}
    weeks = pd.concat(
        [date_weeks(rows.loc[rows["as_of"] == t], t, grace_days) for t in dates],
        ignore_index=True,
    )
    shocks = date_shocks(weeks)
    weeks = with_band(weeks, shocks)
    covered = (weeks["p10"] <= weeks["actual"]) & (weeks["actual"] <= weeks["p90"])
    scores = {m: {span: wape(weeks, m, last) for span, last in SPANS.items()} for m in METHODS}
    return {
        "dates": [t.date().isoformat() for t in dates],
        "invoice_rows": int(rows["as_of"].isin(dates).sum()),
        "wape": scores,
        "ratios": {
            f"{span}_over_{m}": ratio(scores["model"][span], scores[m][span])
            for span in SPANS
            for m in METHODS[1:]
        },
        "coverage_p10_p90": float(covered.mean()),
        "shock": conformal_quantile(needed_shock(weeks)),
        "date_shocks": {t.date().isoformat(): s for t, s in shocks.items()},
        "weekly": records(
            weeks.assign(
                as_of=weeks["as_of"].dt.date.astype(str),
                week_start=weeks["week_start"].dt.date.astype(str),
            )
        ),
    }
