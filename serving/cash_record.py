"""The one cash forecast record: what the batch files and the API say about a week of receipts.

`CashWeek` is written once here; its fields are `models.cash_forecast.FORECAST_COLUMNS`, the
columns of `cash_forecast.parquet` (after `industry`) and `cash_forecast_customers.parquet`
(after `customer_id`), and `GET /v1/cash-forecast` answers 13 of them.
"""

from __future__ import annotations

from datetime import date
from typing import Literal

from pydantic import Field

from serving.record import Response


class CashWeek(Response):
    """Expected receipts in one week and the p10-p90 band around them."""

    week_start: date = Field(examples=["2026-01-02"], description="first day of the week")
    expected_receipts: float = Field(ge=0.0, examples=[1250000.0])
    p10: float = Field(ge=0.0, examples=[980000.0])
    p90: float = Field(ge=0.0, examples=[1530000.0])


class CashForecastResponse(Response):
    """The latest run's 13-week forecast for the portfolio, one industry or one customer."""

    as_of: date = Field(description="the run's date: week 1 starts the day after")
    scope: Literal["portfolio", "industry", "customer"]
    industry: str | None = Field(default=None, examples=["construction"])
    customer_id: str | None = Field(default=None, examples=["C000000"])
    weeks: list[CashWeek]
    model_name: str = Field(examples=["arsight"])
    model_version: str = Field(examples=["3"])
