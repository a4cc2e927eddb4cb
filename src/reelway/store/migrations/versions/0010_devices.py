"""Local model engines: how a video was really rendered, and each worker's devices.

``videos.rendered_with`` keeps what an engine reports about the render (an open model's native
size, frames, steps); ``workers.devices`` keeps the state of each device a worker renders on
(idle, loading, busy, down), which ``/ready`` and ``reelway doctor`` report.

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-05
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision = "0010"
down_revision = "0009"
branch_labels = None
depends_on = None

JsonType = sa.JSON().with_variant(postgresql.JSONB(), "postgresql")


def upgrade() -> None:
    op.add_column("videos", sa.Column("rendered_with", JsonType, nullable=True))
    op.add_column("workers", sa.Column("devices", JsonType, nullable=True))


def downgrade() -> None:
    op.drop_column("workers", "devices")
    op.drop_column("videos", "rendered_with")
