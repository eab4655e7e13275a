"""Recording outcomes on actions and reading actions back, for the API and the pages.

An outcome is appended to `collection_outcomes` with the caller's role, the request id and the
time, and closes the action (`done`) unless it keeps it open (`no_answer`: try again), in one
transaction. Its `business_date` is the latest day the ladder planned: the collections day the
outcome belongs to, which the next night's planning compares promises and payments with.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import UTC, date, datetime, timedelta
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection, Engine

from serving.collections.ladder_policy import Ladder
from serving.collections.records import KEEPS_OPEN, ActionRecord, OutcomeRecord, OutcomeRequest
from serving.collections.store import collection_actions, collection_outcomes, lock_actions
from serving.errors import ActionClosedError, OutcomeRejectedError, UnknownActionError

OUTCOME_FIELDS = tuple(OutcomeRecord.model_fields)


def record_outcome(
    engine: Engine,
    action_id: str,
    request: OutcomeRequest,
    caller_role: str,
    request_id: str,
    ladder: Ladder,
) -> ActionRecord:
    """Append the outcome and close the action; the action as it now stands.

    One transaction that first takes the actions lock (`lock_actions`), so an outcome and the
    nightly planning never interleave: either the planning reads the outcome, or the outcome
    finds the action superseded and says so.

    Raises:
        UnknownActionError: no action has this id (404).
        ActionClosedError: the action was superseded (409): the invoice has a newer action.
        OutcomeRejectedError: the outcome does not fit the action or the policy (422).
    """
    with engine.begin() as connection:
        lock_actions(connection)
        action = _action_row(connection, action_id)
        if action["status"] == "superseded":
            raise ActionClosedError(
                f"action {action_id} was superseded on {action['closed_on']} "
                f"({action['closed_reason']}); record the outcome on the invoice's open action"
            )
        day = _business_date(connection)
        check_outcome(request, action, day, ladder)
        if request.outcome not in KEEPS_OPEN and action["status"] == "open":
            connection.execute(
                collection_actions.update()
                .where(collection_actions.c.action_id == action_id)
                .values(status="done", closed_on=day, closed_reason=request.outcome)
            )
        connection.execute(
            collection_outcomes.insert(),
            {
                **request.model_dump(),
                "action_id": action_id,
                "invoice_id": action["invoice_id"],
                "customer_id": action["customer_id"],
                "business_date": day,
                "caller_role": caller_role,
                "request_id": request_id,
                "recorded_at": datetime.now(UTC),
            },
        )
    return get_action(engine, action_id)


def check_outcome(
    request: OutcomeRequest, action: Mapping[str, Any], day: date, ladder: Ladder
) -> None:
    """OutcomeRejectedError unless the outcome fits the action and the policy at `day`."""
    if request.outcome == "escalate" and not action["review"]:
        raise OutcomeRejectedError(
            f"escalate is recorded on a review action; action {action['action_id']} is stage "
            f"{action['stage']}, which goes out without review"
        )
    promised = request.promise_date
    if request.outcome != "promise_to_pay" or promised is None:
        return
    if promised < day:
        raise OutcomeRejectedError(
            f"promise_date {promised.isoformat()} is before the collections day {day.isoformat()}"
        )
    latest = day + timedelta(days=ladder.max_promise_days)
    if promised > latest:
        raise OutcomeRejectedError(
            f"promise_date {promised.isoformat()} is after {latest.isoformat()}, "
            f"{ladder.max_promise_days} days from the collections day (dunning."
            "max_promise_days): agree a payment plan instead"
        )


def _action_row(connection: Connection, action_id: str) -> dict[str, Any]:
    query = sa.select(collection_actions).where(collection_actions.c.action_id == action_id)
    row = connection.execute(query).mappings().first()
    if row is None:
        raise UnknownActionError(f"unknown action {action_id!r}")
    return dict(row)


def _business_date(connection: Connection) -> date:
    latest = connection.execute(sa.select(sa.func.max(collection_actions.c.as_of))).scalar_one()
    return latest if isinstance(latest, date) else date.fromisoformat(str(latest))


def get_action(engine: Engine, action_id: str) -> ActionRecord:
    """One action with its outcomes; UnknownActionError if there is none."""
    with engine.connect() as connection:
        row = _action_row(connection, action_id)
        return _records(connection, [row])[0]


def latest_date(engine: Engine) -> date | None:
    """The latest day the ladder planned; None before the first night."""
    with engine.connect() as connection:
        latest = connection.execute(sa.select(sa.func.max(collection_actions.c.as_of)))
        value = latest.scalar_one()
    return None if value is None else value


def list_actions(
    engine: Engine,
    on: date | None = None,
    owner_role: str | None = None,
    status: str | None = None,
    customer_id: str | None = None,
) -> list[ActionRecord]:
    """Actions planned on or before `on` and not closed before it (every action if None),
    filtered by owner role, status and customer; oldest planned first."""
    table = collection_actions.c
    query = sa.select(collection_actions)
    if on is not None:
        open_then = sa.or_(table.closed_on.is_(None), table.closed_on >= on)
        query = query.where(table.as_of <= on, open_then)
    for column, value in (
        (table.owner_role, owner_role),
        (table.status, status),
        (table.customer_id, customer_id),
    ):
        if value is not None:
            query = query.where(column == value)
    query = query.order_by(table.as_of, table.owner_role, table.action_id)
    with engine.connect() as connection:
        rows = [dict(r) for r in connection.execute(query).mappings()]
        return _records(connection, rows)


def _records(connection: Connection, rows: Sequence[dict[str, Any]]) -> list[ActionRecord]:
    """ActionRecords of `rows` with their outcomes, oldest outcome first."""
    outcomes: dict[str, list[OutcomeRecord]] = {r["action_id"]: [] for r in rows}
    ids = list(outcomes)
    for start in range(0, len(ids), 500):
        query = (
            sa.select(collection_outcomes)
            .where(collection_outcomes.c.action_id.in_(ids[start : start + 500]))
            .order_by(collection_outcomes.c.id)
        )
        for found in connection.execute(query).mappings():
            record = {k: found[k] for k in OUTCOME_FIELDS}
            if record["recorded_at"].tzinfo is None:  # SQLite hands back naive UTC times
                record["recorded_at"] = record["recorded_at"].replace(tzinfo=UTC)
            outcomes[found["action_id"]].append(OutcomeRecord(**record))
    fields = set(ActionRecord.model_fields) - {"outcomes"}
    return [
        ActionRecord(**{k: r[k] for k in fields}, outcomes=outcomes[r["action_id"]]) for r in rows
    ]
