"""The recommended credit limit: what a customer needs on credit, as far as its risk allows.

    need  = expected monthly sales x (agreed terms + expected days late) / 30
    limit = need x tier factor [x bank-line factor], at most the layer's maximum, rounded down

- expected monthly sales (`features.derived.monthly_sales`): the last 365 days' sales over the
  months of them the customer has been one (a customer of four months: over four, not 12);
  a customer who buys 120,000 a month on 60-day terms and pays 5 days late has
  about 260,000 outstanding at any time, which is what a limit has to carry;
- agreed terms: the customer's own (the layer's when unknown); expected days late: its mean
  over the last 365 days, never below 0 (early payers need no less credit than punctual ones);
- tier factor (`credit_limits.tier_factors`): headroom for green, none for yellow, a cut for
  orange, nothing on credit for red;
- bank line (`features.derived.bank_line_cut`): cut by at least `bank_line_cut.share` in 180
  days (the DOMAIN worked case) scales the limit by `bank_line_cut.factor`;
- never above `credit_limits.layer_max` of the customer's layer.

Every row gets the sentence of how its figure was reached (`credit_limit_basis`), so a credit
officer can check it by hand. Vectorised: the batch job and the served snapshot compute it for
every scored customer at once.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from features.derived import bank_line_cut, monthly_sales, number_column
from serving.layers import segment_layer
from serving.policy import Policy

LIMIT_COLUMNS = ("recommended_credit_limit", "credit_limit_basis")


def recommended_limits(
    policy: Policy, features: pd.DataFrame, tiers: pd.Series, layers: pd.Series | None = None
) -> pd.DataFrame:
    """`LIMIT_COLUMNS` for every row of `features` with a tier in `tiers` (same index).

    `layers`: each customer's layer from its data (`serving.layers.customer_layers`); None:
    its segment's (`segment_layers`)."""
    rules = policy.credit_limits
    if layers is None:
        layers = features[policy.context.segment].map(lambda s: segment_layer(policy, s))
    layers = layers.reindex(features.index).fillna(policy.default_layer).astype("str")
    standard = layers.map(lambda layer: policy.layers[layer].terms_days).astype("float64")
    terms = number_column(features, policy.context.terms_days).fillna(standard)
    late = number_column(features, "customer_days_late_mean_365d").fillna(0.0).clip(lower=0.0)
    sales = monthly_sales(features).fillna(0.0)
    factor = tiers.map(rules.tier_factors).astype("float64")
    need = sales * (terms + late) / 30
    cut = bank_line_cut(features)
    hit = cut >= rules.bank_line_cut.share
    limit = need * factor * np.where(hit, rules.bank_line_cut.factor, 1.0)
    ceiling = layers.map(rules.layer_max).astype("float64")
    capped = limit > ceiling
    limit = np.floor(np.minimum(limit, ceiling) / rules.round_to) * rules.round_to
    basis = [
        _basis(*values, rules.bank_line_cut.factor)
        for values in zip(
            sales, terms, late, tiers, factor, hit, cut, capped, layers, ceiling, strict=True
        )
    ]
    frame = pd.DataFrame(
        {"recommended_credit_limit": limit.astype("float64"), "credit_limit_basis": basis},
        index=features.index,
    )
    unknown = tiers.isna() | factor.isna()
    frame.loc[unknown, "recommended_credit_limit"] = np.nan
    frame.loc[unknown, "credit_limit_basis"] = None
    return frame


def _basis(
    sales: float,
    terms: float,
    late: float,
    tier: object,
    factor: float,
    hit: bool,
    cut: float,
    capped: bool,
    layer: str,
    ceiling: float,
    cut_factor: float,
) -> str:
    """How one limit was reached, in a credit officer's words."""
    text = (
        f"monthly sales {sales:,.0f} x ({terms:.0f} days terms + {late:.0f} days late) / 30 "
        f"x {factor:g} ({tier})"
    )
    if hit:
        text += f" x {cut_factor:g} (bank line cut {cut:.0%} in 180 days)"
    if capped:
        text += f", capped at the {layer} layer's {ceiling:,.0f}"
    return text
