"""Create the batch_alerts table: early warnings of the scheduled scoring job.

Revision ID: 0002_batch_alerts
Revises: 0001
Create Date: 2026-11-24
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0002_batch_alerts"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "batch_alerts",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), primary_key=True),
        sa.Column("as_of", sa.Date(), nullable=False),
        sa.Column("customer_id", sa.String(128), nullable=False),
        sa.Column("previous_as_of", sa.Date(), nullable=False),
        sa.Column("previous_risk_tier", sa.String(8), nullable=False),
        sa.Column("risk_tier", sa.String(8), nullable=False),
        sa.Column("previous_overdue_probability", sa.Float(), nullable=False),
        sa.Column("overdue_probability", sa.Float(), nullable=False),
        sa.Column("probability_change", sa.Float(), nullable=False),
        sa.Column("movers", sa.JSON(), nullable=False),
        sa.Column("model_name", sa.String(128), nullable=False),
        sa.Column("model_version", sa.String(64), nullable=False),
        sa.Column("policy_version", sa.String(64), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.UniqueConstraint("as_of", "customer_id", name="uq_batch_alerts_as_of_customer"),
    )
    op.create_index("ix_batch_alerts_as_of", "batch_alerts", ["as_of"])


def downgrade() -> None:
    op.drop_index("ix_batch_alerts_as_of", table_name="batch_alerts")
    op.drop_table("batch_alerts")
