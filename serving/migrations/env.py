"""Alembic environment of the audit log: runs on the connection `AuditLog.migrate` passes in.

Only online migrations on an existing connection are supported; the server applies them at
start-up, so no alembic.ini or command line is needed.
"""

from __future__ import annotations

from alembic import context

connection = context.config.attributes["connection"]
context.configure(
    connection=connection,
    version_table=context.config.get_main_option("version_table") or "alembic_version",
)
with context.begin_transaction():
    context.run_migrations()
