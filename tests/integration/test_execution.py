"""Execution strategies for local engines: a fresh child per job, or one resident child that
keeps its engine built; both report progress, failures and crashes the same way, and stop
when cancelled.  The worker picks the strategy the engine declares."""

from __future__ import annotations

import asyncio
import functools
import os
import time
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from reelway import errors, jobs
from reelway import settings as settings_module
from reelway.engines import base
from reelway.engines.directory import EngineDirectory, EngineSpec
from reelway.runtime import Runtime
from reelway.service import Caller
from reelway.worker.execution import Executor, Executors
from reelway.worker.render_process import ForkPerJob
from reelway.worker.resident import ResidentProcess
from tests import waiting
from tests.backends import Deployment

COUNTING = "tests.fake_engines:CountingEngine"
SLOW = "tests.fake_engines:SlowEngine"
FINISHED = {jobs.JobStatus.SUCCEEDED, jobs.JobStatus.FAILED}


def _spec(counts: Path, pace: float = 0.0) -> EngineSpec:
    return EngineSpec("counting", COUNTING, {"count_file": str(counts), "pace": pace})


def _request(prompt: str = "a kite") -> base.GenerationRequest:
    return base.GenerationRequest("video_exec", "counting", prompt, 64, 36, 1, 1)


def _output(folder: Path) -> base.RenderOutput:
    folder.mkdir(parents=True, exist_ok=True)
    return base.RenderOutput(folder / "v.mp4", folder / "t.webp", folder / "s.jpg")


def _builders(counts: Path) -> list[int]:
    """The process ids that built the engine, one per construction."""
    return [int(line) for line in counts.read_text().split()] if counts.exists() else []


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    return True


@pytest.fixture
async def resident() -> AsyncIterator[ResidentProcess]:
    executor = ResidentProcess(["tests.fake_engines"])
    yield executor
    await executor.close()


@pytest.mark.parametrize("strategy, builds", [(ForkPerJob, 2), (ResidentProcess, 1)])
async def test_engine_builds_per_strategy(
    tmp_path: Path, strategy: type[ForkPerJob] | type[ResidentProcess], builds: int
) -> None:
    executor: Executor = strategy(["tests.fake_engines"])
    counts = tmp_path / "counts"
    try:
        for job in ("one", "two"):
            output = _output(tmp_path / job)
            result = await executor.render(_spec(counts), _request(), output, lambda _: None)
            assert result.duration == 1 and output.video.stat().st_size > 0
    finally:
        await executor.close()
    assert len(_builders(counts)) == builds


async def test_closing_a_resident_executor_ends_its_child(
    tmp_path: Path, resident: ResidentProcess
) -> None:
    counts = tmp_path / "counts"
    await resident.render(_spec(counts), _request(), _output(tmp_path / "a"), lambda _: None)
    [pid] = _builders(counts)
    assert _alive(pid)
    await resident.close()
    waiting.until(lambda: _alive(pid), lambda alive: not alive, limit=10, what="its exit")


async def test_resident_progress_rises_and_cancelling_kills_then_restarts(
    tmp_path: Path, resident: ResidentProcess
) -> None:
    counts = tmp_path / "counts"
    seen: list[int] = []
    render = asyncio.create_task(
        resident.render(_spec(counts, pace=20.0), _request(), _output(tmp_path / "a"), seen.append)
    )

    async def highest() -> int:
        return max(seen, default=0)

    await waiting.until_async(
        highest,
        lambda top: top > 0,
        limit=20,
        what="progress from the resident render",
    )
    [pid] = _builders(counts)
    started = time.monotonic()
    render.cancel()
    with pytest.raises(asyncio.CancelledError):
        await render
    assert time.monotonic() - started < 5, "cancelling stops the render, not waits for it"
    assert not _alive(pid), "the render's child is killed"
    assert seen == sorted(seen), seen
    # The next job gets a fresh child, which builds the engine again.
    await resident.render(_spec(counts), _request(), _output(tmp_path / "b"), lambda _: None)
    assert len(_builders(counts)) == 2 and _builders(counts)[1] != pid


async def test_resident_failures_are_reported_and_the_child_is_kept(
    tmp_path: Path, resident: ResidentProcess
) -> None:
    counts = tmp_path / "counts"
    with pytest.raises(errors.EngineRuntimeError, match="ZeroDivisionError: the counting engine"):
        await resident.render(
            _spec(counts), _request("fail"), _output(tmp_path / "a"), lambda _: None
        )
    await resident.render(_spec(counts), _request(), _output(tmp_path / "b"), lambda _: None)
    assert len(_builders(counts)) == 1, "an engine's error does not cost its child"


async def test_a_resident_child_that_dies_fails_the_job_and_is_restarted(
    tmp_path: Path, resident: ResidentProcess
) -> None:
    counts = tmp_path / "counts"
    with pytest.raises(errors.EngineRuntimeError, match="exited unexpectedly"):
        await resident.render(
            _spec(counts), _request("crash"), _output(tmp_path / "a"), lambda _: None
        )
    await resident.render(_spec(counts), _request(), _output(tmp_path / "b"), lambda _: None)
    assert len(_builders(counts)) == 2


def test_the_executor_table_follows_what_each_engine_declares() -> None:
    directory = EngineDirectory(default_options={COUNTING: {"count_file": os.devnull}})
    table = Executors(directory, [COUNTING, SLOW])
    assert isinstance(table.for_engine(COUNTING), ResidentProcess)
    assert isinstance(table.for_engine(SLOW), ForkPerJob)
    with pytest.raises(ValueError, match=r"engine '.*CountingEngine' declares execution 'resid"):
        Executors(directory, [COUNTING, SLOW], strategies={"fork_per_job": ForkPerJob})


@pytest.fixture
async def runtime(tmp_path: Path, deployment: Deployment) -> AsyncIterator[Runtime]:
    catalog = tmp_path / "catalog.toml"
    catalog.write_text(
        '[credits_per_second]\n"480p" = 4\n"720p" = 16\n"1080p" = 40\n'
        '[models."counting"]\nsizes = ["640x360"]\nseconds = [1]\ndefault_size = "640x360"\n'
        f'default_seconds = 1\nroute = ["{COUNTING}"]\n'
        '[models."counting".price_per_second]\n"480p" = 0.01\n'
    )
    settings = settings_module.from_env(
        deployment.env,
        data_dir=deployment.data_dir,
        catalog=catalog,
        engine_options={COUNTING: {"count_file": str(tmp_path / "counts")}},
        claim_poll_seconds=0.1,
    )
    rt = await Runtime.open(settings, migrate=True)
    yield rt
    await rt.close()


async def test_the_worker_renders_a_resident_engines_jobs_in_one_child(
    tmp_path: Path, runtime: Runtime
) -> None:
    worker = runtime.worker(1)
    await worker.start()
    try:
        project, _ = await runtime.keys.ensure_project("test")
        caller = Caller(project_id=project.id, key_id="test")
        for _ in range(2):
            video = (
                await runtime.service.create(caller, {"prompt": "p", "model": "counting"})
            ).video
            done = await waiting.until_async(
                functools.partial(runtime.videos.get, video.id),
                lambda v: v is not None and v.status in FINISHED,
                limit=30,
                what="the render",
            )
            assert done is not None and done.status is jobs.JobStatus.SUCCEEDED
    finally:
        await worker.stop(5)
    in_children = [pid for pid in _builders(tmp_path / "counts") if pid != os.getpid()]
    assert len(in_children) == 1, "start-up reads its info here; one child renders both jobs"
