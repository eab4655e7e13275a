"""A night's events: each early warning, newly planned collections action and model alert,
once.

Event ids are derived from what the event is about, never from a clock: `early_warning:
<as-of>:<customer>` and `collections_action:<action id>` (action ids are stable, see
`serving.collections.ladder.action_id`). Enqueueing inserts only ids not in the outbox yet,
(model alerts: `model_alert:<as-of>:<lookback>d:<figure>`), so rerunning a night enqueues
nothing twice; an event already delivered is never sent again.
"""

from __future__ import annotations

import json
import math
from collections.abc import Mapping
from datetime import UTC, date, datetime
from typing import Any

import numpy as np
import pandas as pd
import sqlalchemy as sa
from sqlalchemy.engine import Connection

from serving.notifications.store import notification_outbox

BATCH = 500


def _plain(value: object) -> object:
    """A JSON-ready value: dates as ISO text, NaN and NaT as null, numpy scalars as Python
    ones."""
    if value is pd.NaT or (isinstance(value, np.datetime64) and np.isnat(value)):
        return None
    if isinstance(value, pd.Timestamp | datetime | date):
        return pd.Timestamp(value).date().isoformat()
    if hasattr(value, "item"):
        value = value.item()  # type: ignore[union-attr]
    if isinstance(value, float) and math.isnan(value):
        return None
    return value


def _record(row: Mapping[str, Any]) -> dict[str, object]:
    return {str(k): _plain(v) for k, v in row.items()}


def alert_events(alerts: pd.DataFrame, as_of: date) -> list[dict[str, object]]:
    """One event per early warning (customer whose tier worsened), movers parsed."""
    events = []
    for row in alerts.to_dict("records"):
        data = _record(row) | {"movers": json.loads(str(row["movers"]))}
        events.append(_event(f"early_warning:{as_of.isoformat()}:{row['customer_id']}", data))
    return [e | {"kind": "early_warning", "as_of": as_of} for e in events]


def action_events(actions: pd.DataFrame, as_of: date) -> list[dict[str, object]]:
    """One event per action planned on `as_of` (carried-over actions were sent before)."""
    new = actions[pd.to_datetime(actions["planned_on"]) == pd.Timestamp(as_of)]
    events = []
    for row in new.to_dict("records"):
        data = _record(row) | {"rules_fired": json.loads(str(row["rules_fired"]))}
        events.append(_event(f"collections_action:{row['action_id']}", data))
    return [e | {"kind": "collections_action", "as_of": as_of} for e in events]


def model_alert_events(judged: pd.DataFrame, as_of: date) -> list[dict[str, object]]:
    """One event per judged figure worse than the model card's backtest by its margin."""
    events = []
    for row in judged.loc[judged["alert"]].to_dict("records"):
        key = f"model_alert:{as_of.isoformat()}:{row['lookback_days']}d:{row['figure']}"
        events.append(_event(key, _record(row)))
    return [e | {"kind": "model_alert", "as_of": as_of} for e in events]


def _event(event_id: str, data: dict[str, object]) -> dict[str, object]:
    return {"event_id": event_id, "payload": data}


def enqueue(connection: Connection, events: list[dict[str, object]]) -> int:
    """Insert the events whose id is not in the outbox yet; the number inserted."""
    ids = [str(e["event_id"]) for e in events]
    known: set[str] = set()
    column = notification_outbox.c.event_id
    for start in range(0, len(ids), BATCH):
        chunk = ids[start : start + BATCH]
        known |= {
            r.event_id for r in connection.execute(sa.select(column).where(column.in_(chunk)))
        }
    now = datetime.now(UTC)
    rows = [
        {**e, "status": "pending", "attempts": 0, "created_at": now}
        for e in events
        if e["event_id"] not in known
    ]
    if rows:
        connection.execute(notification_outbox.insert(), rows)
    return len(rows)
