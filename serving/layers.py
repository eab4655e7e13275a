"""A customer's layer from its data, its RFM segment and its 12-month value.

DOMAIN ("Customer layers and terms") layers customers by what they are to the seller, not by
the size segment typed into the ERP ("large is not low risk"):

- strategic (DOMAIN: 5+ years, 30%+ of orders): 5+ years a customer and 30%+ of the
  portfolio's 12-month sales, or 12-month sales of at least the rule's `min_sales_12m`;
- key (2-3 years, 15-30% of orders): 2+ years and 15%+ of sales, or `min_sales_12m`;
- general (under 2 years, 5-15% of orders): 5%+ of sales or `min_sales_12m`, or a year a
  customer;
- potential (start-ups, under 5% of orders): the rest, start-ups read as under a year (a
  small customer of 18 months is not asked for 30% prepayment).

A share of the seller's sales is what DOMAIN's seller with a few dozen customers means; in a
portfolio of thousands no customer reaches 5%, so each rule also takes a sales amount
(`min_sales_12m`, in the ledger's currency: set it to yours; arsight defaults, the key one
DOMAIN's RFM "M >= 1M" of a loyal high-value customer). Two DOMAIN signals move a customer
down: orders shrinking (`customer_order_volume_change_90d` at or below
`shrinking_order_change`: a strategic or key customer one layer lower, never into potential:
a small customer's quarter holds too few orders to say it is leaving) and the RFM "low value
at risk of churn" (no order in `lapsed_days`, at most `rare_orders` orders and at most
`low_value` in a year: no higher than `at_risk_layer`, DOMAIN's "shorter terms or cash").
A customer without sales history keeps the layer of its segment (`segment_layers`): the
segment is the fallback input, never the answer for a customer arsight has data on.

The value figure is 12-month sales net of the expected cost of late payment: financing the
days it pays late (`value.financing_rate` a year) and the expected loss on what it owes
(open amount x delinquency probability x `value.loss_given_delinquency`). Everything is
vectorised over a portfolio frame, shares taken within each `as_of` (one snapshot: the online
store, a nightly run; several: the policy what-if's month ends).
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd

from features.derived import number_column
from serving.policy import Policy

LAYER_COLUMNS = ("customer_layer", "layer_basis", "rfm_segment")
RFM_SEGMENTS = ("loyal_high_value", "at_risk_low_value", "regular")


def segment_layer(policy: Policy, segment: object) -> str:
    """The layer of a size segment (`segment_layers`; unknown or null: `default_layer`)."""
    return policy.segment_layers.get(
        segment if isinstance(segment, str) else "", policy.default_layer
    )


def _shares(features: pd.DataFrame, sales: pd.Series, total_sales: float | None) -> pd.Series:
    """Each customer's share of the 12-month sales of its snapshot (of `total_sales` when
    given: a partition of the portfolio is divided by the whole portfolio's sales)."""
    if total_sales is None and "as_of" in features and features["as_of"].nunique() > 1:
        totals = sales.groupby(features["as_of"]).agg(lambda v: math.fsum(v.dropna()))
        total = features["as_of"].map(totals)
    else:
        value = portfolio_sales(sales) if total_sales is None else total_sales
        total = pd.Series(value, index=sales.index)
    return (sales / total).where(total > 0)


def portfolio_sales(sales: pd.Series) -> float:
    """The sum of one snapshot's 12-month sales, exactly rounded (`math.fsum`), so a Spark
    run summing the same values in another order gets the same total."""
    return math.fsum(sales.dropna().astype("float64"))


def rfm_segments(policy: Policy, features: pd.DataFrame) -> pd.Series:
    """DOMAIN's RFM reading per customer: loyal high value, low value at risk, or regular."""
    rules = policy.layer_rules
    if rules is None:
        return pd.Series("regular", index=features.index, dtype="str")
    recency = number_column(features, "customer_days_since_last_invoice")
    frequency = number_column(features, "customer_invoice_count_365d")
    monetary = number_column(features, "customer_sales_amount_365d")
    rfm = rules.rfm
    loyal = (
        (recency <= rfm.recent_days)
        & (frequency >= rfm.frequent_orders)
        & (monetary >= rfm.high_value)
    )
    at_risk = (
        ((recency > rfm.lapsed_days) | recency.isna())
        & (frequency.fillna(0) <= rfm.rare_orders)
        & (monetary.fillna(0) <= rfm.low_value)
    )
    segment = np.select([loyal, at_risk], ["loyal_high_value", "at_risk_low_value"], "regular")
    return pd.Series(segment, index=features.index, dtype="str")


def customer_layers(
    policy: Policy, features: pd.DataFrame, total_sales: float | None = None
) -> pd.DataFrame:
    """`LAYER_COLUMNS` for every row of a portfolio frame (module docstring); `total_sales`:
    the portfolio's 12-month sales when `features` is only part of it (a Spark partition)."""
    rules = policy.layer_rules
    fallback = features[policy.context.segment].map(lambda s: segment_layer(policy, s))
    rfm = rfm_segments(policy, features)
    if rules is None:
        basis = features[policy.context.segment].map(lambda s: f"segment {s}")
        return pd.DataFrame(
            {"customer_layer": fallback.astype("str"), "layer_basis": basis.astype("str"),
             "rfm_segment": rfm},
            index=features.index,
        )  # fmt: skip
    sales = number_column(features, "customer_sales_amount_365d")
    share = _shares(features, sales, total_sales)
    tenure = number_column(features, "customer_tenure_days").fillna(0.0)
    order = [rule.layer for rule in rules.rules] + [rules.otherwise]
    rank = np.full(len(features), len(rules.rules))
    for i, rule in reversed(list(enumerate(rules.rules))):
        size = (share >= rule.min_sales_share) | (sales >= rule.min_sales_12m)
        long = tenure >= rule.min_tenure_days
        reached = (long & size) if rule.tenure_and_size else (long | size)
        rank = np.where(reached.to_numpy(bool), i, rank)
    change = number_column(features, "customer_order_volume_change_90d")
    lowest_rule = len(rules.rules) - 1
    shrinking = (change <= rules.shrinking_order_change).to_numpy(bool) & (rank < lowest_rule)
    rank = np.where(shrinking, rank + 1, rank)
    at_risk = (rfm == "at_risk_low_value").to_numpy(bool)
    rank = np.where(at_risk, np.maximum(rank, order.index(rules.at_risk_layer)), rank)
    layers = pd.Series(np.asarray(order, dtype=object)[rank], index=features.index)
    known = sales.notna().to_numpy()
    layers = layers.where(known, fallback).astype("str")
    basis = [
        _basis(*values, rules.shrinking_order_change)
        for values in zip(layers, tenure, sales, share, shrinking, at_risk, known,
                          features[policy.context.segment], strict=True)
    ]  # fmt: skip
    return pd.DataFrame(
        {"customer_layer": layers, "layer_basis": basis, "rfm_segment": rfm},
        index=features.index,
    )


def _basis(
    layer: str,
    tenure: float,
    sales: float,
    share: float,
    shrinking: bool,
    at_risk: bool,
    known: bool,
    segment: object,
    shrink_bound: float,
) -> str:
    """How one layer was reached, in a credit officer's words."""
    if not known:
        return f"{layer}: no sales history, the layer of segment {segment}"
    share_text = "" if share != share else f" ({share:.1%} of the portfolio's)"
    text = (
        f"{layer}: a customer for {tenure / 365:.1f} years, 12-month sales {sales:,.0f}{share_text}"
    )
    if shrinking:
        text += f"; orders down {abs(shrink_bound):.0%}+ in 90 days: one layer lower"
    if at_risk:
        text += "; low value at risk of churn (RFM)"
    return text


def customer_value(
    policy: Policy, features: pd.DataFrame, delinquency_probability: pd.Series
) -> pd.Series:
    """12-month sales net of the expected cost of late payment (module docstring)."""
    rules = policy.value
    sales = number_column(features, "customer_sales_amount_365d").fillna(0.0)
    late = number_column(features, "customer_days_late_mean_365d").fillna(0.0).clip(lower=0.0)
    owed = number_column(features, policy.context.open_amount).fillna(0.0)
    financing = sales * late / 365 * rules.financing_rate
    loss = owed * delinquency_probability.astype("float64") * rules.loss_given_delinquency
    return (sales - financing - loss).astype("float64")
