"""Record the credit risk that decides tiers: delinquency_probability on answers and alerts.

Nullable, so rows written before this revision (tiers then came from the overdue probability)
keep their meaning: a null says the row predates the credit model.

Revision ID: 0003_delinquency_probability
Revises: 0002_batch_alerts
Create Date: 2026-12-02
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0003_delinquency_probability"
down_revision = "0002_batch_alerts"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column("audit_events", sa.Column("delinquency_probability", sa.Float(), nullable=True))
    with op.batch_alter_table("batch_alerts") as table:
        table.add_column(sa.Column("previous_delinquency_probability", sa.Float(), nullable=True))
        table.add_column(sa.Column("delinquency_probability", sa.Float(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("batch_alerts") as table:
        table.drop_column("delinquency_probability")
        table.drop_column("previous_delinquency_probability")
    op.drop_column("audit_events", "delinquency_probability")
