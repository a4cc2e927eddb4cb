"""The worker with real render child processes, driven through misbehaving engines."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from reelway import jobs
from reelway import settings as settings_module
from reelway.runtime import Runtime
from reelway.service import Caller
from reelway.worker.runner import Worker
from tests import waiting
from tests.backends import Deployment

ENGINES = {
    "slow": "tests.fake_engines:SlowEngine",
    "glacial": "tests.fake_engines:GlacialEngine",
    "failing": "tests.fake_engines:FailingEngine",
    "crashing": "tests.fake_engines:CrashingEngine",
    "silent": "tests.fake_engines:SilentEngine",
}


def _catalog(path: Path) -> Path:
    lines = ['[credits_per_second]\n"480p" = 4\n"720p" = 16\n"1080p" = 40\n']
    for model, engine in ENGINES.items():
        lines.append(
            f'[models."{model}"]\nsizes = ["640x360"]\nseconds = [1, 2, 4]\n'
            f'default_size = "640x360"\ndefault_seconds = 1\ncapabilities = ["remix"]\n'
            f'route = ["{engine}"]\n[models."{model}".price_per_second]\n"480p" = 0.01\n'
        )
    path.write_text("\n".join(lines))
    return path


@pytest.fixture
async def runtime(tmp_path: Path, deployment: Deployment) -> AsyncIterator[Runtime]:
    settings = settings_module.from_env(
        deployment.env,
        data_dir=deployment.data_dir,
        catalog=_catalog(tmp_path / "catalog.toml"),
        lease_seconds=3.0,
        heartbeat_seconds=0.5,
        reap_interval_seconds=0.3,
        claim_poll_seconds=0.1,
        max_attempts=2,
    )
    rt = await Runtime.open(settings, migrate=True)
    yield rt
    await rt.close()


@pytest.fixture
async def worker(runtime: Runtime) -> AsyncIterator[Worker]:
    """A running one-slot worker, stopped after the test."""
    started = runtime.worker(1)
    await started.start()
    yield started
    await started.stop(5)


async def _caller(rt: Runtime) -> Caller:
    project, _ = await rt.keys.ensure_project("test")
    return Caller(project_id=project.id, key_id="test")


async def _until(
    rt: Runtime, caller: Caller, video_id: str, done: set[str], limit: float = 30
) -> jobs.Video:
    video = await waiting.until_async(
        lambda: rt.videos.get(video_id, include_deleted=True),
        lambda video: video is None or video.status in done,
        limit=limit,
        what=f"{video_id} to be {' or '.join(sorted(done))}",
    )
    assert video is not None, f"{video_id} vanished"
    return video


async def test_progress_rises_and_files_are_stored(runtime: Runtime, worker: Worker) -> None:
    caller = await _caller(runtime)
    video = (
        await runtime.service.create(caller, {"prompt": "p", "model": "slow", "seconds": "2"})
    ).video
    seen: list[int] = []

    def succeeded(current: jobs.Video) -> bool:
        if current.status is jobs.JobStatus.SUCCEEDED:
            return True
        seen.append(current.progress)
        return False

    current = await waiting.until_async(
        lambda: runtime.service.get(caller, video.id), succeeded, limit=30, what="the render"
    )
    assert seen == sorted(seen) and 0 < max(seen) < 100, seen
    assert current.progress == 100 and current.engine == ENGINES["slow"]
    for variant in ("video", "thumbnail", "spritesheet"):
        found = await runtime.service.content(caller, video.id, variant)
        assert found.asset.size > 0
    # The job is marked completed before its worker removes the render folder (in the
    # job's ``finally``), so the clean-up is waited for, with a deadline.
    await waiting.until_async(
        lambda: asyncio.to_thread(lambda: list(runtime.settings.tmp_dir.iterdir())),
        lambda left: not left,
        limit=10,
        what="work files are cleaned up",
    )


@pytest.mark.parametrize(
    "prompt, message",
    [
        ("please refuse", "The fake engine refuses prompts that say refuse."),
        ("anything", "ZeroDivisionError: the fake engine divided by zero"),
    ],
)
async def test_engine_failures_fail_the_video_with_a_clear_message(
    runtime: Runtime, worker: Worker, prompt: str, message: str
) -> None:
    caller = await _caller(runtime)
    video = (await runtime.service.create(caller, {"prompt": prompt, "model": "failing"})).video
    failed = await _until(runtime, caller, video.id, {"failed"})
    assert failed.error is not None and failed.error.code == "engine_runtime_error"
    assert message in failed.error.message


async def test_a_render_process_that_dies_fails_the_video(runtime: Runtime, worker: Worker) -> None:
    caller = await _caller(runtime)
    video = (await runtime.service.create(caller, {"prompt": "p", "model": "crashing"})).video
    failed = await _until(runtime, caller, video.id, {"failed"})
    assert failed.error is not None and failed.error.code == "engine_runtime_error"
    assert "exit code 3" in failed.error.message


async def test_an_engine_that_writes_nothing_fails_cleanly(
    runtime: Runtime, worker: Worker
) -> None:
    caller = await _caller(runtime)
    video = (await runtime.service.create(caller, {"prompt": "p", "model": "silent"})).video
    failed = await _until(runtime, caller, video.id, {"failed"})
    assert failed.error is not None and "did not write its video file" in failed.error.message


async def test_deleting_a_rendering_video_kills_the_render(
    runtime: Runtime, worker: Worker
) -> None:
    caller = await _caller(runtime)
    # The render would take four minutes; the wait for "cancelled" gives up after 30 s, so
    # only a worker that stops the render at a heartbeat gets there.
    video = (
        await runtime.service.create(caller, {"prompt": "p", "model": "glacial", "seconds": "4"})
    ).video
    await _until(runtime, caller, video.id, {"running"})
    await runtime.service.delete(caller, video.id)
    stopped = await _until(runtime, caller, video.id, {"cancelled"})
    assert stopped.progress < 100
    assert stopped.error is not None and stopped.error.code == "cancelled"
    await waiting.until_async(
        lambda: runtime.videos.get(video.id, include_deleted=True),
        lambda purged: purged is not None and purged.purged_at is not None,
        limit=10,
        what="the cancelled video's files to be purged",
    )


async def test_a_job_past_its_deadline_is_stopped(tmp_path: Path, deployment: Deployment) -> None:
    settings = settings_module.from_env(
        deployment.env,
        data_dir=deployment.data_dir,
        catalog=_catalog(tmp_path / "catalog.toml"),
        job_deadline_seconds=1.0,
        claim_poll_seconds=0.1,
    )
    rt = await Runtime.open(settings, migrate=True)
    worker = rt.worker(1)
    await worker.start()
    try:
        caller = await _caller(rt)
        video = (
            await rt.service.create(caller, {"prompt": "p", "model": "slow", "seconds": "4"})
        ).video
        failed = await _until(rt, caller, video.id, {"failed"})
        assert failed.error is not None and failed.error.code == "deadline_exceeded"
    finally:
        await worker.stop(5)
        await rt.close()


async def test_shutdown_hands_running_jobs_back(runtime: Runtime) -> None:
    caller = await _caller(runtime)
    worker = runtime.worker(1)
    await worker.start()
    video = (
        await runtime.service.create(caller, {"prompt": "p", "model": "slow", "seconds": "4"})
    ).video
    await _until(runtime, caller, video.id, {"running"})
    await worker.stop(0.2)
    back = await runtime.videos.get(video.id)
    assert back is not None and back.status is jobs.JobStatus.QUEUED and back.attempts == 0
    second = runtime.worker(1)
    await second.start()
    try:
        done = await _until(runtime, caller, video.id, {"succeeded"})
        assert done.attempts == 1
    finally:
        await second.stop(5)
