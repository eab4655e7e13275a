"""The day's actions in the store: idempotent per day, outcomes holding and moving the ladder,
on SQLite and on PostgreSQL."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from datetime import date
from pathlib import Path

import pandas as pd
import pytest

from serving.audit import AuditLog
from serving.collections.generate import generate_actions
from serving.collections.ladder import HISTORY_COLUMNS, action_id
from serving.collections.outcomes import get_action, list_actions, record_outcome
from serving.collections.records import OutcomeRequest
from serving.collections.store import lock_actions
from serving.errors import ActionClosedError, OutcomeRejectedError, UnknownActionError
from serving.policy import load_policy
from tests.serving.collections.test_ladder import invoice

POLICY = load_policy()


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def audit(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[AuditLog]:
    """A migrated audit database: SQLite in a temp dir, or a fresh PostgreSQL database."""
    url = (
        f"sqlite:///{tmp_path / 'audit.db'}"
        if request.param == "sqlite"
        else request.getfixturevalue("postgres_url")
    )
    log = AuditLog(url)
    log.migrate()
    yield log
    log.dispose()


def invoices_on(day: date, *rows: dict[str, object]) -> pd.DataFrame:
    """Open invoices at `day` (days past due recomputed), without ladder history columns."""
    template = pd.DataFrame([invoice("none", "2026-01-01")]).iloc[:0]  # no rows: the columns
    frame = (pd.DataFrame(list(rows)) if rows else template).drop(columns=list(HISTORY_COLUMNS))
    return frame.assign(days_past_due=(pd.Timestamp(day) - frame["due_date"]).dt.days)


def generate(audit: AuditLog, day: date, *rows: dict[str, object], unscored: tuple[str, ...] = ()):  # type: ignore[no-untyped-def]
    """Plan `day` for `rows`; the ledger also shows the `unscored` invoice ids open."""
    frame = invoices_on(day, *rows)
    ledger_open = [*frame["invoice_id"], *unscored]
    return generate_actions(audit.engine, POLICY.dunning, POLICY.version, frame, day, ledger_open)


def record(audit: AuditLog, action: str, request: OutcomeRequest, role: str, request_id: str):  # type: ignore[no-untyped-def]
    return record_outcome(audit.engine, action, request, role, request_id, POLICY.dunning)


LATE = invoice("I1", "2026-03-13")
EXPECTED_LATE = invoice("I2", "2026-03-20", p_paid_on_time=0.5)
RELIABLE = invoice("I3", "2026-03-20")


def test_generating_a_day_twice_creates_nothing_twice(audit: AuditLog) -> None:
    day = date(2026, 3, 16)
    first = generate(audit, day, LATE, EXPECTED_LATE, RELIABLE)
    second = generate(audit, day, LATE, EXPECTED_LATE, RELIABLE)
    assert first.counts["new_actions"] == 2
    assert second.counts["new_actions"] == 0
    assert first.counts["skipped_reliable_before_due"] == 1
    pd.testing.assert_frame_equal(first.actions, second.actions)
    assert first.actions[["action_id", "stage", "owner_role", "days_past_due"]].to_dict(
        "records"
    ) == [
        {
            "action_id": action_id("I2", "friendly_reminder"),
            "stage": "friendly_reminder",
            "owner_role": "account_manager",
            "days_past_due": -4,
        },
        {
            "action_id": action_id("I1", "formal_reminder"),
            "stage": "formal_reminder",
            "owner_role": "collections",
            "days_past_due": 3,
        },
    ]
    assert len(list_actions(audit.engine)) == 2


def test_an_open_action_carries_over_with_todays_figures(audit: AuditLog) -> None:
    generate(audit, date(2026, 3, 16), LATE)
    later = generate(audit, date(2026, 3, 18), {**LATE, "open_amount": 9_000.0})
    row = later.actions.iloc[0]
    assert (row["stage"], row["days_past_due"], row["open_amount"]) == (
        "formal_reminder",
        5,
        9_000.0,
    )
    assert row["planned_on"] == pd.Timestamp("2026-03-16")
    assert later.counts["new_actions"] == 0


def promise(by: str) -> OutcomeRequest:
    return OutcomeRequest(
        outcome="promise_to_pay", promise_date=date.fromisoformat(by), promise_amount=12_500.0
    )


def test_a_promise_holds_the_ladder_and_a_broken_one_escalates_the_next_night(
    audit: AuditLog,
) -> None:
    generate(audit, date(2026, 3, 16), LATE)
    reminder = action_id("I1", "formal_reminder")
    done = record(audit, reminder, promise("2026-03-20"), "risk", "req-1")
    assert (done.status, done.closed_on, done.closed_reason) == (
        "done",
        date(2026, 3, 16),
        "promise_to_pay",
    )
    assert [(o.outcome, o.caller_role, o.request_id) for o in done.outcomes] == [
        ("promise_to_pay", "risk", "req-1")
    ]
    held = generate(audit, date(2026, 3, 20), LATE)  # day 7: the cause call, but promised
    assert held.counts["held_promise"] == 1
    assert held.actions.empty
    broken = generate(audit, date(2026, 3, 21), LATE)
    assert broken.actions["stage"].tolist() == ["find_the_cause"]
    assert json.loads(broken.actions.iloc[0]["rules_fired"]) == ["stage_reached", "broken_promise"]
    kept = generate(audit, date(2026, 3, 22), LATE)
    assert kept.counts["new_actions"] == 0


def test_a_broken_promise_escalates_before_the_calendar_would(audit: AuditLog) -> None:
    generate(audit, date(2026, 3, 16), LATE)
    reminder = action_id("I1", "formal_reminder")
    record(audit, reminder, promise("2026-03-17"), "collections", "req-2")
    escalated = generate(audit, date(2026, 3, 18), LATE)  # 5 days past due, promise broken
    assert escalated.actions["stage"].tolist() == ["find_the_cause"]
    row = escalated.actions.iloc[0]
    assert json.loads(row["rules_fired"]) == ["broken_promise"]
    assert row["reason"] == (
        "5 days past due (stage find_the_cause from day +7); promise to pay by 2026-03-17 broken"
    )


def test_a_dispute_holds_the_ladder_until_resolved(audit: AuditLog) -> None:
    generate(audit, date(2026, 3, 16), LATE)
    reminder = action_id("I1", "formal_reminder")
    dispute = OutcomeRequest(outcome="dispute_raised", dispute_reason="wrong quantity")
    record(audit, reminder, dispute, "collections", "req-3")
    held = generate(audit, date(2026, 3, 25), LATE)
    assert (held.counts["held_dispute"], len(held.actions)) == (1, 0)
    resolved = OutcomeRequest(outcome="dispute_resolved", note="credit note issued")
    record(audit, reminder, resolved, "collections", "req-4")
    resumed = generate(audit, date(2026, 3, 26), LATE)  # 13 days past due
    assert resumed.actions["stage"].tolist() == ["find_the_cause"]


def test_a_paid_invoice_supersedes_its_open_actions(audit: AuditLog) -> None:
    generate(audit, date(2026, 3, 16), LATE, EXPECTED_LATE)
    generate(audit, date(2026, 3, 17), EXPECTED_LATE)  # I1 no longer open
    closed = {a.invoice_id: a for a in list_actions(audit.engine)}["I1"]
    assert (closed.status, closed.closed_on, closed.closed_reason) == (
        "superseded",
        date(2026, 3, 17),
        "invoice no longer open",
    )
    with pytest.raises(ActionClosedError) as raised:
        record(audit, closed.action_id, promise("2026-03-30"), "risk", "r")
    assert str(raised.value) == (
        f"action {closed.action_id} was superseded on 2026-03-17 (invoice no longer open); "
        "record the outcome on the invoice's open action"
    )
    with pytest.raises(UnknownActionError, match="unknown action 'ACT-nope'"):
        record(audit, "ACT-nope", promise("2026-03-30"), "risk", "r")


def test_a_later_stage_supersedes_the_earlier_open_action(audit: AuditLog) -> None:
    generate(audit, date(2026, 3, 16), LATE)
    generate(audit, date(2026, 3, 20), LATE)  # day 7: find the cause
    by_stage = {a.stage: a for a in list_actions(audit.engine)}
    assert by_stage["formal_reminder"].status == "superseded"
    assert by_stage["formal_reminder"].closed_reason == (
        f"superseded by {action_id('I1', 'find_the_cause')}"
    )
    assert by_stage["find_the_cause"].status == "open"
    on_16 = list_actions(audit.engine, on=date(2026, 3, 16))
    assert [a.stage for a in on_16] == ["formal_reminder"]


def test_an_invoice_left_unpredicted_keeps_its_ladder(audit: AuditLog) -> None:
    generate(audit, date(2026, 3, 16), LATE)
    quiet = generate(audit, date(2026, 3, 17), unscored=("I1",))  # open, but not predicted
    row = quiet.actions.iloc[0]
    assert (row["stage"], row["days_past_due"]) == ("formal_reminder", 4)
    assert (pd.isna(row["open_amount"]), pd.isna(row["p_late_over_30"])) == (True, True)
    kept = {a.invoice_id: a for a in list_actions(audit.engine)}["I1"]
    assert (kept.stage, kept.status) == ("formal_reminder", "open")
    back = generate(audit, date(2026, 3, 18), LATE)
    assert (back.counts["new_actions"], back.actions["stage"].tolist()) == (0, ["formal_reminder"])


def test_an_invoice_open_again_gets_its_history_back(audit: AuditLog) -> None:
    generate(audit, date(2026, 3, 20), LATE)  # day 7: find the cause
    generate(audit, date(2026, 3, 21))  # paid: retired
    reopened = generate(audit, date(2026, 3, 22), LATE)  # the payment bounced
    assert reopened.counts["new_actions"] == 0  # find the cause was had: not planned again
    assert reopened.actions.empty
    later = generate(audit, date(2026, 3, 28), {**LATE, "risk_tier": "red"})  # day 15
    assert later.actions["stage"].tolist() == ["lawyer_letter"]


ON_REVIEW = date(2026, 3, 28)  # LATE is 15 days past due: the lawyer's letter needs agreement


def test_escalate_on_a_review_sends_the_held_back_stage(audit: AuditLog) -> None:
    review = generate(audit, ON_REVIEW, LATE)
    assert review.actions["stage"].tolist() == ["review_lawyer_letter"]
    record(
        audit,
        action_id("I1", "review_lawyer_letter"),
        OutcomeRequest(outcome="escalate"),
        "collections",
        "r",
    )
    sent = generate(audit, date(2026, 3, 29), LATE)
    assert sent.actions["stage"].tolist() == ["lawyer_letter"]
    row = sent.actions.iloc[0]
    assert json.loads(row["rules_fired"]) == ["stage_reached", "reviewer_agrees"]
    assert row["reason"] == (
        "16 days past due (stage lawyer_letter from day +15); a reviewer agreed to escalate"
    )
    assert generate(audit, date(2026, 4, 12), LATE).actions["stage"].tolist() == [
        "review_legal_action"  # the agreement was for the letter, not for going to court
    ]


def test_a_promise_broken_after_a_review_moves_past_the_reviewed_stage(audit: AuditLog) -> None:
    generate(audit, ON_REVIEW, LATE)
    record(
        audit, action_id("I1", "review_lawyer_letter"), promise("2026-04-01"), "collections", "r"
    )
    held = generate(audit, date(2026, 4, 1), LATE)
    assert (held.counts["held_promise"], len(held.actions)) == (1, 0)
    broken = generate(audit, date(2026, 4, 2), LATE)  # 20 days past due
    assert broken.actions["stage"].tolist() == ["review_legal_action"]
    assert json.loads(broken.actions.iloc[0]["rules_fired"]) == [
        "broken_promise",
        "risk_does_not_agree",
        "person_decides",
    ]


def test_a_promise_is_dated_within_the_policys_window(audit: AuditLog) -> None:
    generate(audit, date(2026, 3, 16), LATE)
    reminder = action_id("I1", "formal_reminder")
    with pytest.raises(OutcomeRejectedError) as early:
        record(audit, reminder, promise("2026-03-15"), "collections", "r")
    assert str(early.value) == "promise_date 2026-03-15 is before the collections day 2026-03-16"
    with pytest.raises(OutcomeRejectedError) as late:
        record(audit, reminder, promise("2026-04-16"), "collections", "r")
    assert str(late.value) == (
        "promise_date 2026-04-16 is after 2026-04-15, 30 days from the collections day "
        "(dunning.max_promise_days): agree a payment plan instead"
    )
    assert record(audit, reminder, promise("2026-04-15"), "collections", "r").status == "done"


def test_an_outcome_waits_for_the_planning_that_holds_the_lock(audit: AuditLog) -> None:
    generate(audit, date(2026, 3, 16), LATE)
    reminder = action_id("I1", "formal_reminder")
    finished = threading.Event()
    failures: list[BaseException] = []

    def record_now() -> None:
        try:
            record(audit, reminder, OutcomeRequest(outcome="contacted"), "collections", "r")
        except BaseException as exc:  # noqa: BLE001 (reported to the test below)
            failures.append(exc)
        finished.set()

    with audit.engine.begin() as planning:
        lock_actions(planning)
        worker = threading.Thread(target=record_now)
        worker.start()
        assert not finished.wait(0.5)  # blocked while the planning's transaction is open
    worker.join(10)
    assert (finished.is_set(), failures) == (True, [])
    assert get_action(audit.engine, reminder).status == "done"
