"""The dunning ladder's rules on hand-built invoices: exact actions, exact rules, exact words."""

from __future__ import annotations

import json
from datetime import date

import pandas as pd
import pytest

from serving.collections.ladder import action_id, plan_actions
from serving.policy import load_policy

AS_OF = date(2026, 3, 16)
LADDER = load_policy().dunning


def invoice(invoice_id: str, due: str, **values: object) -> dict[str, object]:
    """An open invoice with its prediction, its customer's tier and no ladder history."""
    due_date = pd.Timestamp(due)
    row: dict[str, object] = {
        "invoice_id": invoice_id,
        "customer_id": "C1",
        "due_date": due_date,
        "days_past_due": (pd.Timestamp(AS_OF) - due_date).days,
        "open_amount": 12_500.0,
        "predicted_payment_date": due_date + pd.Timedelta(days=2),
        "p_paid_on_time": 0.9,
        "p_late_1_30": 0.08,
        "p_late_31_60": 0.01,
        "p_late_61_90": 0.005,
        "p_late_over_90": 0.005,
        "risk_tier": "green",
        "disputed": False,
        "last_stage": -1,
        "last_review": -1,
        "agreed_stage": -1,
        "hold": "",
        "broken_promise": False,
        "promise_date": pd.NaT,
    }
    row.update(values)
    return row


def plan(*rows: dict[str, object]) -> tuple[pd.DataFrame, dict[str, int]]:
    return plan_actions(LADDER, pd.DataFrame(list(rows)), AS_OF)


def only(actions: pd.DataFrame) -> dict[str, object]:
    assert len(actions) == 1, actions
    return actions.iloc[0].to_dict()


def test_a_reliable_customer_predicted_on_time_is_not_chased_before_the_due_date() -> None:
    actions, counts = plan(invoice("I1", "2026-03-20"))
    assert actions.empty
    assert counts["skipped_reliable_before_due"] == 1


def test_an_invoice_expected_late_gets_the_friendly_reminder_from_the_account_manager() -> None:
    action = only(plan(invoice("I1", "2026-03-20", p_paid_on_time=0.55))[0])
    assert action["action_id"] == action_id("I1", "friendly_reminder")
    assert (action["stage"], action["owner_role"], action["channel"]) == (
        "friendly_reminder",
        "account_manager",
        "email",
    )
    assert json.loads(action["rules_fired"]) == ["stage_reached", "expected_late"]
    assert action["reason"] == (
        "Due in 4 days (stage friendly_reminder from day -7); model gives 55% of paying on time"
    )
    assert action["message"] == (
        "Friendly reminder: invoice I1 of 12,500.00 falls due on 2026-03-20."
    )


def test_a_red_customer_gets_the_reminder_even_when_predicted_on_time() -> None:
    action = only(plan(invoice("I1", "2026-03-20", risk_tier="red"))[0])
    assert action["stage"] == "friendly_reminder"
    assert json.loads(action["rules_fired"]) == ["stage_reached", "tier_not_reliable"]


@pytest.mark.parametrize(
    ("due", "stage", "owner"),
    [
        ("2026-03-13", "formal_reminder", "collections"),
        ("2026-03-09", "find_the_cause", "relationship_manager"),
    ],
)
def test_late_invoices_reach_the_stage_of_their_days_past_due(
    due: str, stage: str, owner: str
) -> None:
    action = only(plan(invoice("I1", due))[0])
    assert (action["stage"], action["owner_role"]) == (stage, owner)
    assert json.loads(action["rules_fired"]) == ["stage_reached"]


def test_no_lawyers_letter_to_a_green_customer_the_model_expects_to_pay() -> None:
    action = only(plan(invoice("I1", "2026-02-25"))[0])  # 19 days past due
    assert action["stage"] == "review_lawyer_letter"
    assert (action["owner_role"], action["channel"], action["review"]) == (
        "collections",
        "internal",
        True,
    )
    assert json.loads(action["rules_fired"]) == [
        "stage_reached",
        "risk_does_not_agree",
        "person_decides",
    ]
    assert action["reason"] == (
        "19 days past due (stage lawyer_letter from day +15); customer is green and the model "
        "gives only 2% of paying 30+ days late; a person decides before escalating"
    )


def test_the_lawyers_letter_goes_out_when_the_tier_or_the_model_agrees() -> None:
    by_tier = invoice("I1", "2026-02-25", risk_tier="orange")
    by_model = invoice("I2", "2026-02-25", p_late_31_60=0.4, p_late_over_90=0.2)
    actions, _ = plan(by_tier, by_model)
    assert actions.set_index("invoice_id")["stage"].to_dict() == {
        "I1": "lawyer_letter",
        "I2": "lawyer_letter",
    }
    rules = actions.set_index("invoice_id")["rules_fired"].map(json.loads).to_dict()
    assert rules == {
        "I1": ["stage_reached", "tier_agrees"],
        "I2": ["stage_reached", "model_agrees"],
    }


def test_a_disputed_invoice_goes_to_a_person_whatever_the_risk() -> None:
    action = only(plan(invoice("I1", "2026-02-25", risk_tier="red", disputed=True))[0])
    assert action["stage"] == "review_lawyer_letter"
    assert json.loads(action["rules_fired"]) == [
        "stage_reached",
        "disputed_invoice",
        "person_decides",
    ]


def test_a_stage_already_had_is_not_planned_again_and_holds_stop_the_ladder() -> None:
    had = invoice("I1", "2026-03-13", last_stage=1)
    disputed = invoice("I2", "2026-03-13", hold="dispute")
    promised = invoice("I3", "2026-03-13", hold="promise")
    paid = invoice("I4", "2026-03-13", hold="paid")
    actions, counts = plan(had, disputed, promised, paid)
    assert actions.empty
    assert (counts["held_dispute"], counts["held_promise"], counts["held_paid"]) == (1, 1, 1)


def test_a_broken_promise_moves_the_invoice_to_the_next_stage_at_once() -> None:
    broken = invoice(
        "I1",
        "2026-03-11",  # 5 days past due: the calendar says formal reminder, already had
        last_stage=1,
        broken_promise=True,
        promise_date=pd.Timestamp("2026-03-14"),
    )
    action = only(plan(broken)[0])
    assert action["stage"] == "find_the_cause"
    assert json.loads(action["rules_fired"]) == ["broken_promise"]
    assert action["reason"] == (
        "5 days past due (stage find_the_cause from day +7); promise to pay by 2026-03-14 broken"
    )


def test_agreement_after_a_review_sends_the_stage_itself() -> None:
    reviewed = invoice("I1", "2026-02-25", last_stage=2, last_review=3, risk_tier="red")
    assert only(plan(reviewed)[0])["stage"] == "lawyer_letter"
    still_green = invoice("I2", "2026-02-25", last_stage=2, last_review=3)
    assert plan(still_green)[0].empty


def test_legal_action_asks_whether_the_invoice_will_be_more_than_60_days_late() -> None:
    certain_over_30 = {"p_paid_on_time": 0.0, "p_late_1_30": 0.0, "p_late_31_60": 0.95}
    small_tail = invoice(
        "I1", "2026-02-13", p_late_61_90=0.03, p_late_over_90=0.02, **certain_over_30
    )  # 31 days past due: more than 30 days late is already certain
    action = only(plan(small_tail)[0])
    assert action["stage"] == "review_legal_action"
    assert action["reason"] == (
        "31 days past due (stage legal_action from day +30); customer is green and the model "
        "gives only 5% of paying 60+ days late; a person decides before escalating"
    )
    long_tail = invoice(
        "I2",
        "2026-02-13",
        p_paid_on_time=0.0,
        p_late_1_30=0.0,
        p_late_31_60=0.4,
        p_late_61_90=0.3,
        p_late_over_90=0.3,
    )
    action = only(plan(long_tail)[0])
    assert (action["stage"], action["owner_role"]) == ("legal_action", "legal")
    assert json.loads(action["rules_fired"]) == ["stage_reached", "model_agrees"]
    assert action["reason"] == (
        "31 days past due (stage legal_action from day +30); "
        "model gives 60% of paying 60+ days late"
    )
