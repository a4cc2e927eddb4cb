"""Workers report their render slots, so ``/ready`` and ``/metrics`` count rendering capacity.

An API process started with ``--workers 0`` still checks in (it runs the reaper), and was
counted as a worker: ``/ready`` said ready with nothing able to render.  ``workers.slots`` is
the number of render slots the process runs; NULL (a worker of an older version during a
rolling upgrade) counts as one.

Revision ID: 0014
Revises: 0013
Create Date: 2026-12-05
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0014"
down_revision = "0013"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column("workers", sa.Column("slots", sa.Integer, nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("workers") as batch:
        batch.drop_column("slots")
