"""Request and response models of the HTTP API (v1), with the examples OpenAPI shows.

Requests forbid unknown fields (a typo is a 422 naming the field, not a silently ignored
option) and are strict: a field takes only its own JSON type (`true` or `"1000"` is not an
amount, `"30"` or `30.5` not a number of days; an integer is a valid amount, and `30.0` a
valid number of days, since JSON Schema's "integer" includes it). The score of one customer
is `serving.record.ScoreRecord` (with its reasons); the policy's types (`Tier`, `Decision`,
`Terms`) are the policy module's own.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Annotated, Literal

from pydantic import BaseModel, BeforeValidator, ConfigDict, Field, StringConstraints

from serving.policy import Decision, Terms, Tier
from serving.record import Response as _Response
from serving.record import ScoreRecord


def _whole_number(value: object) -> object:
    """30.0 -> 30 (an integer for JSON Schema); anything else is left to strict validation."""
    if isinstance(value, float) and value.is_integer():
        return int(value)
    return value


CustomerId = Annotated[str, StringConstraints(min_length=1, max_length=128)]
WholeNumber = Annotated[int, BeforeValidator(_whole_number)]


class _Request(BaseModel):
    model_config = ConfigDict(extra="forbid", strict=True)


class ScoreRequest(_Request):
    """Customers to score, 1 to 1,000 per call (duplicates are answered once)."""

    model_config = ConfigDict(
        extra="forbid", json_schema_extra={"examples": [{"customer_ids": ["C000001"]}]}
    )
    customer_ids: list[CustomerId] = Field(min_length=1, max_length=1000)


class ScorecardDimension(_Response):
    """One dimension of the points scorecard: its points, its maximum, whether data was missing."""

    dimension: str = Field(examples=["history"])
    points: float = Field(examples=[30.0])
    max_points: float = Field(examples=[35.0])
    missing: bool = Field(description="no data: scored the policy's share of the maximum")


class CustomerScore(ScoreRecord):
    """Scores of one customer from the served model on the online store's features, with the
    credit limit the policy recommends for it (`serving.credit_limit`) and the points
    scorecard beside the model (`models.scorecard`)."""

    features_as_of: date
    recommended_credit_limit: float | None = Field(default=None, examples=[325000.0])
    credit_limit_basis: str | None = Field(
        default=None,
        examples=["monthly sales 120,000 x (60 days terms + 5 days late) / 30 x 1.25 (green)"],
    )
    scorecard_points: float | None = Field(
        default=None, examples=[82.0], description="the practitioners' points scorecard, 0-100"
    )
    scorecard_band: str | None = Field(default=None, examples=["medium"])
    scorecard_dimensions: list[ScorecardDimension] = Field(default_factory=list)
    customer_layer: str | None = Field(
        default=None,
        examples=["key"],
        description="the layer from the customer's data (tenure, share of sales, growth, RFM): "
        "it sets the standard terms and the credit limit's ceiling",
    )
    layer_basis: str | None = Field(
        default=None, examples=["key: a customer for 3.2 years, 12-month sales 1,450,000"]
    )
    rfm_segment: str | None = Field(
        default=None,
        examples=["regular"],
        description="loyal_high_value, at_risk_low_value or regular (DOMAIN's RFM readings)",
    )
    customer_value_12m: float | None = Field(
        default=None,
        description="12-month sales net of the expected cost of late payment (financing the "
        "days late, expected loss on what it owes)",
    )


class ScoreResponse(_Response):
    """One score per distinct requested customer, in request order."""

    request_id: str
    scores: list[CustomerScore]


class ProspectSignals(_Request):
    """Health signals of a customer arsight has no data on, as the CRM knows them."""

    credit_rating: float | None = Field(default=None, allow_inf_nan=False)
    bank_credit_line: float | None = Field(default=None, allow_inf_nan=False)
    lawsuits_open: float | None = Field(default=None, ge=0, allow_inf_nan=False)
    tax_grade: float | None = Field(default=None, allow_inf_nan=False)


class NewCustomer(_Response):
    """Why a deal was decided as a new customer's: the orders so far and the step applied."""

    orders_so_far: int = Field(examples=[0])
    step: str = Field(examples=["first_order"])
    known_to_arsight: bool = Field(
        description="false: no data on the customer; the tier comes from the signals sent"
    )
    overlays: list[str] = Field(default_factory=list, description="fired on the signals sent")


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
    segment: str | None = Field(
        default=None, max_length=64, description="new customers only: the size segment"
    )
    industry: str | None = Field(default=None, max_length=128, description="new customers only")
    country: str | None = Field(default=None, max_length=64, description="new customers only")
    signals: ProspectSignals | None = Field(
        default=None, description="new customers only: health signals known to the CRM"
    )


class Exposure(_Response):
    """Open amount plus the deal, against the credit limit (null limit: none on file)."""

    open_amount: float
    deal_amount: float
    exposure_after: float
    credit_limit: float | None
    utilisation_after: float | None


class TermsOption(_Response):
    """The customer re-scored at one payment term (`serving.terms_tradeoff`)."""

    terms_days: int
    labels: list[Literal["agreed", "requested", "recommended"]] = Field(
        description="which terms these are: the customer's agreed, the deal's requested, the "
        "policy's recommended (one term can be several)"
    )
    delinquency_probability: float
    risk_tier: Tier


class DealResponse(_Response):
    """The decision, its conditions and everything it was based on."""

    request_id: str
    customer_id: str
    decision: Decision
    conditions: list[str] = Field(
        examples=[["payment terms shortened from 60 to 30 days (policy rule tier_terms.yellow)"]]
    )
    rules_fired: list[str] = Field(
        examples=[["tier_terms.yellow"]],
        description="The policy rules behind the conditions, in the same order",
    )
    requested_terms_days: int
    recommended_terms: Terms
    exposure: Exposure
    policy_version: str
    score: CustomerScore | None = Field(description="null for a customer arsight has no data on")
    new_customer: NewCustomer | None = Field(
        default=None, description="set when the new-customer steps decided the deal"
    )
    case_id: str | None = Field(
        default=None,
        description="a referred deal opens a case: poll GET /v1/cases/{case_id} for its decision",
    )
    terms_tradeoff: list[TermsOption] | None = Field(
        default=None,
        description="the customer re-scored with only its payment terms changed, at the agreed, "
        "requested and recommended terms, shortest first: the model's view of what the terms "
        "do to the delinquency risk (null for a new customer or a model that does not read "
        "the terms)",
    )


class HistoryEntry(_Response):
    """One audited answer about the customer."""

    request_id: str
    time: datetime
    endpoint: str
    caller_role: str
    risk_tier: Tier
    delinquency_probability: float | None = Field(
        description="null for answers served before the credit model decided tiers"
    )
    overdue_probability: float | None = Field(
        description="null for a deal for a customer arsight had no data on"
    )
    dso_30d: float | None
    decision: Decision | None
    model_version: str
    policy_version: str
    features_as_of: date


class TierChange(_Response):
    """A change of risk tier between two consecutive audited answers."""

    time: datetime
    from_tier: Tier
    to_tier: Tier
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
