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
from dataclasses import dataclass

import pandas as pd

from features.wording import Wording
from models.attribution import probability_points
from models.bundle import ModelBundle
from models.errors import ModelError
from serving.policy import Policy, assign_tiers
from serving.reasons import feature_texts, industry_medians, top_reasons
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
    """What reasons need besides the rows: feature wordings and industry medians.

    Built from the whole portfolio (the online store, or the batch frame), so that a customer's
    comparison does not depend on which other customers share its request.
    """

    texts: dict[str, Wording]
    medians: pd.DataFrame
    industry_column: str
    top_k: int


def build_reason_context(
    portfolio: pd.DataFrame, bundle: ModelBundle, policy: Policy, top_k: int = 3
) -> ReasonContext:
    """Wordings of the bundle's features and their medians per industry over `portfolio`."""
    numeric = [n for n in bundle.feature_names if n not in bundle.categorical_features]
    industry = policy.context.industry
    return ReasonContext(
        texts=feature_texts(bundle.feature_names, bundle.categorical_features),
        medians=industry_medians(portfolio, industry, numeric),
        industry_column=industry,
        top_k=top_k,
    )


def require_credit_model(bundle: ModelBundle, name: str) -> None:
    """Refuse a bundle without the delinquency model: tiers and decisions need its risk.

    Falling back to the overdue probability would tier customers by how many invoices fall
    due (the fault the credit model exists to fix), so there is no fallback.

    Raises:
        ModelError: naming the model and what to do.
    """
    if bundle.delinquency_classifier is None or bundle.delinquency_calibrator is None:
        skipped = bundle.report.get("delinquency", {}).get("skipped") if bundle.report else None
        why = f" (training skipped it: {skipped})" if skipped else ""
        raise ModelError(
            f"model {name} has no delinquency model{why}: risk tiers and deal decisions need "
            "delinquency_probability; retrain on a ledger with 90 days of outcomes after its "
            "snapshots"
        )


def score_frame(
    features: pd.DataFrame, bundle: ModelBundle, policy: Policy, context: ReasonContext
) -> pd.DataFrame:
    """Scores, tier, overlays and top reasons per row, same index as `features`.

    See `score_frame_with_points`, which also returns every delinquency contribution.
    """
    return score_frame_with_points(features, bundle, policy, context)[0]


def score_frame_with_points(
    features: pd.DataFrame, bundle: ModelBundle, policy: Policy, context: ReasonContext
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """`score_frame` plus every feature's delinquency contribution in probability points.

    The batch job keeps the full contributions to explain tier changes between runs (early
    warnings) and the pages draw them, without computing SHAP twice. The tier comes from the
    delinquency probability (credit risk), never from the overdue one.

    Args:
        features: the bundle's features plus the policy's overlay and context columns.
        bundle: the model, with its delinquency model (`require_credit_model`).
        policy: tiers and overlays.
        context: reason texts and industry medians.

    Returns:
        One row per input row with SCORE_COLUMNS; `reasons_*` hold lists of
        {feature, value, contribution, text}; delinquency and overdue contributions are in
        probability (0-1) and add up to the probability minus its base, DSO ones in days;
        and the delinquency contributions of every feature (same index, one column each).
    """
    require_credit_model(bundle, "the model")
    model_input = features[bundle.feature_names]
    predicted = bundle.predict(model_input)
    explained = bundle.explain(model_input)
    assert bundle.delinquency_calibrator is not None and explained.delinquency is not None
    overdue, base_probability = probability_points(explained.overdue, bundle.calibrator.transform)
    credit, base_credit = probability_points(
        explained.delinquency, bundle.delinquency_calibrator.transform
    )
    tiers, overlays = assign_tiers(policy, predicted["delinquency_probability"], features)
    contributions = {
        "delinquency": credit,
        "overdue": overdue,
        "dso": explained.dso.drop(columns="expected_value"),
    }
    out = predicted.assign(
        base_delinquency_probability=base_credit,
        base_probability=base_probability,
        base_dso=explained.dso["expected_value"],
        risk_tier=tiers,
        overlays=overlays,
        **_reason_columns(contributions, features, model_input, context),
    )
    logger.debug("scored %d rows", len(out))
    return out[SCORE_COLUMNS], credit


def _reason_columns(
    contributions: dict[str, pd.DataFrame],
    features: pd.DataFrame,
    model_input: pd.DataFrame,
    context: ReasonContext,
) -> dict[str, pd.Series]:
    """`reasons_<output>` per output: the top contributions as reason dictionaries."""
    industry = features[context.industry_column]
    args = (model_input, context.texts, context.medians, industry, context.top_k)
    return {
        f"reasons_{name}": _column(top_reasons(values, *args), features.index)
        for name, values in contributions.items()
    }


def _column(values: list[list[dict[str, object]]], index: pd.Index) -> pd.Series:
    """An object column holding one list per row (pandas would read lists as 2-D data)."""
    column = pd.Series([None] * len(values), index=index, dtype=object)
    column[:] = values
    return column
