"""The demo's credit desk: what a CRM and a risk officer do with the served answers.

Run in-process against the real app (the same code `arsight serve` runs) before the demo
serves: a new customer's first order, a deal the policy refers and the risk officer's decision
on its case, each printed as the API answered it; then a past quarter's deals (ending six
months back, so their outcomes are known) replayed under the policy and a stricter one
(`serving.policy_backtest`).
"""

from __future__ import annotations

from typing import Any

import pandas as pd
from rich.console import Console
from starlette.testclient import TestClient

from features.tables import Tables
from serving.app import create_app
from serving.settings import ServingSettings


def credit_desk(
    settings: ServingSettings, keys: dict[str, str], customer_id: str, console: Console
) -> None:
    """Print a new customer's deal, and a referral case opened and decided."""
    crm = {"Authorization": f"Bearer {keys['crm']}"}
    risk = {"Authorization": f"Bearer {keys['risk']}"}
    with TestClient(create_app(settings)) as client:
        prospect = {"customer_id": "NEW-0001", "amount": 10_000, "payment_terms_days": 30,
                    "segment": "mid", "signals": {"lawsuits_open": 0}}  # fmt: skip
        first = client.post("/v1/deals/assess", json=prospect, headers=crm).json()
        _say(console, f"New customer NEW-0001, 10,000 on 30 days: {_decided(first)}")
        score = client.post("/v1/scores", json={"customer_ids": [customer_id]}, headers=crm)
        limit = score.json()["scores"][0]["recommended_credit_limit"] or 100_000.0
        big = {"customer_id": customer_id, "amount": 3 * limit, "payment_terms_days": 30}
        deal = client.post("/v1/deals/assess", json=big, headers=crm).json()
        _say(console, f"{customer_id}, {big['amount']:,.0f} on 30 days: {_decided(deal)}")
        longer = {**big, "amount": limit / 4, "payment_terms_days": 90}
        asked = client.post("/v1/deals/assess", json=longer, headers=crm).json()
        _say(console, f"{customer_id}, {longer['amount']:,.0f} on 90 days: {_decided(asked)}")
        _say(console, f"  terms trade-off: {_tradeoff(asked)}")
        if deal.get("case_id"):
            decision = {"decision": "approve_with_conditions", "reason": "long relationship",
                        "conditions": ["half the amount on delivery"]}  # fmt: skip
            case = client.post(
                f"/v1/cases/{deal['case_id']}/decision", json=decision, headers=risk
            ).json()
            _say(
                console,
                f"Case {case['case_id']}: {case['decision']} by {case['decided_by_role']} "
                f"({case['decision_reason']}); the CRM polls GET /v1/cases/{case['case_id']}",
            )


def _tradeoff(deal: dict[str, Any]) -> str:
    options = deal.get("terms_tradeoff") or []
    said = [
        f"{o['terms_days']} days ({', '.join(o['labels'])}) "
        f"{o['delinquency_probability']:.1%} {o['risk_tier']}"
        for o in options
    ]
    return "; ".join(said) or "the model does not read the terms"


def _decided(deal: dict[str, Any]) -> str:
    return "; ".join([deal["decision"], *deal["conditions"]])


def _say(console: Console, text: str) -> None:
    console.print(text, soft_wrap=True, highlight=False, markup=False)


def policy_what_if(
    settings: ServingSettings, tables: Tables, as_of: pd.Timestamp, console: Console
) -> None:
    """A past quarter's deals replayed under the policy and a stricter one (orange referred).

    The quarter ends six months before `as_of`: the invoices that followed its deals (30 days)
    are due and known 90+ days late or not by then, so "late amount avoided" is an outcome, not
    a zero that only means "too early to tell"."""
    from serving.batch.champion import load_model
    from serving.policy_backtest import policy_backtest
    from serving.policy_cli import comparison_table

    champion = load_model(settings)
    policy = champion.policy
    stricter = policy.model_copy(
        update={"deals": policy.deals.model_copy(update={"refer_tiers": ["orange", "red"]})}
    )
    end = (as_of - pd.offsets.MonthEnd(6)).normalize()
    start = (end - pd.offsets.MonthEnd(3)).normalize()
    comparison, _ = policy_backtest(
        tables, champion.bundle, {"policy": policy, "orange referred": stricter}, start, end
    )
    model = f"{champion.ref.name} v{champion.ref.version}"
    console.print(comparison_table(comparison, model))
