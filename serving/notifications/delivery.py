"""Pushing the outbox to the webhook: signed, batched, retried, never lost.

Each POST carries up to `batch_size` pending events as `{"events": [{event_id, kind, as_of,
data}, ...]}` with `X-Arsight-Signature: sha256=<hex>`, the HMAC-SHA256 of the exact body
bytes under the shared secret (the receiver recomputes it to know the body came from us,
unaltered), and `X-Arsight-Delivery`, an id of the attempt. A 2xx marks the batch delivered.
A timeout, a connection error, a 5xx or a 429 is retried after `backoff * 2**k` seconds, up to
`attempts` times; a batch that still failed stays pending (the receiver is down, not wrong:
the next pass or `arsight notify` sends it) and the pass stops there, since every later batch
would fail the same way and in order. Any other 4xx is not retried (the receiver refuses the
body; resending cannot help): the batch is marked dead and written to the dead letters with
the error, and the pass goes on with the next batch.

Delivery is at least once: a receiver that answered 2xx after we gave up waiting gets the
batch again, so receivers deduplicate on `event_id` (the idempotency key, stable across
reruns). Events are read and marked in the database, so a crash loses nothing: pending events
are sent by the next delivery.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import logging
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from typing import Any, Literal

import httpx
import sqlalchemy as sa
from sqlalchemy.engine import Engine

from serving.notifications.store import notification_dead_letters, notification_outbox

logger = logging.getLogger(__name__)
SIGNATURE_HEADER = "X-Arsight-Signature"


@dataclass(frozen=True)
class Webhook:
    """Where and how to push: URL, shared secret and the retry rules."""

    url: str
    secret: str
    timeout_seconds: float = 5.0
    attempts: int = 5
    backoff_seconds: float = 0.5
    batch_size: int = 100


@dataclass
class DeliveryReport:
    """What one delivery pass did."""

    delivered: int = 0
    dead: int = 0
    pending: int = 0
    """Events left pending because the receiver could not be reached (0 when it answered)."""
    requests: int = 0
    errors: list[str] = field(default_factory=list)


def signature(secret: str, body: bytes) -> str:
    """The signature header's value: "sha256=" + HMAC-SHA256(secret, body) in hex."""
    return "sha256=" + hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()


def body_of(rows: list[dict[str, Any]]) -> bytes:
    """The POST body of a batch of outbox rows: compact JSON, keys sorted."""
    events = [
        {
            "event_id": r["event_id"],
            "kind": r["kind"],
            "as_of": r["as_of"].isoformat() if isinstance(r["as_of"], date) else r["as_of"],
            "data": r["payload"],
        }
        for r in rows
    ]
    return json.dumps({"events": events}, sort_keys=True, separators=(",", ":")).encode()


def deliver_pending(
    engine: Engine,
    hook: Webhook,
    client: httpx.Client | None = None,
    sleep: Callable[[float], None] = time.sleep,
) -> DeliveryReport:
    """Send every pending event, oldest first, in batches; mark each delivered or dead, or
    stop at the first batch the receiver could not take (it stays pending)."""
    report = DeliveryReport()
    owned = client is None
    client = client or httpx.Client(timeout=hook.timeout_seconds)
    try:
        while rows := _pending(engine, hook.batch_size):
            answer, tries, error = _post(client, hook, body_of(rows), sleep)
            report.requests += tries
            _mark(engine, rows, answer, tries, error)
            if answer == "delivered":
                report.delivered += len(rows)
                continue
            report.errors.append(error)
            if answer == "refused":
                report.dead += len(rows)
                continue
            report.pending = _count_pending(engine)
            break
    finally:
        if owned:
            client.close()
    return report


def _pending(engine: Engine, limit: int) -> list[dict[str, Any]]:
    table = notification_outbox
    query = sa.select(table).where(table.c.status == "pending").order_by(table.c.id).limit(limit)
    with engine.connect() as connection:
        return [dict(r) for r in connection.execute(query).mappings()]


def _count_pending(engine: Engine) -> int:
    table = notification_outbox
    query = sa.select(sa.func.count()).select_from(table).where(table.c.status == "pending")
    with engine.connect() as connection:
        return int(connection.execute(query).scalar_one())


Answer = Literal["delivered", "refused", "unreachable"]


def _post(
    client: httpx.Client, hook: Webhook, body: bytes, sleep: Callable[[float], None]
) -> tuple[Answer, int, str]:
    """(what came of it, requests made, last error) for one batch, with the retry rules."""
    error = ""
    for attempt in range(hook.attempts):
        if attempt:
            sleep(hook.backoff_seconds * 2 ** (attempt - 1))
        headers = {
            "Content-Type": "application/json",
            SIGNATURE_HEADER: signature(hook.secret, body),
            "X-Arsight-Delivery": uuid.uuid4().hex,
        }
        try:
            response = client.post(hook.url, content=body, headers=headers)
        except httpx.HTTPError as exc:  # timeouts and connection errors
            error = f"{type(exc).__name__}: {exc}"
            continue
        if response.is_success:
            return "delivered", attempt + 1, ""
        error = f"HTTP {response.status_code}: {response.text[:200]}"
        if response.status_code < 500 and response.status_code != 429:
            return "refused", attempt + 1, error
    return "unreachable", hook.attempts, error


def _mark(
    engine: Engine, rows: list[dict[str, Any]], answer: Answer, tries: int, error: str
) -> None:
    ids = [r["id"] for r in rows]
    now = datetime.now(UTC)
    table = notification_outbox
    with engine.begin() as connection:
        values: dict[str, object] = {"attempts": table.c.attempts + tries}
        if answer == "delivered":
            values |= {"status": "delivered", "delivered_at": now, "last_error": None}
        elif answer == "unreachable":
            values |= {"last_error": error}
        else:
            values |= {"status": "dead", "last_error": error}
            connection.execute(
                notification_dead_letters.insert(),
                [
                    {
                        "event_id": r["event_id"],
                        "kind": r["kind"],
                        "attempts": r["attempts"] + tries,
                        "last_error": error,
                        "failed_at": now,
                    }
                    for r in rows
                ],
            )
        connection.execute(table.update().where(table.c.id.in_(ids)).values(**values))
    said = {"delivered": "sent", "refused": "dead", "unreachable": "left pending"}[answer]
    logger.info("webhook: %d events %s after %d requests", len(rows), said, tries)


def requeue_dead(engine: Engine) -> int:
    """Put every dead event back to pending (after the receiver is fixed); the number."""
    table = notification_outbox
    with engine.begin() as connection:
        result = connection.execute(
            table.update().where(table.c.status == "dead").values(status="pending")
        )
    return int(result.rowcount)
