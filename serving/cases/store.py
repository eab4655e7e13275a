"""The referral cases table: one row per referred deal, holding what the decision rests on.

A case keeps the deal request and the whole deal answer at the time (decision, conditions,
rules, exposure, terms, the customer's score and reasons), so the officer deciding it and
anyone auditing it later see what the policy saw, not today's scores.
"""

from __future__ import annotations

import sqlalchemy as sa

metadata = sa.MetaData()

referral_cases = sa.Table(
    "referral_cases",
    metadata,
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
