"""Opening, reading and deciding referral cases.

A deal the policy refers opens a case holding the request and the whole answer; the CRM gets
the case id in the deal answer and polls `GET /v1/cases/{id}` until a risk officer decides it
(`POST /v1/cases/{id}/decision`, or the cases page). A decision is recorded once, with the
officer's role, the request id and the time, in the case and in the audit log; deciding a case
twice is refused (409) naming the first decision.
"""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Engine

from serving.cases.records import Case, CaseDecision
from serving.cases.store import referral_cases
from serving.errors import CaseDecidedError, UnknownCaseError

FIELDS = tuple(Case.model_fields)


def new_case_id() -> str:
    """A case id: random, so ids say nothing about customers or order."""
    return f"CASE-{uuid.uuid4().hex[:12]}"


def case_row(
    case_id: str, request: dict[str, Any], deal: dict[str, Any], tier: str
) -> dict[str, Any]:
    """The `referral_cases` row of a referred deal (`deal`: the deal answer as JSON; `tier`:
    the tier it was decided at, the score's or, for a new customer, the overlays')."""
    score = deal.get("score") or {}
    return {
        "case_id": case_id,
        "status": "open",
        "opened_at": datetime.now(UTC),
        "customer_id": deal["customer_id"],
        "deal_request_id": deal["request_id"],
        "risk_tier": tier,
        "policy_version": deal["policy_version"],
        "model_version": score.get("model_version", "none"),
        "request": request,
        "deal": deal,
    }


def _case(row: Any) -> Case:
    values = {k: row[k] for k in FIELDS}
    for key in ("opened_at", "decided_at"):
        if values[key] is not None and values[key].tzinfo is None:  # SQLite: naive UTC
            values[key] = values[key].replace(tzinfo=UTC)
    return Case(**values)


def get_case(engine: Engine, case_id: str) -> Case:
    """One case; UnknownCaseError (404) naming the id if there is none."""
    query = sa.select(referral_cases).where(referral_cases.c.case_id == case_id)
    with engine.connect() as connection:
        row = connection.execute(query).mappings().first()
    if row is None:
        raise UnknownCaseError(f"unknown case {case_id!r}")
    return _case(row)


def list_cases(engine: Engine, status: str | None = None) -> list[Case]:
    """Cases of `status` (every case if None), oldest first."""
    table = referral_cases
    query = sa.select(table).order_by(table.c.opened_at, table.c.case_id)
    if status is not None:
        query = query.where(table.c.status == status)
    with engine.connect() as connection:
        return [_case(r) for r in connection.execute(query).mappings()]


def decide_case(
    engine: Engine, case_id: str, decision: CaseDecision, role: str, request_id: str
) -> Case:
    """Record the decision on an open case; 404 unknown, 409 decided already."""
    table = referral_cases
    values = {
        "status": "decided",
        "decision": decision.decision,
        "decision_reason": decision.reason,
        "decision_conditions": decision.conditions,
        "decided_at": datetime.now(UTC),
        "decided_by_role": role,
        "decision_request_id": request_id,
    }
    with engine.begin() as connection:
        done = connection.execute(
            table.update()
            .where(table.c.case_id == case_id, table.c.status == "open")
            .values(**values)
        )
    if done.rowcount == 0:
        case = get_case(engine, case_id)  # 404 when there is no such case
        raise CaseDecidedError(
            f"case {case_id} was decided already: {case.decision} by {case.decided_by_role} "
            f"at {case.decided_at:%Y-%m-%d %H:%M} UTC ({case.decision_reason})"
        )
    return get_case(engine, case_id)
