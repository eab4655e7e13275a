"""Allow audit rows without a late-payment probability: deals for customers arsight has no
data on (new customers) are audited with their decision but no model score.

Revision ID: 0006_prospect_deals
Revises: 0005_notifications
Create Date: 2026-12-02
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0006_prospect_deals"
down_revision = "0005_notifications"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("audit_events") as batch:  # SQLite rebuilds the table
        batch.alter_column("overdue_probability", existing_type=sa.Float(), nullable=True)


def downgrade() -> None:
    with op.batch_alter_table("audit_events") as batch:
        batch.alter_column("overdue_probability", existing_type=sa.Float(), nullable=False)
