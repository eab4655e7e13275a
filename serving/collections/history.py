"""An open invoice's ladder history at a date: stages had, promises, disputes, payments reported.

Read from the store (`read_history`) and reduced per invoice (`invoice_history`, pure) into the
`serving.collections.ladder.HISTORY_COLUMNS` the ladder plans with. Only actions planned before
the date count, so replanning a day (a rerun) sees what the first planning saw.

The outcome rules (docs/collections.md "Outcomes"):
- a dispute raised holds the invoice until a later outcome resolves it (`dispute_resolved`);
- `escalate` recorded on a review action is the person's agreement: that stage goes out;
- the latest promise to pay or reported payment holds the invoice while no action was planned
  after it: a promise until its date (after it, with the invoice still open, the promise is
  broken and the ladder moves to the next stage), a reported payment for `paid_hold_days`.
"""

from __future__ import annotations

from datetime import date, timedelta

import numpy as np
import pandas as pd
import sqlalchemy as sa
from sqlalchemy.engine import Connection

from serving.collections.store import collection_actions, collection_outcomes

DISPUTE_EVENTS = ("dispute_raised", "dispute_resolved")
HOLDING_EVENTS = ("promise_to_pay", "paid")


def read_history(connection: Connection, as_of: date) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Actions planned before `as_of` for invoices still open, and their outcomes.

    Read on the planning's own connection, after `serving.collections.store.lock_actions`, so
    no outcome lands between this read and the plan written from it."""
    actions = collection_actions.c
    keep = sa.and_(actions.invoice_open.is_(True), actions.as_of < as_of)
    action_query = sa.select(
        actions.action_id, actions.invoice_id, actions.as_of, actions.stage_index, actions.review
    ).where(keep)
    outcomes = collection_outcomes.c
    outcome_query = (
        sa.select(
            outcomes.id,
            outcomes.invoice_id,
            outcomes.outcome,
            outcomes.promise_date,
            outcomes.business_date,
            actions.stage_index,
        )
        .join(collection_actions, collection_actions.c.action_id == outcomes.action_id)
        .where(keep)
    )
    planned = pd.DataFrame(connection.execute(action_query).mappings().all())
    recorded = pd.DataFrame(connection.execute(outcome_query).mappings().all())
    return _typed_actions(planned), _typed_outcomes(recorded)


def _typed_actions(frame: pd.DataFrame) -> pd.DataFrame:
    columns = ["action_id", "invoice_id", "as_of", "stage_index", "review"]
    if frame.empty:
        frame = pd.DataFrame(columns=columns)
    return frame.astype({"invoice_id": "str", "stage_index": "int64", "review": "bool"}).assign(
        as_of=pd.to_datetime(frame["as_of"])
    )


def _typed_outcomes(frame: pd.DataFrame) -> pd.DataFrame:
    columns = ["id", "invoice_id", "outcome", "promise_date", "business_date", "stage_index"]
    if frame.empty:
        frame = pd.DataFrame(columns=columns)
    types = {"id": "int64", "invoice_id": "str", "outcome": "str", "stage_index": "int64"}
    return frame.astype(types).assign(
        promise_date=pd.to_datetime(frame["promise_date"]),
        business_date=pd.to_datetime(frame["business_date"]),
    )


def invoice_history(
    invoice_ids: pd.Series,
    actions: pd.DataFrame,
    outcomes: pd.DataFrame,
    as_of: date,
    paid_hold_days: int,
) -> pd.DataFrame:
    """`HISTORY_COLUMNS` for each invoice of `invoice_ids` (index: the same positions)."""
    ids = pd.Index(invoice_ids.astype("str"))
    real = actions[~actions["review"]].groupby("invoice_id")["stage_index"].max()
    review = actions[actions["review"]].groupby("invoice_id")["stage_index"].max()
    history = pd.DataFrame(
        {
            "last_stage": real.reindex(ids).fillna(-1).astype("int64").to_numpy(),
            "last_review": review.reindex(ids).fillna(-1).astype("int64").to_numpy(),
            "agreed_stage": _agreed_stage(ids, outcomes),
        },
        index=ids,
    )
    hold, broken, promised = _holds(ids, actions, outcomes, pd.Timestamp(as_of), paid_hold_days)
    history["hold"] = hold
    history["broken_promise"] = broken
    history["promise_date"] = promised
    return history.set_axis(invoice_ids.index)


def _agreed_stage(ids: pd.Index, outcomes: pd.DataFrame) -> np.ndarray:
    """Per invoice, the highest stage a reviewer agreed to escalate to; -1 none."""
    agreed = outcomes[outcomes["outcome"] == "escalate"].groupby("invoice_id")["stage_index"]
    return agreed.max().reindex(ids).fillna(-1).astype("int64").to_numpy()


def _holds(
    ids: pd.Index,
    actions: pd.DataFrame,
    outcomes: pd.DataFrame,
    as_of: pd.Timestamp,
    paid_hold_days: int,
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Per invoice: the hold ("", dispute, promise, paid), broken promise, the promise date."""
    ordered = outcomes.sort_values("id")
    disputes = ordered[ordered["outcome"].isin(DISPUTE_EVENTS)].groupby("invoice_id").last()
    disputed = (disputes["outcome"] == "dispute_raised").reindex(ids, fill_value=False)
    holding = ordered[ordered["outcome"].isin(HOLDING_EVENTS)].groupby("invoice_id").last()
    latest_plan = actions.groupby("invoice_id")["as_of"].max()
    holding = holding[~(latest_plan.reindex(holding.index) > holding["business_date"])]
    holding = holding.reindex(ids)
    promise = holding["outcome"] == "promise_to_pay"
    pending = promise & (holding["promise_date"] >= as_of)
    broken = promise & (holding["promise_date"] < as_of)
    hold_end = holding["business_date"] + timedelta(days=paid_hold_days)
    paid = (holding["outcome"] == "paid") & (hold_end >= as_of)
    kind = np.select(
        [disputed.to_numpy(bool), pending.to_numpy(bool), paid.to_numpy(bool)],
        ["dispute", "promise", "paid"],
        default="",
    )
    return kind, broken.to_numpy(bool), holding["promise_date"].where(promise).to_numpy()
