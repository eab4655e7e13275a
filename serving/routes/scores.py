"""POST /v1/scores: overdue probability, DSO forecast, tier and reasons per customer."""

from __future__ import annotations

from fastapi import APIRouter

from serving.deps import AuditDep, MetricsDep, RequestIdDep, ScoringCaller, ServedDep
from serving.routes.answers import audit_row, lookup_scores
from serving.routes.errors import ERROR_RESPONSES
from serving.schemas import ScoreRequest, ScoreResponse

router = APIRouter(tags=["scores"])


@router.post("/v1/scores", responses=ERROR_RESPONSES)
def score_customers(
    caller: ScoringCaller,
    body: ScoreRequest,
    served: ServedDep,
    audit: AuditDep,
    metrics: MetricsDep,
    request_id: RequestIdDep,
) -> ScoreResponse:
    """Score 1 to 1,000 customers; every score served is written to the audit log first."""
    scores = lookup_scores(served, audit, body.customer_ids)
    audit.write(
        [
            audit_row(request_id=request_id, role=caller, endpoint="scores", score=s, served=served)
            for s in scores
        ]
    )
    for s in scores:
        metrics.scores.labels(tier=s.risk_tier, endpoint="scores").inc()
    return ScoreResponse(request_id=request_id, scores=scores)
