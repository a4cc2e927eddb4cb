"""The SQLite runner: group commit keeps failures apart, and a held lock never blocks the loop."""

from __future__ import annotations

import asyncio
import sqlite3
import time
from pathlib import Path

import pytest
import sqlalchemy as sa

from reelway import jobs
from reelway.store.database import Database
from reelway.store.keys import KeyStore
from reelway.store.queue import QueueStore
from reelway.store.videos import VideoStore
from tests.integration.conftest import new_video


async def test_statements_in_one_turn_share_a_commit_but_fail_alone(
    videos: VideoStore, project_id: str
) -> None:
    """On both databases: one duplicate fails, its neighbours are stored."""
    results = await asyncio.gather(
        videos.insert(new_video(project_id, 1)),
        videos.insert(new_video(project_id, 1)),  # same id: violates the unique constraint
        videos.insert(new_video(project_id, 2)),
        return_exceptions=True,
    )
    failed = [r for r in results if isinstance(r, Exception)]
    assert len(failed) == 1, "exactly one of the two duplicates fails (which one is a race)"
    assert isinstance(failed[0], sqlite3.IntegrityError | sa.exc.IntegrityError)
    assert isinstance(results[2], jobs.Video) and results[2].id == "video_0002"
    for video_id in ("video_0001", "video_0002"):
        assert await videos.get(video_id) is not None


async def test_a_write_waits_for_another_process_lock_without_blocking_the_loop(
    sqlite_db: Database, tmp_path: Path
) -> None:
    videos = VideoStore(sqlite_db)
    queue = QueueStore(sqlite_db)
    project, _ = await KeyStore(sqlite_db).ensure_project("test")
    project_id = project.id
    other = sqlite3.connect(tmp_path / "reelway.db", isolation_level=None)
    other.execute("BEGIN IMMEDIATE")  # another process holding the write lock
    try:
        insert = asyncio.create_task(videos.insert(new_video(project_id, 1)))
        ticks = 0
        started = time.monotonic()
        while time.monotonic() - started < 0.3:
            await asyncio.sleep(0.01)
            ticks += 1
        assert not insert.done()
        assert ticks >= 10, "the event loop was blocked while the lock was held"
        other.execute("COMMIT")
        video = await asyncio.wait_for(insert, 10)
        assert video.id == "video_0001"
        # A multi-statement write takes the same path.
        other.execute("BEGIN IMMEDIATE")
        claim = asyncio.create_task(queue.claim("w", 30))
        await asyncio.sleep(0.1)
        assert not claim.done()
        other.execute("COMMIT")
        claimed = await asyncio.wait_for(claim, 10)
        assert claimed is not None and claimed.id == "video_0001"
    finally:
        other.close()


@pytest.mark.parametrize("synchronous", ["bogus"])
def test_bad_synchronous_setting_is_refused(tmp_path: Path, synchronous: str) -> None:
    with pytest.raises(ValueError, match="normal or full"):
        Database(f"sqlite:///{tmp_path / 'x.db'}", sqlite_synchronous=synchronous)
