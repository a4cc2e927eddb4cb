"""Render folders left under ``tmp/`` by killed workers are swept; live ones never are."""

from __future__ import annotations

import asyncio
import os
import time
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from reelway import jobs
from reelway import settings as settings_module
from reelway.runtime import Runtime
from reelway.worker import sweep
from tests.backends import Deployment
from tests.integration import test_worker
from tests.waiting import until_async

DAY = 86400.0


@pytest.fixture
async def runtime(tmp_path: Path, deployment: Deployment) -> AsyncIterator[Runtime]:
    settings = settings_module.from_env(
        deployment.env,
        data_dir=deployment.data_dir,
        catalog=test_worker._catalog(tmp_path / "catalog.toml"),
        # The live worker's lease: long enough that a heartbeat delayed by a busy machine
        # never loses it (the killed worker's claim below sets its own 1 s lease).
        lease_seconds=5.0,
        heartbeat_seconds=0.2,
        reap_interval_seconds=0.2,
        claim_poll_seconds=0.1,
    )
    rt = await Runtime.open(settings, migrate=True)
    yield rt
    await rt.close()


async def _queued(rt: Runtime, seconds: str = "1") -> str:
    caller = await test_worker._caller(rt)
    made = await rt.service.create(caller, {"prompt": "p", "model": "slow", "seconds": seconds})
    return made.video.id


def _leftover(rt: Runtime, video: jobs.Video) -> Path:
    """The folder a worker makes for its claim, with what a render leaves in it."""
    assert video.lease_token is not None
    folder = rt.settings.tmp_dir / f"{video.id}-{video.lease_token[:8]}"
    (folder / "frames").mkdir(parents=True)
    (folder / "video.mp4").write_bytes(b"\0" * 65536)
    (folder / "frames" / "0001.png").write_bytes(b"\0" * 1024)
    return folder


async def _status(rt: Runtime, video_id: str) -> jobs.JobStatus:
    video = await rt.videos.get(video_id)
    assert video is not None
    return video.status


async def test_a_killed_workers_folder_is_swept_once_its_lease_is_taken_away(
    runtime: Runtime,
) -> None:
    video_id = await _queued(runtime)
    claimed = await runtime.queue.claim("killed-worker", lease_seconds=1.0)
    assert claimed is not None and claimed.id == video_id
    folder = _leftover(runtime, claimed)  # the worker was killed here: nobody removes it

    assert await sweep.sweep(runtime.settings.tmp_dir, runtime.queue) == []
    assert folder.is_dir(), "kept while the lease is held, even by a silent worker"

    worker = runtime.worker(1)  # its reaper takes the lapsed lease away, then sweeps
    await worker.start()
    try:
        done = await until_async(
            lambda: runtime.videos.get(video_id),
            lambda v: v is not None and v.status is jobs.JobStatus.SUCCEEDED,
            limit=30,
            what="the video to complete on another worker",
        )
        assert done is not None and done.attempts == 2
        await until_async(
            lambda: asyncio.to_thread(folder.exists),
            lambda exists: not exists,
            limit=10,
            what="the killed worker's folder to be swept",
        )
    finally:
        await worker.stop(5)
    assert not list(runtime.settings.tmp_dir.iterdir())


async def test_a_live_jobs_folder_is_kept_while_other_workers_sweep(runtime: Runtime) -> None:
    video_id = await _queued(runtime, seconds="2")
    worker = runtime.worker(1)
    await worker.start()
    try:
        running = await until_async(
            lambda: runtime.videos.get(video_id),
            lambda v: v is not None and v.status is jobs.JobStatus.RUNNING and v.progress > 0,
            limit=30,
            what="the render to start",
        )
        assert running is not None and running.lease_token is not None
        folder = runtime.settings.tmp_dir / f"{video_id}-{running.lease_token[:8]}"
        stale = runtime.settings.tmp_dir / f"{video_id}-{'0' * 8}"  # an earlier, lost lease
        stale.mkdir()
        sweeps = 0
        while await _status(runtime, video_id) is jobs.JobStatus.RUNNING:
            removed = await sweep.sweep(runtime.settings.tmp_dir, runtime.queue)
            sweeps += 1
            if folder.name in removed:
                # Only fair if the render ended between the status read above and the sweep's
                # own look at the leases; a lease still held now was held then too.
                after = await runtime.videos.get(video_id)
                assert after is not None and (
                    after.status is not jobs.JobStatus.RUNNING
                    or not (after.lease_token or "").startswith(running.lease_token[:8])
                ), f"{folder.name} was swept while its render still held the lease"
                break
            await asyncio.sleep(0.05)
        assert sweeps > 3 and not stale.exists()
        done = await runtime.videos.get(video_id)
        assert done is not None and done.status is jobs.JobStatus.SUCCEEDED, done
    finally:
        await worker.stop(5)


async def test_unknown_entries_go_once_a_day_old(runtime: Runtime) -> None:
    tmp = runtime.settings.tmp_dir
    old, fresh, junk = tmp / "stray", tmp / "fresh-stray", tmp / "junk.txt"
    old.mkdir()
    (old / "inside").write_text("x")
    fresh.mkdir()
    junk.write_text("x")
    now = time.time()
    for path in (old, junk):
        os.utime(path, (now - DAY - 60, now - DAY - 60))
    removed = await sweep.sweep(tmp, runtime.queue, now=now)
    assert sorted(removed) == ["junk.txt", "stray"]
    assert fresh.is_dir() and not old.exists() and not junk.exists()
    assert await sweep.sweep(tmp, runtime.queue, now=now + DAY + 60) == ["fresh-stray"]


async def test_concurrent_sweepers_do_not_trip_over_each_other(runtime: Runtime) -> None:
    tmp = runtime.settings.tmp_dir
    folders = []
    for n in range(40):
        folder = tmp / f"video_{n:032x}-{n:08x}"
        for d in range(5):
            (folder / f"d{d}").mkdir(parents=True)
            for f in range(10):
                (folder / f"d{d}" / f"{f}.bin").write_bytes(b"x")
        folders.append(folder)
    results = await asyncio.gather(
        *(sweep.sweep(tmp, runtime.queue) for _ in range(6)), return_exceptions=True
    )
    assert not [r for r in results if isinstance(r, BaseException)], results
    assert not list(tmp.iterdir())
    swept = {name for result in results if isinstance(result, list) for name in result}
    assert swept == {folder.name for folder in folders}


async def test_a_missing_tmp_folder_is_nothing_to_sweep(runtime: Runtime) -> None:
    runtime.settings.tmp_dir.rmdir()
    assert await sweep.sweep(runtime.settings.tmp_dir, runtime.queue) == []
