"""The figures of one past run, on the outcomes known at the judging date t.

Label delay is explicit: an outcome enters only once it is known at t.

- lateness: the run's `overdue_probability` against overdue_30d of its customers, known once
  the 30-day window has passed (`features.labels.build_labels` with data end t; unknown
  labels are NaN and left out): AUC and ECE (`models.metrics`);
- delinquency: `delinquency_probability` against delinquent_90d, known after 90 days;
- invoice payment dates: the run's open invoices whose days late are decided at t: MAE of the
  p50 over the invoices cleared by t; p10-p90 coverage over those plus the invoices still open
  beyond their p90 (known to be outside the band); an open invoice still inside its band is
  undecided and left out;
- cash forecast: WAPE of the portfolio's expected receipts over the forecast weeks that have
  fully passed by t, against the payments received in them on the invoices open at the run's
  date, and the share of those weeks inside the p10-p90 band.

A figure with too few outcomes (`MIN_OUTCOMES`) or one class only is not reported.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from features.invoice_labels import days_late_known_by
from features.labels import LabelDefinition, build_labels
from features.tables import Tables
from models.metrics import classification_metrics, wape

MIN_OUTCOMES = 30
"""Fewer known outcomes than this give no figure (too noisy to compare with a backtest)."""


def customer_figures(
    scores: pd.DataFrame,
    tables: Tables,
    run_as_of: pd.Timestamp,
    t: pd.Timestamp,
    definition: LabelDefinition,
) -> dict[str, float]:
    """AUC, ECE and counts of lateness and delinquency of the run's scored customers."""
    labels = build_labels(tables, [run_as_of], definition, data_end=t)
    scored = scores.loc[scores["scored"]].merge(labels, on="customer_id", how="inner")
    figures: dict[str, float] = {}
    for name, label, probability in (
        ("overdue", "overdue_30d", "overdue_probability"),
        ("delinquency", "delinquent_90d", "delinquency_probability"),
    ):
        known = scored.loc[scored[label].notna() & scored[probability].notna()]
        y = known[label].to_numpy(float)
        if len(known) < MIN_OUTCOMES or len(np.unique(y)) < 2:
            continue
        metrics = classification_metrics(y, known[probability].to_numpy(float))
        figures |= {
            f"{name}_auc": metrics["auc"],
            f"{name}_ece": metrics["ece"],
            f"{name}_outcomes": float(len(known)),
        }
    return figures


def invoice_figures(invoices: pd.DataFrame, tables: Tables, t: pd.Timestamp) -> dict[str, float]:
    """MAE of the p50 and p10-p90 coverage over the run's invoices decided by t."""
    ledger = tables.invoices.set_index("invoice_id")["cleared_date"]
    cleared = invoices["invoice_id"].map(ledger)
    due = pd.to_datetime(invoices["due_date"])
    known = days_late_known_by(due, pd.to_datetime(cleared), t)
    exact = known["days_late"]
    p10, p90 = invoices["predicted_days_late_p10"], invoices["predicted_days_late_p90"]
    beyond = known["is_censored"] & (known["days_late_at_least"] > p90)
    figures: dict[str, float] = {}
    paid = exact.notna()
    if paid.sum() >= MIN_OUTCOMES:
        error = invoices.loc[paid, "predicted_days_late_p50"] - exact[paid]
        figures["invoice_mae_days"] = float(error.abs().mean())
        figures["invoice_outcomes"] = float(paid.sum())
    decided = paid | beyond
    if decided.sum() >= MIN_OUTCOMES:
        inside = paid & (p10 <= exact) & (exact <= p90)
        figures["invoice_coverage_p10_p90"] = float(inside[decided].mean())
    return figures


def received_by_week(
    invoices: pd.DataFrame, tables: Tables, weeks: pd.Series, t: pd.Timestamp
) -> np.ndarray:
    """Payments received on the run's open invoices in each forecast week (known by t)."""
    if tables.payments is not None:
        paid = tables.payments[tables.payments["invoice_id"].isin(invoices["invoice_id"])]
        dates, amounts = paid["payment_date"], paid["amount"]
    else:  # paid whole on the cleared date
        ledger = tables.invoices.set_index("invoice_id")["cleared_date"]
        dates = invoices["invoice_id"].map(ledger)
        amounts = invoices["open_amount"]
    dates = pd.to_datetime(dates)
    starts = pd.to_datetime(weeks).to_numpy()
    totals = []
    for start in starts:
        end = start + np.timedelta64(7, "D")
        inside = (dates >= start) & (dates < end) & (dates <= t)
        totals.append(float(amounts[inside.to_numpy()].sum()))
    return np.array(totals)


def cash_figures(
    forecast: pd.DataFrame, invoices: pd.DataFrame, tables: Tables, t: pd.Timestamp
) -> dict[str, float]:
    """WAPE and band coverage of the portfolio forecast over the weeks passed by t."""
    weeks = forecast.loc[pd.to_datetime(forecast["week_start"]) + pd.Timedelta(days=6) <= t]
    if weeks.empty:
        return {}
    actual = received_by_week(invoices, tables, weeks["week_start"], t)
    error = wape(weeks["expected_receipts"].to_numpy(float), actual)
    if error is None:
        return {}
    inside = (weeks["p10"].to_numpy(float) <= actual) & (actual <= weeks["p90"].to_numpy(float))
    return {
        "cash_wape": error,
        "cash_band_coverage": float(inside.mean()),
        "cash_weeks": float(len(weeks)),
    }
