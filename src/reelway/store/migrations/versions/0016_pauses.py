"""Pause and resume: the ``pauses`` table, ``videos.held`` and a claim index that skips held
jobs, and a project's ``pause_at_budget_percent``.

A pause is one row per scope (``deployment``, ``project`` with the project id, ``engine`` with
the engine's name); resuming deletes it.  Pausing a project marks its queued jobs ``held``
(one indexed UPDATE), and a trigger marks a job created while its project is paused; the claim
index leads with ``held``, so the claim never walks a paused project's queue.

Revision ID: 0016
Revises: 0015
Create Date: 2026-12-05
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0016"
down_revision = "0015"
branch_labels = None
depends_on = None

QUEUED_WHERE = sa.text("status = 'queued'")

SQLITE_TRIGGER = """
CREATE TRIGGER videos_hold_paused AFTER INSERT ON videos
WHEN NEW.status = 'queued' AND EXISTS (
    SELECT 1 FROM pauses WHERE scope = 'project' AND target = NEW.project_id
)
BEGIN
    UPDATE videos SET held = 1 WHERE seq = NEW.seq;
END
"""

PG_FUNCTION = """
CREATE FUNCTION reelway_hold_paused() RETURNS trigger AS $$
BEGIN
    IF NEW.status = 'queued' AND EXISTS (
        SELECT 1 FROM pauses WHERE scope = 'project' AND target = NEW.project_id
    ) THEN
        NEW.held := true;
    END IF;
    RETURN NEW;
END
$$ LANGUAGE plpgsql
"""

PG_TRIGGER = """
CREATE TRIGGER videos_hold_paused BEFORE INSERT ON videos
FOR EACH ROW EXECUTE FUNCTION reelway_hold_paused()
"""


def upgrade() -> None:
    op.create_table(
        "pauses",
        sa.Column("scope", sa.String(20), nullable=False),
        sa.Column("target", sa.String(100), nullable=False),
        sa.Column("paused_by", sa.String(20), nullable=False),
        sa.Column("reason", sa.String(500), nullable=True),
        sa.Column("on_queued", sa.String(20), nullable=True),
        sa.Column("paused_at", sa.Float, nullable=False),
        sa.PrimaryKeyConstraint("scope", "target", name=op.f("pk_pauses")),
    )
    op.add_column("projects", sa.Column("pause_at_budget_percent", sa.Integer, nullable=True))
    # Plain ADD/DROP COLUMN (as 0008): a batch table copy on SQLite would drop the videos
    # table's triggers and partial indexes.
    op.add_column(
        "videos", sa.Column("held", sa.Boolean, nullable=False, server_default=sa.false())
    )
    op.drop_index("ix_videos_claim", table_name="videos")
    op.create_index(
        "ix_videos_claim",
        "videos",
        ["held", sa.text("priority DESC"), "run_at", "seq"],
        unique=False,
        sqlite_where=QUEUED_WHERE,
        postgresql_where=QUEUED_WHERE,
    )
    if op.get_bind().dialect.name == "postgresql":
        op.execute(PG_FUNCTION)
        op.execute(PG_TRIGGER)
    else:
        op.execute(SQLITE_TRIGGER)


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute("DROP TRIGGER IF EXISTS videos_hold_paused ON videos")
        op.execute("DROP FUNCTION IF EXISTS reelway_hold_paused()")
    else:
        op.execute("DROP TRIGGER IF EXISTS videos_hold_paused")
    op.drop_index("ix_videos_claim", table_name="videos")
    op.create_index(
        "ix_videos_claim",
        "videos",
        [sa.text("priority DESC"), "run_at", "seq"],
        unique=False,
        sqlite_where=QUEUED_WHERE,
        postgresql_where=QUEUED_WHERE,
    )
    op.drop_column("videos", "held")
    op.drop_column("projects", "pause_at_budget_percent")
    op.drop_table("pauses")
