"""POST /v1/deals/assess: approve, approve with conditions, refer or decline a deal."""

from __future__ import annotations

import math

from fastapi import APIRouter

from serving.deps import AuditDep, MetricsDep, RequestIdDep, ScoringCaller, ServedDep
from serving.policy import assess_deal
from serving.routes.answers import audit_row, lookup_scores
from serving.routes.errors import ERROR_RESPONSES
from serving.schemas import DealRequest, DealResponse, Exposure, Terms
from serving.state import Served


def _context(served: Served, customer_id: str) -> tuple[float, float | None, str | None]:
    """Open amount (null counts as nothing open), credit limit and segment from the store."""
    row = served.store.frame.loc[customer_id]
    names = served.policy.context
    open_amount = float(row[names.open_amount])
    limit = float(row[names.credit_limit])
    segment = row[names.segment]
    return (
        0.0 if math.isnan(open_amount) else open_amount,
        None if math.isnan(limit) else limit,
        segment if isinstance(segment, str) else None,
    )


router = APIRouter(tags=["deals"])


@router.post("/v1/deals/assess", responses=ERROR_RESPONSES)
def assess(
    caller: ScoringCaller,
    body: DealRequest,
    served: ServedDep,
    audit: AuditDep,
    metrics: MetricsDep,
    request_id: RequestIdDep,
) -> DealResponse:
    """Decide a deal from the customer's tier, exposure after the deal and requested terms."""
    (score,) = lookup_scores(served, audit, [body.customer_id])
    open_amount, limit, segment = _context(served, body.customer_id)
    deal = assess_deal(
        served.policy,
        tier=score.risk_tier,
        segment=segment,
        open_amount=open_amount,
        credit_limit=limit,
        amount=body.amount,
        requested_terms_days=body.payment_terms_days,
    )
    response = DealResponse(
        request_id=request_id,
        customer_id=body.customer_id,
        decision=deal.decision,
        conditions=deal.conditions,
        requested_terms_days=body.payment_terms_days,
        recommended_terms=Terms(**deal.recommended_terms.model_dump()),
        exposure=Exposure(
            open_amount=open_amount,
            deal_amount=body.amount,
            exposure_after=deal.exposure_after,
            credit_limit=deal.credit_limit,
            utilisation_after=deal.utilisation_after,
        ),
        policy_version=deal.policy_version,
        score=score,
    )
    extra = response.model_dump(
        mode="json", include={"decision", "conditions", "recommended_terms", "exposure"}
    )
    extra["requested_terms_days"] = body.payment_terms_days
    audit.write(
        [
            audit_row(
                request_id=request_id,
                role=caller,
                endpoint="deals.assess",
                score=score,
                served=served,
                decision=deal.decision,
                extra=extra,
            )
        ]
    )
    metrics.scores.labels(tier=score.risk_tier, endpoint="deals.assess").inc()
    metrics.decisions.labels(decision=deal.decision).inc()
    return response
