"""The nightly collections step: plan the day's actions, keep them in the store, list them.

`generate_actions` is idempotent per date: planning reads only actions planned before the
date (`serving.collections.history`), ids are stable (`serving.collections.ladder.action_id`),
existing rows are never inserted again, and superseding is a function of the day's plan. Run
twice for the same date, it leaves the store and `actions.parquet` as one run did. Everything
it reads and writes for a date is one transaction, taken under the actions lock
(`serving.collections.store.lock_actions`), so an outcome recorded meanwhile is either read by
the plan or refused as superseded.

An invoice's history is retired only when the ledger shows it no longer open at the date, not
when it is missing from the day's predictions (a customer left unscored keeps its ladder), and
comes back if the ledger shows it open again (a reversed payment, a rerun of an earlier date).
"""

from __future__ import annotations

import json
from collections.abc import Collection, Iterator, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime

import pandas as pd
import sqlalchemy as sa
from sqlalchemy.engine import Connection, Engine

from serving.collections.history import invoice_history, read_history
from serving.collections.ladder import late_over_30, plan_actions
from serving.collections.ladder_policy import Ladder
from serving.collections.store import collection_actions, lock_actions

ACTIONS_FILE_COLUMNS: tuple[str, ...] = (
    "action_id",
    "invoice_id",
    "customer_id",
    "stage",
    "owner_role",
    "channel",
    "due_date",
    "days_past_due",
    "open_amount",
    "predicted_payment_date",
    "p_late_over_30",
    "risk_tier",
    "reason",
    "message",
    "rules_fired",
    "planned_on",
)
"""The columns of `actions.parquet`: every action open at the date, with today's figures
(days past due, open amount and the model's prediction as of the date, not as planned; NaN for
an invoice the ledger shows open that went unpredicted today)."""
BATCH = 500
"""Ids per IN (...) list: well below SQLite's and PostgreSQL's parameter limits."""


@dataclass(frozen=True)
class ActionsOfDay:
    """The open actions at a date (`ACTIONS_FILE_COLUMNS`) and what the planning counted."""

    actions: pd.DataFrame
    counts: dict[str, int]


def generate_actions(
    engine: Engine,
    ladder: Ladder,
    policy_version: str,
    invoices: pd.DataFrame,
    as_of: date,
    ledger_open: Collection[str],
) -> ActionsOfDay:
    """Plan `as_of`, write the plan, and return the actions open at `as_of`.

    Args:
        engine: the audit database, migrated.
        ladder: the policy's dunning ladder.
        policy_version: written on every new action.
        invoices: the invoices open at `as_of` with a prediction (`invoices.parquet` rows),
            their customer's `risk_tier` and the ledger's `disputed` flag.
        as_of: the date planned.
        ledger_open: the ids of every invoice the ledger shows open at `as_of`, predicted or
            not: only invoices outside it have their actions closed.
    """
    open_ids = {str(i) for i in ledger_open}
    with engine.begin() as connection:
        lock_actions(connection)
        tracked = _tracked_open(connection)
        _reopen(connection, open_ids - tracked, as_of)
        _close_finished(connection, tracked - open_ids, as_of)
        actions, outcomes = read_history(connection, as_of)
        history = invoice_history(
            invoices["invoice_id"], actions, outcomes, as_of, ladder.paid_hold_days
        )
        planned, counts = plan_actions(ladder, invoices.join(history), as_of)
        _supersede(connection, planned, as_of)
        counts["new_actions"] = _insert_new(connection, planned, policy_version)
    return ActionsOfDay(open_actions(engine, invoices, as_of), counts)


def _chunks(values: Sequence[str]) -> Iterator[list[str]]:
    for start in range(0, len(values), BATCH):
        yield list(values[start : start + BATCH])


def _tracked_open(connection: Connection) -> set[str]:
    """The invoices whose history the store holds as open."""
    table = collection_actions.c
    rows = connection.execute(
        sa.select(table.invoice_id).distinct().where(table.invoice_open.is_(True))
    )
    return {row.invoice_id for row in rows}


def _reopen(connection: Connection, candidates: set[str], as_of: date) -> None:
    """Retired invoices the ledger shows open again get their history back. `candidates`:
    open in the ledger but not tracked as open (new invoices, mostly), looked up on the
    invoice_id index, so the retired history is never scanned."""
    table = collection_actions.c
    retired = sa.select(table.action_id).where(table.invoice_open.is_(False)).limit(1)
    if connection.execute(retired).first() is None:
        return  # nothing was ever retired (the first nights): nothing to bring back
    for ids in _chunks(sorted(candidates)):
        connection.execute(
            collection_actions.update()
            .where(table.invoice_id.in_(ids), table.invoice_open.is_(False), table.as_of < as_of)
            .values(invoice_open=True)
        )


def _close_finished(connection: Connection, finished: set[str], as_of: date) -> None:
    """Invoices tracked as open that the ledger shows closed: their open actions are
    superseded, their history retired."""
    table = collection_actions.c
    for ids in _chunks(sorted(finished)):
        connection.execute(
            collection_actions.update()
            .where(table.invoice_id.in_(ids), table.status == "open", table.as_of < as_of)
            .values(status="superseded", closed_on=as_of, closed_reason="invoice no longer open")
        )
        connection.execute(
            collection_actions.update()
            .where(table.invoice_id.in_(ids), table.as_of < as_of)
            .values(invoice_open=False)
        )


def _supersede(connection: Connection, planned: pd.DataFrame, as_of: date) -> None:
    """Earlier open actions of an invoice with a new action are superseded by it."""
    if planned.empty:
        return
    table = collection_actions.c
    statement = (
        collection_actions.update()
        .where(
            table.invoice_id == sa.bindparam("b_invoice"),
            table.status == "open",
            table.as_of < as_of,
        )
        .values(status="superseded", closed_on=as_of, closed_reason=sa.bindparam("b_reason"))
    )
    connection.execute(
        statement,
        [
            {"b_invoice": invoice, "b_reason": f"superseded by {action}"}
            for invoice, action in zip(planned["invoice_id"], planned["action_id"], strict=True)
        ],
    )


def _insert_new(connection: Connection, planned: pd.DataFrame, policy_version: str) -> int:
    """Insert the planned actions not in the store yet; the number inserted."""
    ids = planned["action_id"].tolist()
    existing: set[str] = set()
    for chunk in _chunks(ids):
        found = connection.execute(
            sa.select(collection_actions.c.action_id).where(
                collection_actions.c.action_id.in_(chunk)
            )
        )
        existing |= {row.action_id for row in found}
    new = planned[~planned["action_id"].isin(existing)]
    if new.empty:
        return 0
    now = datetime.now(UTC)
    rows = [
        {
            **row,
            "rules_fired": json.loads(row["rules_fired"]),
            "policy_version": policy_version,
            "status": "open",
            "invoice_open": True,
            "created_at": now,
        }
        for row in new.to_dict("records")
    ]
    connection.execute(collection_actions.insert(), rows)
    return len(rows)


def open_actions(engine: Engine, invoices: pd.DataFrame, as_of: date) -> pd.DataFrame:
    """The actions open at `as_of` with today's figures, sorted by owner role, stage, id."""
    table = collection_actions.c
    query = sa.select(
        table.action_id,
        table.invoice_id,
        table.customer_id,
        table.stage,
        table.owner_role,
        table.channel,
        table.due_date,
        table.risk_tier,
        table.reason,
        table.message,
        table.rules_fired,
        table.as_of.label("planned_on"),
    ).where(table.status == "open", table.as_of <= as_of, table.invoice_open.is_(True))
    with engine.connect() as connection:
        stored = pd.DataFrame(connection.execute(query).mappings().all())
    return actions_file(stored, invoices, as_of)


def actions_file(stored: pd.DataFrame, invoices: pd.DataFrame, as_of: date) -> pd.DataFrame:
    """`ACTIONS_FILE_COLUMNS` from stored actions and the day's invoice predictions."""
    if stored.empty:
        return empty_actions()
    today = invoices.set_index("invoice_id")
    ids = stored["invoice_id"]
    frame = stored.assign(
        due_date=pd.to_datetime(stored["due_date"]),
        planned_on=pd.to_datetime(stored["planned_on"]),
        days_past_due=(pd.Timestamp(as_of) - pd.to_datetime(stored["due_date"])).dt.days,
        open_amount=today["open_amount"].astype("float64").reindex(ids).to_numpy(),
        predicted_payment_date=pd.to_datetime(
            today["predicted_payment_date"].reindex(ids).to_numpy()
        ),
        p_late_over_30=late_over_30(today).astype("float64").reindex(ids).to_numpy(),
        rules_fired=stored["rules_fired"].map(json.dumps),
    )
    order = ["owner_role", "stage", "action_id"]
    return frame.sort_values(order, ignore_index=True)[list(ACTIONS_FILE_COLUMNS)]


def empty_actions() -> pd.DataFrame:
    """The actions file with no rows (no invoice model, or nothing to do)."""
    dtypes = {
        "days_past_due": "int64",
        "open_amount": "float64",
        "p_late_over_30": "float64",
        "due_date": "datetime64[ns]",
        "predicted_payment_date": "datetime64[ns]",
        "planned_on": "datetime64[ns]",
    }
    return pd.DataFrame({c: pd.Series(dtype=dtypes.get(c, "str")) for c in ACTIONS_FILE_COLUMNS})
