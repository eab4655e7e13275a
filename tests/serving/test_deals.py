"""Deal decisions: credit risk against exposure after the deal, each condition naming its rule."""

from __future__ import annotations

import pytest

from serving.deals import assess_deal
from serving.policy import Policy, load_policy


@pytest.fixture(scope="module")
def policy() -> Policy:
    return load_policy()


def deal(policy: Policy, tier: str, **kw: object) -> tuple[str, list[str], list[str]]:
    args = {
        "delinquency_probability": 0.02,
        "segment": "enterprise",
        "open_amount": 1000.0,
        "credit_limit": 10000.0,
        "amount": 2000.0,
        "requested_terms_days": 60,
    } | kw
    result = assess_deal(policy, tier=tier, **args)  # type: ignore[arg-type]
    assert result.policy_version == policy.version
    return result.decision, result.conditions, result.rules_fired


def test_green_and_yellow_deals(policy: Policy) -> None:
    assert deal(policy, "green") == ("approve", [], [])
    assert deal(policy, "yellow") == (
        "approve_with_conditions",
        ["payment terms shortened from 60 to 30 days (policy rule tier_terms.yellow)"],
        ["tier_terms.yellow"],
    )


def test_orange_pays_part_up_front_and_is_referred_near_its_limit(policy: Policy) -> None:
    assert deal(policy, "orange", requested_terms_days=30) == (
        "approve_with_conditions",
        ["30% prepayment, balance on delivery (policy rule tier_terms.orange)"],
        ["tier_terms.orange"],
    )
    decision, conditions, rules = deal(policy, "orange", amount=7000.0, requested_terms_days=30)
    assert decision == "refer"
    assert conditions[0] == (
        "tier orange with exposure after the deal at 80% of the credit limit (above 75%): "
        "refer to a risk officer (policy rule refer_tiers_above_utilisation)"
    )
    assert rules == ["refer_tiers_above_utilisation", "tier_terms.orange"]
    # the same deal for a green customer goes through
    assert deal(policy, "green", amount=7000.0)[0] == "approve"


def test_limits(policy: Policy) -> None:
    assert deal(policy, "green", amount=9500.0) == (
        "refer",
        [
            "exposure after the deal 10,500 exceeds the credit limit 10,000 "
            "(policy rule refer_above_utilisation)"
        ],
        ["refer_above_utilisation"],
    )
    assert deal(policy, "green", amount=8500.0) == (
        "approve_with_conditions",
        [
            "exposure after the deal is 95% of the credit limit: review the limit "
            "(policy rule condition_above_utilisation)"
        ],
        ["condition_above_utilisation"],
    )
    assert deal(policy, "green", credit_limit=None) == (
        "refer",
        ["no credit limit on file: exposure cannot be checked (policy rule missing_credit_limit)"],
        ["missing_credit_limit"],
    )


def test_red_is_referred_and_declined_over_the_limit(policy: Policy) -> None:
    assert deal(
        policy, "red", delinquency_probability=0.41, amount=100.0, requested_terms_days=0
    ) == (
        "refer",
        [
            "credit risk 41% (30+ days behind within 90 days) puts the customer in tier red: "
            "refer to a risk officer (policy rule refer_tiers)",
            "100% prepayment, balance on delivery (policy rule tier_terms.red)",
        ],
        ["refer_tiers", "tier_terms.red"],
    )
    assert deal(policy, "red", amount=9500.0, requested_terms_days=0)[0] == "decline"


def test_exposure_figures(policy: Policy) -> None:
    result = assess_deal(
        policy,
        tier="green",
        delinquency_probability=0.01,
        segment="mid",
        open_amount=2500.0,
        credit_limit=10000.0,
        amount=2500.0,
        requested_terms_days=30,
    )
    assert (result.exposure_after, result.credit_limit, result.utilisation_after) == (
        5000.0,
        10000.0,
        0.5,
    )


def test_a_reliable_customer_keeps_its_agreed_terms(policy: Policy) -> None:
    """A large green customer on 60-day terms asking for 60 days gets them, no prepayment."""
    assert deal(policy, "green", segment="large", agreed_terms_days=60.0) == ("approve", [], [])
    assert deal(policy, "green", segment="large")[1] == [
        "payment terms shortened from 60 to 45 days (policy rule layers.key)"
    ]
