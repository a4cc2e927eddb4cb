"""Files: a project's uploads (``/v1/files``), with their purpose, size, expiry and tombstone.

Revision ID: 0013
Revises: 0012
Create Date: 2026-12-05
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0013"
down_revision = "0012"
branch_labels = None
depends_on = None

SeqType = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def upgrade() -> None:
    op.create_table(
        "files",
        sa.Column("seq", SeqType, primary_key=True, autoincrement=True),
        sa.Column("id", sa.String(64), nullable=False),
        sa.Column("project_id", sa.String(64), nullable=False),
        sa.Column("filename", sa.String(255), nullable=False),
        sa.Column("purpose", sa.String(32), nullable=False),
        sa.Column("bytes", sa.BigInteger, nullable=False),
        sa.Column("content_type", sa.String(100), nullable=False),
        sa.Column("blob", sa.String(300), nullable=False),
        sa.Column("created_at", sa.Float, nullable=False),
        sa.Column("expires_at", sa.Float, nullable=False),
        sa.Column("deleted_at", sa.Float, nullable=True),
        sa.Column("purged_at", sa.Float, nullable=True),
        sa.ForeignKeyConstraint(
            ["project_id"], ["projects.id"], name="fk_files_project_id_projects"
        ),
        sa.UniqueConstraint("id", name="uq_files_id"),
    )
    op.create_index("ix_files_project_id_seq", "files", ["project_id", "seq"])
    op.create_index("ix_files_unpurged_expires_at", "files", ["purged_at", "expires_at"])


def downgrade() -> None:
    op.drop_index("ix_files_unpurged_expires_at", table_name="files")
    op.drop_index("ix_files_project_id_seq", table_name="files")
    op.drop_table("files")
