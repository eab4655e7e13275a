"""The actions and outcomes tables: what collections was asked to do and what came of it.

Both live in the audit database (SQLite by default, PostgreSQL by URL; schema owned by the
Alembic migration 0004). `collection_actions` holds one row per action ever planned, keyed by
its stable `action_id`, so generating a day twice inserts nothing twice; an action stays
`open` until an outcome is recorded (`done`) or a later stage or the invoice's payment replaces
it (`superseded`). `collection_outcomes` is append-only: every outcome with the caller's role,
the request id and the time, the audit trail of who did what.

`invoice_open` is cleared on every row of an invoice once it is no longer open, so the nightly
job reads the history of open invoices only, however long the table grows.
"""

from __future__ import annotations

import sqlalchemy as sa

metadata = sa.MetaData()
_ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")

collection_actions = sa.Table(
    "collection_actions",
    metadata,
    sa.Column("action_id", sa.String(40), primary_key=True),
    sa.Column("as_of", sa.Date(), nullable=False, index=True),
    sa.Column("invoice_id", sa.String(128), nullable=False, index=True),
    sa.Column("customer_id", sa.String(128), nullable=False, index=True),
    sa.Column("stage", sa.String(64), nullable=False),
    sa.Column("stage_index", sa.Integer(), nullable=False),
    sa.Column("review", sa.Boolean(), nullable=False),
    sa.Column("owner_role", sa.String(32), nullable=False),
    sa.Column("channel", sa.String(16), nullable=False),
    sa.Column("due_date", sa.Date(), nullable=False),
    sa.Column("days_past_due", sa.Integer(), nullable=False),
    sa.Column("open_amount", sa.Float(), nullable=False),
    sa.Column("predicted_payment_date", sa.Date(), nullable=True),
    sa.Column("p_late_over_30", sa.Float(), nullable=False),
    sa.Column("risk_tier", sa.String(8), nullable=False),
    sa.Column("reason", sa.Text(), nullable=False),
    sa.Column("message", sa.Text(), nullable=False),
    sa.Column("rules_fired", sa.JSON(), nullable=False),
    sa.Column("policy_version", sa.String(64), nullable=False),
    sa.Column("status", sa.String(16), nullable=False),
    sa.Column("closed_on", sa.Date(), nullable=True),
    sa.Column("closed_reason", sa.String(128), nullable=True),
    sa.Column("invoice_open", sa.Boolean(), nullable=False),
    sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
)

collection_outcomes = sa.Table(
    "collection_outcomes",
    metadata,
    sa.Column("id", _ID, primary_key=True),
    sa.Column("action_id", sa.String(40), nullable=False, index=True),
    sa.Column("invoice_id", sa.String(128), nullable=False, index=True),
    sa.Column("customer_id", sa.String(128), nullable=False, index=True),
    sa.Column("outcome", sa.String(32), nullable=False),
    sa.Column("promise_date", sa.Date(), nullable=True),
    sa.Column("promise_amount", sa.Float(), nullable=True),
    sa.Column("dispute_reason", sa.Text(), nullable=True),
    sa.Column("note", sa.Text(), nullable=True),
    sa.Column("business_date", sa.Date(), nullable=False),
    sa.Column("caller_role", sa.String(16), nullable=False),
    sa.Column("request_id", sa.String(64), nullable=False),
    sa.Column("recorded_at", sa.DateTime(timezone=True), nullable=False),
)


def lock_actions(connection: sa.Connection) -> None:
    """Serialise writers of the actions table for the rest of `connection`'s transaction.

    The nightly planning and an outcome recorded at the same moment must not interleave: the
    planning would supersede an action whose promise it never read, or the outcome would close
    an action the planning just replaced. Taken first in each writing transaction, before any
    read: PostgreSQL's SHARE ROW EXCLUSIVE conflicts with itself and with plain updates but
    lets readers (the pages, the API's lists) through; on SQLite a write statement takes the
    database's single writer lock (WAL readers go on), waiting out the busy timeout.
    """
    if connection.dialect.name == "postgresql":
        connection.execute(sa.text("LOCK TABLE collection_actions IN SHARE ROW EXCLUSIVE MODE"))
    else:
        no_rows = sa.false()
        connection.execute(
            collection_actions.update().where(no_rows).values(status=collection_actions.c.status)
        )
