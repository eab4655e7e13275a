"""The notification tables: an outbox of events to push, and the dead letters that failed.

Events are written to `notification_outbox` in the nightly job (one row per event, unique
`event_id`, so a rerun adds nothing twice) and delivered from it (`status` pending ->
delivered, or dead after the last attempt). Every event that could not be delivered gets a row
in `notification_dead_letters` with the attempts made and the last error, for an operator to
look at and requeue (`arsight notify --requeue-dead`).
"""

from __future__ import annotations

import sqlalchemy as sa

metadata = sa.MetaData()
_ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")

notification_outbox = sa.Table(
    "notification_outbox",
    metadata,
    sa.Column("id", _ID, primary_key=True),
    sa.Column("event_id", sa.String(200), nullable=False, unique=True),
    sa.Column("kind", sa.String(32), nullable=False),
    sa.Column("as_of", sa.Date(), nullable=False),
    sa.Column("payload", sa.JSON(), nullable=False),
    sa.Column("status", sa.String(16), nullable=False, index=True),
    sa.Column("attempts", sa.Integer(), nullable=False),
    sa.Column("last_error", sa.Text(), nullable=True),
    sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
    sa.Column("delivered_at", sa.DateTime(timezone=True), nullable=True),
)

notification_dead_letters = sa.Table(
    "notification_dead_letters",
    metadata,
    sa.Column("id", _ID, primary_key=True),
    sa.Column("event_id", sa.String(200), nullable=False, index=True),
    sa.Column("kind", sa.String(32), nullable=False),
    sa.Column("attempts", sa.Integer(), nullable=False),
    sa.Column("last_error", sa.Text(), nullable=False),
    sa.Column("failed_at", sa.DateTime(timezone=True), nullable=False),
)
