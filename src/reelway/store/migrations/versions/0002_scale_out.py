"""Scale-out: queue counters kept by triggers, usage, idempotency keys, asset expiry.

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-21
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None

QUEUED_WHERE = sa.text("status = 'queued'")
EXPIRING_WHERE = sa.text("expires_at IS NOT NULL AND assets_deleted_at IS NULL")

SQLITE_TRIGGERS = [
    """
    CREATE TRIGGER videos_count_insert AFTER INSERT ON videos WHEN NEW.status = 'queued'
    BEGIN
        INSERT INTO queue_counts (project_id, queued) VALUES (NEW.project_id, 1)
        ON CONFLICT (project_id) DO UPDATE SET queued = queued + 1;
    END
    """,
    """
    CREATE TRIGGER videos_count_update AFTER UPDATE OF status ON videos
    WHEN (OLD.status = 'queued') <> (NEW.status = 'queued')
    BEGIN
        INSERT INTO queue_counts (project_id, queued)
        VALUES (NEW.project_id, CASE WHEN NEW.status = 'queued' THEN 1 ELSE 0 END)
        ON CONFLICT (project_id) DO UPDATE SET queued = queued
            + CASE WHEN NEW.status = 'queued' THEN 1 ELSE -1 END;
    END
    """,
    """
    CREATE TRIGGER videos_count_delete AFTER DELETE ON videos WHEN OLD.status = 'queued'
    BEGIN
        UPDATE queue_counts SET queued = queued - 1 WHERE project_id = OLD.project_id;
    END
    """,
]

POSTGRES_TRIGGERS = [
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


def upgrade() -> None:
    op.create_table(
        "queue_counts",
        sa.Column("project_id", sa.String(length=64), nullable=False),
        sa.Column("queued", sa.Integer(), server_default="0", nullable=False),
        sa.ForeignKeyConstraint(
            ["project_id"], ["projects.id"], name=op.f("fk_queue_counts_project_id_projects")
        ),
        sa.PrimaryKeyConstraint("project_id", name=op.f("pk_queue_counts")),
    )
    op.create_table(
        "usage",
        sa.Column("video_id", sa.String(length=64), nullable=False),
        sa.Column("project_id", sa.String(length=64), nullable=False),
        sa.Column("model", sa.String(length=100), nullable=False),
        sa.Column("size", sa.String(length=20), nullable=False),
        sa.Column("seconds", sa.Integer(), nullable=False),
        sa.Column("engine", sa.String(length=200), nullable=False),
        sa.Column("recorded_at", sa.Float(), nullable=False),
        sa.PrimaryKeyConstraint("video_id", name=op.f("pk_usage")),
    )
    op.create_index(
        "ix_usage_project_id_recorded_at", "usage", ["project_id", "recorded_at"], unique=False
    )
    op.create_table(
        "idempotency_keys",
        sa.Column("project_id", sa.String(length=64), nullable=False),
        sa.Column("key", sa.String(length=255), nullable=False),
        sa.Column("request_hash", sa.String(length=64), nullable=False),
        sa.Column("video_id", sa.String(length=64), nullable=False),
        sa.Column("created_at", sa.Float(), nullable=False),
        sa.Column("expires_at", sa.Float(), nullable=False),
        sa.PrimaryKeyConstraint("project_id", "key", name=op.f("pk_idempotency_keys")),
    )
    op.create_index(
        "ix_idempotency_keys_expires_at", "idempotency_keys", ["expires_at"], unique=False
    )
    with op.batch_alter_table("videos", schema=None) as batch_op:
        batch_op.add_column(sa.Column("assets_deleted_at", sa.Float(), nullable=True))
        batch_op.drop_index(
            "ix_videos_queued", sqlite_where=QUEUED_WHERE, postgresql_where=QUEUED_WHERE
        )
    op.create_index(
        "ix_videos_claim",
        "videos",
        [sa.text("priority DESC"), "run_at", "seq"],
        unique=False,
        sqlite_where=QUEUED_WHERE,
        postgresql_where=QUEUED_WHERE,
    )
    op.create_index(
        "ix_videos_expiring",
        "videos",
        ["expires_at"],
        unique=False,
        sqlite_where=EXPIRING_WHERE,
        postgresql_where=EXPIRING_WHERE,
    )
    op.execute(
        "INSERT INTO queue_counts (project_id, queued) SELECT id, "
        "(SELECT count(*) FROM videos WHERE videos.project_id = projects.id "
        "AND videos.status = 'queued') FROM projects"
    )
    dialect = op.get_bind().dialect.name
    for statement in SQLITE_TRIGGERS if dialect == "sqlite" else POSTGRES_TRIGGERS:
        op.execute(statement)


def downgrade() -> None:
    dialect = op.get_bind().dialect.name
    if dialect == "sqlite":
        for name in ("videos_count_insert", "videos_count_update", "videos_count_delete"):
            op.execute(f"DROP TRIGGER IF EXISTS {name}")
    else:
        op.execute("DROP TRIGGER IF EXISTS videos_count_queued ON videos")
        op.execute("DROP FUNCTION IF EXISTS reelway_count_queued()")
    op.drop_index("ix_videos_expiring", table_name="videos")
    op.drop_index("ix_videos_claim", table_name="videos")
    with op.batch_alter_table("videos", schema=None) as batch_op:
        batch_op.drop_column("assets_deleted_at")
        batch_op.create_index(
            "ix_videos_queued",
            ["priority", "run_at", "seq"],
            unique=False,
            sqlite_where=QUEUED_WHERE,
            postgresql_where=QUEUED_WHERE,
        )
    op.drop_index("ix_idempotency_keys_expires_at", table_name="idempotency_keys")
    op.drop_table("idempotency_keys")
    op.drop_index("ix_usage_project_id_recorded_at", table_name="usage")
    op.drop_table("usage")
    op.drop_table("queue_counts")
