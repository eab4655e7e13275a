"""Create the collections tables: the dunning ladder's actions and the outcomes recorded.

Revision ID: 0004_collection_actions
Revises: 0003_delinquency_probability
Create Date: 2026-12-02
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0004_collection_actions"
down_revision = "0003_delinquency_probability"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "collection_actions",
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
    op.create_table(
        "collection_outcomes",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), primary_key=True),
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


def downgrade() -> None:
    op.drop_table("collection_outcomes")
    op.drop_table("collection_actions")
