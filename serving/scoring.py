"""The one scoring function: feature rows + model bundle + policy -> scores, reasons, tiers.

Online serving calls `score_frame` once per (champion, online store) pair, for every customer
in the store, and answers requests from the result; batch scoring calls the same function on
its own frame. Scoring the whole store at load time is the measured choice (see
docs/serving.md): LightGBM's `pred_contrib` costs milliseconds per call for one row but a few
microseconds per row in a batch, and the store only changes when a new snapshot is written, so
per-request explanation would spend the latency budget recomputing identical numbers. The
numbers are exactly `ModelBundle.explain`'s, i.e. those of `shap.TreeExplainer`.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from dataclasses import dataclass

import pandas as pd

from models.attribution import probability_points
from models.bundle import ModelBundle
from serving.policy import Policy, assign_tiers
from serving.reasons import (
    FeatureText,
    feature_texts,
    industry_medians,
    top_reasons,
)
from serving.record import OUTPUT_FIELDS, REASON_COLUMNS

logger = logging.getLogger(__name__)

SCORE_COLUMNS = [*OUTPUT_FIELDS, *REASON_COLUMNS]
"""The columns `score_frame` returns: the score record's outputs and reasons."""
NO_FEATURES = "no invoice history up to that date"
"""Why a customer whose numeric features are all null has none (see `scorable_mask`)."""


def scorable_mask(frame: pd.DataFrame, bundle: ModelBundle) -> pd.Series:
    """Which rows can be scored: those with at least one of the bundle's numeric features.

    A row whose numeric features are all null (no invoice history up to the snapshot) is not
    scored, online and in batch; `not_scorable_reason` says why.
    """
    numeric = [n for n in bundle.feature_names if n not in bundle.categorical_features]
    return ~frame[numeric].isna().all(axis=1)


def not_scorable_reason(as_of: str) -> str:
    """The message for a row `scorable_mask` rejects, as of the ISO date `as_of`."""
    return f"no features as of {as_of}: {NO_FEATURES}"


@dataclass(frozen=True)
class ReasonContext:
    """What reasons need besides the rows: feature texts and industry medians.

    Built from the whole portfolio (the online store, or the batch frame), so that a customer's
    comparison does not depend on which other customers share its request.
    """

    texts: dict[str, FeatureText]
    medians: pd.DataFrame
    industry_column: str
    top_k: int


def build_reason_context(
    portfolio: pd.DataFrame,
    bundle: ModelBundle,
    policy: Policy,
    catalog: Mapping[str, tuple[str, str, str]],
    top_k: int = 3,
) -> ReasonContext:
    """Texts for the bundle's features and medians per industry over `portfolio`."""
    numeric = [n for n in bundle.feature_names if n not in bundle.categorical_features]
    industry = policy.context.industry
    return ReasonContext(
        texts=feature_texts(bundle.feature_names, catalog),
        medians=industry_medians(portfolio, industry, numeric),
        industry_column=industry,
        top_k=top_k,
    )


def score_frame(
    features: pd.DataFrame, bundle: ModelBundle, policy: Policy, context: ReasonContext
) -> pd.DataFrame:
    """Scores, tier, overlays and top reasons per row, same index as `features`.

    See `score_frame_with_points`, which also returns every overdue contribution.
    """
    return score_frame_with_points(features, bundle, policy, context)[0]


def score_frame_with_points(
    features: pd.DataFrame, bundle: ModelBundle, policy: Policy, context: ReasonContext
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """`score_frame` plus every feature's overdue contribution in probability points.

    The batch job keeps the full contributions to explain tier changes between runs (early
    warnings) without computing SHAP twice.

    Args:
        features: the bundle's features plus the policy's overlay and context columns.
        bundle: the model; its feature list decides which columns it sees.
        policy: tiers and overlays.
        context: reason texts and industry medians.

    Returns:
        One row per input row with SCORE_COLUMNS; `reasons_*` hold lists of
        {feature, value, contribution, text}; overdue contributions are in probability
        (0-1) and add up to overdue_probability - base_probability, DSO ones in days;
        and the overdue contributions of every feature (same index, one column per feature).
    """
    model_input = features[bundle.feature_names]
    predicted = bundle.predict(model_input)
    explained = bundle.explain(model_input)
    points, base_probability = probability_points(explained.overdue, bundle.calibrator.transform)
    tiers, overlays = assign_tiers(policy, predicted["overdue_probability"], features)
    industry = features[context.industry_column]
    args = (model_input, context.texts, context.medians, industry, context.top_k)
    out = predicted.assign(
        base_probability=base_probability,
        base_dso=explained.dso["expected_value"],
        risk_tier=tiers,
        overlays=overlays,
        reasons_overdue=_column(top_reasons(points, *args), features.index),
        reasons_dso=_column(
            top_reasons(explained.dso.drop(columns="expected_value"), *args), features.index
        ),
    )
    logger.debug("scored %d rows", len(out))
    return out[SCORE_COLUMNS], points


def _column(values: list[list[dict[str, object]]], index: pd.Index) -> pd.Series:
    """An object column holding one list per row (pandas would read lists as 2-D data)."""
    column = pd.Series([None] * len(values), index=index, dtype=object)
    column[:] = values
    return column
