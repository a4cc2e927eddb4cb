"""Typed jobs: each video's kind and sources replace the remix-only column, and a remix that
an engine without remix rendered as a new generation says so.

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-05
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None

JsonType = sa.JSON().with_variant(postgresql.JSONB(), "postgresql")


def _json_object(dialect: str) -> str:
    return "json_object" if dialect == "sqlite" else "jsonb_build_object"


def upgrade() -> None:
    # Plain ADD/DROP COLUMN on both dialects (SQLite has DROP COLUMN since 3.35): a batch
    # (table copy) on SQLite would drop the videos table's triggers and partial indexes.
    op.add_column(
        "videos", sa.Column("kind", sa.String(30), nullable=False, server_default="generate")
    )
    op.add_column("videos", sa.Column("sources", JsonType, nullable=True))
    op.add_column("videos", sa.Column("rendered_as", sa.String(30), nullable=True))
    build = _json_object(op.get_bind().dialect.name)
    op.execute(
        "UPDATE videos SET kind = 'remix', "
        f"sources = {build}('video_id', remixed_from_video_id) "
        "WHERE remixed_from_video_id IS NOT NULL"
    )
    op.drop_column("videos", "remixed_from_video_id")


def downgrade() -> None:
    op.add_column("videos", sa.Column("remixed_from_video_id", sa.String(64), nullable=True))
    if op.get_bind().dialect.name == "sqlite":
        source = "json_extract(sources, '$.video_id')"
    else:
        source = "sources ->> 'video_id'"
    op.execute(f"UPDATE videos SET remixed_from_video_id = {source} WHERE kind = 'remix'")
    op.drop_column("videos", "rendered_as")
    op.drop_column("videos", "sources")
    op.drop_column("videos", "kind")
