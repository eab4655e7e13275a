"""The terms trade-off of a deal: what the terms do to the customer's delinquency risk.

A customer asking for 90 days instead of its agreed 30 wants more credit for longer; the
officer's question is how much riskier the customer is on those terms. arsight answers it by
re-scoring the customer's own features with only the payment terms changed (the model's
`customer_terms_days`), at the agreed, the requested and the policy's recommended terms, and
tiering each answer with the policy. It is the model's view of terms, learned from customers on
different terms, not an experiment: said so in the API's description. Where the model does not
read the terms (no delinquency model, or the policy's terms column is not a model feature) there
is no trade-off to show, and the answer says null.
"""

from __future__ import annotations

from collections.abc import Mapping

import pandas as pd

from models.bundle import ModelBundle
from serving.policy import Policy, assign_tiers
from serving.schemas import TermsOption

LABEL_ORDER = ("agreed", "requested", "recommended")


def terms_tradeoff(
    bundle: ModelBundle, policy: Policy, row: pd.DataFrame, terms: Mapping[str, int | None]
) -> list[TermsOption] | None:
    """The delinquency probability and tier at each of `terms` (label -> days; None skipped).

    Args:
        bundle: the served bundle.
        policy: the served policy (its terms column and tiers).
        row: the customer's one-row feature frame from the online store.
        terms: "agreed", "requested", "recommended" -> days; equal days are scored once and
            listed under every label they carry, in `LABEL_ORDER`.
    """
    column = policy.context.terms_days
    if bundle.delinquency_classifier is None or column not in bundle.feature_names:
        return None
    days = sorted({int(d) for d in terms.values() if d is not None})
    if not days:
        return None
    frame = pd.concat([row] * len(days), ignore_index=True)
    frame[column] = pd.Series(days, dtype=row[column].dtype if column in row else "float64")
    scored = bundle.predict_delinquency(frame[bundle.feature_names])
    probability = pd.Series(scored, index=frame.index)
    tiers, _ = assign_tiers(policy, probability, frame)
    options = []
    for i, value in enumerate(days):
        labels = [label for label in LABEL_ORDER if terms.get(label) == value]
        options.append(
            TermsOption(
                terms_days=value,
                labels=labels,
                delinquency_probability=float(probability.iloc[i]),
                risk_tier=str(tiers.iloc[i]),
            )
        )
    return options
