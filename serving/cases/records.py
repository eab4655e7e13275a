"""What the cases API reads and answers: a case with the deal it holds, and a decision."""

from __future__ import annotations

from datetime import datetime
from typing import Any, Literal

from pydantic import Field, model_validator

from serving.response import Response

CaseStatus = Literal["open", "decided"]
CaseDecisionName = Literal["approve", "approve_with_conditions", "decline"]


class CaseDecision(Response):
    """A risk officer's decision on a referred deal, with the reason it is recorded with."""

    decision: CaseDecisionName
    reason: str = Field(min_length=3, max_length=2000)
    conditions: list[str] = Field(default_factory=list, max_length=20)

    @model_validator(mode="after")
    def _conditions(self) -> CaseDecision:
        if self.decision == "approve_with_conditions" and not self.conditions:
            raise ValueError("conditions are required when decision is approve_with_conditions")
        return self


class Case(Response):
    """A referral case: the referred deal as the policy saw it, and its decision once made."""

    case_id: str = Field(examples=["CASE-1f3a9c0b2d4e"])
    status: CaseStatus
    opened_at: datetime
    customer_id: str
    deal_request_id: str = Field(description="the request id of the referred deal answer")
    risk_tier: str
    policy_version: str
    model_version: str
    request: dict[str, Any] = Field(description="the deal request as the CRM sent it")
    deal: dict[str, Any] = Field(description="the deal answer: conditions, exposure, score")
    decision: CaseDecisionName | None
    decision_reason: str | None
    decision_conditions: list[str] | None
    decided_at: datetime | None
    decided_by_role: str | None
    decision_request_id: str | None


class CaseList(Response):
    """Cases, oldest first."""

    cases: list[Case]
