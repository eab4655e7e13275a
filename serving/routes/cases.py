"""The referral cases API: list, poll and decide the deals the policy referred.

The CRM polls `GET /v1/cases/{id}` (crm, risk) with the case id of the referred deal's answer;
a risk officer lists open cases and decides them (`POST /v1/cases/{id}/decision`, risk only),
recorded in the case and in the audit log.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Path

from serving.audit import AuditLog
from serving.cases.records import Case, CaseDecision, CaseList, CaseStatus
from serving.cases.service import decide_case, get_case, list_cases
from serving.deps import AuditDep, RequestIdDep, RiskCaller, ScoringCaller, ServedDep
from serving.routes.errors import CASE_RESPONSES
from serving.snapshot import Served

router = APIRouter(tags=["cases"])
CaseId = Annotated[str, Path(min_length=1, max_length=40)]


@router.get("/v1/cases", responses=CASE_RESPONSES)
def cases(
    caller: ScoringCaller,  # noqa: ARG001 (the dependency checks the role)
    audit: AuditDep,
    status: CaseStatus | None = None,
) -> CaseList:
    """Referral cases, oldest first; `status=open` for those waiting for a decision."""
    return CaseList(cases=list_cases(audit.engine, status))


@router.get("/v1/cases/{case_id}", responses=CASE_RESPONSES)
def case(caller: ScoringCaller, audit: AuditDep, case_id: CaseId) -> Case:  # noqa: ARG001
    """One case: the referred deal as the policy saw it and, once made, the decision."""
    return get_case(audit.engine, case_id)


@router.post("/v1/cases/{case_id}/decision", responses=CASE_RESPONSES)
def decision(
    caller: RiskCaller,
    audit: AuditDep,
    served: ServedDep,
    request_id: RequestIdDep,
    case_id: CaseId,
    body: CaseDecision,
) -> Case:
    """Decide a case (risk): approve, approve with conditions (`conditions` required) or
    decline, with a reason; recorded once in the case and in the audit log. 404 for an
    unknown case, 409 when it was decided already."""
    return record_decision(audit, served, case_id, body, caller, request_id)


def record_decision(
    audit: AuditLog, served: Served, case_id: str, body: CaseDecision, role: str, request_id: str
) -> Case:
    """The decision into the case, then its audit row (the function the cases page calls)."""
    decided = decide_case(audit.engine, case_id, body, role, request_id)
    audit.write([decision_audit_row(decided, served, role, request_id)])
    return decided


def decision_audit_row(case: Case, served: Served, role: str, request_id: str) -> dict[str, Any]:
    """The audit row of a case decision: who decided what on which referred deal."""
    return {
        "request_id": request_id,
        "caller_role": role,
        "endpoint": "cases.decision",
        "customer_id": case.customer_id,
        "model_name": served.ref.name,
        "model_version": case.model_version,
        "policy_version": case.policy_version,
        "features_as_of": served.features_as_of,
        "risk_tier": case.risk_tier,
        "overdue_probability": None,
        "delinquency_probability": None,
        "dso_30d": None,
        "decision": case.decision,
        "outputs": {
            "case_id": case.case_id,
            "deal_request_id": case.deal_request_id,
            "reason": case.decision_reason,
            "conditions": case.decision_conditions,
        },
        "reasons": {},
    }
