"""The one score record: what the service and the batch job say about one customer.

`ScoreRecord` is written once here and everything else derives from it: the API's
`schemas.CustomerScore` extends it, `scoring.SCORE_COLUMNS` (the columns `score_frame`
returns) are its outputs and reasons, the batch scores file's columns are its fields with the
batch job's own around them (`serving.batch.rows.SCORE_FILE_COLUMNS`), and the audit row
dumps its outputs (`routes.answers.audit_row`). In frames the nested reasons are three
columns, `reasons_delinquency`, `reasons_overdue` and `reasons_dso` (`REASON_COLUMNS`), lists
of `Reason` dicts.

Delinquency and overdue contributions are in probability (0-1) and add up to
delinquency_probability - base_delinquency_probability and overdue_probability -
base_probability; DSO contributions are in days. The tier comes from delinquency_probability
(credit risk); overdue_probability is the collections signal (see ARCHITECTURE "Two
questions").
"""

from __future__ import annotations

from pydantic import Field

from serving.policy import Tier
from serving.response import Response


class Reason(Response):
    """One SHAP contribution with the feature's value and a sentence a person can read."""

    feature: str = Field(examples=["customer_late_share_count_90d"])
    value: float | str | None = Field(examples=[0.45])
    contribution: float = Field(examples=[0.061])
    text: str = Field(
        examples=[
            "Of invoices cleared in (t-90d, t], the share cleared after their due date "
            "(days late > 0) is 45% (industry median 12%)"
        ]
    )


class Reasons(Response):
    """Top contributions per output: probability points for the two risks, days for DSO."""

    delinquency: list[Reason]
    overdue: list[Reason]
    dso: list[Reason]


class ScoreRecord(Response):
    """One customer's scores, reasons and the model and policy that produced them."""

    customer_id: str = Field(examples=["C000001"])
    delinquency_probability: float = Field(
        ge=0.0,
        le=1.0,
        examples=[0.04],
        description="Credit risk: probability that an invoice of the customer is more than 30 "
        "days past due on some day of the next 90 days (delinquent_90d); decides risk_tier.",
    )
    base_delinquency_probability: float = Field(ge=0.0, le=1.0, examples=[0.05])
    overdue_probability: float = Field(
        ge=0.0,
        le=1.0,
        examples=[0.18],
        description="Collections signal: probability that an invoice due in the next 30 days "
        "is paid late (overdue_30d); does not move the tier.",
    )
    base_probability: float = Field(ge=0.0, le=1.0, examples=[0.12])
    dso_30d: float = Field(examples=[41.5])
    dso_30d_p10: float = Field(examples=[30.0])
    dso_30d_p90: float = Field(examples=[58.0])
    base_dso: float = Field(examples=[38.0])
    risk_tier: Tier
    overlays: list[str] = Field(examples=[["dso_above_industry"]])
    reasons: Reasons
    model_name: str = Field(examples=["arsight"])
    model_version: str = Field(examples=["3"])
    policy_version: str = Field(examples=["2026.12-1"])


PROVENANCE_FIELDS: tuple[str, ...] = ("model_name", "model_version", "policy_version")
"""The fields saying which model and policy produced a record."""
OUTPUT_FIELDS: tuple[str, ...] = tuple(
    name
    for name in ScoreRecord.model_fields
    if name not in {"customer_id", "reasons", *PROVENANCE_FIELDS}
)
"""What scoring computes per customer besides reasons (also the audit row's `outputs`)."""
REASON_COLUMNS: tuple[str, ...] = tuple(f"reasons_{name}" for name in Reasons.model_fields)
"""The frame columns of the nested reasons, in `Reasons` order."""
RECORD_COLUMNS: tuple[str, ...] = (
    "customer_id",
    *OUTPUT_FIELDS,
    *REASON_COLUMNS,
    *PROVENANCE_FIELDS,
)
"""The record flattened into frame columns, in field order."""
