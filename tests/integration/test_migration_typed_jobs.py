"""Migration 0008: a remix row keeps its source as typed sources, and the videos table keeps
the triggers that count the queue (a SQLite table copy would have dropped them)."""

from __future__ import annotations

import sqlalchemy as sa
from alembic import command

from reelway import jobs
from reelway.store import database as database_module
from reelway.store.database import Database, head_revision
from reelway.store.videos import VideoStore
from tests.integration.conftest import new_video


async def test_remixes_keep_their_source_and_the_queue_stays_counted(deployment) -> None:
    deployment.data_dir.mkdir(parents=True, exist_ok=True)
    db = Database(deployment.database_url or f"sqlite:///{deployment.data_dir / 'old.db'}")
    try:

        def upgrade_to_0007(conn: sa.Connection) -> None:
            cfg = database_module.alembic_config()
            cfg.attributes["connection"] = conn
            command.upgrade(cfg, "0007")

        await db.write(upgrade_to_0007)

        def old_rows(conn: sa.Connection) -> None:
            conn.execute(
                sa.text("INSERT INTO projects (id, name, created_at) VALUES ('p1', 'one', 1.0)")
            )
            for n, source in enumerate([None, "video_0"]):
                conn.execute(
                    sa.text(
                        "INSERT INTO videos (id, project_id, model, catalog_model, size, "
                        "seconds, seed, status, progress, created_at, priority, run_at, "
                        "attempts, max_attempts, cancel_requested, remixed_from_video_id) "
                        "VALUES (:id, 'p1', 'sora-2', 'sora-2', '720x1280', '4', 1, 'queued', "
                        "0, 1.0, 0, 1.0, 0, 3, :f, :source)"
                    ),
                    {"id": f"video_{n}", "f": False, "source": source},
                )

        await db.write(old_rows)
        assert await db.migrate() == ("0007", head_revision())
        videos = VideoStore(db)
        plain, remix = [await videos.get(f"video_{n}") for n in range(2)]
        assert plain is not None and remix is not None
        assert plain.kind is jobs.JobKind.GENERATE and plain.sources == jobs.NO_SOURCES
        assert remix.kind is jobs.JobKind.REMIX and remix.remixed_from_video_id == "video_0"
        assert remix.rendered_as is None

        def queued(conn: sa.Connection) -> int:
            found = conn.execute(sa.text("SELECT queued FROM queue_counts WHERE project_id = 'p1'"))
            return int(found.scalar_one())

        before = await db.read(queued)
        await videos.insert(new_video("p1", 7))
        assert await db.read(queued) == before + 1, "the queue counter's trigger survived"
    finally:
        await db.close()
