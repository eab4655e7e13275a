"""The demo's credit desk: what a CRM and a risk officer do with the served answers.

Run in-process against the real app (the same code `arsight serve` runs) before the demo
serves: a new customer's first order, a deal the policy refers and the risk officer's decision
on its case, each printed as the API answered it.
"""

from __future__ import annotations

from typing import Any

from rich.console import Console
from starlette.testclient import TestClient

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


def _decided(deal: dict[str, Any]) -> str:
    return "; ".join([deal["decision"], *deal["conditions"]])


def _say(console: Console, text: str) -> None:
    console.print(text, soft_wrap=True, highlight=False, markup=False)
