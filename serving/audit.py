"""The audit log: one row per score or decision served, in SQLite (default) or PostgreSQL.

Rows carry the request id, time, caller role, customer, model name and version, policy version,
features' as-of date, the outputs and the reasons, so any answer can be reproduced and
explained later. The schema is owned by Alembic migrations in `serving/migrations`, applied
programmatically when the server starts (`AuditLog.migrate`). Alembic's version table has its
own name so the audit log can share a database with MLflow's tracking store, which also uses
Alembic.

Concurrency: every request writes its rows in one transaction. SQLite runs in WAL mode with a
busy timeout, so concurrent writers queue instead of failing; PostgreSQL uses a connection
pool sized for the server's worker threads.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import sqlalchemy as sa
from alembic import command
from alembic.config import Config
from sqlalchemy.engine import Engine

from serving.errors import AuditError

logger = logging.getLogger(__name__)

MIGRATIONS = Path(__file__).with_name("migrations")
VERSION_TABLE = "arsight_audit_alembic_version"

metadata = sa.MetaData()
audit_events = sa.Table(
    "audit_events",
    metadata,
    sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), primary_key=True),
    sa.Column("request_id", sa.String(64), nullable=False, index=True),
    sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
    sa.Column("caller_role", sa.String(16), nullable=False),
    sa.Column("endpoint", sa.String(32), nullable=False),
    sa.Column("customer_id", sa.String(128), nullable=False, index=True),
    sa.Column("model_name", sa.String(128), nullable=False),
    sa.Column("model_version", sa.String(64), nullable=False),
    sa.Column("policy_version", sa.String(64), nullable=False),
    sa.Column("features_as_of", sa.Date(), nullable=False),
    sa.Column("risk_tier", sa.String(8), nullable=False),
    sa.Column("overdue_probability", sa.Float(), nullable=True),
    sa.Column("delinquency_probability", sa.Float(), nullable=True),
    sa.Column("dso_30d", sa.Float(), nullable=True),
    sa.Column("decision", sa.String(32), nullable=True),
    sa.Column("outputs", sa.JSON(), nullable=False),
    sa.Column("reasons", sa.JSON(), nullable=False),
)


def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.execute("PRAGMA busy_timeout=30000")
    cursor.close()


def make_engine(url: str) -> Engine:
    """An engine for `url`; SQLite files get their directory, WAL and a busy timeout."""
    if url.startswith("sqlite"):
        path = sa.engine.make_url(url).database
        if path and path != ":memory:":
            Path(path).parent.mkdir(parents=True, exist_ok=True)
        engine = sa.create_engine(url, connect_args={"timeout": 30, "check_same_thread": False})
        sa.event.listen(engine, "connect", _sqlite_pragmas)
        return engine
    return sa.create_engine(url, pool_size=10, max_overflow=40, pool_pre_ping=True)


class AuditLog:
    """Writes and reads audit rows through one SQLAlchemy engine."""

    def __init__(self, url: str) -> None:
        self.url = url
        self.engine = make_engine(url)

    def migrate(self) -> None:
        """Bring the schema to the latest Alembic revision (idempotent)."""
        config = Config()
        config.set_main_option("script_location", str(MIGRATIONS))
        config.set_main_option("version_table", VERSION_TABLE)
        with self.engine.begin() as connection:
            config.attributes["connection"] = connection
            command.upgrade(config, "head")
        logger.info("audit log ready at %s", self.engine.url.render_as_string())

    def write(
        self, rows: Sequence[dict[str, Any]], also: Sequence[tuple[sa.Table, dict[str, Any]]] = ()
    ) -> None:
        """Insert `rows` and the `also` rows (table, row: a referral case the answer opens) in
        one transaction; AuditError (and nothing written) if it fails, so no audit row names
        a case that was never opened and no case lacks the answer that opened it."""
        now = datetime.now(UTC)
        try:
            with self.engine.begin() as connection:
                connection.execute(audit_events.insert(), [{"created_at": now, **r} for r in rows])
                for table, row in also:
                    connection.execute(table.insert(), row)
        except sa.exc.SQLAlchemyError as exc:
            logger.error("audit write failed for %d rows: %s", len(rows), exc)
            raise AuditError("audit log unavailable: the decision was not recorded") from exc

    def history(self, customer_id: str, limit: int = 100) -> list[dict[str, Any]]:
        """The customer's latest `limit` rows, newest first."""
        query = (
            sa.select(audit_events)
            .where(audit_events.c.customer_id == customer_id)
            .order_by(audit_events.c.created_at.desc(), audit_events.c.id.desc())
            .limit(limit)
        )
        with self.engine.connect() as connection:
            rows = [dict(r._mapping) for r in connection.execute(query)]
        for row in rows:  # SQLite hands back naive datetimes; every time we write is UTC
            if row["created_at"].tzinfo is None:
                row["created_at"] = row["created_at"].replace(tzinfo=UTC)
        return rows

    def count(self, request_id: str | None = None) -> int:
        """Number of rows, optionally of one request."""
        query = sa.select(sa.func.count()).select_from(audit_events)
        if request_id is not None:
            query = query.where(audit_events.c.request_id == request_id)
        with self.engine.connect() as connection:
            return int(connection.execute(query).scalar_one())

    def dispose(self) -> None:
        """Close pooled connections (at server shutdown)."""
        self.engine.dispose()
