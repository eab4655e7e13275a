"""What the customer page shows: the API's answer plus the store row it was computed from.

Scores, reasons and audited history come from the function behind `GET /v1/customers/{id}`
(`serving.routes.customers.customer`), so the page and the API cannot disagree. The page adds
what a risk officer reads around them, all from the served snapshot:
- the SHAP waterfall of the credit risk that sets the tier: every feature's delinquency
  contribution for this customer, as the snapshot computed them with the scores
  (`Served.contributions`, probability points), labelled in business words
  (features/wording.py); they add up exactly to delinquency probability - its base;
- recommended terms from `serving.policy.recommend_terms` (tier, segment, agreed terms);
- invoice aging and DSO today from the online store's features;
- the open invoices with their predicted payment date and delay-bucket probabilities, as
  `GET /v1/customers/{id}/invoices` answers them (`Served.invoices`);
- health signals at t-180d, t-90d and t: the store holds each signal's latest value and its
  changes over 90 and 180 days (`features.health`), so value(t - d) = latest - change_d.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import pandas as pd

from features.wording import format_value
from serving.audit import AuditLog
from serving.auth import Role
from serving.collections.outcomes import list_actions
from serving.collections.records import ActionRecord
from serving.invoice_record import InvoicePrediction
from serving.policy import Terms, recommend_terms
from serving.reasons import wording_of
from serving.routes.customers import customer as customer_answer
from serving.schemas import CustomerResponse
from serving.snapshot import Served

WATERFALL_FEATURES = 8
AGING = [
    ("current", "customer_aging_current_amount"),
    ("1-30", "customer_aging_1_30_amount"),
    ("31-60", "customer_aging_31_60_amount"),
    ("61-90", "customer_aging_61_90_amount"),
    ("90+", "customer_aging_over_90_amount"),
]
SIGNALS = ["credit_rating", "bank_credit_line", "lawsuits_open", "tax_grade"]


@dataclass(frozen=True)
class SignalSeries:
    """One health signal's values at t-180d, t-90d and t (None where not known)."""

    name: str
    labels: list[str]
    values: list[float | None]


@dataclass(frozen=True)
class CustomerView:
    """Everything the customer page renders."""

    answer: CustomerResponse
    name: str | None
    segment: str | None
    terms: Terms | None
    dso_now: float | None
    waterfall: tuple[float, list[tuple[str, float]]] | None
    aging: list[tuple[str, float]] | None
    signals: list[SignalSeries]
    invoices: tuple[InvoicePrediction, ...] = ()
    actions: tuple[ActionRecord, ...] = ()
    credit_limit: float | None = None


def _number(value: object) -> float | None:
    """A float, or None for null, NaN and text."""
    if isinstance(value, int | float) and not isinstance(value, bool):
        return None if math.isnan(float(value)) else float(value)
    return None


def waterfall_steps(
    served: Served, row: pd.DataFrame, top: int = WATERFALL_FEATURES
) -> tuple[float, list[tuple[str, float]]]:
    """Base probability and the `top` largest contributions, the rest summed in one step."""
    customer_id = str(row.index[0])
    contributions = served.contributions.loc[customer_id]
    base = served.scores[customer_id]["base_delinquency_probability"]
    order = contributions.abs().sort_values(ascending=False, kind="stable").index
    categorical = set(served.bundle.categorical_features)
    steps = []
    for name in order[:top]:
        wording = wording_of(name, name in categorical)
        value = format_value(row.iloc[0][name], wording.style)
        steps.append((f"{wording.label}: {value}", float(contributions[name])))
    rest = order[top:]
    if len(rest):
        steps.append((f"{len(rest)} other features", float(contributions[rest].sum())))
    return float(base), steps


def signal_series(row: pd.Series, as_of: pd.Timestamp) -> list[SignalSeries]:
    """Each known signal at t-180d, t-90d and t; signals never observed are left out."""
    labels = [(as_of - pd.Timedelta(days=d)).date().isoformat() for d in (180, 90, 0)]
    series = []
    for name in SIGNALS:
        latest = _number(row.get(f"signal_{name}_latest"))
        if latest is None:
            continue
        back = [_number(row.get(f"signal_{name}_change_{d}d")) for d in (180, 90)]
        values = [None if c is None else latest - c for c in back] + [latest]
        series.append(SignalSeries(name, labels, values))
    return series


def build_customer_view(
    served: Served, audit: AuditLog, customer_id: str, role: Role, request_id: str
) -> CustomerView:
    """The page's content; UnknownCustomerError (404) as for the API."""
    answer = customer_answer(role, customer_id, served=served, audit=audit, request_id=request_id)
    frame = served.store.frame
    actions = tuple(reversed(list_actions(audit.engine, customer_id=customer_id)))
    if customer_id not in frame.index:
        return CustomerView(answer, None, None, None, None, None, None, [], actions=actions)
    row = frame.loc[[customer_id]]
    record = row.iloc[0]
    names = served.policy.context
    segment = record[names.segment] if isinstance(record[names.segment], str) else None
    name = record.get("customer_name")
    latest = answer.latest
    return CustomerView(
        answer=answer,
        name=name if isinstance(name, str) else None,
        segment=segment,
        terms=None
        if latest is None
        else recommend_terms(
            served.policy,
            latest.risk_tier,
            segment,
            _number(record.get(names.terms_days)),
            layer=latest.customer_layer,
        ),
        dso_now=_number(record.get("customer_dso_days")),
        waterfall=None if latest is None else waterfall_steps(served, row),
        aging=[(label, _number(record.get(col)) or 0.0) for label, col in AGING],
        signals=signal_series(record, pd.Timestamp(served.features_as_of)),
        invoices=served.invoices.get(customer_id, ()),
        actions=actions,
        credit_limit=_number(record.get(names.credit_limit)),
    )
