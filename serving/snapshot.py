"""The snapshot the server answers from: champion bundle + online store, pre-scored.

A `Served` snapshot is immutable and complete: model, store, policy, every customer's scores
and reasons, and every feature's overdue contribution (the pages' waterfall reads them instead
of explaining again). Requests take one reference to the current snapshot and use only it, so a
swap by the `serving.refresher.Refresher` (one attribute assignment, atomic in Python) never
mixes a new model with an old store inside a request, and in-flight requests finish on the
snapshot they started with.
"""

from __future__ import annotations

import json
import logging
import math
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from types import MappingProxyType
from typing import Any, cast

import numpy as np
import pandas as pd

from features.derived import number_column
from features.store import OnlineStore
from models.bundle import ModelBundle
from models.scorecard import score_scorecard
from serving.credit_limit import recommended_limits
from serving.errors import ConsistencyError
from serving.invoice_record import InvoicePrediction
from serving.invoices import served_invoices
from serving.layers import customer_layers, customer_value
from serving.model_loader import ModelRef
from serving.policy import Policy
from serving.record import OUTPUT_FIELDS, Reason, Reasons
from serving.schemas import CustomerScore, ScorecardDimension
from serving.scoring import (
    build_reason_context,
    require_credit_model,
    scorable_mask,
    score_frame_with_points,
)

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class Served:
    """One consistent (model, store, policy) triple with every customer scored."""

    ref: ModelRef
    bundle: ModelBundle
    store: OnlineStore
    store_token: str
    policy: Policy
    scores: Mapping[str, dict[str, Any]]
    no_features: frozenset[str]
    loaded_at: datetime
    contributions: pd.DataFrame = field(default_factory=pd.DataFrame)
    """Every feature's overdue contribution in probability points, one row per scored customer
    (index customer_id): what the scores' reasons were cut from."""
    deal_context: Mapping[str, DealContext] = field(default_factory=dict)
    answers: Mapping[str, CustomerScore] = field(default_factory=dict)
    """The API answer of every scored customer, built once with the snapshot (read-only)."""
    invoice_rows: pd.DataFrame | None = None
    """The invoice store read with the store (`features.invoice_store`; None without one)."""
    invoices: Mapping[str, tuple[InvoicePrediction, ...]] = field(default_factory=dict)
    """Every open invoice's prediction by customer, scored with the snapshot
    (`serving.invoices.served_invoices`; empty without an invoice model or store)."""
    model_matrix: np.ndarray | None = None
    """The scored customers' encoded features (`ModelBundle.model_matrix`; 8 bytes x features
    x customers, 79 MB for 100,000), rows by `matrix_rows`: the deal's terms trade-off."""
    matrix_rows: Mapping[str, int] = field(default_factory=dict)

    @property
    def features_as_of(self) -> date:
        return pd.Timestamp(self.store.features_as_of).date()


@dataclass(frozen=True)
class DealContext:
    """What a deal decision reads from the store besides the score."""

    open_amount: float
    credit_limit: float | None
    segment: str | None
    terms_days: float | None
    tenure_days: float | None = None
    invoices_in_window: float | None = None
    """Invoices of the policy's `new_customers.counted_within_days` (orders so far, when the
    tenure is within it: `serving.new_customers.orders_so_far`)."""
    layer: str | None = None
    """The customer's layer from its data (`serving.layers`); None: its segment's."""


def _maybe(value: float) -> float | None:
    return None if math.isnan(value) else float(value)


def deal_contexts(
    frame: pd.DataFrame, policy: Policy, layers: pd.Series | None = None
) -> dict[str, DealContext]:
    """Open amount (null: nothing open), credit limit, segment, agreed terms, tenure and recent
    invoices per customer, once per load."""
    names = policy.context
    window = f"customer_invoice_count_{policy.new_customers.counted_within_days}d"
    columns = zip(
        frame.index,
        number_column(frame, names.open_amount).fillna(0.0),
        number_column(frame, names.credit_limit),
        frame[names.segment],
        number_column(frame, names.terms_days),
        number_column(frame, "customer_tenure_days"),
        number_column(frame, window),
        layers.reindex(frame.index) if layers is not None else [None] * len(frame),
        strict=True,
    )
    return {
        str(c): DealContext(
            float(a),
            _maybe(lim),
            s if isinstance(s, str) else None,
            _maybe(d),
            _maybe(tenure),
            _maybe(count),
            layer if isinstance(layer, str) else None,
        )
        for c, a, lim, s, d, tenure, count, layer in columns
    }


def check_consistent(ref: ModelRef, bundle: ModelBundle, store: OnlineStore) -> None:
    """Refuse a model whose feature list or pipeline differs from the store's, naming them."""
    model, stored = set(bundle.feature_names), set(store.feature_names)
    if model != stored:
        raise ConsistencyError(
            f"model {ref.name} v{ref.version} refused: its features differ from the online "
            f"store's: only in the model {sorted(model - stored)}, "
            f"only in the store {sorted(stored - model)}"
        )
    if str(bundle.pipeline_version) != str(store.pipeline_version):
        raise ConsistencyError(
            f"model {ref.name} v{ref.version} refused: feature pipeline "
            f"{bundle.pipeline_version} differs from the online store's {store.pipeline_version}"
        )
    require_credit_model(bundle, f"{ref.name} v{ref.version}")


def build_served(
    ref: ModelRef,
    bundle: ModelBundle,
    store: OnlineStore,
    token: str,
    policy: Policy,
    top_k: int,
    invoice_rows: pd.DataFrame | None = None,
) -> Served:
    """Check the pair and score every customer of the store that has features, and every open
    invoice of `invoice_rows` (the invoice store beside it) where the bundle can."""
    check_consistent(ref, bundle, store)
    policy.check_columns(store.frame.columns)
    frame = store.frame
    empty = ~scorable_mask(frame, bundle)
    context = build_reason_context(frame, bundle, policy, top_k)
    scored, contributions = score_frame_with_points(frame.loc[~empty], bundle, policy, context)
    records = {str(k): cast(dict[str, Any], v) for k, v in scored.to_dict("index").items()}
    contributions.index = contributions.index.astype("str")
    as_of = pd.Timestamp(store.features_as_of).date()
    versions = ScoreVersions(ref.name, ref.version, policy.version, as_of)
    layers = customer_layers(policy, frame)
    limits = (
        recommended_limits(policy, frame.loc[~empty], scored["risk_tier"], layers["customer_layer"])
        .join(score_scorecard(policy.scorecard, frame.loc[~empty], policy.context.segment))
        .join(layers)
        .assign(
            customer_value_12m=customer_value(
                policy, frame.loc[~empty], scored["delinquency_probability"]
            )
        )
    )
    limits.index = limits.index.astype("str")
    answers = {
        c: customer_score(c, record, versions, limits.loc[c].to_dict())
        for c, record in records.items()
    }
    scorable = frame.loc[~empty]
    matrix = bundle.model_matrix(scorable[bundle.feature_names]) if len(scorable) else None
    return Served(
        model_matrix=matrix,
        matrix_rows=MappingProxyType({str(c): i for i, c in enumerate(scorable.index)}),
        ref=ref,
        bundle=bundle,
        store=store,
        store_token=token,
        policy=policy,
        scores=MappingProxyType(records),
        no_features=frozenset(str(c) for c in frame.index[empty]),
        loaded_at=datetime.now(UTC),
        contributions=contributions,
        deal_context=MappingProxyType(deal_contexts(frame, policy, layers["customer_layer"])),
        answers=MappingProxyType(answers),
        invoice_rows=invoice_rows,
        invoices=MappingProxyType(
            served_invoices(bundle, invoice_rows, frame, store.features_as_of, top_k)
        ),
    )


@dataclass(frozen=True)
class ScoreVersions:
    """What every answer of one snapshot names: model, policy and the features' date."""

    model_name: str
    model_version: str
    policy_version: str
    features_as_of: date


def customer_score(
    customer_id: str,
    record: Mapping[str, Any],
    versions: ScoreVersions,
    limit: Mapping[str, Any] | None = None,
) -> CustomerScore:
    """The API model of one pre-scored customer (a row of `scoring.score_frame`) with its
    recommended credit limit and scorecard (`serving.credit_limit.LIMIT_COLUMNS`,
    `models.scorecard.SCORECARD_COLUMNS`; none when not given)."""
    known = limit or {}
    amount = known.get("recommended_credit_limit")
    dimensions = (
        json.loads(known["scorecard_dimensions"]) if "scorecard_dimensions" in known else []
    )
    value = known.get("customer_value_12m")
    return CustomerScore(
        customer_layer=known.get("customer_layer"),
        layer_basis=known.get("layer_basis"),
        rfm_segment=known.get("rfm_segment"),
        customer_value_12m=None if value is None or math.isnan(value) else float(value),
        recommended_credit_limit=None if amount is None or math.isnan(amount) else float(amount),
        credit_limit_basis=known.get("credit_limit_basis"),
        scorecard_points=known.get("scorecard_points"),
        scorecard_band=known.get("scorecard_band"),
        scorecard_dimensions=[ScorecardDimension(**d) for d in dimensions],
        customer_id=customer_id,
        **{name: record[name] for name in OUTPUT_FIELDS},
        reasons=Reasons(
            **{
                name: [Reason(**r) for r in record[f"reasons_{name}"]]
                for name in Reasons.model_fields
            }
        ),
        model_name=versions.model_name,
        model_version=versions.model_version,
        policy_version=versions.policy_version,
        features_as_of=versions.features_as_of,
    )
