"""The dashboard's queries on SQLite and PostgreSQL: queue depth, outcomes by bucket,
generation-time quantiles, errors by code and engine, the newest videos, and project scope."""

from __future__ import annotations

from reelway import jobs
from reelway.jobs import JobStatus
from reelway.store.dashboard import Bucket, DashboardStore, ErrorGroup
from reelway.store.database import Database
from reelway.store.keys import KeyStore
from reelway.store.queue import QueueStore
from reelway.store.videos import VideoStore
from tests.integration.conftest import Clock, new_video

THUMB = jobs.Asset("videos/x/thumbnail.webp", 10, "e", "image/webp")
MP4 = jobs.Asset("videos/x/video.mp4", 100, "e", "video/mp4")


async def _run(
    videos: VideoStore, queue: QueueStore, clock: Clock, project_id: str, n: int, took: float
) -> jobs.Video:
    """Insert video ``n`` and claim it; the clock ends ``took`` seconds after the start."""
    await videos.insert(new_video(project_id, n))
    job = await queue.claim("w", 600)
    assert job is not None and job.id == f"video_{n:04d}" and job.lease_token
    clock.advance(took)
    return job


async def _seed(db: Database, videos: VideoStore, queue: QueueStore, clock: Clock, project: str):
    """Four completions, two failures and a cancellation, spread over three minutes."""
    start = clock.now
    for n, took in enumerate((5.0, 10.0, 15.0), start=1):  # minute 0
        job = await _run(videos, queue, clock, project, n, took)
        await queue.complete(job.id, job.lease_token or "", "animatic", {"thumbnail": THUMB})
    clock.now = start + 60 + 5  # minute 1
    job = await _run(videos, queue, clock, project, 4, 40.0)
    await queue.complete(job.id, job.lease_token or "", "animatic", {"video": MP4})
    job = await _run(videos, queue, clock, project, 5, 1.0)
    await queue.fail(job.id, job.lease_token or "", jobs.JobError("engine_error", "x"), "vx")
    clock.now = start + 120 + 5  # minute 2
    job = await _run(videos, queue, clock, project, 6, 1.0)
    await queue.fail(job.id, job.lease_token or "", jobs.JobError("engine_error", "y"))
    job = await _run(videos, queue, clock, project, 7, 1.0)
    await queue.acknowledge_cancel(job.id, job.lease_token or "")
    return start


async def test_a_window_counts_outcomes_by_bucket_with_times_and_errors(
    db: Database, videos: VideoStore, queue: QueueStore, clock: Clock, project_id: str
) -> None:
    start = await _seed(db, videos, queue, clock, project_id)
    store = DashboardStore(db)
    window = await store.window(start, 60, 4)
    assert window.buckets == [
        Bucket(start, completed=3),
        Bucket(start + 60, completed=1, failed=1),
        Bucket(start + 120, failed=1, cancelled=1),
        Bucket(start + 180),
    ]
    assert window.generation_count == 4
    assert window.generation_seconds == {0.5: 10.0, 0.95: 40.0}
    assert window.errors == [
        ErrorGroup("engine_error", None, 1),
        ErrorGroup("engine_error", "vx", 1),
    ]

    later = await store.window(start + 60, 60, 1)  # minute 1 only
    assert later.buckets == [Bucket(start + 60, completed=1, failed=1)]
    assert later.generation_seconds == {0.5: 40.0, 0.95: 40.0}
    empty = await store.window(start + 600, 60, 2)
    assert empty.generation_count == 0 and empty.generation_seconds == {} and not empty.errors
    assert [b.completed + b.failed for b in empty.buckets] == [0, 0]


async def test_queue_depth_tells_runnable_from_waiting_and_running(
    db: Database, videos: VideoStore, queue: QueueStore, clock: Clock, project_id: str
) -> None:
    await videos.insert(new_video(project_id, 1))
    await videos.insert(new_video(project_id, 2))
    await videos.insert(new_video(project_id, 3, run_at=clock.now + 3600))  # relaxed: later
    assert await queue.claim("w", 60) is not None
    other, _ = await KeyStore(db).ensure_project("other")
    await videos.insert(new_video(other.id, 4))
    depth = await DashboardStore(db).queue_depth(clock.now)
    assert (depth.queued_runnable, depth.queued_waiting, depth.running) == (2, 1, 1)
    mine = await DashboardStore(db).queue_depth(clock.now, project_id)
    assert (mine.queued_runnable, mine.queued_waiting, mine.running) == (1, 1, 1)
    assert (await DashboardStore(db).queue_depth(clock.now + 3601, project_id)).queued_waiting == 0


async def test_recent_videos_are_newest_first_scoped_and_know_their_thumbnails(
    db: Database, videos: VideoStore, queue: QueueStore, clock: Clock, project_id: str
) -> None:
    start = await _seed(db, videos, queue, clock, project_id)
    other, _ = await KeyStore(db).ensure_project("other")
    clock.advance(1)
    await videos.insert(new_video(other.id, 8))
    await videos.delete(project_id, "video_0003")
    store = DashboardStore(db)
    everyone = await store.recent(limit=5)
    assert [r.id for r in everyone] == [
        "video_0008",
        "video_0007",
        "video_0006",
        "video_0005",
        "video_0004",
    ]
    assert everyone[0].project_name == "other" and everyone[0].status is JobStatus.QUEUED
    assert everyone[1].status is JobStatus.CANCELLED and everyone[1].error_code == "cancelled"
    assert everyone[3].error_code == "engine_error"
    assert everyone[4].has_video and not everyone[4].has_thumbnail  # a video, no thumbnail
    assert not everyone[3].has_video and not everyone[3].has_thumbnail  # failed
    mine = await store.recent(project_id=project_id)
    assert [r.id for r in mine] == [f"video_{n:04d}" for n in (7, 6, 5, 4, 2, 1)]  # 3 deleted
    first = mine[-1]
    assert first.has_thumbnail and first.project_name == "test" and first.model == "sora-2"
    assert first.started_at is not None and first.completed_at is not None
    assert first.completed_at - first.started_at == 5.0 and first.created_at == start

    snap = await store.snapshot(clock.now, start, 60, 3, project_id=other.id, recent=3)
    assert [r.id for r in snap.recent] == ["video_0008"]
    assert snap.queue.queued_runnable == 1 and not snap.window.errors
    assert sum(b.completed for b in snap.window.buckets) == 0


async def test_recent_videos_say_what_an_edit_or_extension_was_made_from(
    db: Database, videos: VideoStore, project_id: str
) -> None:
    await videos.insert(new_video(project_id, 1))
    await videos.insert(
        new_video(
            project_id,
            2,
            seconds="8",
            kind=jobs.JobKind.EXTEND,
            sources=jobs.Sources(video_id="video_0001", extends_seconds=4, extensions=1),
        )
    )
    await videos.insert(
        new_video(project_id, 3, kind=jobs.JobKind.EDIT, sources=jobs.Sources(file="up.mp4"))
    )
    edit, extension, plain = await DashboardStore(db).recent(project_id=project_id)
    assert (plain.kind, plain.source_video_id) == (jobs.JobKind.GENERATE, None)
    assert (extension.kind, extension.source_video_id) == (jobs.JobKind.EXTEND, "video_0001")
    assert (edit.kind, edit.source_video_id) == (jobs.JobKind.EDIT, None)  # an upload
