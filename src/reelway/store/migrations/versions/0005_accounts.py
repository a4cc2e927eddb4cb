"""Accounts: project tiers, plans and budgets; rate counters; the charges ledger; balances;
events.

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-22
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None

JsonType = sa.JSON().with_variant(postgresql.JSONB(), "postgresql")
SeqType = sa.BigInteger().with_variant(sa.Integer(), "sqlite")

_PROJECT_COLUMNS = (
    ("tier", sa.String(50)),
    ("plan", sa.String(50)),
    ("budget_usd_micros", sa.BigInteger()),
    ("relaxed", sa.Boolean()),
    ("requests_per_minute", sa.Integer()),
    ("requests_per_day", sa.Integer()),
    ("cycle_anchor", sa.Float()),
    ("disabled_at", sa.Float()),
)


def upgrade() -> None:
    with op.batch_alter_table("projects") as batch:
        for name, kind in _PROJECT_COLUMNS:
            batch.add_column(sa.Column(name, kind, nullable=True))
    op.create_table(
        "rate_counters",
        sa.Column("key", sa.String(200), primary_key=True),
        sa.Column("window_start", sa.Float, primary_key=True),
        sa.Column("count", sa.Integer, nullable=False),
        sa.Column("expires_at", sa.Float, nullable=False),
    )
    op.create_index("ix_rate_counters_expires_at", "rate_counters", ["expires_at"])
    op.create_table(
        "charges",
        sa.Column("video_id", sa.String(64), primary_key=True),
        sa.Column("project_id", sa.String(64), nullable=False),
        sa.Column("model", sa.String(100), nullable=False),
        sa.Column("size", sa.String(20), nullable=False),
        sa.Column("seconds", sa.Integer, nullable=False),
        sa.Column("relaxed", sa.Boolean, nullable=False),
        sa.Column("day", sa.String(10), nullable=False),
        sa.Column("period_start", sa.Float, nullable=False),
        sa.Column("credits_per_second", sa.Integer, nullable=False),
        sa.Column("usd_micros_per_second", sa.BigInteger, nullable=False),
        sa.Column("credits_reserved", sa.Integer, nullable=False),
        sa.Column("usd_micros_reserved", sa.BigInteger, nullable=False),
        sa.Column("state", sa.String(10), nullable=False),
        sa.Column("credits_charged", sa.Integer, nullable=False, server_default="0"),
        sa.Column("usd_micros_charged", sa.BigInteger, nullable=False, server_default="0"),
        sa.Column("outcome", sa.String(64), nullable=True),
        sa.Column("created_at", sa.Float, nullable=False),
        sa.Column("settled_at", sa.Float, nullable=True),
    )
    op.create_index("ix_charges_project_id_day", "charges", ["project_id", "day"])
    op.create_index("ix_charges_day", "charges", ["day"])
    op.create_table(
        "balances",
        sa.Column("project_id", sa.String(64), primary_key=True),
        sa.Column("period_start", sa.Float, primary_key=True),
        sa.Column("credits_reserved", sa.BigInteger, nullable=False, server_default="0"),
        sa.Column("credits_spent", sa.BigInteger, nullable=False, server_default="0"),
        sa.Column("usd_micros_reserved", sa.BigInteger, nullable=False, server_default="0"),
        sa.Column("usd_micros_spent", sa.BigInteger, nullable=False, server_default="0"),
        sa.Column("alert_level", sa.Integer, nullable=False, server_default="0"),
    )
    op.create_table(
        "events",
        sa.Column("seq", SeqType, primary_key=True, autoincrement=True),
        sa.Column("id", sa.String(64), nullable=False),
        sa.Column("project_id", sa.String(64), nullable=False),
        sa.Column("type", sa.String(100), nullable=False),
        sa.Column("data", JsonType, nullable=False),
        sa.Column("created_at", sa.Float, nullable=False),
        sa.UniqueConstraint("id", name="uq_events_id"),
    )
    op.create_index("ix_events_project_id_seq", "events", ["project_id", "seq"])


def downgrade() -> None:
    op.drop_index("ix_events_project_id_seq", table_name="events")
    op.drop_table("events")
    op.drop_table("balances")
    op.drop_index("ix_charges_day", table_name="charges")
    op.drop_index("ix_charges_project_id_day", table_name="charges")
    op.drop_table("charges")
    op.drop_index("ix_rate_counters_expires_at", table_name="rate_counters")
    op.drop_table("rate_counters")
    with op.batch_alter_table("projects") as batch:
        for name, _ in reversed(_PROJECT_COLUMNS):
            batch.drop_column(name)
