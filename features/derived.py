"""Figures derived from a customer's feature row, shared by the credit limit, the terms review
and the points scorecard, so each is defined once.

- `number_column`: a feature as float64, NaN where it is missing or not a number, and a
  column of NaN when the frame does not carry the feature (an older store, a policy naming a
  column the ledger lacks);
- `monthly_sales`: what the customer buys in a month. The last 365 days' sales cover only the
  months the customer has been one: a customer of four months who bought 400,000 buys 100,000
  a month, not 33,333, so the year's sales are divided by the months of tenure within it (at
  least one, at most twelve); without the year's figure, the last 90 days' over the months of
  them known;
- `bank_line_cut`: the share by which the bank credit line fell in the last 180 days: 0 when it
  did not fall or no change was seen, NaN when no line was ever observed.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

DAYS_PER_MONTH = 365.0 / 12


def number_column(features: pd.DataFrame, name: str) -> pd.Series:
    """`features[name]` as float64 (NaN: missing, not a number, or no such column)."""
    if name not in features:
        return pd.Series(np.nan, index=features.index, dtype="float64")
    return pd.to_numeric(features[name], errors="coerce").astype("float64")


def monthly_sales(features: pd.DataFrame) -> pd.Series:
    """Sales per month over the tenure within the last year (module docstring)."""
    tenure_months = number_column(features, "customer_tenure_days") / DAYS_PER_MONTH
    year_months = tenure_months.clip(lower=1.0, upper=12.0).fillna(12.0)
    quarter_months = tenure_months.clip(lower=1.0, upper=3.0).fillna(3.0)
    year = number_column(features, "customer_sales_amount_365d") / year_months
    return year.fillna(number_column(features, "customer_sales_amount_90d") / quarter_months)


def bank_line_cut(features: pd.DataFrame) -> pd.Series:
    """The share the bank credit line fell in 180 days (0: no fall seen; NaN: no line)."""
    latest = number_column(features, "signal_bank_credit_line_latest")
    change = number_column(features, "signal_bank_credit_line_change_180d").fillna(0.0)
    before = latest - change
    cut = (-change / before).where(before > 0).clip(lower=0.0)
    return cut.where(latest.notna())
