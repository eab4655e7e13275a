"""The risk officers' pages: portfolio, customer, deal assessment (mounted under /ui).

Each page calls the code the API calls (see `serving.pages`); an error the API would answer
with a status code (unknown customer, no features, model not ready) becomes a page with the
same status and the same message, never a stack trace or a 500.
"""

from __future__ import annotations

import logging
import math
from pathlib import Path

from fastapi import APIRouter, Request
from fastapi.responses import FileResponse, HTMLResponse, RedirectResponse, Response
from pydantic import ValidationError

from serving.deps import AuditDep, MetricsDep, RefresherDep, RequestIdDep
from serving.errors import ServingError
from serving.pages import charts
from serving.pages.cases import router as cases_router
from serving.pages.customer import CustomerView, build_customer_view
from serving.pages.judged import judged_view
from serving.pages.portfolio import SORTABLE, PortfolioView, build_portfolio_view
from serving.pages.rendering import STATIC, render, url_part
from serving.pages.session import PageSession, csrf_matches
from serving.pages.signin import FormDep, RiskSessionDep
from serving.pages.signin import router as signin_router
from serving.pages.terms import router as terms_router
from serving.pages.today import router as today_router
from serving.routes.deals import assess
from serving.schemas import DealRequest, DealResponse
from serving.settings import ServingSettings

logger = logging.getLogger(__name__)

router = APIRouter(include_in_schema=False)
router.include_router(signin_router)
router.include_router(today_router)
router.include_router(cases_router)
router.include_router(terms_router)
TIER_COLORS = charts.TIER_COLORS


def _dirs(request: Request) -> tuple[Path, Path]:
    settings: ServingSettings = request.app.state.settings
    return settings.resolve(settings.runs_dir), settings.resolve(settings.data_dir)


def _failed(request: Request, session: PageSession, exc: ServingError) -> HTMLResponse:
    return render(request, "error.html", exc.status_code, session=session, message=str(exc))


@router.get("/ui/static/pages.css")
def stylesheet() -> FileResponse:
    """The pages' only static file, served by the app itself."""
    return FileResponse(STATIC / "pages.css", media_type="text/css")


@router.get("/ui")
@router.get("/ui/")
def portfolio(
    request: Request, session: RiskSessionDep, sort: str = "rank", order: str = "asc"
) -> HTMLResponse:
    """Tiers and their change, DSO trend, expected overdue amount, warnings, worklist."""
    runs_dir, data_dir = _dirs(request)
    key, descending = (sort if sort in SORTABLE else "rank"), order == "desc"
    view = build_portfolio_view(runs_dir, data_dir, key, descending)
    tier_chart = charts.bar_chart(
        [(t.tier, float(t.count)) for t in view.tiers],
        title="Customers per risk tier",
        fmt=lambda v: f"{v:,.0f}",
        colors=[TIER_COLORS[t.tier] for t in view.tiers],
    )
    trend_chart = None
    if view.trend is not None:
        trend_chart = charts.line_chart(
            [d.strftime("%Y-%m") for d in view.trend["month_end"]],
            [None if math.isnan(v) else float(v) for v in view.trend["dso_days"]],
            title="Portfolio DSO by month end (days)",
            fmt=lambda v: f"{v:,.0f}",
        )
    return render(
        request,
        "portfolio.html",
        session=session,
        view=view,
        tier_chart=tier_chart if view.tiers else None,
        trend_chart=trend_chart,
        cash_chart=cash_chart(view),
        judged=judged_view(runs_dir),
        sort=key,
        order="desc" if descending else "asc",
        sortable=SORTABLE,
    )


def cash_chart(view: PortfolioView) -> object:
    """Received in the past 13 weeks beside the next 13 weeks' forecast (None without one)."""
    forecast, received = view.cash_forecast, view.cash_received
    if forecast is None or forecast.empty:
        return None
    past = [] if received is None else received.to_dict("records")
    return charts.cash_chart(
        [(r["week_start"].strftime("%m-%d"), float(r["received"])) for r in past],
        [
            (r["week_start"].strftime("%m-%d"), r["expected_receipts"], r["p10"], r["p90"])
            for r in forecast.to_dict("records")
        ],
        title="Cash received per week, then expected for 13 weeks (p10-p90 band)",
    )


@router.get("/ui/customers")
def find_customer(session: RiskSessionDep, customer_id: str = "") -> Response:  # noqa: ARG001
    """The search box: go to the customer's page."""
    if not customer_id.strip():
        return RedirectResponse("/ui/", status_code=303)
    return RedirectResponse(f"/ui/customers/{url_part(customer_id.strip())}", status_code=303)


@router.get("/ui/customers/{customer_id:path}")
def customer_page(
    request: Request,
    customer_id: str,
    session: RiskSessionDep,
    state: RefresherDep,
    audit: AuditDep,
    request_id: RequestIdDep,
) -> HTMLResponse:
    """Scores, forecast, terms, reasons, aging, audited history and health signals."""
    try:
        served = state.current()
        view = build_customer_view(served, audit, customer_id, session.role, request_id)
    except ServingError as exc:
        return _failed(request, session, exc)
    return render(
        request,
        "customer.html",
        session=session,
        view=view,
        charts=customer_charts(view),
        features_as_of=served.features_as_of,
        tier_colors=TIER_COLORS,
    )


def customer_charts(view: CustomerView) -> dict[str, object]:
    """The SVG charts of a customer page (absent where there is nothing to draw)."""
    latest = view.answer.latest
    out: dict[str, object] = dict.fromkeys(("waterfall", "forecast", "aging", "history"))
    if latest is not None and view.waterfall is not None:
        base, steps = view.waterfall
        out["waterfall"] = charts.waterfall_chart(
            base,
            steps,
            title="Why: contributions to the credit risk (30+ days behind within 90 days)",
            fmt=lambda v: f"{v:.1%}",
        )
        out["forecast"] = charts.line_chart(
            ["DSO today", "forecast in 30 days"],
            [view.dso_now, latest.dso_30d],
            title="DSO today and in 30 days, with the 10-90% interval",
            fmt=lambda v: f"{v:,.0f} d",
            band=[None, (latest.dso_30d_p10, latest.dso_30d_p90)],
        )
    if view.aging is not None:
        out["aging"] = charts.bar_chart(
            view.aging, title="Open amount by days past due", fmt=charts.compact
        )
    history = [h for h in reversed(view.answer.history) if h.delinquency_probability is not None]
    if history:
        out["history"] = charts.line_chart(
            [h.time.strftime("%Y-%m-%d %H:%M") for h in history],
            [h.delinquency_probability for h in history],
            title="Credit risk (30+ days past due within 90 days) served (colour: tier)",
            fmt=lambda v: f"{v:.0%}",
            colors=[TIER_COLORS[h.risk_tier] for h in history],
        )
    out["signals"] = [
        (
            s.name,
            charts.line_chart(
                s.labels, s.values, title=s.name.replace("_", " "), fmt=charts.compact
            ),
        )
        for s in view.signals
    ]
    return out


@router.get("/ui/deals")
def deal_form(request: Request, session: RiskSessionDep, customer_id: str = "") -> HTMLResponse:
    """The deal form, prefilled with a customer when coming from its page."""
    fields = {"customer_id": customer_id, "amount": "", "payment_terms_days": "30"}
    return render(request, "deal.html", session=session, fields=fields, errors=[], result=None)


def _deal_page(
    request: Request,
    status: int,
    session: PageSession,
    fields: dict[str, str],
    errors: list[str],
    result: DealResponse | None = None,
) -> HTMLResponse:
    return render(
        request, "deal.html", status, session=session, fields=fields, errors=errors, result=result
    )


@router.post("/ui/deals")
def deal_submit(
    request: Request,
    session: RiskSessionDep,
    form: FormDep,
    state: RefresherDep,
    audit: AuditDep,
    metrics: MetricsDep,
    request_id: RequestIdDep,
) -> HTMLResponse:
    """Assess the deal with the function behind POST /v1/deals/assess (audited alike)."""
    fields = {k: form.get(k, "").strip() for k in ("customer_id", "amount", "payment_terms_days")}
    if not csrf_matches(session.csrf, form.get("csrf")):
        problem = ["Invalid form token: reload the page."]
        return _deal_page(request, 403, session, fields, problem)
    try:
        body = DealRequest.model_validate(fields, strict=False)  # form fields are text
    except ValidationError as exc:
        errors = [f"{'.'.join(str(p) for p in e['loc'])}: {e['msg']}" for e in exc.errors()]
        return _deal_page(request, 422, session, fields, errors)
    try:
        result = assess(
            caller=session.role,
            body=body,
            served=state.current(),
            audit=audit,
            metrics=metrics,
            request_id=request_id,
        )
    except ServingError as exc:
        return _deal_page(request, exc.status_code, session, fields, [str(exc)])
    logger.info("deal page: %s for %s", result.decision, result.customer_id)
    return _deal_page(request, 200, session, fields, [], result)
