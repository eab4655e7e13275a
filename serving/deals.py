"""Deal decisions: credit risk and exposure after the deal against the limit, rule by rule.

The service behind `POST /v1/deals/assess` and the deal page. The tier is credit risk
(delinquency_probability with the policy's overlays), so a customer who pays habitually a few
days late but never falls seriously behind keeps its terms; a red customer is referred, never
silently approved. Every condition names the policy rule that produced it (`rules_fired`
lists them in order), so a credit officer can see why and the policy file says where the
number came from.

Order of precedence (most severe wins):
1. `refer_tiers` (red by default) -> refer;
2. exposure after the deal over the limit -> refer, or decline for `decline_tiers_over_limit`;
3. `refer_tiers_above_utilisation` (orange above 75% of the limit by default) -> refer;
4. above `condition_above_utilisation` of the limit -> approve with a limit review;
5. requested terms longer than recommended, or a required prepayment -> approve with
   conditions; otherwise approve.

A new customer's order (`serving.new_customers`) is capped by its step (first order fully
prepaid, second half prepaid with at most 45 days by default), named `new_customers.<step>`;
its fully prepaid order puts nothing on credit, so rules 2-4 do not apply to it.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from pydantic import BaseModel, ConfigDict

from serving.policy import DealRules, Decision, NewCustomerStep, Policy, Terms, recommend_terms

SEVERITY: tuple[Decision, ...] = ("approve", "approve_with_conditions", "refer", "decline")


class DealAssessment(BaseModel):
    """A deal decision with everything needed to explain and audit it."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    decision: Decision
    conditions: list[str]
    rules_fired: list[str]
    exposure_after: float
    credit_limit: float | None
    utilisation_after: float | None
    recommended_terms: Terms
    policy_version: str


@dataclass
class _Verdict:
    """The decision so far and the conditions, each with the rule that produced it."""

    decision: Decision = "approve"
    conditions: list[str] = field(default_factory=list)
    rules: list[str] = field(default_factory=list)

    def add(self, rule: str, text: str, decision: Decision | None = None) -> None:
        self.rules.append(rule)
        self.conditions.append(f"{text} (policy rule {rule})")
        if decision is not None and SEVERITY.index(decision) > SEVERITY.index(self.decision):
            self.decision = decision


def _exposure_rules(
    verdict: _Verdict,
    rules: DealRules,
    tier: str,
    exposure: float,
    limit: float | None,
    recommended: float | None = None,
) -> None:
    """Rules 2-4: exposure after the deal against the credit limit, weighed by the tier."""
    if limit is None:
        text = "no credit limit on file: exposure cannot be checked"
        verdict.add("missing_credit_limit", text, rules.missing_credit_limit)
        return
    utilisation = exposure / limit
    if utilisation > rules.refer_above_utilisation:
        text = f"exposure after the deal {exposure:,.0f} exceeds the credit limit {limit:,.0f}"
        if recommended is not None:
            text += f" (recommended limit {recommended:,.0f})"
        over = "decline" if tier in rules.decline_tiers_over_limit else "refer"
        verdict.add("refer_above_utilisation", text, over)
        return
    bound = rules.refer_tiers_above_utilisation.get(tier)  # type: ignore[call-overload]
    if bound is not None and utilisation > bound:
        text = (
            f"tier {tier} with exposure after the deal at {utilisation:.0%} of the credit limit "
            f"(above {bound:.0%}): refer to a risk officer"
        )
        verdict.add("refer_tiers_above_utilisation", text, "refer")
    elif utilisation > rules.condition_above_utilisation:
        text = f"exposure after the deal is {utilisation:.0%} of the credit limit: review the limit"
        if recommended is not None:
            text += f" (recommended {recommended:,.0f})"
        verdict.add("condition_above_utilisation", text, "approve_with_conditions")


def assess_deal(
    policy: Policy,
    *,
    tier: str,
    delinquency_probability: float | None,
    segment: str | None,
    agreed_terms_days: float | None = None,
    open_amount: float,
    credit_limit: float | None,
    amount: float,
    requested_terms_days: int,
    step: NewCustomerStep | None = None,
    recommended_limit: float | None = None,
    layer: str | None = None,
) -> DealAssessment:
    """Decide a deal from the credit risk, the exposure after it and the requested terms.

    `step`: the new-customer step the order is at (`serving.new_customers`), which caps the
    terms and floors the prepayment; a new customer's fully prepaid order puts nothing on
    credit, so the exposure rules do not apply to it. `delinquency_probability` is None for a
    customer arsight has no data on (its tier then comes from the overlays on what the CRM
    sent). `recommended_limit` (`serving.credit_limit`) is quoted where the limit is at issue.
    `layer`: the customer's layer from its data (`serving.layers`); None: its segment's.
    """
    layer = layer or policy.segment_layers.get(segment or "", policy.default_layer)
    exposure = open_amount + amount
    limit = credit_limit if credit_limit is not None and credit_limit > 0 else None
    terms = capped_terms(
        recommend_terms(policy, tier, segment, agreed_terms_days, layer=layer), step
    )
    verdict = _Verdict()
    if tier in policy.deals.refer_tiers:
        risk = (
            "overlays on the signals sent"
            if delinquency_probability is None
            else f"credit risk {delinquency_probability:.0%} (30+ days behind within 90 days)"
        )
        text = f"{risk} puts the customer in tier {tier}: refer to a risk officer"
        verdict.add("refer_tiers", text, "refer")
    if step is None or terms.prepayment_share < 1.0:
        _exposure_rules(verdict, policy.deals, tier, exposure, limit, recommended_limit)
    _terms_rules(verdict, policy, tier, layer, terms, requested_terms_days, step)
    return DealAssessment(
        decision=verdict.decision,
        conditions=verdict.conditions,
        rules_fired=verdict.rules,
        exposure_after=exposure,
        credit_limit=limit,
        utilisation_after=None if limit is None else exposure / limit,
        recommended_terms=terms,
        policy_version=policy.version,
    )


def capped_terms(terms: Terms, step: NewCustomerStep | None) -> Terms:
    """`terms` within what a new customer's step allows (unchanged without a step)."""
    if step is None:
        return terms
    return Terms(
        terms_days=min(terms.terms_days, step.max_terms_days),
        prepayment_share=max(terms.prepayment_share, step.min_prepayment_share),
    )


def _terms_rules(
    verdict: _Verdict,
    policy: Policy,
    tier: str,
    layer_name: str,
    terms: Terms,
    requested_terms_days: int,
    step: NewCustomerStep | None,
) -> None:
    """Rule 5: shorter terms or a prepayment, named by the rule that set them."""
    layer = f"layers.{layer_name}"
    cap = policy.tier_terms[tier]  # type: ignore[index]
    by_step = f"new_customers.{step.name}" if step is not None else None
    if requested_terms_days > terms.terms_days:
        text = f"payment terms shortened from {requested_terms_days} to {terms.terms_days} days"
        capped = cap.max_terms_days is not None and terms.terms_days == cap.max_terms_days
        rule = by_step if step and terms.terms_days == step.max_terms_days else None
        rule = rule or (f"tier_terms.{tier}" if capped else layer)
        verdict.add(rule, text, "approve_with_conditions")
    if terms.prepayment_share > 0:
        text = f"{terms.prepayment_share:.0%} prepayment, balance on delivery"
        rule = by_step if step and terms.prepayment_share == step.min_prepayment_share else None
        by_tier = terms.prepayment_share == cap.min_prepayment_share
        rule = rule or (f"tier_terms.{tier}" if by_tier else layer)
        verdict.add(rule, text, "approve_with_conditions")
