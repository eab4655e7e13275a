"""The one score record and what derives from it: API model, frame and file columns, audit."""

from __future__ import annotations

import pandas as pd

from serving.batch.rows import FLOAT_COLUMNS, SCORE_FILE_COLUMNS
from serving.record import OUTPUT_FIELDS, ScoreRecord
from serving.schemas import CustomerScore
from serving.scoring import SCORE_COLUMNS, not_scorable_reason, scorable_mask
from tests.serving.conftest import Registry

OUTPUTS = [
    "delinquency_probability",
    "base_delinquency_probability",
    "overdue_probability",
    "base_probability",
    "dso_30d",
    "dso_30d_p10",
    "dso_30d_p90",
    "base_dso",
    "risk_tier",
    "overlays",
]


def test_every_consumer_derives_its_columns_from_the_record() -> None:
    assert list(OUTPUT_FIELDS) == OUTPUTS
    assert SCORE_COLUMNS == [*OUTPUTS, "reasons_delinquency", "reasons_overdue", "reasons_dso"]
    assert list(CustomerScore.model_fields) == [
        *ScoreRecord.model_fields,
        "features_as_of",
        "recommended_credit_limit",
        "credit_limit_basis",
        "scorecard_points",
        "scorecard_band",
        "scorecard_dimensions",
        "customer_layer",
        "layer_basis",
        "rfm_segment",
        "customer_value_12m",
    ]
    assert SCORE_FILE_COLUMNS == [
        "customer_id",
        "customer_name",
        "as_of",
        "scored",
        "not_scored_reason",
        *OUTPUTS[:9],
        "previous_risk_tier",
        "overlays",
        "reasons_delinquency",
        "reasons_overdue",
        "reasons_dso",
        "amount_due_next_30d",
        "expected_overdue_amount",
        "recommended_terms_days",
        "recommended_prepayment_share",
        "recommended_credit_limit",
        "credit_limit_basis",
        "scorecard_points",
        "scorecard_band",
        "scorecard_dimensions",
        "customer_layer",
        "layer_basis",
        "rfm_segment",
        "customer_value_12m",
        "model_name",
        "model_version",
        "policy_version",
    ]
    assert FLOAT_COLUMNS == [
        *OUTPUTS[:8],
        "amount_due_next_30d",
        "expected_overdue_amount",
        "recommended_prepayment_share",
        "recommended_credit_limit",
        "scorecard_points",
        "customer_value_12m",
    ]


def test_a_row_without_numeric_features_is_not_scorable(registry: Registry) -> None:
    bundle = registry.bundle
    numeric = [n for n in bundle.feature_names if n not in bundle.categorical_features]
    frame = pd.DataFrame({name: [1.0, None] for name in numeric}, index=["C1", "C2"])
    for name in bundle.categorical_features:
        frame[name] = ["a", "b"]
    assert scorable_mask(frame, bundle).to_dict() == {"C1": True, "C2": False}
    assert not_scorable_reason("2026-11-30") == (
        "no features as of 2026-11-30: no invoice history up to that date"
    )
