"""Admission control, idempotency keys, usage records and expiry, on both databases."""

from __future__ import annotations

import asyncio

import pytest
import sqlalchemy as sa

from reelway import jobs
from reelway.store.database import Database
from reelway.store.queue import QueueStore
from reelway.store.tables import queue_counts, usage
from reelway.store.videos import IdempotencyKey, KeyTaken, QueueLimitReached, VideoStore
from tests.integration.conftest import Clock, new_video


async def _queued(db: Database, project_id: str) -> int:
    query = sa.select(queue_counts.c.queued).where(queue_counts.c.project_id == project_id)
    return int(await db.read(lambda conn: conn.execute(query).scalar_one()))


async def test_triggers_keep_the_queued_count_through_every_transition(
    db: Database, videos: VideoStore, queue: QueueStore, project_id: str, clock: Clock
) -> None:
    for n in range(4):
        await videos.insert(new_video(project_id, n, max_attempts=5))
    assert await _queued(db, project_id) == 4
    job = await queue.claim("w", 5)
    assert job is not None and job.lease_token
    assert await _queued(db, project_id) == 3
    await videos.delete(project_id, "video_0003")  # queued -> cancelled
    assert await _queued(db, project_id) == 2
    await queue.release(job.id, job.lease_token)  # running -> queued
    assert await _queued(db, project_id) == 3
    again = await queue.claim("w", 5)
    assert again is not None
    clock.advance(6)
    await queue.reap()  # lapsed lease -> queued
    assert await _queued(db, project_id) == 3
    assert await videos.queued_total() == 3


async def test_the_queue_bound_refuses_the_next_create_until_one_starts(
    videos: VideoStore, queue: QueueStore, project_id: str
) -> None:
    for n in range(3):
        await videos.insert(new_video(project_id, n), queue_limit=3)
    with pytest.raises(QueueLimitReached):
        await videos.insert(new_video(project_id, 3), queue_limit=3)
    assert await videos.get("video_0003") is None
    assert await queue.claim("w", 30) is not None
    await videos.insert(new_video(project_id, 3), queue_limit=3)


async def test_concurrent_creates_never_pass_the_bound(videos: VideoStore, project_id: str) -> None:
    results = await asyncio.gather(
        *(videos.insert(new_video(project_id, n), queue_limit=5) for n in range(20)),
        return_exceptions=True,
    )
    made = [r for r in results if isinstance(r, jobs.Video)]
    refused = [r for r in results if isinstance(r, QueueLimitReached)]
    assert (len(made), len(refused)) == (5, 15)


async def test_an_idempotency_key_is_taken_once_and_released_when_it_expires(
    videos: VideoStore, project_id: str, clock: Clock
) -> None:
    key = IdempotencyKey("k-1", "hash-a", ttl_seconds=60)
    first = await videos.insert_keyed(new_video(project_id, 1), key)
    assert isinstance(first, jobs.Video)
    second = await videos.insert_keyed(new_video(project_id, 2), key)
    assert second == KeyTaken(request_hash="hash-a", video_id="video_0001")
    assert await videos.get("video_0002") is None
    assert await videos.find_key(project_id, "k-1") == second
    assert await videos.find_key("proj_other", "k-1") is None
    clock.advance(61)
    assert await videos.find_key(project_id, "k-1") is None
    third = await videos.insert_keyed(new_video(project_id, 3), key)
    assert isinstance(third, jobs.Video)
    clock.advance(61)
    assert await videos.forget_expired_keys() == 1


async def test_concurrent_requests_with_one_key_make_one_video(
    videos: VideoStore, project_id: str
) -> None:
    key = IdempotencyKey("same", "hash", ttl_seconds=60)
    results = await asyncio.gather(
        *(videos.insert_keyed(new_video(project_id, n), key) for n in range(10))
    )
    made = [r for r in results if isinstance(r, jobs.Video)]
    assert len(made) == 1
    assert {r.video_id for r in results if isinstance(r, KeyTaken)} == {made[0].id}


async def test_a_full_queue_does_not_keep_the_key(videos: VideoStore, project_id: str) -> None:
    await videos.insert(new_video(project_id, 1), queue_limit=1)
    with pytest.raises(QueueLimitReached):
        await videos.insert_keyed(
            new_video(project_id, 2), IdempotencyKey("k", "h", 60), queue_limit=1
        )
    assert await videos.find_key(project_id, "k") is None


async def test_completion_records_usage_once_and_sets_expiry(
    db: Database, videos: VideoStore, queue: QueueStore, project_id: str, clock: Clock
) -> None:
    await videos.insert(new_video(project_id, 1, max_attempts=5))
    job = await queue.claim("w", 5)
    assert job is not None and job.lease_token
    done = await queue.complete(job.id, job.lease_token, "animatic", {}, retention_seconds=100)
    assert done.expires_at == pytest.approx(done.completed_at + 100)  # type: ignore[operator]
    recorded = await db.read(lambda conn: conn.execute(sa.select(usage)).all())
    assert [(r.video_id, r.engine, r.seconds) for r in recorded] == [("video_0001", "animatic", 4)]
    assert await videos.expired_with_files() == []
    clock.advance(101)
    expired = await videos.expired_with_files()
    assert [v.id for v in expired] == ["video_0001"]
    await videos.mark_assets_deleted("video_0001")
    assert await videos.expired_with_files() == []
    after = await videos.get("video_0001")
    assert after is not None and after.assets_deleted_at is not None
