"""The collections API: the day's actions, one action, and the outcome recorded on it.

Actions come from the nightly job (`serving.collections.generate`), kept in the audit
database; an outcome is appended with the caller's role and the request id (the audit trail)
and closes the action unless it was "no answer". Roles: risk and collections.
"""

from __future__ import annotations

from datetime import date
from typing import Annotated

from fastapi import APIRouter, Path, Query

from serving.collections.ladder_policy import OwnerRole
from serving.collections.outcomes import get_action, latest_date, list_actions, record_outcome
from serving.collections.records import ActionList, ActionRecord, OutcomeRequest, Status
from serving.deps import AuditDep, CollectionsCaller, RequestIdDep, ServedDep
from serving.routes.errors import ACTION_RESPONSES

router = APIRouter(tags=["collections"])
ActionId = Annotated[str, Path(min_length=1, max_length=40)]


@router.get("/v1/collections/actions", responses=ACTION_RESPONSES)
def actions(
    caller: CollectionsCaller,  # noqa: ARG001 (the dependency checks the role)
    audit: AuditDep,
    on: Annotated[date | None, Query(alias="date")] = None,
    owner_role: OwnerRole | None = None,
    status: Status | None = None,
    customer_id: Annotated[str | None, Query(min_length=1, max_length=128)] = None,
) -> ActionList:
    """The actions due on `date` (default: the latest day the nightly job planned): planned
    on or before it and not closed before it, oldest first; filter by `owner_role`, `status`
    (open, done, superseded) and `customer_id`. An empty list before the first night."""
    day = on or latest_date(audit.engine)
    if day is None:
        return ActionList(date=None, actions=[])
    found = list_actions(audit.engine, day, owner_role, status, customer_id)
    return ActionList(date=day, actions=found)


@router.get("/v1/collections/actions/{action_id}", responses=ACTION_RESPONSES)
def action(caller: CollectionsCaller, audit: AuditDep, action_id: ActionId) -> ActionRecord:  # noqa: ARG001
    """One action with every outcome recorded on it; 404 for an unknown id."""
    return get_action(audit.engine, action_id)


@router.post("/v1/collections/actions/{action_id}/outcome", responses=ACTION_RESPONSES)
def outcome(
    caller: CollectionsCaller,
    audit: AuditDep,
    served: ServedDep,
    request_id: RequestIdDep,
    action_id: ActionId,
    body: OutcomeRequest,
) -> ActionRecord:
    """Record what came of an action: `contacted`, `promise_to_pay` (`promise_date` and
    `promise_amount` required), `dispute_raised` (`dispute_reason` required),
    `dispute_resolved`, `paid`, `no_answer` (the action stays open) or, on a review action,
    `escalate` (the held-back stage goes out). The ladder reads it the next night: a promise
    holds the invoice until its date and, broken, moves it to the next stage; a dispute holds
    it until resolved. 404 unknown action, 409 superseded, 422 a promise dated before the
    collections day or more than the policy's `dunning.max_promise_days` after it, or
    `escalate` on an action that is not a review."""
    ladder = served.policy.dunning
    return record_outcome(audit.engine, action_id, body, caller, request_id, ladder)
