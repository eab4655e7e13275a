"""GET /v1/customers/{customer_id}: latest scores, audited history and tier changes."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Path

from serving.deps import AuditDep, RequestIdDep, RiskCaller, ServedDep
from serving.errors import UnknownCustomerError
from serving.routes.answers import audit_row
from serving.routes.errors import ERROR_RESPONSES
from serving.schemas import CustomerResponse, HistoryEntry, TierChange

router = APIRouter(tags=["customers"])
HISTORY_LIMIT = 100


def tier_changes(history: list[dict[str, Any]]) -> list[TierChange]:
    """Changes of tier between consecutive audited answers, newest first."""
    changes = []
    for newer, older in zip(history, history[1:], strict=False):
        if newer["risk_tier"] != older["risk_tier"]:
            changes.append(
                TierChange(
                    time=newer["created_at"],
                    from_tier=older["risk_tier"],
                    to_tier=newer["risk_tier"],
                    model_version=newer["model_version"],
                )
            )
    return changes


def history_entry(row: dict[str, Any]) -> HistoryEntry:
    """The API model of one audited answer (a row of `AuditLog.history`)."""
    return HistoryEntry(
        request_id=row["request_id"],
        time=row["created_at"],
        endpoint=row["endpoint"],
        caller_role=row["caller_role"],
        risk_tier=row["risk_tier"],
        delinquency_probability=row["delinquency_probability"],
        overdue_probability=row["overdue_probability"],
        dso_30d=row["dso_30d"],
        decision=row["decision"],
        model_version=row["model_version"],
        policy_version=row["policy_version"],
        features_as_of=row["features_as_of"],
    )


@router.get("/v1/customers/{customer_id}", responses=ERROR_RESPONSES)
def customer(
    caller: RiskCaller,
    customer_id: str = Path(min_length=1, max_length=128),
    *,
    served: ServedDep,
    audit: AuditDep,
    request_id: RequestIdDep,
) -> CustomerResponse:
    """The customer's latest scores and its last 100 audited answers (risk role).

    The latest scores are a score served like any other, so they are audited too (after the
    history is read: the history shows the answers before this one).
    """
    history = audit.history(customer_id, limit=HISTORY_LIMIT)
    record = served.scores.get(customer_id)
    known = record is not None or customer_id in served.no_features or history
    if not known:
        raise UnknownCustomerError(
            f"unknown customer {customer_id!r}: not in the online store as of "
            f"{served.features_as_of.isoformat()} and never scored"
        )
    latest = served.answers.get(customer_id)
    if latest is not None:
        audit.write(
            [
                audit_row(
                    request_id=request_id,
                    role=caller,
                    endpoint="customers",
                    score=latest,
                    served=served,
                )
            ]
        )
    return CustomerResponse(
        customer_id=customer_id,
        latest=latest,
        history=[history_entry(h) for h in history],
        tier_changes=tier_changes(history),
    )
