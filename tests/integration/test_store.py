"""The job store on a real SQLite file: claims, leases, fencing, reaping, deadlines, delete."""

from __future__ import annotations

import asyncio

import pytest

from reelway import jobs
from reelway.jobs import JobStatus
from reelway.store.database import Database
from reelway.store.queue import Heartbeat, LeaseLost, QueueStore
from reelway.store.videos import VideoStore
from tests.integration.conftest import Clock, new_video


async def test_claim_takes_the_oldest_of_the_highest_priority_once(
    videos: VideoStore, queue: QueueStore, project_id: str, clock: Clock
) -> None:
    await videos.insert(new_video(project_id, 1))
    clock.advance(1)
    await videos.insert(new_video(project_id, 2, priority=5))
    clock.advance(1)
    await videos.insert(new_video(project_id, 3))
    order = []
    for _ in range(3):
        job = await queue.claim("w", 30)
        assert job is not None and job.status is JobStatus.RUNNING and job.attempts == 1
        order.append(job.id)
    assert order == ["video_0002", "video_0001", "video_0003"]
    assert await queue.claim("w", 30) is None


async def test_concurrent_claims_never_share_a_job(
    videos: VideoStore, queue: QueueStore, project_id: str
) -> None:
    for n in range(20):
        await videos.insert(new_video(project_id, n))
    claimed = await asyncio.gather(*(queue.claim(f"w{i}", 30) for i in range(30)))
    ids = [job.id for job in claimed if job is not None]
    assert len(ids) == 20 and len(set(ids)) == 20


async def test_a_stale_worker_is_fenced_out(
    videos: VideoStore, queue: QueueStore, project_id: str, clock: Clock
) -> None:
    await videos.insert(new_video(project_id, 1, max_attempts=5))
    first = await queue.claim("old", 10)
    assert first is not None and first.lease_token
    clock.advance(11)
    report = await queue.reap()
    assert report.requeued == ("video_0001",)
    second = await queue.claim("new", 10)
    assert second is not None and second.attempts == 2 and second.lease_token != first.lease_token
    assert await queue.heartbeat(first.id, first.lease_token, 50, 10) is Heartbeat.LOST
    with pytest.raises(LeaseLost):
        await queue.complete(first.id, first.lease_token, "animatic", {})
    with pytest.raises(LeaseLost):
        await queue.fail(first.id, first.lease_token, jobs.JobError("x", "y"))
    assert second.lease_token
    done = await queue.complete(second.id, second.lease_token, "animatic", {})
    assert done.status is JobStatus.SUCCEEDED and done.progress == 100


async def test_heartbeats_extend_the_lease_and_publish_progress(
    videos: VideoStore, queue: QueueStore, project_id: str, clock: Clock
) -> None:
    await videos.insert(new_video(project_id, 1))
    job = await queue.claim("w", 10)
    assert job is not None and job.lease_token
    for _ in range(5):
        clock.advance(8)
        assert await queue.heartbeat(job.id, job.lease_token, 40, 10) is Heartbeat.OK
        assert (await queue.reap()).total == 0
    current = await videos.get(job.id)
    assert current is not None and current.progress == 40


async def test_repeatedly_lost_jobs_fail_with_worker_lost(
    videos: VideoStore, queue: QueueStore, project_id: str, clock: Clock
) -> None:
    await videos.insert(new_video(project_id, 1, max_attempts=2))
    for _ in range(2):
        assert await queue.claim("w", 5) is not None
        clock.advance(6)
        await queue.reap()
    job = await videos.get("video_0001")
    assert job is not None and job.status is JobStatus.FAILED
    assert job.error is not None and job.error.code == "worker_lost"


async def test_deadlines_fail_queued_and_running_jobs(
    videos: VideoStore, queue: QueueStore, project_id: str, clock: Clock
) -> None:
    await videos.insert(new_video(project_id, 1, deadline_seconds=60))
    await videos.insert(new_video(project_id, 2, deadline_seconds=60))
    running = await queue.claim("w", 600)
    assert running is not None and running.lease_token
    clock.advance(61)
    report = await queue.reap()
    assert sorted(report.failed) == ["video_0001", "video_0002"]
    for video_id in ("video_0001", "video_0002"):
        job = await videos.get(video_id)
        assert job is not None and job.error is not None
        assert job.error.code == "deadline_exceeded"
    with pytest.raises(LeaseLost):
        await queue.complete(running.id, running.lease_token, "animatic", {})


async def test_release_hands_back_without_counting_an_attempt(
    videos: VideoStore, queue: QueueStore, project_id: str
) -> None:
    await videos.insert(new_video(project_id, 1))
    job = await queue.claim("w", 30)
    assert job is not None and job.lease_token
    back = await queue.release(job.id, job.lease_token)
    assert back.status is JobStatus.QUEUED and back.attempts == 0 and back.lease_token is None


async def test_delete_cancels_queued_flags_running_and_hides_both(
    videos: VideoStore, queue: QueueStore, project_id: str
) -> None:
    await videos.insert(new_video(project_id, 1))
    await videos.insert(new_video(project_id, 2))
    running = await queue.claim("w", 30)
    assert running is not None and running.lease_token and running.id == "video_0001"
    queued = await videos.delete(project_id, "video_0002")
    assert queued is not None and queued.status is JobStatus.CANCELLED and queued.deleted_at
    flagged = await videos.delete(project_id, "video_0001")
    assert flagged is not None and flagged.status is JobStatus.RUNNING and flagged.cancel_requested
    assert await videos.get("video_0001", project_id=project_id) is None
    assert await queue.heartbeat(running.id, running.lease_token, 10, 30) is Heartbeat.CANCEL
    with pytest.raises(LeaseLost):
        await queue.release(running.id, running.lease_token)
    stopped = await queue.acknowledge_cancel(running.id, running.lease_token)
    assert stopped.status is JobStatus.CANCELLED
    pending = await videos.deleted_unpurged()
    assert sorted(v.id for v in pending) == ["video_0001", "video_0002"]
    await videos.mark_purged("video_0001")
    purged = await videos.get("video_0001", include_deleted=True)
    assert purged is not None and purged.prompt is None and purged.purged_at
    assert await videos.delete(project_id, "video_0001") is None


async def test_listing_pages_by_insertion_order(videos: VideoStore, project_id: str) -> None:
    for n in range(5):
        await videos.insert(new_video(project_id, n))
    page, more = await videos.list_page(project_id, after=None, limit=2, descending=False)
    assert [v.id for v in page] == ["video_0000", "video_0001"] and more
    page, more = await videos.list_page(project_id, after="video_0003", limit=2, descending=False)
    assert [v.id for v in page] == ["video_0004"] and not more
    page, more = await videos.list_page(project_id, after="video_0002", limit=9, descending=True)
    assert [v.id for v in page] == ["video_0001", "video_0000"] and not more
    with pytest.raises(LookupError):
        await videos.list_page("proj_other", after="video_0001", limit=2, descending=True)


async def test_two_engines_on_one_database_never_share_a_job(
    db: Database, project_id: str, tmp_path
) -> None:
    other = Database(db.url)
    try:
        first, second = VideoStore(db), VideoStore(other)
        for n in range(10):
            await (first if n % 2 else second).insert(new_video(project_id, n))
        claimers = (QueueStore(db), QueueStore(other))
        results = await asyncio.gather(*(store.claim("w", 30) for store in claimers * 8))
        assert len({r.id for r in results if r}) == 10
    finally:
        await other.close()


async def test_insert_returns_exactly_the_stored_row(videos: VideoStore, project_id: str) -> None:
    made = await videos.insert(new_video(project_id, 1, deadline_seconds=60, priority=2))
    assert made == await videos.get(made.id)
    assert made.status is JobStatus.QUEUED and made.deadline_at == made.created_at + 60
