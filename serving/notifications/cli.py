"""`arsight notify`: push what the nightly job queued, e.g. after the receiver was down."""

from __future__ import annotations

import typer
from rich.console import Console


def notify(
    requeue_dead: bool = typer.Option(
        False, "--requeue-dead", help="Put dead events back in the queue first."
    ),
) -> None:
    """Deliver the pending webhook events (early warnings, collections actions) now.

    The nightly job queues and pushes them itself; run this after a receiver outage, with
    --requeue-dead to retry what the job gave up on. Needs ARSIGHT_WEBHOOK_URL and
    ARSIGHT_WEBHOOK_SECRET. Exit codes: 0 all delivered, 1 some are dead (the receiver
    refused them), 2 no webhook set, 3 the receiver could not be reached (they stay pending).

    Example: ARSIGHT_WEBHOOK_URL=https://crm.example/hooks/arsight arsight notify --requeue-dead
    """
    from serving.audit import AuditLog
    from serving.notifications.delivery import requeue_dead as requeue
    from serving.notifications.push import push_events, webhook_of
    from serving.settings import get_serving_settings

    console = Console()
    settings = get_serving_settings()
    if webhook_of(settings) is None:
        console.print("error: no webhook: set ARSIGHT_WEBHOOK_URL and ARSIGHT_WEBHOOK_SECRET")
        raise typer.Exit(2)
    if requeue_dead:
        audit = AuditLog(settings.audit_url)
        audit.migrate()
        console.print(f"{requeue(audit.engine)} dead events requeued")
        audit.dispose()
    report = push_events(settings)
    assert report is not None
    console.print(
        f"{report.delivered} events delivered, {report.dead} dead, {report.pending} pending",
        markup=False,
    )
    for error in report.errors[-3:]:
        console.print(f"  {error}", markup=False)
    raise typer.Exit(3 if report.pending else 1 if report.dead else 0)
