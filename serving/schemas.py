"""Request and response models of the HTTP API (v1), with the examples OpenAPI shows.

Requests forbid unknown fields (a typo is a 422 naming the field, not a silently ignored
option) and are strict: a field takes only its own JSON type (`true` or `"1000"` is not an
amount, `"30"` or `30.5` not a number of days; an integer is a valid amount, and `30.0` a
valid number of days, since JSON Schema's "integer" includes it). Overdue contributions are in
probability (0-1, the scale of overdue_probability) and add up to overdue_probability -
base_probability; DSO contributions are in days.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Annotated, Literal

from pydantic import BaseModel, BeforeValidator, ConfigDict, Field, StringConstraints


def _whole_number(value: object) -> object:
    """30.0 -> 30 (an integer for JSON Schema); anything else is left to strict validation."""
    if isinstance(value, float) and value.is_integer():
        return int(value)
    return value


CustomerId = Annotated[str, StringConstraints(min_length=1, max_length=128)]
WholeNumber = Annotated[int, BeforeValidator(_whole_number)]
TierName = Literal["green", "yellow", "orange", "red"]
DecisionName = Literal["approve", "approve_with_conditions", "refer", "decline"]


class _Request(BaseModel):
    model_config = ConfigDict(extra="forbid", strict=True)


class _Response(BaseModel):
    model_config = ConfigDict(extra="forbid")


class ScoreRequest(_Request):
    """Customers to score, 1 to 1,000 per call (duplicates are answered once)."""

    model_config = ConfigDict(
        extra="forbid", json_schema_extra={"examples": [{"customer_ids": ["C000001"]}]}
    )
    customer_ids: list[CustomerId] = Field(min_length=1, max_length=1000)


class Reason(_Response):
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


class Reasons(_Response):
    """Top contributions per output: probability points for overdue, days for DSO."""

    overdue: list[Reason]
    dso: list[Reason]


class CustomerScore(_Response):
    """Scores of one customer from the served model on the online store's features."""

    customer_id: str = Field(examples=["C000001"])
    overdue_probability: float = Field(ge=0.0, le=1.0, examples=[0.18])
    base_probability: float = Field(ge=0.0, le=1.0, examples=[0.12])
    dso_30d: float = Field(examples=[41.5])
    dso_30d_p10: float = Field(examples=[30.0])
    dso_30d_p90: float = Field(examples=[58.0])
    base_dso: float = Field(examples=[38.0])
    risk_tier: TierName
    overlays: list[str] = Field(examples=[["dso_above_industry"]])
    reasons: Reasons
    model_name: str = Field(examples=["arsight"])
    model_version: str = Field(examples=["3"])
    policy_version: str = Field(examples=["2026.11-1"])
    features_as_of: date


class ScoreResponse(_Response):
    """One score per distinct requested customer, in request order."""

    request_id: str
    scores: list[CustomerScore]


class DealRequest(_Request):
    """A prospective order on credit: who, how much, on which terms."""

    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [{"customer_id": "C000001", "amount": 25000.0, "payment_terms_days": 60}]
        },
    )
    customer_id: CustomerId
    amount: float = Field(gt=0.0, le=1e12, allow_inf_nan=False)
    payment_terms_days: WholeNumber = Field(ge=0, le=365)


class Exposure(_Response):
    """Open amount plus the deal, against the credit limit (null limit: none on file)."""

    open_amount: float
    deal_amount: float
    exposure_after: float
    credit_limit: float | None
    utilisation_after: float | None


class Terms(_Response):
    """Payment terms in days and the share of the order paid before delivery."""

    terms_days: int
    prepayment_share: float


class DealResponse(_Response):
    """The decision, its conditions and everything it was based on."""

    request_id: str
    customer_id: str
    decision: DecisionName
    conditions: list[str] = Field(examples=[["payment terms shortened from 60 to 30 days"]])
    requested_terms_days: int
    recommended_terms: Terms
    exposure: Exposure
    policy_version: str
    score: CustomerScore


class HistoryEntry(_Response):
    """One audited answer about the customer."""

    request_id: str
    time: datetime
    endpoint: str
    caller_role: str
    risk_tier: TierName
    overdue_probability: float
    dso_30d: float | None
    decision: DecisionName | None
    model_version: str
    policy_version: str
    features_as_of: date


class TierChange(_Response):
    """A change of risk tier between two consecutive audited answers."""

    time: datetime
    from_tier: TierName
    to_tier: TierName
    model_version: str


class CustomerResponse(_Response):
    """Latest scores (null when the store has none) and the audited history, newest first."""

    customer_id: str
    latest: CustomerScore | None
    history: list[HistoryEntry]
    tier_changes: list[TierChange]


class ModelResponse(_Response):
    """The served model and the store it scores."""

    name: str
    version: str
    alias: str
    uri: str
    run_id: str | None
    pipeline_version: str
    feature_names: list[str]
    categorical_features: list[str]
    metrics: dict[str, float]
    policy_version: str
    features_as_of: date
    store_written_at: datetime
    loaded_at: datetime


class HealthResponse(_Response):
    """Liveness: the process answers."""

    status: Literal["ok"]


class ReadyResponse(_Response):
    """Readiness: ready, degraded (serving the last good pair with problems) or not ready."""

    status: Literal["ready", "degraded", "not_ready"]
    model: str | None
    features_as_of: date | None
    problems: list[str]


class ErrorResponse(_Response):
    """Every error: what went wrong and the request id to quote to support."""

    detail: str
    request_id: str
