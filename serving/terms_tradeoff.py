"""The terms trade-off of a deal: what the terms do to the customer's delinquency risk.

A customer asking for 90 days instead of its agreed 30 wants more credit for longer; the
officer's question is how much riskier the customer is on those terms. arsight answers it by
re-scoring the customer's own features with only the payment terms changed (the model's
`customer_terms_days`), at the agreed, the requested and the policy's recommended terms, and
tiering each answer with the policy. It is the model's view of terms, learned from customers on
different terms, not an experiment: said so in the API's description. A request edits one row
of the snapshot's encoded matrix (`Served.model_matrix`) and runs the delinquency booster on a
few rows: a frame per request cost 20 ms, this costs well under one. Where the model does not
read the terms (no delinquency model, or the policy's terms column is not a model feature) there
is no trade-off to show, and the answer says null.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np

from models.bundle import ModelBundle
from serving.policy import TIERS, Policy, base_tiers, tier_rank
from serving.schemas import TermsOption

LABEL_ORDER = ("agreed", "requested", "recommended")


def terms_tradeoff(
    bundle: ModelBundle,
    policy: Policy,
    row: np.ndarray,
    overlays: Sequence[str],
    terms: Mapping[str, int | None],
) -> list[TermsOption] | None:
    """The delinquency probability and tier at each of `terms` (label -> days; None skipped).

    Args:
        bundle: the served bundle.
        policy: the served policy (its terms column, tiers and overlays).
        row: the customer's encoded features (`ModelBundle.model_matrix`, one row).
        overlays: the overlays that fired on the customer's score: they read its signals, not
            its terms, so each option's tier is its probability's band lifted by them.
        terms: "agreed", "requested", "recommended" -> days; equal days are scored once and
            listed under every label they carry, in `LABEL_ORDER`.
    """
    column = policy.context.terms_days
    if bundle.delinquency_classifier is None or column not in bundle.feature_names:
        return None
    days = sorted({int(d) for d in terms.values() if d is not None})
    if not days:
        return None
    matrix = np.repeat(np.asarray(row, dtype=float).reshape(1, -1), len(days), axis=0)
    matrix[:, bundle.feature_names.index(column)] = days
    probability = bundle.delinquency_from_matrix(matrix)
    lifts = [tier_rank(o.at_least) for o in policy.overlays if o.name in set(overlays)]
    ranks = np.maximum(base_tiers(policy, probability), max(lifts, default=0))
    options = []
    for i, value in enumerate(days):
        labels = [label for label in LABEL_ORDER if terms.get(label) == value]
        options.append(
            TermsOption(
                terms_days=value,
                labels=labels,  # type: ignore[arg-type]
                delinquency_probability=float(probability[i]),
                risk_tier=TIERS[int(ranks[i])],
            )
        )
    return options
