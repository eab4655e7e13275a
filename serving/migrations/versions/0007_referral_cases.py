"""Create the referral_cases table: referred deals waiting for, or holding, a decision.

Revision ID: 0007_referral_cases
Revises: 0006_prospect_deals
Create Date: 2026-12-02
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0007_referral_cases"
down_revision = "0006_prospect_deals"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "referral_cases",
        sa.Column("case_id", sa.String(40), primary_key=True),
        sa.Column("status", sa.String(16), nullable=False, index=True),
        sa.Column("opened_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("customer_id", sa.String(128), nullable=False, index=True),
        sa.Column("deal_request_id", sa.String(64), nullable=False),
        sa.Column("risk_tier", sa.String(8), nullable=False),
        sa.Column("policy_version", sa.String(64), nullable=False),
        sa.Column("model_version", sa.String(64), nullable=False),
        sa.Column("request", sa.JSON(), nullable=False),
        sa.Column("deal", sa.JSON(), nullable=False),
        sa.Column("decision", sa.String(32), nullable=True),
        sa.Column("decision_reason", sa.Text(), nullable=True),
        sa.Column("decision_conditions", sa.JSON(), nullable=True),
        sa.Column("decided_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("decided_by_role", sa.String(16), nullable=True),
        sa.Column("decision_request_id", sa.String(64), nullable=True),
    )


def downgrade() -> None:
    op.drop_table("referral_cases")
