"""The cash forecast service: the batch job's three cash files and the answers read from them.

The nightly job (`serving.batch.finish.write_cash_forecast`, computed by
`serving.batch.cash`) turns the run's invoice predictions into the 13-week forecast with
`models.cash_forecast.forecast_receipts` (the formula the backtest judged, with the band shock
stored in the invoice model) and writes:

- `cash_forecast.parquet`: `industry`, then `FORECAST_COLUMNS`; the portfolio's 13 weeks
  first (industry "all"), then each industry's in name order (a customer without one:
  "unknown"). One file, so a treasurer's view and its breakdown always come from one run;
- `cash_forecast_customers.parquet`: `customer_id`, then `FORECAST_COLUMNS`, 13 rows per
  customer with open invoices, by customer;
- `cash_received.parquet`: `week_start`, `received`: what came in during the 13 weeks up to
  the as-of date (payments dated in the week; without a payments table, the amounts of the
  invoices cleared in it), so the page can draw the past beside the forecast from facts dated
  <= t only.

A bundle without an invoice model writes the first two with their columns and no rows.
`GET /v1/cash-forecast` and the portfolio page read the latest completed run
(`serving.batch.runs.find_runs`).
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from serving.batch.cash import PORTFOLIO
from serving.batch.runs import Run, find_runs
from serving.cash_record import CashForecastResponse, CashWeek
from serving.errors import NoRunError, QueryError, UnknownCustomerError, UnknownIndustryError


def portfolio_cash(run: Run) -> tuple[pd.DataFrame | None, pd.DataFrame | None]:
    """The run's portfolio forecast (13 weeks) and received weeks; None where not written."""
    paths = run.paths
    forecast = None
    if paths.cash_forecast.is_file():
        frame = pd.read_parquet(paths.cash_forecast)
        forecast = frame.loc[frame["industry"] == PORTFOLIO].reset_index(drop=True)
    received = pd.read_parquet(paths.cash_received) if paths.cash_received.is_file() else None
    return forecast, received


def latest_cash_run(runs_dir: Path) -> Run:
    """The latest completed run, which must hold a cash forecast.

    Raises:
        NoRunError: no completed run, or the latest predates the cash forecast.
    """
    runs = find_runs(runs_dir)
    if not runs:
        raise NoRunError(f"no completed scoring run in {runs_dir}: the cash forecast is written "
                         "by the nightly job (arsight score)")  # fmt: skip
    latest = runs[-1]
    if not latest.paths.cash_forecast.is_file():
        raise NoRunError(
            f"the latest run (as of {latest.as_of}) has no {latest.paths.cash_forecast.name}: "
            "it predates the cash forecast; the next nightly run writes it"
        )
    return latest


def customer_weeks(run: Run, customer_id: str) -> pd.DataFrame:
    """The customer's 13 weeks (zeros for a scored customer with nothing open).

    Raises:
        UnknownCustomerError: the customer is not in the run.
    """
    path = run.paths.cash_forecast_customers
    rows = pd.read_parquet(path, filters=[("customer_id", "==", customer_id)])
    if len(rows):
        return rows
    scored = pd.read_parquet(run.paths.scores, columns=["customer_id"])["customer_id"]
    if customer_id not in set(scored):
        raise UnknownCustomerError(
            f"unknown customer {customer_id!r}: not in the scoring run as of {run.as_of}"
        )
    portfolio = pd.read_parquet(run.paths.cash_forecast, filters=[("industry", "==", PORTFOLIO)])
    return portfolio.assign(expected_receipts=0.0, p10=0.0, p90=0.0)


def industry_weeks(run: Run, industry: str) -> pd.DataFrame:
    """The industry's 13 weeks ("all": the portfolio).

    Raises:
        UnknownIndustryError: no customer of the run's open invoices is in that industry.
    """
    frame = pd.read_parquet(run.paths.cash_forecast)
    rows = frame.loc[frame["industry"] == industry]
    if rows.empty:
        known = sorted(set(frame["industry"]) - {PORTFOLIO})
        raise UnknownIndustryError(
            f"unknown industry {industry!r} in the cash forecast as of {run.as_of}; "
            f"expected one of {known}"
        )
    return rows


def cash_forecast_answer(
    runs_dir: Path, customer_id: str | None = None, industry: str | None = None
) -> CashForecastResponse:
    """The latest run's forecast for the portfolio, an industry or a customer."""
    if customer_id is not None and industry is not None:
        raise QueryError("customer_id, industry: give one of them, not both")
    run = latest_cash_run(runs_dir)
    if customer_id is not None:
        rows, scope = customer_weeks(run, customer_id), "customer"
    else:
        rows, scope = (
            industry_weeks(run, industry or PORTFOLIO),
            "industry" if industry else "portfolio",
        )
    weeks = [
        CashWeek(week_start=r["week_start"].date(), expected_receipts=r["expected_receipts"],
                 p10=r["p10"], p90=r["p90"])
        for r in rows.sort_values("week_start").to_dict("records")
    ]  # fmt: skip
    return CashForecastResponse(
        as_of=pd.Timestamp(run.as_of).date(),
        scope=scope,  # type: ignore[arg-type]
        industry=industry,
        customer_id=customer_id,
        weeks=weeks,
        model_name=run.meta.get("model_name", ""),
        model_version=run.meta.get("model_version", ""),
    )
