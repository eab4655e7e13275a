"""The risk policy: tiers from calibrated probability plus rule overlays, deal decisions and
recommended terms. Policy-as-data: a versioned YAML file (defaults in `policy_default.yaml`,
override with `ARSIGHT_POLICY`) parsed into the pydantic models below; its `version` is written
into every decision and audit row, so a decision can always be traced to the rules that made it.

Tiers are ordered green < yellow < orange < red. The probability gives the base tier; an overlay
whose conditions all hold raises the tier to at least its `at_least` (never lowers it). A null
feature value never satisfies a condition: missing data does not escalate by itself.
"""

from __future__ import annotations

import operator
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Literal

import numpy as np
import pandas as pd
import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from models.scorecard import Scorecard
from serving.collections.ladder_policy import Ladder
from serving.errors import PolicyError

Tier = Literal["green", "yellow", "orange", "red"]
TIERS: tuple[Tier, ...] = ("green", "yellow", "orange", "red")
DEFAULT_POLICY_PATH = Path(__file__).with_name("policy_default.yaml")

_OPS: dict[str, Callable[[np.ndarray, float], np.ndarray]] = {
    ">": operator.gt,
    ">=": operator.ge,
    "<": operator.lt,
    "<=": operator.le,
}


class _Strict(BaseModel):
    model_config = ConfigDict(
        extra="forbid", frozen=True, json_schema_serialization_defaults_required=True
    )


class TierBand(_Strict):
    """A tier reached when the probability is below `below` (the last band has no bound)."""

    name: Tier
    below: float | None = Field(default=None, gt=0.0, le=1.0)


class Condition(_Strict):
    """`feature op value`, e.g. customer_dso_days > 60."""

    feature: str
    op: Literal[">", ">=", "<", "<="]
    value: float


class Overlay(_Strict):
    """A rule that lifts the tier to at least `at_least` when every condition holds."""

    name: str
    at_least: Tier
    all: list[Condition] = Field(min_length=1)
    description: str


class Terms(_Strict):
    """Payment terms in days and the share of the order paid before delivery."""

    terms_days: int = Field(ge=0)
    prepayment_share: float = Field(default=0.0, ge=0.0, le=1.0)


class TierTerms(_Strict):
    """What a tier allows at most: a cap on terms and a floor on prepayment."""

    max_terms_days: int | None = Field(default=None, ge=0)
    min_prepayment_share: float = Field(default=0.0, ge=0.0, le=1.0)


class Context(_Strict):
    """Names of the online-store columns the policy reads besides the model features."""

    open_amount: str
    credit_limit: str
    segment: str
    industry: str
    terms_days: str


class DealRules(_Strict):
    """How credit risk and exposure against the credit limit turn into a decision.

    `refer_tiers_above_utilisation` weighs risk against exposure: a customer of that tier whose
    exposure after the deal exceeds that share of its limit is referred (orange at 75% by
    default), while the same deal for a green customer goes through.
    """

    refer_above_utilisation: float = Field(gt=0.0)
    condition_above_utilisation: float = Field(gt=0.0)
    missing_credit_limit: Literal["refer", "approve_with_conditions"]
    decline_tiers_over_limit: list[Tier]
    refer_tiers: list[Tier]
    refer_tiers_above_utilisation: dict[Tier, float] = Field(default_factory=dict)


class NewCustomerStep(_Strict):
    """What the n-th order of a new customer allows at most (n = the step's position + 1)."""

    name: str = Field(pattern=r"^[a-z][a-z0-9_]*$")
    max_terms_days: int = Field(ge=0)
    min_prepayment_share: float = Field(ge=0.0, le=1.0)


class NewCustomers(_Strict):
    """New customers step up (DOMAIN): one step per order so far; established after them.

    Orders so far are the customer's invoices before the deal: none for a customer arsight has
    no data on; for one in the store, its invoices of the last `counted_within_days` when its
    tenure is within that window (all of its invoices, then), else it is established."""

    steps: list[NewCustomerStep] = Field(min_length=1)
    counted_within_days: Literal[30, 90, 180, 365]
    """The window of the `customer_invoice_count_<days>d` feature the orders are counted by."""


class BankLineCut(_Strict):
    """A bank credit line cut by at least `share` in 180 days scales the limit by `factor`."""

    share: float = Field(gt=0.0, le=1.0)
    factor: float = Field(ge=0.0, le=1.0)


class CreditLimits(_Strict):
    """How the recommended credit limit is set (`serving.credit_limit`)."""

    tier_factors: dict[Tier, float]
    bank_line_cut: BankLineCut
    layer_max: dict[str, float]
    round_to: float = Field(gt=0.0)


class TermsReview(_Strict):
    """Who is proposed longer terms in the periodic terms review (`serving.batch.terms_review`)."""

    reward_days: int = Field(ge=1)
    reward_min_tenure_days: int = Field(default=365, ge=0)
    punctual_max_days_late: float
    punctual_max_late_share: float = Field(ge=0.0, le=1.0)
    large_monthly_sales: float = Field(ge=0.0)
    max_terms_days: int = Field(ge=0)
    stable_tenure_days: int = Field(ge=0)


class LayerRule(_Strict):
    """When a customer reaches a layer (`serving.layers`): tenure and size, or either."""

    layer: str
    min_tenure_days: int = Field(ge=0)
    min_sales_share: float = Field(ge=0.0, le=1.0)
    min_sales_12m: float = Field(ge=0.0)
    tenure_and_size: bool = True
    """True: both the tenure and a size (share or amount) are needed; False: either."""


class Rfm(_Strict):
    """DOMAIN's RFM readings: loyal high value, and low value at risk of churn."""

    recent_days: int = Field(ge=0)
    frequent_orders: int = Field(ge=0)
    high_value: float = Field(ge=0.0)
    lapsed_days: int = Field(ge=0)
    rare_orders: int = Field(ge=0)
    low_value: float = Field(ge=0.0)


class LayerRules(_Strict):
    """Layers from data (`serving.layers`), highest layer first."""

    rules: list[LayerRule] = Field(min_length=1)
    otherwise: str
    shrinking_order_change: float = Field(le=0.0)
    rfm: Rfm
    at_risk_layer: str


class CustomerValue(_Strict):
    """The cost of late payment netted off a customer's 12-month sales (`serving.layers`)."""

    financing_rate: float = Field(ge=0.0)
    loss_given_delinquency: float = Field(ge=0.0, le=1.0)


class Monitoring(_Strict):
    """How far a judged figure may fall behind the model card's backtest before a model alert
    (`serving.batch.monitoring`), and how many days back the runs judged were made."""

    lookbacks_days: list[int] = Field(min_length=1)
    auc_drop: float = Field(ge=0.0)
    ece_rise: float = Field(ge=0.0)
    mae_rise_days: float = Field(ge=0.0)
    coverage_drop: float = Field(ge=0.0)
    wape_rise: float = Field(ge=0.0)


class Policy(_Strict):
    """The whole risk policy, as parsed from YAML."""

    version: str = Field(min_length=1)
    tiers: list[TierBand] = Field(min_length=1)
    overlays: list[Overlay]
    context: Context
    layers: dict[str, Terms]
    segment_layers: dict[str, str]
    default_layer: str
    tier_terms: dict[Tier, TierTerms]
    deals: DealRules
    dunning: Ladder
    monitoring: Monitoring
    new_customers: NewCustomers
    credit_limits: CreditLimits
    terms_review: TermsReview
    scorecard: Scorecard = Field(default_factory=Scorecard)
    """The points scorecard shown beside the model (`models.scorecard`; DOMAIN defaults)."""
    layer_rules: LayerRules | None = None
    """Layers from data; None: a customer's layer is its segment's (`segment_layers`)."""
    value: CustomerValue = Field(
        default_factory=lambda: CustomerValue(financing_rate=0.08, loss_given_delinquency=0.5)
    )

    @model_validator(mode="after")
    def _check(self) -> Policy:
        bounds = [b.below for b in self.tiers[:-1] if b.below is not None]
        if len(bounds) != len(self.tiers) - 1 or self.tiers[-1].below is not None:
            raise ValueError("tiers: every band but the last needs `below`; the last must not")
        if bounds != sorted(bounds):
            raise ValueError(f"tiers: `below` must increase, got {bounds}")
        used = {self.default_layer, *self.segment_layers.values()}
        if self.layer_rules is not None:
            rules = self.layer_rules
            used |= {r.layer for r in rules.rules} | {rules.otherwise, rules.at_risk_layer}
        unknown = sorted(used - set(self.layers))
        if unknown:
            raise ValueError(f"layers {unknown} are used but not defined in `layers`")
        missing = sorted(set(TIERS) - set(self.tier_terms))
        if missing:
            raise ValueError(f"tier_terms: missing tiers {missing}")
        missing = sorted(set(TIERS) - set(self.credit_limits.tier_factors))
        if missing:
            raise ValueError(f"credit_limits.tier_factors: missing tiers {missing}")
        missing = sorted(set(self.layers) - set(self.credit_limits.layer_max))
        if missing:
            raise ValueError(f"credit_limits.layer_max: missing layers {missing}")
        return self

    def required_columns(self) -> list[str]:
        """Every store column the policy reads: overlay features and context columns."""
        names = {c.feature for o in self.overlays for c in o.all}
        names |= set(self.context.model_dump().values())
        return sorted(names)

    def check_columns(self, columns: Iterable[str]) -> None:
        """Raise PolicyError naming the columns the policy needs that the store lacks."""
        missing = sorted(set(self.required_columns()) - set(columns))
        if missing:
            raise PolicyError(
                f"policy {self.version}: online store lacks columns {missing} "
                "used by overlays or context"
            )


def load_policy(path: Path | None = None) -> Policy:
    """Read and validate a policy YAML; the packaged default when `path` is None."""
    path = path or DEFAULT_POLICY_PATH
    try:
        raw = yaml.safe_load(path.read_text(encoding="utf-8"))
    except OSError as exc:
        raise PolicyError(f"policy {path}: cannot read ({exc.strerror})") from exc
    except yaml.YAMLError as exc:
        raise PolicyError(f"policy {path}: not valid YAML ({exc})") from exc
    try:
        return Policy.model_validate(raw)
    except ValidationError as exc:
        first = exc.errors()[0]
        where = ".".join(str(p) for p in first["loc"]) or "(root)"
        raise PolicyError(f"policy {path}: {where}: {first['msg']}") from exc


def tier_rank(tier: str) -> int:
    """Position of `tier` in green < yellow < orange < red."""
    return TIERS.index(tier)  # type: ignore[arg-type]


def base_tiers(policy: Policy, probability: np.ndarray) -> np.ndarray:
    """Tier rank from probability alone: the first band whose `below` exceeds it."""
    bounds = np.array([b.below for b in policy.tiers[:-1]], dtype=float)
    band = np.searchsorted(bounds, probability, side="right")
    ranks = np.array([tier_rank(b.name) for b in policy.tiers])
    return ranks[band]


def _numeric(column: pd.Series) -> np.ndarray:
    """A column as float64 values, non-numbers as NaN; float64 columns are read as they are."""
    if column.dtype == "float64":
        return column.to_numpy()
    return pd.to_numeric(column, errors="coerce").to_numpy(float)


def assign_tiers(
    policy: Policy, probability: pd.Series, features: pd.DataFrame
) -> tuple[pd.Series, pd.Series]:
    """Tier and the names of the overlays that fired, per row of `features` (same index).

    Vectorised so the whole online store is tiered at load time in one pass.
    """
    ranks = base_tiers(policy, probability.to_numpy(dtype=float))
    fired: list[list[str]] = [[] for _ in range(len(features))]
    for overlay in policy.overlays:
        hold = np.ones(len(features), dtype=bool)
        for cond in overlay.all:
            values = _numeric(features[cond.feature])
            with np.errstate(invalid="ignore"):
                hold &= _OPS[cond.op](values, cond.value) & ~np.isnan(values)
        lift = tier_rank(overlay.at_least)
        for i in np.flatnonzero(hold):
            fired[i].append(overlay.name)
        ranks = np.where(hold, np.maximum(ranks, lift), ranks)
    tiers = pd.Series(np.asarray(TIERS, dtype=object)[ranks], index=features.index, dtype="str")
    return tiers, pd.Series(fired, index=features.index, dtype=object)


Decision = Literal["approve", "approve_with_conditions", "refer", "decline"]


def recommend_terms(
    policy: Policy,
    tier: str,
    segment: str | None,
    agreed_days: float | None = None,
    layer: str | None = None,
) -> Terms:
    """The longer of the segment's layer terms and the customer's agreed terms, capped by the tier.

    A customer's agreed terms are kept unless its tier caps them: a green customer on 60 days
    keeps 60 days even when its layer's standard is 45 (cutting a reliable customer's terms
    costs orders and tells it nothing); a yellow one is capped at the tier's 30 days; an orange
    one also pays the tier's minimum prepayment share. `agreed_days` null or NaN: unknown.
    `layer`: the customer's layer from its data (`serving.layers`); None: its segment's.
    """
    layer = layer or policy.segment_layers.get(segment or "", policy.default_layer)
    offer = policy.layers[layer]
    cap = policy.tier_terms[tier]  # type: ignore[index]
    days = offer.terms_days
    if agreed_days is not None and agreed_days == agreed_days and offer.prepayment_share == 0:
        days = max(days, int(agreed_days))
    if cap.max_terms_days is not None:
        days = min(days, cap.max_terms_days)
    share = max(offer.prepayment_share, cap.min_prepayment_share)
    return Terms(terms_days=days, prepayment_share=share)
