"""The nightly job's two notification steps: queue the night's events, then push them.

Queueing runs inside the job's audit-database step (before the outputs are committed), so a
rerun of the night queues nothing twice. Pushing runs after the commit: a receiver that is
down never fails or delays the night's outputs; what it did not take stays pending (sent by
the next run or `arsight notify`) or dead (after the last attempt; `arsight notify
--requeue-dead`).
"""

from __future__ import annotations

import logging
from datetime import date

import pandas as pd
import sqlalchemy as sa
from sqlalchemy.engine import Engine

from serving.audit import AuditLog
from serving.notifications.delivery import DeliveryReport, Webhook, deliver_pending
from serving.notifications.outbox import (
    action_events,
    alert_events,
    enqueue,
    model_alert_events,
)
from serving.settings import ServingSettings

logger = logging.getLogger(__name__)


def queue_events(
    engine: Engine,
    alerts: pd.DataFrame,
    actions: pd.DataFrame,
    judged: pd.DataFrame,
    as_of: date,
) -> int:
    """Enqueue the night's early warnings, newly planned actions and model alerts; the
    number new."""
    events = (
        alert_events(alerts, as_of)
        + action_events(actions, as_of)
        + model_alert_events(judged, as_of)
    )
    with engine.begin() as connection:
        return enqueue(connection, events)


def webhook_of(settings: ServingSettings) -> Webhook | None:
    """The configured webhook, or None when no URL is set (a URL needs a secret: settings)."""
    if not settings.webhook_url or settings.webhook_secret is None:
        return None
    return Webhook(
        url=settings.webhook_url,
        secret=settings.webhook_secret.get_secret_value(),
        timeout_seconds=settings.webhook_timeout_seconds,
        attempts=settings.webhook_attempts,
        backoff_seconds=settings.webhook_backoff_seconds,
        batch_size=settings.webhook_batch_size,
    )


def push_events(settings: ServingSettings) -> DeliveryReport | None:
    """Deliver the pending events to the configured webhook (None when there is none)."""
    hook = webhook_of(settings)
    if hook is None:
        return None
    audit = AuditLog(settings.audit_url)
    try:
        report = deliver_pending(audit.engine, hook)
    except sa.exc.SQLAlchemyError as exc:
        logger.warning("webhook: audit database unavailable, events stay pending: %s", exc)
        return DeliveryReport(errors=[f"audit database: {exc}"])
    finally:
        audit.dispose()
    if report.dead or report.pending:
        logger.warning(
            "webhook %s: %d events dead, %d left pending: %s",
            hook.url, report.dead, report.pending, report.errors[-1],
        )  # fmt: skip
    return report
