"""The nightly job's cash step: the run's three cash files from its invoice predictions.

The forecast is `models.cash_forecast.forecast_by` (the formula the backtest judged, with the
band shock stored in the invoice model); the files and what they hold are described in
`serving.cash`, which answers from them.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from features.tables import Tables
from models.cash_forecast import FORECAST_COLUMNS, forecast_by, week_starts
from models.invoice_model import InvoiceModel

PORTFOLIO = "all"
UNKNOWN_INDUSTRY = "unknown"
PAST_WEEKS = 13


@dataclass(frozen=True)
class CashFrames:
    """The three cash files of a run (module docstring)."""

    portfolio: pd.DataFrame
    customers: pd.DataFrame
    received: pd.DataFrame


def empty_forecast(key: str) -> pd.DataFrame:
    """A forecast frame keyed by `key` with the right columns and no rows."""
    return pd.DataFrame(
        {
            key: pd.Series(dtype="str"),
            "week_start": pd.Series(dtype=week_starts(pd.Timestamp(0)).dtype),  # as filled
            **{c: pd.Series(dtype="float64") for c in FORECAST_COLUMNS[1:]},
        }
    )


def with_industry(invoices: pd.DataFrame, tables: Tables) -> pd.DataFrame:
    """The invoices with their customer's `industry` ("unknown" where it has none)."""
    customers = tables.customers.set_index("customer_id")
    known = customers["industry"] if "industry" in customers else pd.Series(dtype="str")
    industry = invoices["customer_id"].map(known).fillna(UNKNOWN_INDUSTRY).astype("str")
    return invoices.assign(industry=industry)


def cash_frames(
    invoices: pd.DataFrame, tables: Tables, as_of: pd.Timestamp, model: InvoiceModel | None
) -> CashFrames:
    """The run's forecast files from its invoice predictions (`serving.invoices`)."""
    received = past_receipts(tables, as_of)
    if model is None:
        return CashFrames(empty_forecast("industry"), empty_forecast("customer_id"), received)
    rows = with_industry(invoices, tables)
    grace, shock = model.grace_days, model.cash_band_shock
    portfolio, industries, customers = forecast_by(
        rows, as_of, grace, shock, [None, "industry", "customer_id"]
    )
    portfolio = portfolio.assign(industry=PORTFOLIO)
    columns = ["industry", *FORECAST_COLUMNS]
    both = pd.concat([portfolio[columns], industries[columns]], ignore_index=True)
    return CashFrames(
        both.astype({"industry": "str"}), customers.astype({"customer_id": "str"}), received
    )


def past_receipts(tables: Tables, as_of: pd.Timestamp, weeks: int = PAST_WEEKS) -> pd.DataFrame:
    """Cash received in each of the `weeks` weeks ending on `as_of` (module docstring)."""
    t = pd.Timestamp(as_of).normalize()
    starts = pd.date_range(end=t - pd.Timedelta(days=6), periods=weeks, freq="7D")
    if tables.payments is not None:
        dates, amounts = tables.payments["payment_date"], tables.payments["amount"]
    else:
        dates, amounts = tables.invoices["cleared_date"], tables.invoices["amount"]
    days_before = (t - pd.to_datetime(dates)).dt.days.to_numpy(float)
    inside = (days_before >= 0) & (days_before < 7 * weeks)  # NaN (never cleared) is outside
    back = (days_before[inside] // 7).astype(int)  # 0: the week ending on t
    sums = np.bincount(back, weights=amounts.to_numpy(float)[inside], minlength=weeks)
    return pd.DataFrame({"week_start": starts, "received": sums[::-1].astype("float64")})
