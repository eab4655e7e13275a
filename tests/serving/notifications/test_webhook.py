"""Webhook pushes against a local receiver that fails some calls: signed, retried with backoff,
dead letters for what still fails, nothing lost and nothing queued twice."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pandas as pd
import pytest
import sqlalchemy as sa
from pydantic import ValidationError

from serving.audit import AuditLog
from serving.notifications.delivery import (
    SIGNATURE_HEADER,
    Webhook,
    deliver_pending,
    requeue_dead,
    signature,
)
from serving.notifications.outbox import action_events, enqueue
from serving.notifications.store import notification_dead_letters, notification_outbox
from serving.settings import ServingSettings
from tests.serving.notifications.receiver import receiver

SECRET = "shared-secret"
DAY = date(2026, 3, 16)


def audit_log(tmp_path: Path) -> AuditLog:
    log = AuditLog(f"sqlite:///{tmp_path / 'audit.db'}")
    log.migrate()
    return log


def events(*ids: str) -> list[dict[str, object]]:
    return [
        {"event_id": i, "kind": "early_warning", "as_of": DAY, "payload": {"customer_id": i}}
        for i in ids
    ]


def queue(log: AuditLog, *ids: str) -> int:
    with log.engine.begin() as connection:
        return enqueue(connection, events(*ids))


def rows(log: AuditLog, table: sa.Table) -> list[dict[str, object]]:
    with log.engine.connect() as connection:
        return [
            dict(r) for r in connection.execute(sa.select(table).order_by(table.c.id)).mappings()
        ]


def test_failed_calls_are_retried_with_backoff_and_every_event_arrives_once(
    tmp_path: Path,
) -> None:
    log = audit_log(tmp_path)
    assert queue(log, "e1", "e2", "e3") == 3
    assert queue(log, "e1", "e2", "e3") == 0  # a rerun of the night queues nothing twice
    slept: list[float] = []
    with receiver([500, "timeout", 200]) as hook_server:
        hook = Webhook(hook_server.url, SECRET, timeout_seconds=0.3, attempts=4,
                       backoff_seconds=0.01, batch_size=2)  # fmt: skip
        report = deliver_pending(log.engine, hook, sleep=slept.append)
    assert (report.delivered, report.dead, report.requests) == (3, 0, 4)
    assert slept == [0.01, 0.02]
    assert [c.answered for c in hook_server.calls] == [500, "timeout", 200, 200]
    accepted = [c for c in hook_server.calls if c.answered == 200]
    assert [c.event_ids for c in accepted] == [["e1", "e2"], ["e3"]]
    for call in hook_server.calls:
        assert call.headers[SIGNATURE_HEADER] == signature(SECRET, call.body)
    outbox = rows(log, notification_outbox)
    assert [(r["event_id"], r["status"], r["attempts"]) for r in outbox] == [
        ("e1", "delivered", 3),
        ("e2", "delivered", 3),
        ("e3", "delivered", 1),
    ]
    again = deliver_pending(log.engine, hook, sleep=slept.append)
    assert (again.delivered, again.requests) == (0, 0)  # nothing is ever sent twice


def test_a_receiver_that_keeps_failing_leaves_the_events_pending(tmp_path: Path) -> None:
    log = audit_log(tmp_path)
    queue(log, "e1", "e2")
    with receiver([503, 503, 503, 200]) as hook_server:
        hook = Webhook(hook_server.url, SECRET, attempts=3, backoff_seconds=0.0, batch_size=1)
        report = deliver_pending(log.engine, hook, sleep=lambda _: None)
        assert (report.delivered, report.dead, report.pending, report.requests) == (0, 0, 2, 3)
        assert report.errors == ["HTTP 503: receiver failed"]
        assert [c.event_ids for c in hook_server.calls] == [["e1"]] * 3  # e2 not tried
        outbox = rows(log, notification_outbox)
        assert [(r["status"], r["attempts"], r["last_error"]) for r in outbox] == [
            ("pending", 3, "HTTP 503: receiver failed"),
            ("pending", 0, None),
        ]
        assert rows(log, notification_dead_letters) == []
        later = deliver_pending(log.engine, hook)  # the receiver is back
    assert (later.delivered, later.dead, later.pending) == (2, 0, 0)
    assert [r["status"] for r in rows(log, notification_outbox)] == ["delivered", "delivered"]


def test_a_refused_body_goes_to_the_dead_letters_and_can_be_requeued(tmp_path: Path) -> None:
    log = audit_log(tmp_path)
    queue(log, "e1", "e2")
    with receiver([400, 200, 200]) as hook_server:
        hook = Webhook(hook_server.url, SECRET, attempts=5, batch_size=1)
        report = deliver_pending(log.engine, hook)
        assert (report.delivered, report.dead, report.pending, report.requests) == (1, 1, 0, 2)
        assert report.errors == ["HTTP 400: receiver failed"]
        dead = rows(log, notification_dead_letters)
        assert [(d["event_id"], d["attempts"], d["last_error"]) for d in dead] == [
            ("e1", 1, "HTTP 400: receiver failed")
        ]
        assert deliver_pending(log.engine, hook).requests == 0  # dead stays dead
        assert requeue_dead(log.engine) == 1
        retried = deliver_pending(log.engine, hook)
    assert (retried.delivered, retried.dead) == (1, 0)
    assert [r["status"] for r in rows(log, notification_outbox)] == ["delivered", "delivered"]


def test_an_unreachable_receiver_leaves_the_events_pending_not_lost(tmp_path: Path) -> None:
    log = audit_log(tmp_path)
    queue(log, "e1", "e2")
    hook = Webhook("http://127.0.0.1:9/hook", SECRET, timeout_seconds=0.2, attempts=2)
    report = deliver_pending(log.engine, hook, sleep=lambda _: None)
    assert (report.delivered, report.dead, report.pending, report.requests) == (0, 0, 2, 2)
    assert report.errors[0].startswith("ConnectError: ")
    assert [r["status"] for r in rows(log, notification_outbox)] == ["pending", "pending"]
    assert rows(log, notification_dead_letters) == []


def test_a_webhook_without_a_secret_is_refused() -> None:
    with pytest.raises(ValidationError) as refused:
        ServingSettings(_env_file=None, webhook_url="https://crm.example/hook")  # type: ignore[call-arg]
    assert (
        "ARSIGHT_WEBHOOK_URL is set but ARSIGHT_WEBHOOK_SECRET is not: "
        "arsight never pushes unsigned events"
    ) in str(refused.value)


def test_an_action_without_todays_prediction_is_pushed_with_nulls() -> None:
    action = {
        "action_id": "ACT-1",
        "planned_on": pd.Timestamp(DAY),
        "due_date": pd.Timestamp("2026-03-13"),
        "predicted_payment_date": pd.NaT,
        "open_amount": float("nan"),
        "days_past_due": 3,
        "rules_fired": '["stage_reached"]',
    }
    (event,) = action_events(pd.DataFrame([action]), DAY)
    assert event["payload"] == {
        "action_id": "ACT-1",
        "planned_on": "2026-03-16",
        "due_date": "2026-03-13",
        "predicted_payment_date": None,
        "open_amount": None,
        "days_past_due": 3,
        "rules_fired": ["stage_reached"],
    }
