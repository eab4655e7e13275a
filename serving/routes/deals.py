"""POST /v1/deals/assess: approve, approve with conditions, refer or decline a deal."""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from fastapi import APIRouter

from serving.audit import AuditLog
from serving.cases.service import case_row, new_case_id
from serving.cases.store import referral_cases
from serving.deals import DealAssessment, assess_deal
from serving.deps import AuditDep, MetricsDep, RequestIdDep, ScoringCaller, ServedDep
from serving.finite import require_finite
from serving.new_customers import orders_so_far, prospect_tier, step_of
from serving.routes.answers import audit_row, lookup_scores
from serving.routes.errors import ERROR_RESPONSES
from serving.schemas import CustomerScore, DealRequest, DealResponse, Exposure, NewCustomer
from serving.snapshot import Served
from serving.terms_tradeoff import terms_tradeoff

router = APIRouter(tags=["deals"])
AUDITED_DEAL_FIELDS = {
    "decision",
    "conditions",
    "rules_fired",
    "recommended_terms",
    "exposure",
    "case_id",
}
"""The deal answer's fields every deal audit row keeps in its outputs."""


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
        include=AUDITED_DEAL_FIELDS,
    )
    extra["requested_terms_days"] = body.payment_terms_days
    if response.new_customer is not None:
        extra["new_customer"] = response.new_customer.model_dump(mode="json")
    assert response.score is not None
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

    A customer arsight has no data on (not in the online store) is a new customer: its first
    order follows the policy's new-customer steps (100% prepaid by default), its tier comes
    from the policy's overlays on the `signals` sent, and `new_customer` says so. A customer
    in the store on its first orders is stepped up the same way, capped by its tier too.
    """
    if body.customer_id not in served.scores and body.customer_id not in served.no_features:
        response, tier = assess_prospect(request_id, body, served)
    else:
        response = assess_known(request_id, body, served, audit)
        assert response.score is not None
        tier = response.score.risk_tier
    if response.decision == "refer":
        response = response.model_copy(update={"case_id": new_case_id()})
    if response.score is None:
        row = prospect_audit_row(response, body, caller, served, tier)
    else:
        row = deal_audit_row(response, body, caller, served)
    audit.write([row], also=referral_case(response, body, tier))
    metrics.scores.labels(tier=tier, endpoint="deals.assess").inc()
    metrics.decisions.labels(decision=response.decision).inc()
    return response


def referral_case(
    response: DealResponse, body: DealRequest, tier: str
) -> list[tuple[sa.Table, dict[str, Any]]]:
    """The case a referred deal opens, written with its audit row (none if not referred)."""
    if response.case_id is None:
        return []
    deal = response.model_dump(mode="json")
    return [(referral_cases, case_row(response.case_id, body.model_dump(mode="json"), deal, tier))]


def assess_known(
    request_id: str, body: DealRequest, served: Served, audit: AuditLog
) -> DealResponse:
    """A deal for a customer in the online store (stepped up on its first orders)."""
    (score,) = lookup_scores(served, audit, [body.customer_id])
    context = served.deal_context[body.customer_id]
    names = served.policy.context
    stored = {names.open_amount: context.open_amount, names.credit_limit: context.credit_limit}
    require_finite(body.customer_id, "in the online store", stored)
    orders = orders_so_far(served.policy, context.tenure_days, context.invoices_in_window)
    step = step_of(served.policy, orders)
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
        step=step,
        recommended_limit=score.recommended_credit_limit,
        layer=context.layer,
    )
    after = {"exposure_after": deal.exposure_after, "utilisation_after": deal.utilisation_after}
    require_finite(body.customer_id, "after the deal", after)
    new = None
    if step is not None and orders is not None:
        new = NewCustomer(orders_so_far=orders, step=step.name, known_to_arsight=True)
    response = deal_response(request_id, body, deal, context.open_amount, score, new)
    terms = {
        "agreed": None if context.terms_days is None else int(round(context.terms_days)),
        "requested": body.payment_terms_days,
        "recommended": deal.recommended_terms.terms_days,
    }
    position = served.matrix_rows.get(body.customer_id)
    tradeoff = None
    if served.model_matrix is not None and position is not None:
        row = served.model_matrix[position]
        tradeoff = terms_tradeoff(served.bundle, served.policy, row, score.overlays, terms)
    return response.model_copy(update={"terms_tradeoff": tradeoff})


def assess_prospect(request_id: str, body: DealRequest, served: Served) -> tuple[DealResponse, str]:
    """A first order of a customer arsight has no data on, and the tier it was decided at."""
    signals = body.signals.model_dump() if body.signals is not None else {}
    tier, overlays = prospect_tier(served.policy, signals)
    step = step_of(served.policy, 0)
    deal = assess_deal(
        served.policy,
        tier=tier,
        delinquency_probability=None,
        segment=body.segment,
        open_amount=0.0,
        credit_limit=None,
        amount=body.amount,
        requested_terms_days=body.payment_terms_days,
        step=step,
    )
    assert step is not None  # the policy has at least one step
    new = NewCustomer(orders_so_far=0, step=step.name, known_to_arsight=False, overlays=overlays)
    return deal_response(request_id, body, deal, 0.0, None, new), tier


def prospect_audit_row(
    response: DealResponse, body: DealRequest, caller: str, served: Served, tier: str
) -> dict[str, Any]:
    """The audit row of a new customer's deal: the decision and what it rests on, no score."""
    outputs = response.model_dump(
        mode="json",
        include=AUDITED_DEAL_FIELDS,
    )
    outputs |= {
        "requested_terms_days": body.payment_terms_days,
        "new_customer": response.new_customer.model_dump(mode="json")
        if response.new_customer
        else None,
        "request": body.model_dump(
            mode="json", include={"segment", "industry", "country", "signals"}
        ),
    }
    return {
        "request_id": response.request_id,
        "caller_role": caller,
        "endpoint": "deals.assess",
        "customer_id": body.customer_id,
        "model_name": served.ref.name,
        "model_version": served.ref.version,
        "policy_version": served.policy.version,
        "features_as_of": served.features_as_of,
        "risk_tier": tier,
        "overdue_probability": None,
        "delinquency_probability": None,
        "dso_30d": None,
        "decision": response.decision,
        "outputs": outputs,
        "reasons": {},
    }


def deal_response(
    request_id: str,
    body: DealRequest,
    deal: DealAssessment,
    open_amount: float,
    score: CustomerScore | None,
    new_customer: NewCustomer | None = None,
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
        new_customer=new_customer,
    )
