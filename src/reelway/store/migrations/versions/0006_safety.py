"""Safety: a project's visible-watermark setting, and each video's watermark decision.

Revision ID: 0006
Revises: 0005
Create Date: 2026-11-22
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None


def upgrade() -> None:
    # Plain ADD COLUMN on both dialects: a batch (table copy) on SQLite would drop the
    # videos table's triggers and partial indexes.
    op.add_column("projects", sa.Column("watermark", sa.Boolean(), nullable=True))
    op.add_column(
        "videos",
        sa.Column("watermark", sa.Boolean(), nullable=False, server_default=sa.false()),
    )


def downgrade() -> None:
    with op.batch_alter_table("videos") as batch:
        batch.drop_column("watermark")
    with op.batch_alter_table("projects") as batch:
        batch.drop_column("watermark")
