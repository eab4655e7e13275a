"""GET /v1/cash-forecast: the latest nightly run's 13-week cash-collection forecast."""

from __future__ import annotations

from fastapi import APIRouter, Query, Request

from serving.cash import cash_forecast_answer
from serving.cash_record import CashForecastResponse
from serving.deps import CollectionsCaller
from serving.routes.errors import ERROR_RESPONSES
from serving.settings import ServingSettings

router = APIRouter(tags=["collections"])


@router.get("/v1/cash-forecast", responses=ERROR_RESPONSES)
def cash_forecast(
    request: Request,
    caller: CollectionsCaller,  # noqa: ARG001 (the dependency checks the role)
    customer_id: str | None = Query(default=None, min_length=1, max_length=128),
    industry: str | None = Query(default=None, min_length=1, max_length=128),
) -> CashForecastResponse:
    """Expected receipts per week for the 13 weeks after the latest run's as-of date, with
    the p10-p90 band: the portfolio, one industry (`?industry=`) or one customer
    (`?customer_id=`), for risk and collections. Read from the run's cash_forecast files;
    503 before any run wrote them, 404 for a customer or industry the run does not know.
    """
    settings: ServingSettings = request.app.state.settings
    return cash_forecast_answer(settings.resolve(settings.runs_dir), customer_id, industry)
