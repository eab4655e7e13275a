"""A tier is credit risk: exposure-only changes to a ledger never move it (hand-built ledger).

The customer is the one practice worries about getting wrong: a large customer on 60-day terms
who has paid every invoice for two years between 4 and 12 days late. It must not be red, and
its tier must not move because an invoice falls due, a new invoice is issued, or an invoice is
paid on time.
"""

from __future__ import annotations

from typing import Any

import pandas as pd
import pytest

from features.build import build_feature_frame
from features.tables import Tables
from models.bundle import ModelBundle
from serving.policy import load_policy
from serving.scoring import build_reason_context, score_frame
from tests.features.builders import invoice, make_tables

AS_OF = pd.Timestamp("2024-03-31")
CUSTOMER = {
    "customer_id": "A",
    "industry": "wholesale",
    "segment": "large",
    "credit_limit": 1_200_000.0,
    "payment_terms_days": 60,
    "onboarding_date": "2021-01-01",
}


def habitual_late_payer() -> list[dict[str, Any]]:
    """Two years of monthly invoices of 40,000, each paid 4-12 days after its 60-day due date."""
    rows = []
    for month, issued in enumerate(pd.date_range("2022-01-05", "2024-03-05", freq="MS")):
        issued = issued + pd.Timedelta(days=4)
        due = issued + pd.Timedelta(days=60)
        paid = due + pd.Timedelta(days=4 + month % 9)
        cleared = paid.date().isoformat() if paid <= AS_OF else None
        rows.append(
            invoice(f"I{month:03d}", "A", issued.date().isoformat(), due.date().isoformat(),
                    40_000.0, cleared)
        )  # fmt: skip
    return rows


def scores_of(tables: Tables, bundle: ModelBundle) -> pd.Series:
    """The customer's scores at AS_OF with the default policy."""
    frame = build_feature_frame(tables, AS_OF).set_index("customer_id")
    policy = load_policy()
    context = build_reason_context(frame, bundle, policy, top_k=3)
    return score_frame(frame, bundle, policy, context).loc["A"]


@pytest.fixture(scope="module")
def base(tiny_bundle: ModelBundle) -> pd.Series:
    return scores_of(make_tables([CUSTOMER], habitual_late_payer()), tiny_bundle)


def test_the_habitual_late_payer_keeps_credit(base: pd.Series) -> None:
    assert base["risk_tier"] in ("green", "yellow")
    assert base["delinquency_probability"] < 0.15


def test_an_invoice_falling_due_changes_nothing_the_credit_model_sees(
    tiny_bundle: ModelBundle, base: pd.Series
) -> None:
    rows = habitual_late_payer()
    last = rows[-1]  # issued 2024-03-09, due 2024-05-08: not due in the next 30 days
    assert pd.Timestamp(last["due_date"]) > AS_OF + pd.Timedelta(days=30)
    sooner = {**last, "due_date": (AS_OF + pd.Timedelta(days=10)).date().isoformat()}
    moved = scores_of(make_tables([CUSTOMER], [*rows[:-1], sooner]), tiny_bundle)
    assert moved["delinquency_probability"] == base["delinquency_probability"]
    assert moved["risk_tier"] == base["risk_tier"]
    features = {r["feature"] for r in moved["reasons_delinquency"]}
    assert not features & {"customer_amount_due_next_30d", "customer_invoice_count_due_next_30d"}


def test_a_new_invoice_or_one_paid_on_time_keeps_the_tier(
    tiny_bundle: ModelBundle, base: pd.Series
) -> None:
    rows = habitual_late_payer()
    new = invoice("NEW", "A", "2024-03-28", "2024-04-20", 40_000.0)
    with_new = scores_of(make_tables([CUSTOMER], [*rows, new]), tiny_bundle)
    assert with_new["risk_tier"] == base["risk_tier"]
    on_time = {**rows[-1], "cleared_date": "2024-03-30"}
    paid = scores_of(make_tables([CUSTOMER], [*rows[:-1], on_time]), tiny_bundle)
    assert paid["risk_tier"] == base["risk_tier"]
