"""Migrations produce exactly the schema the code declares."""

from __future__ import annotations

import pytest
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext

from reelway.store import tables
from reelway.store.database import Database, SchemaOutOfDate, head_revision


async def test_migrated_schema_matches_the_tables(db: Database) -> None:
    def diff(sync_conn):
        return compare_metadata(MigrationContext.configure(sync_conn), tables.metadata)

    assert await db.read(diff) == []
    assert await db.schema_revision() == (head_revision(), head_revision())


async def test_an_empty_database_is_reported_clearly(tmp_path) -> None:
    empty = Database(f"sqlite:///{tmp_path / 'empty.db'}")
    try:
        try:
            await empty.check_schema()
        except SchemaOutOfDate as exc:
            assert "reelway migrate" in str(exc)
        else:
            raise AssertionError("an empty database passed the schema check")
    finally:
        await empty.close()


async def test_upgrading_an_old_schema_keeps_and_counts_the_queue(deployment) -> None:
    """A database at revision 0001 with queued work is reported, then upgraded intact."""
    import sqlalchemy as sa
    from alembic import command

    from reelway.store import database as database_module

    deployment.data_dir.mkdir(parents=True, exist_ok=True)
    db = Database(deployment.database_url or f"sqlite:///{deployment.data_dir / 'old.db'}")
    try:

        def upgrade_to_0001(conn: sa.Connection) -> None:
            cfg = database_module.alembic_config()
            cfg.attributes["connection"] = conn
            command.upgrade(cfg, "0001")

        await db.write(upgrade_to_0001)

        def old_data(conn: sa.Connection) -> None:
            conn.execute(sa.text("INSERT INTO projects VALUES ('p1', 'one', 1.0)"))
            for n, status in enumerate(["queued", "queued", "running", "succeeded"]):
                conn.execute(
                    sa.text(
                        "INSERT INTO videos (id, project_id, model, catalog_model, size, "
                        "seconds, seed, status, progress, created_at, priority, run_at, "
                        "attempts, max_attempts, cancel_requested) VALUES (:id, 'p1', 'sora-2', "
                        "'sora-2', '720x1280', '4', 1, :status, 0, 1.0, 0, 1.0, 0, 3, :f)"
                    ),
                    {"id": f"video_{n}", "status": status, "f": False},
                )

        await db.write(old_data)
        with pytest.raises(SchemaOutOfDate, match="revision 0001 but this Reelway needs"):
            await db.check_schema()
        assert await db.migrate() == ("0001", head_revision())
        counted = await db.read(
            lambda conn: conn.execute(sa.text("SELECT queued FROM queue_counts")).scalar_one()
        )
        assert counted == 2
    finally:
        await db.close()
