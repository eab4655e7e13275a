"""The rows of a scoring run: chunked scoring and one row per customer, scored or not.

Shared by both engines (the Spark engine runs these per partition). The scores file's
columns are the score record's (`serving.record`) with the run's own around them.

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
from models.bundle import ModelBundle
from models.scorecard import SCORECARD_COLUMNS, score_scorecard
from serving.credit_limit import LIMIT_COLUMNS, recommended_limits
from serving.layers import LAYER_COLUMNS, customer_layers, customer_value
from serving.policy import Policy, Terms, recommend_terms
from serving.record import OUTPUT_FIELDS, REASON_COLUMNS, RECORD_COLUMNS, ScoreRecord
from serving.scoring import (
    SCORE_COLUMNS,
    ReasonContext,
    not_scorable_reason,
    scorable_mask,
    score_frame_with_points,
)

logger = logging.getLogger(__name__)

JSON_COLUMNS = ("overlays", *REASON_COLUMNS)
BEFORE_SCORES = ["customer_name", "as_of", "scored", "not_scored_reason"]
"""The batch job's columns between the record's customer_id and its scores."""
EXPOSURE = [
    "amount_due_next_30d",
    "expected_overdue_amount",
    "recommended_terms_days",
    "recommended_prepayment_share",
    *LIMIT_COLUMNS,
    *SCORECARD_COLUMNS,
    *LAYER_COLUMNS,
    "customer_value_12m",
]
"""The batch job's columns after the record's reasons: money at risk, recommended terms and
the recommended credit limit with its basis (`serving.credit_limit`), the points scorecard
(`models.scorecard`; `scorecard_dimensions` is JSON), and the layer from data with its basis,
the RFM segment and the 12-month value (`serving.layers`)."""


def score_file_columns() -> list[str]:
    """The scores file's columns: the score record's (`serving.record.RECORD_COLUMNS`), with
    the run's own before the scores, `previous_risk_tier` beside `risk_tier` and the exposure
    after the reasons."""
    columns = list(RECORD_COLUMNS)
    columns[1:1] = BEFORE_SCORES
    columns.insert(columns.index("risk_tier") + 1, "previous_risk_tier")
    after_reasons = columns.index(REASON_COLUMNS[-1]) + 1
    columns[after_reasons:after_reasons] = EXPOSURE
    return columns


SCORE_FILE_COLUMNS = score_file_columns()
FLOAT_COLUMNS = [
    *(c for c in OUTPUT_FIELDS if ScoreRecord.model_fields[c].annotation is float),
    "amount_due_next_30d",
    "expected_overdue_amount",
    "recommended_prepayment_share",
    "recommended_credit_limit",
    "scorecard_points",
    "customer_value_12m",
]
"""The scores file's float64 columns."""


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

    A row whose numeric features are all null is not scored, as online
    (`serving.scoring.scorable_mask`).
    """
    to_score = features.loc[scorable_mask(features, bundle)]
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
    reason[no_features] = not_scorable_reason(day)
    reason[rejected.index] = "customer record rejected by validation: " + rejected
    return reason


def _terms(policy: Policy, tiers: pd.Series, layers: pd.Series, agreed: pd.Series) -> pd.DataFrame:
    """Recommended terms per scored row, computed once per distinct (tier, layer, terms)."""
    cache: dict[tuple[str, str, float | None], Terms] = {}
    days, shares = [], []
    for tier, layer, agreed_days in zip(tiers, layers, agreed, strict=True):
        if not isinstance(tier, str):
            days.append(None)
            shares.append(np.nan)
            continue
        known = None if pd.isna(agreed_days) else float(agreed_days)
        key = (tier, str(layer), known)
        if key not in cache:
            cache[key] = recommend_terms(policy, tier, None, known, layer=key[1])
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
    total_sales: float | None = None,
) -> pd.DataFrame:
    """One row per customer (sorted by id) with its scores, or the reason it has none.

    The model and previous-tier columns are added by the caller. `total_sales`: the
    portfolio's 12-month sales when `features` is one partition of it (layer shares).
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
    layers = customer_layers(policy, features, total_sales).reindex(rows.index)
    agreed = pd.to_numeric(features[policy.context.terms_days], errors="coerce")
    rows = rows.join(
        _terms(policy, rows["risk_tier"], layers["customer_layer"], agreed.reindex(rows.index))
    )
    scored = rows.index[rows["scored"]]
    limits = recommended_limits(
        policy, features.reindex(scored), rows.loc[scored, "risk_tier"], layers["customer_layer"]
    )
    rows = rows.join(limits)
    rows = rows.join(layers.loc[scored])
    value = customer_value(
        policy, features.reindex(scored), rows.loc[scored, "delinquency_probability"]
    )
    rows["customer_value_12m"] = value.reindex(rows.index).astype("float64")
    rows = rows.join(
        score_scorecard(policy.scorecard, features.reindex(scored), policy.context.segment)
    )
    rows["scorecard_band"] = rows["scorecard_band"].astype("str")
    rows["scorecard_dimensions"] = rows["scorecard_dimensions"].astype("str")
    rows["recommended_credit_limit"] = rows["recommended_credit_limit"].astype("float64")
    rows["credit_limit_basis"] = rows["credit_limit_basis"].astype("str")
    for column in LAYER_COLUMNS:
        rows[column] = rows[column].astype("str")
    rows.index.name = "customer_id"
    return rows.reset_index()
