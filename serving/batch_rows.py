"""The rows of a scoring run: chunked scoring and one row per customer, scored or not.

Scoring goes chunk by chunk through `serving.scoring.score_frame_with_points`, the function
the online service calls, so the SHAP matrices in memory are bounded by the chunk size; lists
(overlays, reasons) become JSON text right away, which is also how they are stored.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Callable

import numpy as np
import pandas as pd

from features.tables import Tables
from features.validate import ValidationReport
from models.bundle import ModelBundle
from serving.policy import Policy, TermsOffer, recommend_terms
from serving.scoring import SCORE_COLUMNS, ReasonContext, score_frame_with_points

logger = logging.getLogger(__name__)

REJECT_KEYS = {
    "customers": "customer_id",
    "invoices": "invoice_id",
    "payments": "payment_id",
    "signals": "customer_id",
    "deals": "deal_id",
}
JSON_COLUMNS = ("overlays", "reasons_overdue", "reasons_dso")
SCORE_FILE_COLUMNS = [
    "customer_id",
    "customer_name",
    "as_of",
    "scored",
    "not_scored_reason",
    "overdue_probability",
    "base_probability",
    "dso_30d",
    "dso_30d_p10",
    "dso_30d_p90",
    "base_dso",
    "risk_tier",
    "previous_risk_tier",
    "overlays",
    "reasons_overdue",
    "reasons_dso",
    "amount_due_next_30d",
    "expected_overdue_amount",
    "recommended_terms_days",
    "recommended_prepayment_share",
    "model_name",
    "model_version",
    "policy_version",
]


def reject_rows(report: ValidationReport) -> pd.DataFrame:
    """Every rejected input row: table, 1-based source row, its key and the reason."""
    parts = [
        pd.DataFrame(
            {
                "table": name,
                "row": frame["row"].astype("int64"),
                "key": frame[REJECT_KEYS[name]].astype("str")
                if REJECT_KEYS[name] in frame
                else pd.Series(np.nan, index=frame.index, dtype="str"),
                "reason": frame["reason"].astype("str"),
            }
        )
        for name, frame in report.rejects.items()
    ]
    if not parts:
        return pd.DataFrame(
            {"table": [], "row": [], "key": [], "reason": []},
        ).astype({"table": "str", "row": "int64", "key": "str", "reason": "str"})
    return pd.concat(parts, ignore_index=True)


def _as_json(values: pd.Series) -> pd.Series:
    return pd.Series([json.dumps(v) for v in values], index=values.index, dtype="str")


def score_chunks(
    features: pd.DataFrame,
    bundle: ModelBundle,
    policy: Policy,
    context: ReasonContext,
    chunk_size: int,
    progress: Callable[[int, int], None] | None = None,
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Scores (lists as JSON) and overdue contributions of the rows that have features.

    A row whose numeric features are all null is not scored, as online (`serving.state`).
    """
    numeric = [n for n in bundle.feature_names if n not in bundle.categorical_features]
    to_score = features.loc[~features[numeric].isna().all(axis=1)]
    total = len(to_score)
    scores: list[pd.DataFrame] = []
    points: list[pd.DataFrame] = []
    for start in range(0, total, chunk_size):
        chunk = to_score.iloc[start : start + chunk_size]
        scored, contributions = score_frame_with_points(chunk, bundle, policy, context)
        scores.append(scored.assign(**{c: _as_json(scored[c]) for c in JSON_COLUMNS}))
        points.append(contributions)
        if progress is not None:
            progress(min(start + chunk_size, total), total)
    if not scores:
        empty = pd.DataFrame(columns=SCORE_COLUMNS, index=to_score.index)
        return empty, pd.DataFrame(columns=bundle.feature_names, index=to_score.index)
    return pd.concat(scores), pd.concat(points)


def _reasons(
    tables: Tables, rejects: pd.DataFrame, features: pd.DataFrame, scores: pd.DataFrame, day: str
) -> pd.Series:
    """Why each customer of the run is not scored (NaN when it is), indexed by customer_id."""
    known = pd.Index(tables.customers["customer_id"].astype("str"))
    rejected = rejects.loc[(rejects["table"] == "customers") & rejects["key"].notna()]
    rejected = rejected.drop_duplicates("key").set_index("key")["reason"]
    rejected = rejected.loc[~rejected.index.isin(known)]
    ids = known.append(pd.Index(rejected.index.astype("str"))).sort_values()
    reason = pd.Series(np.nan, index=ids, dtype="str")
    reason[~ids.isin(features.index)] = (
        f"not a customer as of {day}: onboarded later, or no invoice issued by then"
    )
    no_features = ids.isin(features.index) & ~ids.isin(scores.index)
    reason[no_features] = f"no features as of {day}: no invoice history up to that date"
    reason[rejected.index] = "customer record rejected by validation: " + rejected
    return reason


def _terms(policy: Policy, tiers: pd.Series, segments: pd.Series) -> pd.DataFrame:
    """Recommended terms per scored row, computed once per distinct (tier, segment)."""
    cache: dict[tuple[str, str | None], TermsOffer] = {}
    days, shares = [], []
    for tier, segment in zip(tiers, segments, strict=True):
        if not isinstance(tier, str):
            days.append(None)
            shares.append(np.nan)
            continue
        key = (tier, segment if isinstance(segment, str) else None)
        if key not in cache:
            cache[key] = recommend_terms(policy, *key)
        days.append(cache[key].terms_days)
        shares.append(cache[key].prepayment_share)
    return pd.DataFrame(
        {
            "recommended_terms_days": pd.array(days, dtype="Int64"),
            "recommended_prepayment_share": np.asarray(shares, dtype=float),
        },
        index=tiers.index,
    )


def assemble_rows(
    tables: Tables,
    rejects: pd.DataFrame,
    features: pd.DataFrame,
    scores: pd.DataFrame,
    as_of: pd.Timestamp,
    policy: Policy,
) -> pd.DataFrame:
    """One row per customer (sorted by id) with its scores, or the reason it has none.

    The model and previous-tier columns are added by the caller.
    """
    reason = _reasons(tables, rejects, features, scores, as_of.date().isoformat())
    names = tables.customers.set_index(tables.customers["customer_id"].astype("str"))["name"]
    rows = pd.DataFrame(index=reason.index)
    rows["customer_name"] = names.reindex(rows.index).astype("str")
    rows["as_of"] = as_of
    rows["scored"] = rows.index.isin(scores.index)
    rows["not_scored_reason"] = reason
    rows = rows.join(scores)
    due = features["customer_amount_due_next_30d"].reindex(rows.index)
    rows["amount_due_next_30d"] = due.where(rows["scored"]).astype("float64")
    rows["expected_overdue_amount"] = rows["overdue_probability"].astype("float64") * due
    segments = features[policy.context.segment].reindex(rows.index)
    rows = rows.join(_terms(policy, rows["risk_tier"], segments))
    rows.index.name = "customer_id"
    return rows.reset_index()
