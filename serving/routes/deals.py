"""POST /v1/deals/assess: approve, approve with conditions, refer or decline a deal."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter

from serving.deals import DealAssessment, assess_deal
from serving.deps import AuditDep, MetricsDep, RequestIdDep, ScoringCaller, ServedDep
from serving.finite import require_finite
from serving.routes.answers import audit_row, lookup_scores
from serving.routes.errors import ERROR_RESPONSES
from serving.schemas import CustomerScore, DealRequest, DealResponse, Exposure
from serving.snapshot import Served

router = APIRouter(tags=["deals"])


def exposure(open_amount: float, amount: float, deal: DealAssessment) -> Exposure:
    """Open amount plus the deal against the credit limit, as the decision saw it."""
    return Exposure(
        open_amount=open_amount,
        deal_amount=amount,
        exposure_after=deal.exposure_after,
        credit_limit=deal.credit_limit,
        utilisation_after=deal.utilisation_after,
    )


def deal_audit_row(
    response: DealResponse, body: DealRequest, caller: str, served: Served
) -> dict[str, Any]:
    """The audit row of a deal answer: the score's, with the decision and what it rests on."""
    extra = response.model_dump(
        mode="json",
        include={"decision", "conditions", "rules_fired", "recommended_terms", "exposure"},
    )
    extra["requested_terms_days"] = body.payment_terms_days
    return audit_row(
        request_id=response.request_id,
        role=caller,
        endpoint="deals.assess",
        score=response.score,
        served=served,
        decision=response.decision,
        extra=extra,
    )


@router.post("/v1/deals/assess", responses=ERROR_RESPONSES)
def assess(
    caller: ScoringCaller,
    body: DealRequest,
    served: ServedDep,
    audit: AuditDep,
    metrics: MetricsDep,
    request_id: RequestIdDep,
) -> DealResponse:
    """Decide a deal from the customer's credit risk (tier), exposure after the deal against
    the credit limit and the requested terms; every condition names the policy rule behind it.
    """
    (score,) = lookup_scores(served, audit, [body.customer_id])
    context = served.deal_context[body.customer_id]
    names = served.policy.context
    stored = {names.open_amount: context.open_amount, names.credit_limit: context.credit_limit}
    require_finite(body.customer_id, "in the online store", stored)
    deal = assess_deal(
        served.policy,
        tier=score.risk_tier,
        delinquency_probability=score.delinquency_probability,
        segment=context.segment,
        agreed_terms_days=context.terms_days,
        open_amount=context.open_amount,
        credit_limit=context.credit_limit,
        amount=body.amount,
        requested_terms_days=body.payment_terms_days,
    )
    after = {"exposure_after": deal.exposure_after, "utilisation_after": deal.utilisation_after}
    require_finite(body.customer_id, "after the deal", after)
    response = deal_response(request_id, body, deal, context.open_amount, score)
    audit.write([deal_audit_row(response, body, caller, served)])
    metrics.scores.labels(tier=score.risk_tier, endpoint="deals.assess").inc()
    metrics.decisions.labels(decision=deal.decision).inc()
    return response


def deal_response(
    request_id: str,
    body: DealRequest,
    deal: DealAssessment,
    open_amount: float,
    score: CustomerScore,
) -> DealResponse:
    """The API answer of one assessed deal."""
    return DealResponse(
        request_id=request_id,
        customer_id=body.customer_id,
        decision=deal.decision,
        conditions=deal.conditions,
        rules_fired=deal.rules_fired,
        requested_terms_days=body.payment_terms_days,
        recommended_terms=deal.recommended_terms,
        exposure=exposure(open_amount, body.amount, deal),
        policy_version=deal.policy_version,
        score=score,
    )
