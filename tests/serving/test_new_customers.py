"""New customers: a first order for a customer arsight has no data on, the step-up of the
first orders, and the tier from the signals the CRM sends."""

from __future__ import annotations

import pytest
import sqlalchemy as sa
from fastapi.testclient import TestClient

from serving.audit import AuditLog, audit_events
from serving.deals import assess_deal
from serving.new_customers import orders_so_far, prospect_tier, step_of
from serving.policy import load_policy
from serving.settings import ServingSettings
from tests.serving.conftest import AUTH

POLICY = load_policy()
FIRST = "new_customers.first_order"


def test_a_first_order_for_an_unknown_customer_is_prepaid_and_audited(
    client: TestClient, settings: ServingSettings
) -> None:
    body = {"customer_id": "PROSPECT-1", "amount": 25_000.0, "payment_terms_days": 60}
    answer = client.post("/v1/deals/assess", json=body, headers=AUTH["crm"])
    assert answer.status_code == 200
    deal = answer.json()
    assert deal["decision"] == "approve_with_conditions"
    assert deal["conditions"] == [
        f"payment terms shortened from 60 to 0 days (policy rule {FIRST})",
        f"100% prepayment, balance on delivery (policy rule {FIRST})",
    ]
    assert deal["rules_fired"] == [FIRST, FIRST]
    assert deal["recommended_terms"] == {"terms_days": 0, "prepayment_share": 1.0}
    assert deal["score"] is None
    assert deal["new_customer"] == {
        "orders_so_far": 0,
        "step": "first_order",
        "known_to_arsight": False,
        "overlays": [],
    }
    assert deal["exposure"]["credit_limit"] is None
    audit = AuditLog(settings.audit_url)
    with audit.engine.connect() as connection:
        row = connection.execute(
            sa.select(audit_events).where(audit_events.c.request_id == deal["request_id"])
        ).one()
    audit.dispose()
    assert (row.customer_id, row.risk_tier, row.decision) == (
        "PROSPECT-1",
        "green",
        "approve_with_conditions",
    )
    assert row.overdue_probability is None
    assert row.outputs["new_customer"]["step"] == "first_order"
    again = client.post("/v1/deals/assess", json=body, headers=AUTH["crm"]).json()
    assert again["new_customer"]["step"] == "first_order"  # audited once, still no data on it


def test_signals_sent_lift_a_new_customers_tier(client: TestClient) -> None:
    body = {
        "customer_id": "PROSPECT-2",
        "amount": 5_000.0,
        "payment_terms_days": 30,
        "segment": "large",
        "signals": {"lawsuits_open": 3},
    }
    deal = client.post("/v1/deals/assess", json=body, headers=AUTH["risk"]).json()
    assert deal["new_customer"]["overlays"] == ["supplier_lawsuits"]
    assert deal["rules_fired"] == [FIRST, FIRST]
    wrong = client.post(
        "/v1/deals/assess",
        json={**body, "signals": {"lawsuits_open": -1}},
        headers=AUTH["risk"],
    )
    assert wrong.status_code == 422
    assert wrong.json()["detail"] == (
        "body.signals.lawsuits_open: Input should be greater than or equal to 0"
    )


def test_the_tier_of_a_customer_with_no_data_comes_from_the_overlays_on_its_signals() -> None:
    assert prospect_tier(POLICY, {}) == ("green", [])
    assert prospect_tier(POLICY, {"lawsuits_open": 2.0}) == ("orange", ["supplier_lawsuits"])
    assert prospect_tier(POLICY, {"lawsuits_open": 1.0, "credit_rating": None}) == ("green", [])


@pytest.mark.parametrize(
    ("tenure", "invoices", "orders", "step"),
    [
        (40.0, 0.0, 0, "first_order"),
        (100.0, 1.0, 1, "second_order"),
        (200.0, 2.0, 2, None),
        (400.0, 1.0, None, None),  # tenure beyond the window: established
        (None, 1.0, None, None),
    ],
)
def test_orders_so_far_and_the_step_they_give(
    tenure: float | None, invoices: float, orders: int | None, step: str | None
) -> None:
    counted = orders_so_far(POLICY, tenure, invoices)
    assert counted == orders
    found = step_of(POLICY, counted)
    assert (found.name if found else None) == step


def test_a_second_order_is_half_prepaid_within_45_days_and_still_checked_against_the_limit() -> (
    None
):
    deal = assess_deal(
        POLICY,
        tier="green",
        delinquency_probability=0.02,
        segment="large",
        agreed_terms_days=60.0,
        open_amount=95_000.0,
        credit_limit=100_000.0,
        amount=10_000.0,
        requested_terms_days=60,
        step=step_of(POLICY, 1),
    )
    assert deal.decision == "refer"
    assert deal.conditions == [
        "exposure after the deal 105,000 exceeds the credit limit 100,000 "
        "(policy rule refer_above_utilisation)",
        "payment terms shortened from 60 to 45 days (policy rule new_customers.second_order)",
        "50% prepayment, balance on delivery (policy rule new_customers.second_order)",
    ]
