"""Turning the served snapshot into API answers and audit rows, shared by the routes.

A customer missing from the store is told apart by what the server knows: a store row whose
numeric features are all null, or a customer the audit log has answered about before but the
current store lacks, is known without features (409); anyone else is unknown (404).
"""

from __future__ import annotations

from typing import Any

from serving.audit import AuditLog
from serving.errors import NoFeaturesError, UnknownCustomerError
from serving.record import OUTPUT_FIELDS
from serving.schemas import CustomerScore
from serving.scoring import NO_FEATURES
from serving.snapshot import Served

MAX_NAMED = 10


def _named(ids: list[str]) -> str:
    shown = ", ".join(repr(i) for i in ids[:MAX_NAMED])
    more = f" and {len(ids) - MAX_NAMED} more" if len(ids) > MAX_NAMED else ""
    return shown + more


def lookup_scores(served: Served, audit: AuditLog, customer_ids: list[str]) -> list[CustomerScore]:
    """Scores of the distinct ids in request order; 409/404 naming every id that has none."""
    ids = list(dict.fromkeys(customer_ids))
    missing = [c for c in ids if c not in served.scores]
    if missing:
        as_of = served.features_as_of.isoformat()
        without = [c for c in missing if c in served.no_features or audit.history(c, limit=1)]
        unknown = [c for c in missing if c not in without]
        if unknown:
            raise UnknownCustomerError(
                f"unknown customer {_named(unknown)}: not in the online store as of {as_of}"
            )
        raise NoFeaturesError(
            f"customer {_named(without)} has no features in the online store as of {as_of}: "
            f"{NO_FEATURES}, or not in the latest snapshot"
        )
    return [served.answers[c] for c in ids]


def audit_row(
    *,
    request_id: str,
    role: str,
    endpoint: str,
    score: CustomerScore,
    served: Served,
    decision: str | None = None,
    extra: dict[str, Any] | None = None,
) -> dict[str, Any]:
    """The audit row of one answer about one customer."""
    outputs = score.model_dump(mode="json", include=set(OUTPUT_FIELDS))
    return {
        "request_id": request_id,
        "caller_role": role,
        "endpoint": endpoint,
        "customer_id": score.customer_id,
        "model_name": served.ref.name,
        "model_version": served.ref.version,
        "policy_version": served.policy.version,
        "features_as_of": served.features_as_of,
        "risk_tier": score.risk_tier,
        "overdue_probability": score.overdue_probability,
        "delinquency_probability": score.delinquency_probability,
        "dso_30d": score.dso_30d,
        "decision": decision,
        "outputs": {**outputs, **(extra or {})},
        "reasons": score.reasons.model_dump(mode="json"),
    }
