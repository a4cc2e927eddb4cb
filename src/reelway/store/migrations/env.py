"""Alembic environment: Reelway always hands alembic an open connection."""

from __future__ import annotations

from alembic import context

from reelway.store import tables

connection = context.config.attributes["connection"]
context.configure(
    connection=connection,
    target_metadata=tables.metadata,
    render_as_batch=connection.dialect.name == "sqlite",
    compare_type=True,
)
with context.begin_transaction():
    context.run_migrations()
