"""Incidents: each engine's circuit-breaker-open periods, kept as history for the status page.

Revision ID: 0012
Revises: 0011
Create Date: 2026-12-05
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0012"
down_revision = "0011"
branch_labels = None
depends_on = None

SeqType = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def upgrade() -> None:
    op.create_table(
        "incidents",
        sa.Column("id", SeqType, primary_key=True, autoincrement=True),
        sa.Column("engine", sa.String(200), nullable=False),
        sa.Column("kind", sa.String(30), nullable=False),
        sa.Column("started_at", sa.Float, nullable=False),
        sa.Column("ended_at", sa.Float, nullable=True),
    )
    op.create_index("ix_incidents_started_at", "incidents", ["started_at"])
    op.create_index(
        "ix_incidents_open",
        "incidents",
        ["engine"],
        unique=True,
        sqlite_where=sa.text("ended_at IS NULL"),
        postgresql_where=sa.text("ended_at IS NULL"),
    )


def downgrade() -> None:
    op.drop_index("ix_incidents_open", table_name="incidents")
    op.drop_index("ix_incidents_started_at", table_name="incidents")
    op.drop_table("incidents")
