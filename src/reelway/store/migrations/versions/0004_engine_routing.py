"""Engine routing: failover history on videos, shared engine state and the submit log.

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-22
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None

JsonType = sa.JSON().with_variant(postgresql.JSONB(), "postgresql")
SeqType = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def upgrade() -> None:
    with op.batch_alter_table("videos") as batch:
        batch.add_column(sa.Column("engine_attempts", JsonType, nullable=True))
    op.create_table(
        "engine_state",
        sa.Column("engine", sa.String(200), primary_key=True),
        sa.Column("failures", sa.Integer, nullable=False, server_default="0"),
        sa.Column("opened_until", sa.Float, nullable=True),
        sa.Column("blocked_until", sa.Float, nullable=True),
        sa.Column("updated_at", sa.Float, nullable=False),
    )
    op.create_table(
        "engine_calls",
        sa.Column("id", SeqType, primary_key=True, autoincrement=True),
        sa.Column("engine", sa.String(200), nullable=False),
        sa.Column("at", sa.Float, nullable=False),
    )
    op.create_index("ix_engine_calls_engine_at", "engine_calls", ["engine", "at"])


def downgrade() -> None:
    op.drop_index("ix_engine_calls_engine_at", table_name="engine_calls")
    op.drop_table("engine_calls")
    op.drop_table("engine_state")
    with op.batch_alter_table("videos") as batch:
        batch.drop_column("engine_attempts")
