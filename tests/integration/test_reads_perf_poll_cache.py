"""Reads through the poll cache (``store.videos.PollCache``) are never stale: whatever another
connection (another process) commits, the next retrieve and list see it, on SQLite and
PostgreSQL alike (where there is no cache)."""

from __future__ import annotations

import functools
from collections.abc import AsyncIterator

import pytest
import sqlalchemy as sa

from reelway.store.database import Database
from reelway.store.tables import videos as v
from reelway.store.videos import PollCache, VideoStore
from tests.integration.conftest import new_video


def set_progress(conn: sa.Connection, progress: int) -> None:
    conn.execute(sa.update(v).where(v.c.id == "video_0001").values(progress=progress))


@pytest.fixture
async def other(db: Database) -> AsyncIterator[Database]:
    """A second connection to the same database, as another process has."""
    database = Database(db.url)
    yield database
    await database.close()


async def test_reads_perf_a_poll_sees_every_commit_of_another_connection(
    db: Database, other: Database, videos: VideoStore, project_id: str
) -> None:
    await videos.insert(new_video(project_id, 1))
    await videos.insert(new_video(project_id, 2))
    for _ in range(3):  # read them more than once: the later reads are the cache's, if any
        for video_id in ("video_0001", "video_0002"):
            seen = await videos.get(video_id, project_id=project_id)
            assert seen is not None and seen.progress == 0
    for progress in (10, 55, 100):
        await other.write(functools.partial(set_progress, progress=progress))
        # The other video first: the first read after a commit must not be the only fresh one.
        assert await videos.get("video_0002", project_id=project_id) is not None
        seen = await videos.get("video_0001", project_id=project_id)
        assert seen is not None and seen.progress == progress
        again = await videos.get("video_0001", project_id=project_id)
        assert again == seen
    assert await videos.get("video_0001", project_id="proj_someone_else") is None
    hide = sa.update(v).where(v.c.id == "video_0001").values(deleted_at=1.0)
    await other.write(lambda conn: conn.execute(hide))
    assert await videos.get("video_0001", project_id=project_id) is None


async def test_reads_perf_a_listed_page_sees_every_commit_of_another_connection(
    db: Database, other: Database, videos: VideoStore, project_id: str
) -> None:
    for n in range(1, 4):
        await videos.insert(new_video(project_id, n))
    for _ in range(2):
        page, more = await videos.list_page(project_id, after=None, limit=2, descending=True)
        assert [x.id for x in page] == ["video_0003", "video_0002"] and more
    newer = VideoStore(other)
    await newer.insert(new_video(project_id, 4))
    await videos.list_page(project_id, after=None, limit=3, descending=False)  # another page
    page, more = await videos.list_page(project_id, after=None, limit=2, descending=True)
    assert [x.id for x in page] == ["video_0004", "video_0003"] and more
    page, more = await videos.list_page(project_id, after="video_0002", limit=5, descending=False)
    assert [x.id for x in page] == ["video_0003", "video_0004"] and not more
    hide = sa.update(v).where(v.c.id == "video_0004").values(deleted_at=1.0)
    await other.write(lambda conn: conn.execute(hide))
    page, _ = await videos.list_page(project_id, after="video_0002", limit=5, descending=False)
    assert [x.id for x in page] == ["video_0003"]
    with pytest.raises(LookupError):
        await videos.list_page(project_id, after="video_9999", limit=5, descending=True)


def test_reads_perf_the_cache_forgets_at_every_new_version_and_rests_when_it_never_hits() -> None:
    cache = PollCache()
    assert cache.get(1, "k") is None
    cache.put(1, "k", "found")
    assert cache.get(1, "k") == "found"
    cache.put(1, "stale", "x")
    assert cache.get(2, "k") is None and cache.get(2, "stale") is None
    cache.put(1, "late", "read under an older version")  # not kept: the version moved
    assert cache.get(2, "late") is None
    for version in range(3, 3 + PollCache.GIVE_UP_AFTER):  # every look finds a new version
        assert cache.checking()
        assert cache.get(version, "k") is None
    resting = [cache.checking() for _ in range(PollCache.REST_LOOKUPS)]
    assert not any(resting)
    assert cache.checking()


def test_reads_perf_the_cache_holds_a_bounded_number_of_videos() -> None:
    cache = PollCache()
    cache.get(1, "first")
    cache.put(1, "page", "twenty videos", videos=20)
    for n in range(PollCache.MAX_VIDEOS - 20):
        cache.put(1, n, "one video")
    assert cache.get(1, "page") == "twenty videos" and cache.get(1, 0) == "one video"
    cache.put(1, "one more", "one video")  # over the bound: everything older goes
    assert cache.get(1, "page") is None and cache.get(1, 0) is None
    assert cache.get(1, "one more") == "one video"
