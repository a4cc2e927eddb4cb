"""PostgreSQL: count queued videos once per statement, not once per row.

A row-level trigger that updates one counter row per changed video makes a statement that
changes many videos (a bulk insert, a reaper pass over many lapsed leases) quadratic on
PostgreSQL: each update of the counter row adds a version the next one must step over.  A
50,000-row insert took 22 s.  Statement-level triggers read the statement's transition
tables and update each project's counter once.  SQLite updates rows in place and keeps its
row-level triggers.

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-21
"""

from __future__ import annotations

from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None

UPGRADE = [
    "DROP TRIGGER IF EXISTS videos_count_queued ON videos",
    "DROP FUNCTION IF EXISTS reelway_count_queued()",
    """
    CREATE FUNCTION reelway_count_queued_rows() RETURNS trigger AS $$
    BEGIN
        IF TG_OP = 'INSERT' THEN
            WITH deltas AS (
                SELECT project_id, count(*)::integer AS delta FROM new_rows
                WHERE status = 'queued' GROUP BY project_id
            )
            INSERT INTO queue_counts (project_id, queued)
            SELECT project_id, delta FROM deltas
            ON CONFLICT (project_id) DO UPDATE SET queued = queue_counts.queued + EXCLUDED.queued;
        ELSIF TG_OP = 'DELETE' THEN
            UPDATE queue_counts SET queued = queue_counts.queued - d.delta
            FROM (SELECT project_id, count(*)::integer AS delta FROM old_rows
                  WHERE status = 'queued' GROUP BY project_id) AS d
            WHERE queue_counts.project_id = d.project_id;
        ELSE
            WITH deltas AS (
                SELECT project_id, sum(change)::integer AS delta FROM (
                    SELECT project_id, 1 AS change FROM new_rows WHERE status = 'queued'
                    UNION ALL
                    SELECT project_id, -1 FROM old_rows WHERE status = 'queued'
                ) AS changes GROUP BY project_id
            )
            INSERT INTO queue_counts (project_id, queued)
            SELECT project_id, GREATEST(delta, 0) FROM deltas WHERE delta <> 0
            ON CONFLICT (project_id) DO UPDATE
                SET queued = queue_counts.queued
                    + (SELECT d.delta FROM deltas AS d
                       WHERE d.project_id = EXCLUDED.project_id);
        END IF;
        RETURN NULL;
    END
    $$ LANGUAGE plpgsql
    """,
    """
    CREATE TRIGGER videos_count_queued_insert AFTER INSERT ON videos
    REFERENCING NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION reelway_count_queued_rows()
    """,
    """
    CREATE TRIGGER videos_count_queued_update AFTER UPDATE ON videos
    REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION reelway_count_queued_rows()
    """,
    """
    CREATE TRIGGER videos_count_queued_delete AFTER DELETE ON videos
    REFERENCING OLD TABLE AS old_rows
    FOR EACH STATEMENT EXECUTE FUNCTION reelway_count_queued_rows()
    """,
]

ROW_TRIGGERS_0002 = [
    """
    CREATE FUNCTION reelway_count_queued() RETURNS trigger AS $$
    DECLARE
        delta integer := 0;
        project varchar(64);
    BEGIN
        IF TG_OP = 'INSERT' THEN
            project := NEW.project_id;
            IF NEW.status = 'queued' THEN delta := 1; END IF;
        ELSIF TG_OP = 'DELETE' THEN
            project := OLD.project_id;
            IF OLD.status = 'queued' THEN delta := -1; END IF;
        ELSE
            project := NEW.project_id;
            IF OLD.status = 'queued' AND NEW.status <> 'queued' THEN delta := -1; END IF;
            IF OLD.status <> 'queued' AND NEW.status = 'queued' THEN delta := 1; END IF;
        END IF;
        IF delta <> 0 THEN
            INSERT INTO queue_counts (project_id, queued) VALUES (project, GREATEST(delta, 0))
            ON CONFLICT (project_id) DO UPDATE SET queued = queue_counts.queued + delta;
        END IF;
        RETURN NULL;
    END
    $$ LANGUAGE plpgsql
    """,
    """
    CREATE TRIGGER videos_count_queued AFTER INSERT OR DELETE OR UPDATE OF status ON videos
    FOR EACH ROW EXECUTE FUNCTION reelway_count_queued()
    """,
]

DOWNGRADE = [
    "DROP TRIGGER IF EXISTS videos_count_queued_insert ON videos",
    "DROP TRIGGER IF EXISTS videos_count_queued_update ON videos",
    "DROP TRIGGER IF EXISTS videos_count_queued_delete ON videos",
    "DROP FUNCTION IF EXISTS reelway_count_queued_rows()",
]


def upgrade() -> None:
    if op.get_bind().dialect.name != "postgresql":
        return
    for statement in UPGRADE:
        op.execute(statement)


def downgrade() -> None:
    if op.get_bind().dialect.name != "postgresql":
        return
    for statement in DOWNGRADE:
        op.execute(statement)
    for statement in ROW_TRIGGERS_0002:
        op.execute(statement)
