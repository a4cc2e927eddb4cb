"""Storyboards: a shot's row names its storyboard, so the coordinator finds its shots.

Revision ID: 0011
Revises: 0010
Create Date: 2026-12-05
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0011"
down_revision = "0010"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column("videos", sa.Column("storyboard_id", sa.String(64), nullable=True))
    op.create_index("ix_videos_storyboard_id", "videos", ["storyboard_id"])


def downgrade() -> None:
    op.drop_index("ix_videos_storyboard_id", table_name="videos")
    op.drop_column("videos", "storyboard_id")
