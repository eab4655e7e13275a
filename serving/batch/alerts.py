"""Early warnings: customers whose risk tier worsened since the previous scoring run.

The tier is credit risk (delinquency_probability, see ARCHITECTURE "Two questions"), so a
warning means the customer became more likely to fall 30+ days behind, never only that an
invoice fell due (the credit model does not see when invoices fall due, see
training/train.py `TASK_IGNORED_FEATURES`).

Each alert says what moved the score, in business words. A run keeps, per customer, the
delinquency contributions in probability points (they add up to delinquency_probability -
base_delinquency_probability, see `serving.reasons`); the change between two runs then splits
exactly into the change of each feature's contribution plus the change of the base
probability (non-zero only when the model changed):

    p_now - p_prev = sum_f (c_f,now - c_f,prev) + (base_now - base_prev)

An alert lists the `top_k` features whose contribution moved most (feature, label, the
sentence with today's value, contribution change), the sum of the other features' changes and
the base change, so the parts shown add up to the score change.
Alerts go to alerts.parquet and to the `batch_alerts` table of the audit database (replaced
per as-of date, so a forced rerun does not duplicate them); `arsight alerts` reads the latest.
"""

from __future__ import annotations

import json
import logging
from datetime import UTC, date, datetime
from typing import Any

import numpy as np
import pandas as pd
import sqlalchemy as sa
from sqlalchemy.engine import Engine

from features.wording import fill_sentence
from serving.policy import TIERS
from serving.reasons import wording_of

logger = logging.getLogger(__name__)

TOP_MOVERS = 3
RISK = "delinquency_probability"
BASE = "base_delinquency_probability"
ALERT_COLUMNS = [
    "customer_id",
    "as_of",
    "previous_as_of",
    "previous_risk_tier",
    "risk_tier",
    "previous_delinquency_probability",
    "delinquency_probability",
    "probability_change",
    "previous_overdue_probability",
    "overdue_probability",
    "base_probability_change",
    "other_features_change",
    "movers",
]

metadata = sa.MetaData()
batch_alerts = sa.Table(
    "batch_alerts",
    metadata,
    sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), primary_key=True),
    sa.Column("as_of", sa.Date(), nullable=False),
    sa.Column("customer_id", sa.String(128), nullable=False),
    sa.Column("previous_as_of", sa.Date(), nullable=False),
    sa.Column("previous_risk_tier", sa.String(8), nullable=False),
    sa.Column("risk_tier", sa.String(8), nullable=False),
    sa.Column("previous_overdue_probability", sa.Float(), nullable=False),
    sa.Column("overdue_probability", sa.Float(), nullable=False),
    sa.Column("probability_change", sa.Float(), nullable=False),
    sa.Column("previous_delinquency_probability", sa.Float(), nullable=True),
    sa.Column("delinquency_probability", sa.Float(), nullable=True),
    sa.Column("movers", sa.JSON(), nullable=False),
    sa.Column("model_name", sa.String(128), nullable=False),
    sa.Column("model_version", sa.String(64), nullable=False),
    sa.Column("policy_version", sa.String(64), nullable=False),
    sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
)


def _rank(tiers: pd.Series) -> pd.Series:
    order = {t: i for i, t in enumerate(TIERS)}
    return tiers.map(order).astype("float64")


def worsened(current: pd.Series, previous: pd.Series) -> pd.Index:
    """Customers (index) whose tier is worse now than before; both must have a tier."""
    now = _rank(current)
    before = _rank(previous.reindex(current.index))
    return current.index[(now > before).to_numpy()]


def contribution_changes(
    ids: pd.Index, current_points: pd.DataFrame, previous_points: pd.DataFrame
) -> pd.DataFrame:
    """Per feature, current minus previous contribution for `ids` (absent features count 0)."""
    columns = current_points.columns.union(previous_points.columns, sort=False)
    now = current_points.reindex(index=ids, columns=columns, fill_value=0.0)
    before = previous_points.reindex(index=ids, columns=columns, fill_value=0.0)
    return now - before


def _movers(
    changes: np.ndarray, names: list[str], values: pd.Series | None, top_k: int
) -> tuple[str, float]:
    """The `top_k` largest moves as JSON (with label and sentence) and the rest's sum."""
    order = np.argsort(-np.abs(changes), kind="stable")[:top_k]
    movers = []
    for j in order:
        wording = wording_of(names[j], values is not None and isinstance(values.get(names[j]), str))
        value = None if values is None else values.get(names[j])
        movers.append(
            {
                "feature": names[j],
                "label": wording.label,
                "text": fill_sentence(wording, value) if values is not None else wording.label,
                "contribution_change": float(changes[j]),
            }
        )
    rest = float(np.delete(changes, order).sum())
    return json.dumps(movers), rest


def find_alerts(
    current: pd.DataFrame,
    previous: pd.DataFrame,
    current_points: pd.DataFrame,
    previous_points: pd.DataFrame | None,
    features: pd.DataFrame | None = None,
    top_k: int = TOP_MOVERS,
) -> pd.DataFrame:
    """The early warnings of a run, sorted by customer_id.

    Args:
        current, previous: the scores of the two runs, indexed by customer_id, with as_of,
            risk_tier, delinquency_probability, base_delinquency_probability and
            overdue_probability.
        current_points, previous_points: delinquency contributions in probability points,
            indexed by customer_id, one column per feature; without the previous ones
            (an old run) no feature is named and `other_features_change` is null.
        features: this run's feature values by customer_id, for the movers' sentences
            (without them a mover's text is its label).
        top_k: features listed per alert.

    Returns:
        ALERT_COLUMNS; `movers` is a JSON list of {feature, label, text, contribution_change}.
    """
    ids = worsened(current["risk_tier"], previous["risk_tier"]).sort_values()
    if len(ids) == 0:
        return pd.DataFrame({c: pd.Series(dtype=_dtype(c)) for c in ALERT_COLUMNS})
    if previous_points is None:
        picked = [("[]", float("nan"))] * len(ids)
    else:
        changes = contribution_changes(ids, current_points, previous_points)
        names = list(changes.columns)
        picked = [
            _movers(row, names, None if features is None else features.loc[i], top_k)
            for i, row in zip(ids, changes.to_numpy(dtype=float), strict=True)
        ]
    return _alert_frame(ids, current.loc[ids], previous.loc[ids], picked)


def _alert_frame(
    ids: pd.Index, now: pd.DataFrame, before: pd.DataFrame, picked: list[tuple[str, float]]
) -> pd.DataFrame:
    """ALERT_COLUMNS of the alerts `ids` from both runs' rows and the movers picked."""
    # a previous run written before the credit model has no delinquency columns: NaN there
    before = before.reindex(columns=before.columns.union([RISK, BASE], sort=False))
    frame = pd.DataFrame(
        {
            "customer_id": ids.astype("str"),
            "as_of": now["as_of"].to_numpy(),
            "previous_as_of": before["as_of"].to_numpy(),
            "previous_risk_tier": before["risk_tier"].to_numpy(),
            "risk_tier": now["risk_tier"].to_numpy(),
            "previous_delinquency_probability": before[RISK].to_numpy(float),
            "delinquency_probability": now[RISK].to_numpy(float),
            "probability_change": now[RISK].to_numpy(float) - before[RISK].to_numpy(float),
            "previous_overdue_probability": before["overdue_probability"].to_numpy(float),
            "overdue_probability": now["overdue_probability"].to_numpy(float),
            "base_probability_change": (now[BASE].to_numpy(float) - before[BASE].to_numpy(float)),
            "other_features_change": [rest for _, rest in picked],
            "movers": [movers for movers, _ in picked],
        }
    )
    return frame.astype({c: _dtype(c) for c in ALERT_COLUMNS})


def _dtype(column: str) -> str:
    if column in ("as_of", "previous_as_of"):
        return "datetime64[ns]"
    if column in ("customer_id", "previous_risk_tier", "risk_tier", "movers"):
        return "str"
    return "float64"


def record_alerts(engine: Engine, alerts: pd.DataFrame, as_of: date, model: dict[str, str]) -> int:
    """Replace the audit database's alerts of `as_of` with `alerts`, in one transaction.

    Args:
        engine: the audit database (schema migrated by `serving.audit.AuditLog.migrate`).
        alerts: `find_alerts` output.
        as_of: the run's date.
        model: model_name, model_version and policy_version of the run.
    """
    now = datetime.now(UTC)
    rows: list[dict[str, Any]] = [
        {
            "as_of": as_of,
            "customer_id": a.customer_id,
            "previous_as_of": pd.Timestamp(a.previous_as_of).date(),
            "previous_risk_tier": a.previous_risk_tier,
            "risk_tier": a.risk_tier,
            "previous_delinquency_probability": float(a.previous_delinquency_probability),
            "delinquency_probability": float(a.delinquency_probability),
            "previous_overdue_probability": float(a.previous_overdue_probability),
            "overdue_probability": float(a.overdue_probability),
            "probability_change": float(a.probability_change),
            "movers": json.loads(a.movers),
            "created_at": now,
            **model,
        }
        for a in alerts.itertuples(index=False)
    ]
    with engine.begin() as connection:
        connection.execute(sa.delete(batch_alerts).where(batch_alerts.c.as_of == as_of))
        if rows:
            connection.execute(sa.insert(batch_alerts), rows)
    logger.info("%d alert(s) recorded for %s", len(rows), as_of)
    return len(rows)


def latest_alerts(engine: Engine) -> pd.DataFrame:
    """The alerts of the latest as-of date in the audit database, worst tier first."""
    latest = sa.select(sa.func.max(batch_alerts.c.as_of)).scalar_subquery()
    query = sa.select(batch_alerts).where(batch_alerts.c.as_of == latest)
    with engine.connect() as connection:
        frame = pd.DataFrame([dict(r._mapping) for r in connection.execute(query)])
    if frame.empty:
        return frame
    frame["tier_rank"] = _rank(frame["risk_tier"])
    frame = frame.sort_values(
        ["tier_rank", "probability_change", "customer_id"], ascending=[False, False, True]
    )
    return frame.drop(columns=["tier_rank", "id"]).reset_index(drop=True)
