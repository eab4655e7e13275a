"""Notifications: early warnings and the day's collections actions pushed to a webhook (a CRM).

- `store`: the outbox and dead-letter tables (audit database, Alembic migration 0005);
- `outbox`: turning a night's alerts and new actions into events, each once (`event_id`);
- `delivery`: signed POSTs with retries and backoff; what still fails goes to dead letters.
"""
