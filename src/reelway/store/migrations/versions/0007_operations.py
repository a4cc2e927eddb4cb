"""Operations: webhook endpoints and their outbox, deployment-wide metric totals, refused
requests for doctor, and what each event is about.

Revision ID: 0007
Revises: 0006
Create Date: 2026-11-22
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None

JsonType = sa.JSON().with_variant(postgresql.JSONB(), "postgresql")
SeqType = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def upgrade() -> None:
    # The dashboard's throughput and recent failures read videos by when they ended.
    op.create_index("ix_videos_completed_at", "videos", ["completed_at"])
    op.add_column("events", sa.Column("subject_id", sa.String(64), nullable=True))
    op.create_index("ix_events_subject_id", "events", ["subject_id"])
    op.create_table(
        "webhook_endpoints",
        sa.Column("seq", SeqType, primary_key=True, autoincrement=True),
        sa.Column("id", sa.String(64), nullable=False),
        sa.Column("project_id", sa.String(64), nullable=False),
        sa.Column("name", sa.String(200), nullable=False),
        sa.Column("url", sa.Text, nullable=False),
        sa.Column("event_types", JsonType, nullable=False),
        sa.Column("secret", sa.String(200), nullable=False),
        sa.Column("previous_secret", sa.String(200), nullable=True),
        sa.Column("previous_secret_expires_at", sa.Float, nullable=True),
        sa.Column("created_at", sa.Float, nullable=False),
        sa.Column("updated_at", sa.Float, nullable=False),
        sa.Column("failing_since", sa.Float, nullable=True),
        sa.Column("disabled_at", sa.Float, nullable=True),
        sa.Column("disabled_reason", sa.Text, nullable=True),
        sa.ForeignKeyConstraint(
            ["project_id"], ["projects.id"], name="fk_webhook_endpoints_project_id_projects"
        ),
        sa.UniqueConstraint("id", name="uq_webhook_endpoints_id"),
    )
    op.create_index(
        "ix_webhook_endpoints_project_id_seq", "webhook_endpoints", ["project_id", "seq"]
    )
    op.create_table(
        "webhook_deliveries",
        sa.Column("seq", SeqType, primary_key=True, autoincrement=True),
        sa.Column("id", sa.String(64), nullable=False),
        sa.Column("endpoint_id", sa.String(64), nullable=False),
        sa.Column("project_id", sa.String(64), nullable=False),
        sa.Column("event_id", sa.String(64), nullable=False),
        sa.Column("event_type", sa.String(100), nullable=False),
        sa.Column("payload", sa.Text, nullable=False),
        sa.Column("status", sa.String(20), nullable=False),
        sa.Column("attempts", sa.Integer, nullable=False, server_default="0"),
        sa.Column("next_attempt_at", sa.Float, nullable=False),
        sa.Column("lease_token", sa.String(64), nullable=True),
        sa.Column("lease_expires_at", sa.Float, nullable=True),
        sa.Column("last_attempt_at", sa.Float, nullable=True),
        sa.Column("last_status_code", sa.Integer, nullable=True),
        sa.Column("last_error", sa.Text, nullable=True),
        sa.Column("created_at", sa.Float, nullable=False),
        sa.Column("finished_at", sa.Float, nullable=True),
        sa.UniqueConstraint("id", name="uq_webhook_deliveries_id"),
    )
    op.create_index(
        "ix_webhook_deliveries_endpoint_id_seq", "webhook_deliveries", ["endpoint_id", "seq"]
    )
    op.create_index("ix_webhook_deliveries_event_id", "webhook_deliveries", ["event_id"])
    op.create_index(
        "ix_webhook_deliveries_due",
        "webhook_deliveries",
        ["next_attempt_at"],
        sqlite_where=sa.text("status = 'pending'"),
        postgresql_where=sa.text("status = 'pending'"),
    )
    op.create_index(
        "ix_webhook_deliveries_sending",
        "webhook_deliveries",
        ["lease_expires_at"],
        sqlite_where=sa.text("status = 'sending'"),
        postgresql_where=sa.text("status = 'sending'"),
    )
    op.create_table(
        "metric_totals",
        sa.Column("name", sa.String(100), primary_key=True),
        sa.Column("labels", sa.String(500), primary_key=True),
        sa.Column("value", sa.Float, nullable=False),
    )
    op.create_table(
        "request_log",
        sa.Column("request_id", sa.String(64), primary_key=True),
        sa.Column("at", sa.Float, nullable=False),
        sa.Column("method", sa.String(10), nullable=False),
        sa.Column("path", sa.String(300), nullable=False),
        sa.Column("status", sa.Integer, nullable=False),
        sa.Column("project_id", sa.String(64), nullable=True),
        sa.Column("code", sa.String(100), nullable=True),
        sa.Column("param", sa.String(200), nullable=True),
        sa.Column("message", sa.Text, nullable=True),
    )
    op.create_index("ix_request_log_at", "request_log", ["at"])


def downgrade() -> None:
    op.drop_index("ix_request_log_at", table_name="request_log")
    op.drop_table("request_log")
    op.drop_table("metric_totals")
    op.drop_index("ix_webhook_deliveries_sending", table_name="webhook_deliveries")
    op.drop_index("ix_webhook_deliveries_due", table_name="webhook_deliveries")
    op.drop_index("ix_webhook_deliveries_event_id", table_name="webhook_deliveries")
    op.drop_index("ix_webhook_deliveries_endpoint_id_seq", table_name="webhook_deliveries")
    op.drop_table("webhook_deliveries")
    op.drop_index("ix_webhook_endpoints_project_id_seq", table_name="webhook_endpoints")
    op.drop_table("webhook_endpoints")
    op.drop_index("ix_events_subject_id", table_name="events")
    op.drop_index("ix_videos_completed_at", table_name="videos")
    with op.batch_alter_table("events") as batch:
        batch.drop_column("subject_id")
